"""Batch work at a lower CPU priority, so live webcam streams on the same server stay smooth.

An upload's analysis can wait a little; a live stream cannot: when both share the cores, frames
pile up in the stream (seconds of latency) until the browser gives up on it. Linux niceness is a
per-thread attribute that threads inherit when they are created, so lowering it for the thread
that runs an analysis also covers MediaPipe's graph threads, the video encoder thread and any
worker processes started meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

BATCH_NICENESS_STEPS = 10


@contextlib.contextmanager
def lowered_priority(steps: int = BATCH_NICENESS_STEPS) -> Iterator[None]:
    """Runs the block at ``steps`` more niceness (max 19); restored afterwards where permitted
    (lowering niceness again needs privileges on most systems). A no-op where unsupported."""
    thread_id = threading.get_native_id()
    try:
        before = os.getpriority(os.PRIO_PROCESS, thread_id)
        os.setpriority(os.PRIO_PROCESS, thread_id, min(before + steps, 19))
    except (AttributeError, OSError):  # not Linux, or not allowed: run as is
        before = None
    try:
        yield
    finally:
        if before is not None:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, thread_id, before)
