"""Keeping person slots consistent over time: slot 0 stays the same person while we can follow them.

MediaPipe returns the poses of a frame in no promised order, so each pose goes to the slot whose
last known centre (mean landmark position in pixels) is nearest; greedy matching is optimal
enough for the handful of people a landmarker tracks.
"""

from __future__ import annotations

import numpy as np


class SlotTracker:
    """Assigns the poses of successive frames to ``num_slots`` stable slots."""

    def __init__(self, num_slots: int) -> None:
        self.num_slots = num_slots
        self._centres_px = np.full((num_slots, 2), np.nan)
        self._last_seen = np.full(num_slots, -1)
        self._frame = 0

    def assign(self, centres_px: np.ndarray) -> list[int]:
        """Slot index for each of the N pose centres (N <= num_slots), in the given order."""
        count = min(len(centres_px), self.num_slots)
        slots = [-1] * count
        free = set(range(self.num_slots))
        known = [s for s in range(self.num_slots) if self._last_seen[s] >= 0]
        if known and count:
            cost = np.linalg.norm(centres_px[:count, None, :] - self._centres_px[None, known, :], axis=2)
            for flat in np.argsort(cost, axis=None):
                pose, k = divmod(int(flat), len(known))
                if slots[pose] < 0 and known[k] in free:
                    slots[pose] = known[k]
                    free.discard(known[k])
        for pose in range(count):
            if slots[pose] < 0:
                slots[pose] = self._take_free(free)
        for pose, slot in enumerate(slots):
            self._centres_px[slot] = centres_px[pose]
            self._last_seen[slot] = self._frame
        self._frame += 1
        return slots

    def _take_free(self, free: set[int]) -> int:
        # A slot never used first, then the one unseen the longest.
        slot = min(free, key=lambda s: (self._last_seen[s] >= 0, self._last_seen[s], s))
        free.discard(slot)
        return slot


def pose_centres_px(image_xy_px: np.ndarray) -> np.ndarray:
    """(N, 33, 2) pixels -> (N, 2) mean position of each pose."""
    return np.nanmean(image_xy_px, axis=1) if len(image_xy_px) else np.zeros((0, 2))
