"""Joint angles, declared as a table of data (like Pose2Sim's angle table) and computed in one pass.

A joint angle is the angle at the middle point between the two segments to its neighbours: 180 deg is
a straight knee or elbow. A point is one landmark or the midpoint of several. The trunk inclination is
the angle of the mid-hip -> mid-shoulder segment from vertical (0 deg upright). World landmarks (metres,
y down) are used by default, the image plane (pixels, y down) as an option. A landmark that is missing or
below the visibility threshold makes every angle using it NaN.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from poselab.errors import InputError
from poselab.sequence import PoseSequence
from poselab.skeleton import LANDMARK_INDEX

Point = tuple[str, ...]  # landmark names whose mean is the point


@dataclass(frozen=True)
class AngleDef:
    """``joint``: angle at ``points[1]`` between ``points[0]`` and ``points[2]``;
    ``incline``: angle of ``points[0]`` -> ``points[1]`` from vertical up."""

    name: str
    kind: str
    points: tuple[Point, ...]

    @property
    def column(self) -> str:
        return f"{self.name}_deg"


def _joint(name: str, a: str, vertex: str, c: str) -> list[AngleDef]:
    return [AngleDef(f"{side}_{name}", "joint", ((f"{side}_{a}",), (f"{side}_{vertex}",), (f"{side}_{c}",)))
            for side in ("left", "right")]


ANGLES: tuple[AngleDef, ...] = (
    *_joint("knee", "hip", "knee", "ankle"),
    *_joint("hip", "shoulder", "hip", "knee"),
    *_joint("elbow", "shoulder", "elbow", "wrist"),
    *_joint("shoulder", "hip", "shoulder", "elbow"),
    *_joint("ankle", "knee", "ankle", "foot_index"),
    AngleDef("trunk_incline", "incline", (("left_hip", "right_hip"), ("left_shoulder", "right_shoulder"))),
)
ANGLE_BY_NAME: dict[str, AngleDef] = {angle.name: angle for angle in ANGLES}
SPACES = ("world", "image")


@dataclass(frozen=True)
class AngleSeries:
    """Angles of every frame: ``values_deg`` is (T, P, A) in the order of ``names`` (NaN where unknown)."""

    time_s: np.ndarray
    names: tuple[str, ...]
    values_deg: np.ndarray
    space: str

    def of(self, name: str, slot: int = 0) -> np.ndarray:
        """(T,) one angle of one person slot."""
        if name not in self.names:
            raise InputError(f"unknown angle {name!r}: choose one of {', '.join(self.names)}")
        return self.values_deg[:, slot, self.names.index(name)]


def angle_between_deg(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle between vectors on the last axis (2 or 3 components), 0..180 deg; NaN if either is NaN or zero."""
    if u.shape[-1] == 2:
        u, v = _to_3d(u), _to_3d(v)
    cross = np.linalg.norm(np.cross(u, v), axis=-1)
    dot = np.sum(u * v, axis=-1)
    degenerate = (np.linalg.norm(u, axis=-1) == 0) | (np.linalg.norm(v, axis=-1) == 0)
    # atan2 keeps precision near 0 and 180 deg where arccos of a rounded cosine does not
    return np.where(degenerate, np.nan, np.degrees(np.arctan2(cross, dot)))


def _to_3d(vectors: np.ndarray) -> np.ndarray:
    return np.concatenate([vectors, np.zeros((*vectors.shape[:-1], 1), vectors.dtype)], axis=-1)


def compute_angles(sequence: PoseSequence, space: str = "world", visibility_threshold: float = 0.5,
                   angles: tuple[AngleDef, ...] = ANGLES) -> AngleSeries:
    """Every angle of ``angles`` for every frame and person slot of ``sequence``."""
    if space not in SPACES:
        raise InputError(f"unknown angle space {space!r}: choose world or image")
    positions = (sequence.world_xyz_m if space == "world" else sequence.image_xy_px).astype(np.float64)
    weak = ~(np.nan_to_num(sequence.visibility, nan=-1.0) >= visibility_threshold)
    positions = np.where(weak[..., None], np.nan, positions)
    up = np.zeros(positions.shape[-1])
    up[1] = -1.0  # both spaces have y pointing down
    values = np.full((sequence.num_frames, sequence.num_slots, len(angles)), np.nan)
    for column, angle in enumerate(angles):
        points = [_point(positions, names) for names in angle.points]
        if angle.kind == "joint":
            values[..., column] = angle_between_deg(points[0] - points[1], points[2] - points[1])
        else:
            values[..., column] = angle_between_deg(points[1] - points[0], np.broadcast_to(up, points[0].shape))
    return AngleSeries(sequence.time_s, tuple(a.name for a in angles), values, space)


def _point(positions: np.ndarray, names: Point) -> np.ndarray:
    """(T, P, D) mean of the named landmarks (NaN if any of them is NaN)."""
    return positions[:, :, [LANDMARK_INDEX[n] for n in names]].mean(axis=2)


def angular_velocity_deg_s(values_deg: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """d(angle)/dt along axis 0 in deg/s (central differences, one-sided at the ends; NaN next to gaps)."""
    if values_deg.shape[0] < 2:
        return np.full(values_deg.shape, np.nan)
    return np.gradient(values_deg, time_s, axis=0)


def angles_frame(sequence: PoseSequence, space: str = "world", visibility_threshold: float = 0.5) -> pd.DataFrame:
    """The angles.csv table: one row per frame x detected person, ``frame, time_s, person`` then one
    ``<name>_deg`` column per angle (``left_knee_deg``, ..., ``trunk_incline_deg``)."""
    return series_frame(compute_angles(sequence, space, visibility_threshold), sequence.detected())


def series_frame(series: AngleSeries, detected: np.ndarray) -> pd.DataFrame:
    """``angles_frame`` for angles already computed; ``detected`` is the (T, P) mask of slots to list."""
    frames, slots = np.nonzero(detected)
    table: dict[str, np.ndarray] = {
        "frame": frames,
        "time_s": series.time_s[frames].round(6),
        "person": slots,
    }
    for column, name in enumerate(series.names):
        table[f"{name}_deg"] = series.values_deg[frames, slots, column].round(3)
    return pd.DataFrame(table)


def angle_ranges(series: AngleSeries, slot: int = 0) -> pd.DataFrame:
    """Min, max and range of motion per angle for one person slot (NaN for angles never measured)."""
    values = series.values_deg[:, slot, :]
    if not values.shape[0]:
        values = np.full((1, len(series.names)), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an angle never measured: NaN is the answer
        low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    return pd.DataFrame({
        "angle": list(series.names),
        "min_deg": low.round(1),
        "max_deg": high.round(1),
        "range_deg": (high - low).round(1),
        "frames_measured": (~np.isnan(values)).sum(axis=0),
    })
