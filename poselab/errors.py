"""Errors that carry a message meant for the user (the CLI prints it, the pages show it)."""

from __future__ import annotations

import threading


class PoseLabError(Exception):
    """Base of every error whose text is safe and useful to show a user as it is."""


class InputError(PoseLabError):
    """The input file cannot be analysed: not a supported video or image, damaged, or over a limit."""


class ModelError(PoseLabError):
    """A model bundle is missing, cannot be downloaded or is not a pose landmarker bundle."""


class StorageError(PoseLabError):
    """A file or the library could not be written (read-only folder, full disk)."""


class Cancelled(PoseLabError):  # noqa: N818 - reads as a state, like KeyboardInterrupt
    """The caller asked the analysis to stop."""


def raise_if_cancelled(cancel: threading.Event | None) -> None:
    """Ends an analysis once its caller has set ``cancel``."""
    if cancel is not None and cancel.is_set():
        raise Cancelled("analysis cancelled")
