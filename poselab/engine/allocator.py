"""One C-allocator policy for every PoseLab process, set once at its start.

Why: glibc serves a large ``malloc`` from ``mmap`` (given back to the system on ``free``) only while it
is above the *dynamic* mmap threshold, and raises that threshold to the size of any mmapped block that
is freed (up to 32 MB). After the first 6 MB frame (1080p RGB) is freed, every later frame comes from
the heaps instead; frames allocated on one thread (decoder) and freed on another (detector, drawing,
encoder) then fragment glibc's per-thread heaps, and on a busy machine a 2-minute 1080p analysis grew
from 600 MB to 5.1 GB (issue 13). A fixed threshold switches the dynamic adjustment off: blocks of
128 KiB and more always come from ``mmap`` and go back when freed. With ``MALLOC_MMAP_THRESHOLD_=131072``
in the environment the same run stayed flat at about 575 MB. The frame pool (``framepool``) removes
PoseLab's own per-frame buffers; this covers what we do not allocate ourselves (FFmpeg, MediaPipe, x264).

Called from: ``python -m poselab``, the dashboard's ``app.py``, ``analyze_clip`` (any process that runs
an analysis), and the entry points of spawned children (``helper``). Off glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import os
import sys

MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, kept fixed
_M_MMAP_THRESHOLD = -3  # from glibc's <malloc.h>
_ENV_OVERRIDE = "MALLOC_MMAP_THRESHOLD_"  # glibc's tunable: someone who set it knows better

_applied: bool | None = None


def apply_allocator_policy() -> bool:
    """Fixes glibc's mmap threshold (once per process); True if the policy is in force."""
    global _applied
    if _applied is None:
        _applied = _apply()
    return _applied


def _apply() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    if os.environ.get(_ENV_OVERRIDE):
        return True  # glibc read it at start-up, and a fixed threshold is what we want
    try:
        # The process's own symbols: libc is among them; find_library would run gcc or ldconfig.
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt to speak of)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1


def mmap_threshold_fixed() -> bool | None:
    """Whether this process runs with the policy (None before ``apply_allocator_policy`` was called)."""
    return _applied
