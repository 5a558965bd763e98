"""File-system helpers of the library: links, syncs, live writers, and readable storage failures."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path


def storage_reason(error: BaseException) -> str:
    """What went wrong, in words a user can act on (SQLite reports a full disk or read-only file as text)."""
    error = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's exception
    text = str(getattr(error, "strerror", None) or error)
    code = getattr(error, "errno", None)
    if code == errno.ENOSPC or "full" in text.lower():
        return "the disk is full; free some space and try again"
    if code in (errno.EACCES, errno.EROFS, errno.EPERM) or "readonly" in text.lower() or "read-only" in text.lower():
        return "the folder is not writable; set POSELAB_HOME to a writable folder"
    return text


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link when source and target share a disk (no space used twice), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def fsync_folder(folder: Path) -> None:
    # A kill never loses written data (the page cache survives), but a power cut could; sync before publishing.
    for path in folder.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
