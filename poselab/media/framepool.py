"""A small fixed set of reusable frame buffers for the per-frame hot path.

A 1080p RGB frame is 6 MB. Allocated per frame on the decoding thread and freed on the drawing and
encoding thread, such arrays fragmented glibc's heaps once its dynamic mmap threshold had risen above
their size: a 2-minute 1080p analysis with the annotated video grew from 600 MB to 5.1 GB on a busy
machine (issue 13). A frame is now decoded into a buffer of this pool, detected, drawn on in place,
encoded and given back: the same few buffers for the whole clip, whatever its length.

Contract: ``acquire`` never hands out a buffer that was not given back, so a frame still queued for
drawing or encoding is never overwritten by a newer one; when every buffer is out, ``acquire`` waits
for one (back-pressure on the decoder) and raises ``FramePoolExhaustedError`` after ``timeout_s`` (a consumer that
stopped giving buffers back would otherwise hang the analysis).
"""

from __future__ import annotations

import threading

import numpy as np

# A stuck consumer shows up as this error instead of a hang; x264 never takes anywhere near this long.
DEFAULT_TIMEOUT_S = 60.0


class FramePoolExhaustedError(RuntimeError):
    """Every buffer was still in use after the timeout: a consumer stopped giving them back."""


class FramePool:
    """``count`` uint8 arrays of ``shape``, C-contiguous (``mp.Image`` needs that), reused in turn."""

    def __init__(self, shape: tuple[int, ...], count: int, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        if count < 1:
            raise ValueError("a frame pool needs at least one buffer")
        self.shape = tuple(shape)
        self.count = count
        self._timeout_s = timeout_s
        self._buffers = [np.zeros(self.shape, np.uint8) for _ in range(count)]
        self._free = list(range(count))
        self._index_of = {id(buffer): index for index, buffer in enumerate(self._buffers)}
        self._ready = threading.Condition()

    @property
    def free(self) -> int:
        with self._ready:
            return len(self._free)

    def owns(self, image: np.ndarray) -> bool:
        return id(image) in self._index_of and self._buffers[self._index_of[id(image)]] is image

    def acquire(self, timeout_s: float | None = None) -> np.ndarray:
        """A buffer nobody uses (its old pixels still in it); waits while all are out."""
        wait_s = self._timeout_s if timeout_s is None else timeout_s
        with self._ready:
            if not self._ready.wait_for(lambda: self._free, timeout=wait_s):
                raise FramePoolExhaustedError(f"all {self.count} frame buffers still in use after {wait_s:g} s")
            return self._buffers[self._free.pop(0)]

    def release(self, image: np.ndarray) -> None:
        """Gives a buffer back; it must come from this pool and be out (a double release is a bug)."""
        if not self.owns(image):
            raise ValueError("this array does not belong to the frame pool")
        index = self._index_of[id(image)]
        with self._ready:
            if index in self._free:
                raise ValueError("this frame buffer was given back twice")
            self._free.append(index)
            self._ready.notify()
