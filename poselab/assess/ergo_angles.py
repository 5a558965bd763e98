"""The posture angles RULA and REBA score, from world landmarks, per frame x person x side (issue 15).

Body axes per frame (world metres, y down): ``up`` is the camera's -y, or the calibrated vertical;
``lateral`` the horizontal part of left_hip - right_hip (to the person's left); ``forward`` the horizontal
perpendicular to it on the side of the nose (nose against the ear midpoint, or against the shoulder
midpoint when an ear is not seen). Sagittal plane = up x forward, frontal = up x lateral.
Every angle is in degrees; a landmark below the visibility threshold makes each angle using it NaN.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from poselab.assess import ergo_tables as tb
from poselab.sequence import PoseSequence
from poselab.skeleton import LANDMARK_INDEX

SIDES = ("left", "right")
ANGLE_NAMES = (  # every array of ``PostureAngles.values`` is (T, P, 2): sides left, right
    "trunk_flexion_deg", "trunk_side_bend_deg", "trunk_twist_deg",
    "neck_flexion_deg", "neck_side_bend_deg", "neck_twist_deg",
    "upper_arm_flexion_deg", "upper_arm_abduction_deg", "elbow_flexion_deg", "wrist_flexion_deg",
    "knee_flexion_deg", "ankle_height_diff_m", "wrist_lateral_m", "wrist_midline_m", "shoulder_ear_m",
)


@dataclass(frozen=True)
class Calibration:
    """From a frame where each person stands upright looking ahead: per person slot, the vertical as
    measured (world, unit, y down points to the floor: ``up_xyz`` points up), the neck offset and the
    shoulder-ear distances (left, right). NaN for a slot not seen in that frame: left uncalibrated."""

    frame: int
    up_xyz: np.ndarray  # (P, 3)
    neck_offset_deg: np.ndarray  # (P,)
    shoulder_ear_m: np.ndarray  # (P, 2)

    def calibrated(self, slot: int) -> bool:
        return slot < len(self.up_xyz) and bool(np.isfinite(self.up_xyz[slot]).all())

    def to_dict(self) -> dict:
        return {
            "frame": self.frame,
            "people": {
                str(p): {"up_xyz": [round(float(v), 4) for v in self.up_xyz[p]],
                         "tilt_deg": round(_tilt_deg(self.up_xyz[p]), 2),
                         "neck_offset_deg": round(float(self.neck_offset_deg[p]), 2),
                         "shoulder_ear_m": [round(float(v), 4) for v in self.shoulder_ear_m[p]]}
                for p in range(len(self.up_xyz)) if self.calibrated(p)
            },
        }


@dataclass
class PostureAngles:
    """Every angle of ``ANGLE_NAMES`` as (T, P, 2) arrays, the calibration used (or None), the frame times."""

    time_s: np.ndarray
    values: dict[str, np.ndarray]
    calibration: Calibration | None = None
    shoulder_raised_assessed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # (P,)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]


def _tilt_deg(up_xyz: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(-up_xyz[1], -1.0, 1.0))))


def _unit(v: np.ndarray) -> np.ndarray:
    length = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(length > 0, v / length, np.nan)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=-1)


def _plane_angle_deg(v: np.ndarray, along: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Signed angle of ``v`` projected onto the plane (along, axis), from ``axis`` towards ``along``;
    0 where the projection is shorter than ``MIN_PROJECTION_SHARE`` of ``v`` (no angle in that plane)."""
    a, b = _dot(v, along), _dot(v, axis)
    short = np.hypot(a, b) < tb.MIN_PROJECTION_SHARE * np.linalg.norm(v, axis=-1)
    return np.where(short, 0.0, np.degrees(np.arctan2(a, b)))


def _wrap_deg(angle: np.ndarray) -> np.ndarray:
    return (angle + 180.0) % 360.0 - 180.0


def _horizontal_angle_deg(a: np.ndarray, b: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Signed angle between the horizontal parts of lines a and b (lines, so within -90..90)."""
    ah, bh = a - _dot(a, up)[..., None] * up, b - _dot(b, up)[..., None] * up
    sine = _dot(np.cross(bh, ah), up)
    angle = np.degrees(np.arctan2(sine, _dot(ah, bh)))
    return np.where(angle > 90, angle - 180, np.where(angle < -90, angle + 180, angle))


def _rotation_to(up_measured: np.ndarray) -> np.ndarray:
    """(3, 3) smallest rotation taking ``up_measured`` onto (0, -1, 0)."""
    target = np.array([0.0, -1.0, 0.0])
    v, c = np.cross(up_measured, target), float(np.dot(up_measured, target))
    if np.linalg.norm(v) < 1e-12:
        return np.eye(3) if c > 0 else np.diag([1.0, -1.0, -1.0])
    k = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + k + k @ k / (1.0 + c)


def _points(sequence: PoseSequence, threshold: float) -> np.ndarray:
    world = sequence.world_xyz_m.astype(np.float64)
    weak = ~(np.nan_to_num(sequence.visibility, nan=-1.0) >= threshold)
    return np.where(weak[..., None], np.nan, world)


def _get(points: np.ndarray, *names: str) -> np.ndarray:
    return points[:, :, [LANDMARK_INDEX[n] for n in names]].mean(axis=2)


def measure(sequence: PoseSequence, calibration: Calibration | None = None,
            threshold: float = tb.VISIBILITY_THRESHOLD) -> PostureAngles:
    """Every posture angle of every frame x person slot x side of ``sequence``."""
    points = _points(sequence, threshold)
    offset = np.zeros(sequence.num_slots)
    if calibration is not None:
        for slot in range(sequence.num_slots):
            if calibration.calibrated(slot):
                rotation = _rotation_to(calibration.up_xyz[slot])
                points[:, slot] = points[:, slot] @ rotation.T
                offset[slot] = calibration.neck_offset_deg[slot]
    values = _measure_points(points)
    values["neck_flexion_deg"] = values["neck_flexion_deg"] - offset[None, :, None]
    assessed = np.array([calibration is not None and calibration.calibrated(p) for p in range(sequence.num_slots)])
    return PostureAngles(sequence.time_s, values, calibration, assessed)


def _measure_points(points: np.ndarray) -> dict[str, np.ndarray]:
    """The angle dictionary from (T, P, L, 3) points already turned so that up is -y."""
    shape = points.shape[:2]
    up = np.broadcast_to(np.array([0.0, -1.0, 0.0]), (*shape, 3))
    hip_l, hip_r = _get(points, "left_hip"), _get(points, "right_hip")
    sh_l, sh_r = _get(points, "left_shoulder"), _get(points, "right_shoulder")
    ear_l, ear_r = _get(points, "left_ear"), _get(points, "right_ear")
    hip_mid, sh_mid, ear_mid = (hip_l + hip_r) / 2, (sh_l + sh_r) / 2, (ear_l + ear_r) / 2
    hip_line = hip_l - hip_r
    lateral = _unit(hip_line - _dot(hip_line, up)[..., None] * up)
    forward = np.cross(up, lateral)
    face = _get(points, "nose") - np.where(np.isfinite(ear_mid), ear_mid, sh_mid)
    forward = forward * np.where(_dot(face, forward) < 0, -1.0, 1.0)[..., None]
    down = -up
    trunk = sh_mid - hip_mid
    neck = ear_mid - sh_mid
    trunk_flex = _plane_angle_deg(trunk, forward, up)
    trunk_side = _plane_angle_deg(trunk, lateral, up)
    out: dict[str, list[np.ndarray]] = {name: [] for name in ANGLE_NAMES}
    shared = {
        "trunk_flexion_deg": trunk_flex,
        "trunk_side_bend_deg": trunk_side,
        "trunk_twist_deg": _horizontal_angle_deg(sh_l - sh_r, hip_line, up),
        "neck_flexion_deg": _wrap_deg(_plane_angle_deg(neck, forward, up) - trunk_flex),
        "neck_side_bend_deg": _plane_angle_deg(neck, lateral, up),
        "neck_twist_deg": _horizontal_angle_deg(ear_l - ear_r, sh_l - sh_r, up),
        "ankle_height_diff_m": np.abs(_get(points, "left_ankle")[..., 1] - _get(points, "right_ankle")[..., 1]),
    }
    for side, sign in (("left", 1.0), ("right", -1.0)):
        outward = sign * lateral
        shoulder, elbow, wrist = (_get(points, f"{side}_{n}") for n in ("shoulder", "elbow", "wrist"))
        hand = _get(points, f"{side}_index", f"{side}_pinky")
        knee, ankle, hip = _get(points, f"{side}_knee"), _get(points, f"{side}_ankle"), _get(points, f"{side}_hip")
        arm, trunk_down = elbow - shoulder, hip_mid - sh_mid
        per_side = {
            "upper_arm_flexion_deg": _arm_flexion_deg(arm, trunk_down, forward, outward, down),
            "upper_arm_abduction_deg": _arm_abduction_deg(arm, trunk_down, forward, outward, down),
            "elbow_flexion_deg": _bend_deg(shoulder, elbow, wrist),
            "wrist_flexion_deg": _between_deg(wrist - elbow, hand - wrist),
            "knee_flexion_deg": _bend_deg(hip, knee, ankle),
            "wrist_lateral_m": _dot(wrist - shoulder, outward),  # > 0.15: out to the side
            "wrist_midline_m": _dot(wrist - sh_mid, outward),  # < 0: across the body's midline
            "shoulder_ear_m": np.linalg.norm(_get(points, f"{side}_ear") - shoulder, axis=-1),
        }
        for name in ANGLE_NAMES:
            out[name].append(per_side[name] if name in per_side else shared[name])
    # Rounded far below any threshold: float noise must not move an exact 0 deg into "extension".
    return {name: np.round(np.stack(arrays, axis=-1), 3) for name, arrays in out.items()}


def _share_in_plane(v: np.ndarray, along: np.ndarray, axis: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.hypot(_dot(v, along), _dot(v, axis)) / np.linalg.norm(v, axis=-1)


def _arm_flexion_deg(arm: np.ndarray, trunk_down: np.ndarray, forward: np.ndarray, outward: np.ndarray,
                     down: np.ndarray) -> np.ndarray:
    """Sagittal angle from the trunk's downward line (the spec), read as flexion past 90 deg of extension (an
    arm overhead is flexed, not extended by 180). An arm pointing out to the side (too short a sagittal
    projection, or raised above the shoulder more sideways than forward) is scored by its elevation from the
    trunk's downward line: its sagittal angle there is noise, or the sideways elevation seen edge-on."""
    flexion = _wrap_deg(_plane_angle_deg(arm, forward, down) - _plane_angle_deg(trunk_down, forward, down))
    flexion = np.where(flexion < -90.0, flexion + 360.0, flexion)
    raised_sideways = (_dot(arm, down) < 0) & (np.abs(_dot(arm, outward)) > np.abs(_dot(arm, forward)))
    sideways = (_share_in_plane(arm, forward, down) < tb.ARM_PLANE_MIN_SHARE) | raised_sideways
    return np.where(sideways, _between_deg(arm, trunk_down), flexion)


def _arm_abduction_deg(arm: np.ndarray, trunk_down: np.ndarray, forward: np.ndarray, outward: np.ndarray,
                       down: np.ndarray) -> np.ndarray:
    """Frontal angle from the trunk's downward line, outward positive (the spec); 0 for an arm pointing
    forward or backward (too short a frontal projection, or raised above the shoulder more forward than
    sideways): its frontal angle there is noise, or the forward elevation seen edge-on."""
    abduction = _wrap_deg(_plane_angle_deg(arm, outward, down) - _plane_angle_deg(trunk_down, outward, down))
    raised_forward = (_dot(arm, down) < 0) & (np.abs(_dot(arm, forward)) >= np.abs(_dot(arm, outward)))
    along = (_share_in_plane(arm, outward, down) < tb.ARM_PLANE_MIN_SHARE) | raised_forward
    return np.where(along, 0.0, abduction)


def _nanmedian(values: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a landmark never seen: NaN is the answer
        return np.nanmedian(values, axis=axis)


def _between_deg(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    cross = np.linalg.norm(np.cross(u, v), axis=-1)
    return np.degrees(np.arctan2(cross, _dot(u, v)))


def _bend_deg(a: np.ndarray, joint: np.ndarray, c: np.ndarray) -> np.ndarray:
    """180 minus the interior angle at ``joint``: 0 for a straight limb."""
    return _between_deg(joint - a, c - joint)


def calibrate(sequence: PoseSequence, frame: int, threshold: float = tb.VISIBILITY_THRESHOLD) -> Calibration:
    """Calibration from ``frame`` (median over +- ``CALIBRATION_HALF_WINDOW`` frames): the trunk line of a
    person standing upright is the vertical; their neck flexion then is the neck offset."""
    from poselab.errors import InputError

    if not 0 <= frame < sequence.num_frames:
        raise InputError(f"calibration frame {frame} is outside the clip (0..{sequence.num_frames - 1})")
    half = tb.CALIBRATION_HALF_WINDOW
    lo, hi = max(0, frame - half), min(sequence.num_frames, frame + half + 1)
    points = _points(sequence, threshold)[lo:hi]
    slots = sequence.num_slots
    up = np.full((slots, 3), np.nan)
    neck = np.full(slots, np.nan)
    ears = np.full((slots, 2), np.nan)
    for slot in range(slots):
        person = points[:, slot:slot + 1]
        trunk = _get(person, "left_shoulder", "right_shoulder") - _get(person, "left_hip", "right_hip")
        if not np.isfinite(trunk).all(-1).any():
            continue
        measured = _nanmedian(_unit(trunk)[:, 0], axis=0)
        up[slot] = measured / np.linalg.norm(measured)
        values = _measure_points(person @ _rotation_to(up[slot]).T)
        neck[slot] = np.nan_to_num(_nanmedian(values["neck_flexion_deg"][:, 0, 0], axis=0))
        ears[slot] = _nanmedian(values["shoulder_ear_m"][:, 0, :], axis=0)
    if not np.isfinite(up).all(axis=1).any():
        raise InputError(f"no person's hips and shoulders are seen around frame {frame}: pick another frame")
    return Calibration(frame, up, neck, ears)
