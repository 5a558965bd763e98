"""Per-person body figures that fall and posture assessments share, in units free of frame rate and image size.

Lengths in the image are divided by the person's own body height in pixels (``scale_px``: the largest recent
stature seen, so a body foreshortened while falling or lying keeps the scale it had upright). Heights are
"up" positive. Short tracking gaps (up to ``MAX_GAP_S``) are bridged by linear interpolation; longer gaps stay
NaN, and ``seen`` says which frames really held the person.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass

import numpy as np

from poselab.sequence import PoseSequence
from poselab.skeleton import LANDMARK_INDEX

MAX_GAP_S = 0.4  # MediaPipe drops a person for a few frames when partly hidden; longer gaps are real absence
SCALE_MEMORY_S = 3.0  # how far back the upright stature is remembered
EDGE_FRAC = 0.96  # an ankle this low in the image is at the bottom edge
HEAD_TO_STATURE = 1.12  # nose-to-ankle is about 89 % of the standing height (anthropometric tables)

_I = LANDMARK_INDEX


@dataclass(frozen=True)
class BodyTrack:
    """Figures of one slot over time (all arrays shaped like ``time_s``)."""

    slot: int
    time_s: np.ndarray
    seen: np.ndarray  # bool: the model returned this person in this frame
    hip_y_px: np.ndarray  # hip centre, image y (down), gaps bridged
    scale_px: np.ndarray  # body height in pixels
    head_above_hips_bh: np.ndarray  # nose height over the hip centre in body heights (upright about 0.45)
    trunk_tilt_deg: np.ndarray  # hip -> shoulder centre from vertical, world landmarks (0 upright, 90 lying)
    feet_below_hips_bh: np.ndarray  # the lower ankle under the hip centre, body heights (upright about 0.5)
    feet_at_edge: np.ndarray  # bool: an ankle at the image's bottom edge or beyond (walking out of the frame)


def _mid(points: np.ndarray, a: str, b: str) -> np.ndarray:
    return (points[..., _I[a], :] + points[..., _I[b], :]) / 2


def _length(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(a - b, axis=-1)


def stature_px(xy: np.ndarray) -> np.ndarray:
    """(T, L, 2) image points -> (T,) an estimate of standing height from the segments, per frame."""
    shoulders, hips = _mid(xy, "left_shoulder", "right_shoulder"), _mid(xy, "left_hip", "right_hip")
    legs = [_length(xy[:, _I[f"{s}_hip"]], xy[:, _I[f"{s}_knee"]]) + _length(xy[:, _I[f"{s}_knee"]],
            xy[:, _I[f"{s}_ankle"]]) for s in ("left", "right")]
    leg = np.fmax(legs[0], legs[1])  # the longer leg is the less foreshortened one
    return HEAD_TO_STATURE * (_length(xy[:, _I["nose"]], shoulders) + _length(shoulders, hips) + leg)


def bridge(time_s: np.ndarray, values: np.ndarray, seen: np.ndarray, max_gap_s: float = MAX_GAP_S) -> np.ndarray:
    """Linear interpolation over runs of unseen frames no longer than ``max_gap_s``; NaN elsewhere."""
    out = np.where(seen, values, np.nan)
    index = np.flatnonzero(seen & ~np.isnan(values))
    for before, after in itertools.pairwise(index):
        if after - before > 1 and time_s[after] - time_s[before] <= max_gap_s + 1e-9:
            span = slice(before + 1, after)
            out[span] = np.interp(time_s[span], time_s[[before, after]], values[[before, after]])
    return out


def _trailing_max(time_s: np.ndarray, values: np.ndarray, window_s: float) -> np.ndarray:
    out = np.full_like(values, np.nan)
    start = 0
    for i, t in enumerate(time_s):
        while time_s[start] < t - window_s:
            start += 1
        part = values[start: i + 1]
        if not np.isnan(part).all():
            out[i] = np.nanmax(part)
    return out


def body_track(sequence: PoseSequence, slot: int) -> BodyTrack:
    time_s = sequence.time_s
    xy = sequence.image_xy_px[:, slot].astype(np.float64)
    world = sequence.world_xyz_m[:, slot].astype(np.float64)
    seen = ~np.isnan(xy[:, _I["left_hip"], 0])
    raw_scale = stature_px(xy)
    # the upright stature: the largest recent one, from a 3-frame median so one bad frame cannot set it
    with warnings.catch_warnings():  # frames without the person are all-NaN columns: NaN is the answer there
        warnings.simplefilter("ignore", RuntimeWarning)
        steady = np.nanmedian(np.stack([np.roll(raw_scale, 1), raw_scale, np.roll(raw_scale, -1)]), axis=0)
    scale = _trailing_max(time_s, steady, SCALE_MEMORY_S)
    first = np.flatnonzero(~np.isnan(scale))
    if first.size:  # a track that starts low borrows the stature it shows in its first second
        head = time_s <= time_s[first[0]] + 1.0
        scale = np.where(np.isnan(scale) & ~np.isnan(raw_scale), np.nanmax(np.where(head, steady, np.nan)), scale)
    hips = _mid(xy, "left_hip", "right_hip")
    head_up = (hips[:, 1] - xy[:, _I["nose"], 1]) / scale
    trunk = _mid(world, "left_shoulder", "right_shoulder") - _mid(world, "left_hip", "right_hip")
    with np.errstate(invalid="ignore", divide="ignore"):
        tilt = np.degrees(np.arccos(np.clip(-trunk[:, 1] / np.linalg.norm(trunk, axis=1), -1, 1)))
    ankles_y = np.fmax(xy[:, _I["left_ankle"], 1], xy[:, _I["right_ankle"], 1])
    feet = (ankles_y - hips[:, 1]) / scale
    at_edge = ankles_y >= EDGE_FRAC * sequence.video.height
    return BodyTrack(slot, time_s, seen, bridge(time_s, hips[:, 1], seen), bridge(time_s, scale, seen),
                     bridge(time_s, head_up, seen), bridge(time_s, tilt, seen), bridge(time_s, feet, seen), at_edge)


def body_tracks(sequence: PoseSequence) -> list[BodyTrack]:
    """One track per slot that ever held a person."""
    return [body_track(sequence, slot) for slot in range(sequence.num_slots)
            if sequence.detected()[:, slot].any()]
