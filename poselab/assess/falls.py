"""Fall events from a pose sequence: a fast, uncontrolled descent of the hips that ends low or lying.

Per person slot (``body.BodyTrack``, units of body heights and seconds so neither the frame rate nor the image
size matters): a descent is a run of frames whose hip centre drops faster than ``MOVING_BH_S``; it is a fall
when its peak speed reaches ``FALL_SPEED_BH_S``, the hips drop at least ``MIN_DROP_BH``, the person was
upright just before (head over hips over feet), the hips stay down after (``SETTLE_S``) and do not come back
up within ``QUICK_UP_S``. Squatting, ducking and a flip that lands on the feet come back up at once; lying down
slowly, sitting down and bending to pick something up stay under the speed. MediaPipe often loses a person on
the floor, so a track that ends during a fast descent is kept as a fall, with less confidence; a track that
ends with the feet at the bottom edge is someone walking out of the picture. Known limit: a sit-down onto a
low seat faster than ``FALL_SPEED_BH_S`` looks like a fall (a fall towards the camera keeps the head as high
over the hips as sitting does, so the end posture cannot tell them apart).

The thresholds started from the literature (falls take 0.15-1.2 s, the pelvis drops at about 1 m/s, a
controlled descent stays under about 0.3 m/s, i.e. about 0.6 and 0.2 body heights per second for a 1.7 m
adult) and were set on the synthetic cases in tests/assess and the shared CCTV falls (their hips peak at
1.1 and 1.6 body heights/s; walking, dancing and squatting on the shared clips stay under 0.4).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from poselab.assess.body import BodyTrack, body_tracks
from poselab.sequence import PoseSequence

FALL_SPEED_BH_S = 0.9  # peak downward hip speed of a fall (a brisk sit-down peaks near 0.8)
# ... when the model lost the person during the descent: the bridged frames average the speed over the gap,
# and losing someone on the way down is itself evidence (the corridor fall tracked with one pose: 0.77)
GAP_FALL_SPEED_BH_S = 0.6
MOVING_BH_S = 0.25  # where a descent starts and ends
MIN_DROP_BH = 0.15  # the hips must come down at least this far (a stumble caught in a step does not)
UPRIGHT_HEAD_BH = 0.2  # head this far above the hips (a high CCTV camera foreshortens it to about 0.25)
UPRIGHT_FEET_BH = 0.25  # and the feet this far under them: the legs are really there, not a half-seen body
STAYS_DOWN = 0.6  # after the impact the hips stay down by this share of the drop
QUICK_UP_S = 1.0  # upright again within this: a controlled movement, not a fall
BEFORE_S = 0.6  # the stretch before a descent that must look upright
SETTLE_S = 0.5  # the stretch after the impact that must look down
SMOOTH_S = 0.12  # hip height is averaged over this window before differentiating (landmark jitter)
MERGE_S = 0.4  # descents closer than this are one fall (a stumble, then the fall)
RECOVERED_S = 0.2  # hips back up this long: the person got up (longer than a one-frame glitch)


@dataclass(frozen=True)
class FallEvent:
    """One fall of one person. ``end_s`` is when they were up again, or the end of the clip (``clip_ended``)."""

    person: int
    start_s: float
    impact_s: float
    end_s: float
    confidence: float
    down_for_s: float
    clip_ended: bool
    kind: str = "fall"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {"kind": data.pop("kind")} | {k: round(v, 3) if isinstance(v, float) else v for k, v in data.items()}


def smoothed(time_s: np.ndarray, values: np.ndarray, window_s: float = SMOOTH_S) -> np.ndarray:
    """Centred moving mean over ``window_s`` in time (NaN frames ignored; NaN stays NaN)."""
    finite = ~np.isnan(values)
    sums = np.concatenate([[0.0], np.cumsum(np.where(finite, values, 0.0))])
    counts = np.concatenate([[0], np.cumsum(finite)])
    lo = np.searchsorted(time_s, time_s - window_s / 2, "left")
    hi = np.searchsorted(time_s, time_s + window_s / 2, "right")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (sums[hi] - sums[lo]) / (counts[hi] - counts[lo])
    return np.where(finite, out, np.nan)


def _speed(time_s: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.full_like(values, np.nan)
    if len(values) >= 3:
        out[1:-1] = (values[2:] - values[:-2]) / (time_s[2:] - time_s[:-2])
    return out


def _median_in(track: BodyTrack, values: np.ndarray, start_s: float, end_s: float) -> float:
    part = values[(track.time_s >= start_s) & (track.time_s <= end_s)]
    part = part[~np.isnan(part)]
    return float(np.median(part)) if part.size else float("nan")


def _descents(time_s: np.ndarray, speed: np.ndarray, seen: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, peak, stop) frame indices of runs above MOVING_BH_S that peak at FALL_SPEED_BH_S or more
    (GAP_FALL_SPEED_BH_S when the run crosses frames the model missed); stop is the last frame of the run."""
    fast = np.nan_to_num(speed, nan=0.0) > MOVING_BH_S
    runs, i = [], 0
    while i < len(fast):
        if not fast[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(fast) and fast[j + 1]:
            j += 1
        peak = i + int(np.argmax(speed[i: j + 1]))
        needed = FALL_SPEED_BH_S if seen[i: j + 1].all() else GAP_FALL_SPEED_BH_S
        if speed[peak] >= needed:
            if runs and time_s[i] - time_s[runs[-1][2]] < MERGE_S:
                start, old_peak, _ = runs.pop()
                peak = peak if speed[peak] > speed[old_peak] else old_peak
                i = start
            runs.append((i, peak, j))
        i = j + 1
    return runs


def track_falls(track: BodyTrack, clip_end_s: float) -> list[FallEvent]:
    t = track.time_s
    height_bh = smoothed(t, track.hip_y_px / track.scale_px)
    speed = _speed(t, height_bh)
    events = []
    for start, peak, stop in _descents(t, speed, track.seen):
        # the run stopped because the track ended (speed unknown), not because the body slowed down
        ended = stop + 1 >= len(t) or np.isnan(speed[stop + 1])
        if ended and bool(track.feet_at_edge[stop]):
            continue  # walking out of the bottom of the picture, not falling
        drop_bh = height_bh[stop] - height_bh[start]
        before_head = _median_in(track, track.head_above_hips_bh, t[start] - BEFORE_S, t[start])
        before_feet = _median_in(track, track.feet_below_hips_bh, t[start] - BEFORE_S, t[start])
        if not (before_head >= UPRIGHT_HEAD_BH and before_feet >= UPRIGHT_FEET_BH) or drop_bh < MIN_DROP_BH:
            continue
        after_bh = _median_in(track, height_bh, t[stop], t[stop] + SETTLE_S)
        if not ended and after_bh - height_bh[start] < STAYS_DOWN * drop_bh:
            continue  # the hips came back up at once: a squat, a duck, a landing on the feet
        impact_s = float(t[min(stop + 1, len(t) - 1)] if ended else t[stop])  # the last frame seen
        up_level = height_bh[start] + (1 - STAYS_DOWN) * drop_bh
        end_s, up_again = _recovery(t, height_bh, up_level, impact_s, clip_end_s)
        if up_again and end_s - impact_s < QUICK_UP_S:
            continue
        scores = [min(speed[peak] / (2 * FALL_SPEED_BH_S), 1.0), min(drop_bh / (2 * MIN_DROP_BH), 1.0),
                  0.6 if ended else 1.0]
        events.append(FallEvent(track.slot, float(t[start]), impact_s, end_s, float(np.mean(scores)),
                                end_s - impact_s, not up_again))
    return events


def _recovery(time_s: np.ndarray, height_bh: np.ndarray, up_level_bh: float, impact_s: float,
              clip_end_s: float) -> tuple[float, bool]:
    """When the hips were back up (above ``up_level_bh``) for RECOVERED_S, else the end of the clip."""
    since = None
    for i in np.flatnonzero(time_s > impact_s):
        if height_bh[i] <= up_level_bh:  # image y grows downwards: smaller is higher
            since = time_s[i] if since is None else since
            if time_s[i] - since >= RECOVERED_S:
                return float(since), True
        else:
            since = None
    return clip_end_s, False


def detect_falls(sequence: PoseSequence) -> list[FallEvent]:
    """Every fall of every person slot, in time order."""
    end_s = float(sequence.time_s[-1]) if sequence.num_frames else 0.0
    if sequence.video.duration_s:
        end_s = max(end_s, float(sequence.video.duration_s))
    events = [e for track in body_tracks(sequence) for e in track_falls(track, end_s)]
    return sorted(events, key=lambda e: (e.impact_s, e.person))


def events_json(sequence: PoseSequence) -> list[dict[str, Any]]:
    """What ``events.json`` holds: every event as a plain dict (an empty list when nothing happened)."""
    return [event.to_dict() for event in detect_falls(sequence)]
