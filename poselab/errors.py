"""Errors that carry a message meant for the user (the CLI prints it, the pages show it)."""


class PoseLabError(Exception):
    """Base of every error whose text is safe and useful to show a user as it is."""


class InputError(PoseLabError):
    """The input file cannot be analysed: not a supported video or image, damaged, or over a limit."""


class ModelError(PoseLabError):
    """A model bundle is missing, cannot be downloaded or is not a pose landmarker bundle."""


class StorageError(PoseLabError):
    """A file or the library could not be written (read-only folder, full disk)."""
