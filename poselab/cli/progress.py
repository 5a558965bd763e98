"""The CLI's one-line progress bar on stderr, shared by ``analyze`` and ``ergonomics``."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from poselab.engine.pipeline import Progress


class ProgressBar:
    """A one-line progress bar on stderr: frames, fps and time left."""

    def __init__(self, width: int = 30) -> None:
        self.width = width
        self._last_draw = 0.0
        self._tty = sys.stderr.isatty()

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        total = progress.frames_total
        finished = total and progress.frames_done >= total
        if now - self._last_draw < (0.1 if self._tty else 2.0) and not finished:
            return
        self._last_draw = now
        share = min(progress.frames_done / total, 1.0) if total else 0.0
        bar = "#" * int(share * self.width)
        left = progress.remaining_s
        eta = f", {left:4.0f} s left" if left is not None else ""
        line = f"[{bar:<{self.width}}] {progress.frames_done}/{total or '?'} frames, {progress.fps:5.1f} fps{eta}"
        end = "\n" if finished or not self._tty else ""
        print(("\r" if self._tty else "") + line, end=end, file=sys.stderr, flush=True)
