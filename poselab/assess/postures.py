"""Built-in posture classes per frame and person from 3D (world) landmarks, no training.

Classes: standing, sitting, lying, bending forward, squatting or kneeling, unknown (the person is missing or
the landmarks the rules need are poorly visible). Segment directions are measured from vertical in MediaPipe's
world frame (metres, y down); the rules are checked in order, the first that holds wins:

lying         the body axis (mid-ankle -> mid-shoulder) is at least LYING_AXIS_DEG from vertical
standing      both knees straight (>= STRAIGHT_KNEE_DEG) and the trunk within UPRIGHT_TRUNK_DEG of vertical
bending       the trunk at least BENT_TRUNK_DEG forward on fairly straight knees (>= BENDING_KNEE_DEG)
sitting       thighs near horizontal (>= SEATED_THIGH_DEG), the hips behind the feet by at least
              SEATED_OFFSET thigh lengths (a seat carries them; a squat keeps them over the feet to balance:
              0.61-0.68 at the bottom of the shared squats), trunk within SEATED_TRUNK_DEG
squatting     knees bent (<= BENT_KNEE_DEG): a squat tips the shanks forward, kneeling lays them down
kneeling

MediaPipe's world frame is the camera's: a camera pitched down (CCTV) adds its pitch to every angle from
vertical, so these rules suit cameras near body height (the shared lab and squat clips).

A frame no rule claims gets the nearer of standing and squatting/kneeling by knee angle, with half confidence
(the frames in between, on the way down or up). Confidence is that margin times the landmarks' visibility.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poselab.sequence import PoseSequence
from poselab.skeleton import LANDMARK_INDEX

POSTURES = ("standing", "sitting", "lying", "bending forward", "squatting/kneeling", "unknown")
LYING_AXIS_DEG = 60.0
STRAIGHT_KNEE_DEG = 150.0
UPRIGHT_TRUNK_DEG = 30.0
BENT_TRUNK_DEG = 45.0
BENDING_KNEE_DEG = 130.0
SEATED_THIGH_DEG = 55.0
SEATED_OFFSET = 0.8
SEATED_TRUNK_DEG = 45.0
BENT_KNEE_DEG = 120.0
MIN_VISIBILITY = 0.5  # mean visibility of shoulders, hips and knees below this: unknown

_I = LANDMARK_INDEX
_NEEDED = [_I[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_knee", "right_knee")]


def _mid(points: np.ndarray, name: str) -> np.ndarray:
    return (points[..., _I[f"left_{name}"], :] + points[..., _I[f"right_{name}"], :]) / 2


def _from_vertical_deg(vector: np.ndarray) -> np.ndarray:
    """Angle of a vector from vertical, 0..180 (y down: an upward vector has negative y)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.abs(vector[..., 1]) / np.linalg.norm(vector, axis=-1)
    return np.degrees(np.arccos(np.clip(cos, 0.0, 1.0)))


def _joint_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    u, v = a - b, c - b
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def posture_figures(world: np.ndarray) -> dict[str, np.ndarray]:
    """(..., 33, 3) world landmarks -> the angles the rules read, each shaped (...)."""
    knees = [_joint_deg(world[..., _I[f"{s}_hip"], :], world[..., _I[f"{s}_knee"], :],
                        world[..., _I[f"{s}_ankle"], :]) for s in ("left", "right")]
    return {
        "axis_deg": _from_vertical_deg(_mid(world, "shoulder") - _mid(world, "ankle")),
        "trunk_deg": _from_vertical_deg(_mid(world, "shoulder") - _mid(world, "hip")),
        "thigh_deg": _from_vertical_deg(_mid(world, "knee") - _mid(world, "hip")),
        "shank_deg": _from_vertical_deg(_mid(world, "ankle") - _mid(world, "knee")),
        "knee_deg": (knees[0] + knees[1]) / 2,
        "hip_offset": np.linalg.norm((_mid(world, "hip") - _mid(world, "ankle"))[..., [0, 2]], axis=-1)
        / np.linalg.norm(_mid(world, "hip") - _mid(world, "knee"), axis=-1),
    }


def classify_postures(world: np.ndarray, visibility: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., 33, 3) world landmarks and (..., 33) visibility -> posture names and confidences 0..1, (...)."""
    f = posture_figures(world)
    seen_vis = np.nan_to_num(visibility[..., _NEEDED], nan=0.0).mean(-1)
    posture = np.full(seen_vis.shape, "unknown", dtype=object)
    margin = np.zeros(seen_vis.shape)
    rules = (
        ("lying", f["axis_deg"] >= LYING_AXIS_DEG),
        ("standing", (f["knee_deg"] >= STRAIGHT_KNEE_DEG) & (f["trunk_deg"] < UPRIGHT_TRUNK_DEG)),
        ("bending forward", (f["trunk_deg"] >= BENT_TRUNK_DEG) & (f["knee_deg"] >= BENDING_KNEE_DEG)),
        ("sitting", (f["thigh_deg"] >= SEATED_THIGH_DEG) & (f["hip_offset"] >= SEATED_OFFSET)
         & (f["trunk_deg"] < SEATED_TRUNK_DEG)),
        ("squatting/kneeling", f["knee_deg"] <= BENT_KNEE_DEG),
    )
    open_ = np.ones(seen_vis.shape, bool)
    for name, holds in rules:
        chosen = open_ & holds
        posture[chosen], margin[chosen] = name, 1.0
        open_ &= ~chosen
    between = open_ & ~np.isnan(f["knee_deg"])
    nearer_standing = f["knee_deg"] >= (STRAIGHT_KNEE_DEG + BENT_KNEE_DEG) / 2
    posture[between] = np.where(nearer_standing[between], "standing", "squatting/kneeling")
    margin[between] = 0.5
    unknown = (seen_vis < MIN_VISIBILITY) | np.isnan(f["knee_deg"])
    posture[unknown], margin[unknown] = "unknown", 0.0
    return posture, np.clip(margin * seen_vis, 0.0, 1.0)


def postures_frame(sequence: PoseSequence) -> pd.DataFrame:
    """``postures.csv``: one row per frame and person seen: frame, time_s, person, posture, confidence."""
    posture, confidence = classify_postures(sequence.world_xyz_m.astype(np.float64), sequence.visibility)
    frames, people = np.nonzero(sequence.detected())
    return pd.DataFrame({"frame": frames, "time_s": sequence.time_s[frames], "person": people,
                         "posture": posture[frames, people].astype(str),
                         "confidence": np.round(confidence[frames, people], 3)})


def posture_shares(table: pd.DataFrame) -> dict[int, dict[str, float]]:
    """Per person, the share of their frames in each posture (0..1)."""
    return {int(person): {str(k): float(v) for k, v in group["posture"].value_counts(normalize=True).items()}
            for person, group in table.groupby("person")}
