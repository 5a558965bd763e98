"""How trustworthy a tracked sequence is: detection rate, per-landmark confidence, and jitter.

Jitter is the mean absolute frame-to-frame acceleration of the image landmarks, in pixels per frame²
(the length of x[t+1] - 2 x[t] + x[t-1]): still landmarks that shake score high, smooth motion low.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from poselab.sequence import PoseSequence
from poselab.skeleton import LANDMARK_NAMES


def acceleration_px(sequence: PoseSequence) -> np.ndarray:
    """(T-2, P, L) length of the second difference of image x, y; NaN where a frame of the three is missing."""
    xy = sequence.image_xy_px.astype(np.float64)
    if xy.shape[0] < 3:
        return np.empty((0, *xy.shape[1:3]))
    second = xy[2:] - 2 * xy[1:-1] + xy[:-2]
    return np.linalg.norm(second, axis=-1)


def jitter_px(sequence: PoseSequence, slot: int | None = None) -> float | None:
    """Mean absolute acceleration over every landmark (of one slot, or all); None if under 3 frames."""
    values = acceleration_px(sequence)
    if slot is not None:
        values = values[:, slot]
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else None


def jitter_per_landmark_px(sequence: PoseSequence, slot: int = 0) -> np.ndarray:
    """(L,) mean absolute acceleration per landmark of one slot (NaN where never seen 3 frames running)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a landmark never tracked: NaN is the answer
        return np.nanmean(acceleration_px(sequence)[:, slot], axis=0)


def detection_rate(sequence: PoseSequence) -> float:
    return sequence.frames_with_pose() / sequence.num_frames if sequence.num_frames else 0.0


def landmark_confidence(sequence: PoseSequence, slot: int = 0) -> dict[str, dict[str, float | None]]:
    """Mean visibility and presence per landmark over the frames where the slot held a person."""
    seen = sequence.detected()[:, slot]
    table: dict[str, dict[str, float | None]] = {}
    for index, name in enumerate(LANDMARK_NAMES):
        visibility = sequence.visibility[seen, slot, index]
        presence = sequence.presence[seen, slot, index]
        table[name] = {
            "mean_visibility": _round(np.mean(visibility)) if visibility.size else None,
            "mean_presence": _round(np.mean(presence)) if presence.size else None,
        }
    return table


def quality_report(raw: PoseSequence, smoothed: PoseSequence | None = None) -> dict[str, Any]:
    """The quality figures for the summary; jitter before and after smoothing when both are given."""
    before = jitter_px(raw)
    after = jitter_px(smoothed) if smoothed is not None else None
    reduction = 1 - after / before if before and after is not None else None
    return {
        "detection_rate": _round(detection_rate(raw)),
        "jitter_raw_px": _round(before),
        "jitter_smoothed_px": _round(after),
        "jitter_reduction": _round(reduction),
        "landmarks": landmark_confidence(raw) if raw.num_slots else {},
    }


def _round(value: float | np.floating | None, digits: int = 4) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), digits)
