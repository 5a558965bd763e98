"""Fall events on a live stream: the detector re-run on the rolling history each time the panel refreshes,
each fall reported once for the session.

A fall is reported once its impact is ``SETTLE_S`` old (the detector has then seen whether the hips stay
down), or at once when the person's track has ended (MediaPipe often loses someone on the floor). With the
panel refreshing every 0.5 s that raises the alert about 0.5-1 s after the impact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from poselab.assess.body import MAX_GAP_S
from poselab.assess.falls import SETTLE_S, FallEvent, detect_falls
from poselab.assess.postures import classify_postures
from poselab.sequence import PoseSequence

SAME_FALL_S = 1.0  # two reports of one person this close are the same fall seen in two windows


@dataclass
class FallWatcher:
    """Feed ``update(history)`` the live window (times from the stream start); it returns the new falls."""

    events: list[FallEvent] = field(default_factory=list)

    def update(self, history: PoseSequence | None) -> list[FallEvent]:
        if history is None or history.num_frames < 3:
            return []
        end_s = float(history.time_s[-1])
        seen = history.detected()
        fresh = []
        for event in detect_falls(history):
            last_seen = history.time_s[seen[:, event.person]]
            track_over = last_seen.size == 0 or last_seen[-1] < end_s - MAX_GAP_S
            if event.impact_s > end_s - SETTLE_S and not track_over:
                continue  # too early to tell a fall from a squat
            if any(e.person == event.person and abs(e.impact_s - event.impact_s) < SAME_FALL_S
                   for e in self.events):
                continue
            self.events.append(event)
            fresh.append(event)
        return fresh


def current_postures(history: PoseSequence | None) -> dict[int, str]:
    """Each person's built-in posture in the latest frame that holds them (within the last half second)."""
    if history is None or history.num_frames == 0:
        return {}
    recent = history.time_s >= history.time_s[-1] - 0.5
    seen = history.detected()
    found = {}
    for person in range(history.num_slots):
        frames = np.flatnonzero(recent & seen[:, person])
        if frames.size:
            last = frames[-1]
            names, _ = classify_postures(history.world_xyz_m[last, person].astype(np.float64),
                                         history.visibility[last, person])
            found[person] = str(names)
    return found
