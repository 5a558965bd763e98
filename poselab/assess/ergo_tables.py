"""RULA and REBA as data: every bin, threshold and lookup table in one place, no scoring logic.

Sources: RULA (McAtamney & Corlett 1993), REBA (Hignett & McAtamney 2000), as transcribed in
``shared/data/ergonomics/rula_reba_tables.md`` (issue 15). Angles in degrees, loads in kg, y down.
A ``Band`` is one row of a worksheet's bin list; the first band that holds a value gives its score, so
an edge value belongs to the band listed first (``lo_open`` / ``hi_open`` exclude an edge where the
worksheet writes "<" or ">").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INF = float("inf")


@dataclass(frozen=True)
class Band:
    """``score`` for values in [lo, hi] (an open end excludes its edge)."""

    score: int
    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    def holds(self, values: np.ndarray) -> np.ndarray:
        above = values > self.lo if self.lo_open else values >= self.lo
        below = values < self.hi if self.hi_open else values <= self.hi
        return above & below


# --- measurement thresholds (the spec's definitions; named so the tests and the report can cite them) ---
VISIBILITY_THRESHOLD = 0.5  # a landmark below this is not seen: every angle using it is NaN
FEET_LEVEL_M = 0.10  # ankles within this height of each other: feet level, both bearing weight
SHOULDER_RAISED_SHRINK = 0.25  # shoulder-ear distance shorter by more than this share than at calibration
WRIST_OUT_TO_SIDE_M = 0.15  # wrist more than this lateral of its shoulder: working out to the side
MIN_PROJECTION_SHARE = 0.10  # a segment shorter than this share of itself in a plane has no angle there (0)
# An upper arm whose projection on the sagittal (frontal) plane is shorter than this share of it points within
# 30 deg of the body's side (front) axis: the angle in that plane is noise there (a T-pose arm would flip between
# 90 deg of flexion and of extension). Flexion then is the arm's elevation; abduction is 0. The same holds for an
# arm raised above the shoulder more sideways (forward) than forward (sideways).
ARM_PLANE_MIN_SHARE = 0.5
CALIBRATION_HALF_WINDOW = 2  # calibration takes the median over the chosen frame +- this many frames

# --- RULA (McAtamney & Corlett 1993) ---
UPPER_ARM_BANDS = (  # shoulder flexion; negative = extension (shared by REBA)
    Band(1, -20, 20), Band(2, 20, 45, lo_open=True), Band(3, 45, 90, lo_open=True),
    Band(4, 90, INF, lo_open=True), Band(2, -INF, -20, hi_open=True),
)
UPPER_ARM_ABDUCTED_DEG = 45.0  # +1 abducted beyond this (REBA's "abducted" uses the same angle)
LOWER_ARM_BANDS = (Band(1, 60, 100), Band(2, -INF, INF))  # elbow flexion (shared by REBA)
RULA_WRIST_BANDS = (Band(1, -INF, 5, hi_open=True), Band(2, 5, 15), Band(3, 15, INF, lo_open=True))
RULA_NECK_BANDS = (
    Band(1, -5, 10), Band(2, 10, 20, lo_open=True), Band(3, 20, INF, lo_open=True),
    Band(4, -INF, -5, hi_open=True),
)
RULA_TRUNK_BANDS = (
    Band(1, -5, 5, hi_open=True), Band(2, 5, 20), Band(3, 20, 60, lo_open=True),
    Band(4, 60, INF, lo_open=True), Band(2, -INF, -5, hi_open=True),
)
TRUNK_TWIST_DEG = 10.0  # +1 twisted beyond this (RULA and REBA)
TRUNK_SIDE_BEND_DEG = 10.0  # +1 side-bent beyond this (RULA and REBA)
NECK_TWIST_DEG = 10.0  # the worksheets give no angle for the neck: the trunk's is used
NECK_SIDE_BEND_DEG = 10.0
RULA_CAPS = {"upper_arm": (1, 6), "lower_arm": (1, 3), "wrist": (1, 4), "neck": (1, 6), "trunk": (1, 6)}
RULA_C_MAX, RULA_D_MAX = 8, 7  # Table C rows 8+ use row 8, columns 7+ use column 7

# Table A[upper_arm-1][lower_arm-1] = (W1T1 W1T2 W2T1 W2T2 W3T1 W3T2 W4T1 W4T2)
RULA_TABLE_A = np.array([
    [[1, 2, 2, 2, 2, 3, 3, 3], [2, 2, 2, 2, 3, 3, 3, 3], [2, 3, 3, 3, 3, 3, 4, 4]],
    [[2, 3, 3, 3, 3, 4, 4, 4], [3, 3, 3, 3, 3, 4, 4, 4], [3, 4, 4, 4, 4, 4, 5, 5]],
    [[3, 3, 4, 4, 4, 4, 5, 5], [3, 4, 4, 4, 4, 4, 5, 5], [4, 4, 4, 4, 4, 5, 5, 5]],
    [[4, 4, 4, 4, 4, 5, 5, 5], [4, 4, 4, 4, 4, 5, 5, 5], [4, 4, 4, 5, 5, 5, 6, 6]],
    [[5, 5, 5, 5, 5, 6, 6, 7], [5, 6, 6, 6, 6, 7, 7, 7], [6, 6, 6, 7, 7, 7, 7, 8]],
    [[7, 7, 7, 7, 7, 8, 8, 9], [8, 8, 8, 8, 8, 9, 9, 9], [9, 9, 9, 9, 9, 9, 9, 9]],
]).reshape(6, 3, 4, 2)  # [upper_arm, lower_arm, wrist, twist]
# Table B[neck-1] = (T1L1 T1L2 T2L1 T2L2 ... T6L1 T6L2)
RULA_TABLE_B = np.array([
    [1, 3, 2, 3, 3, 4, 5, 5, 6, 6, 7, 7],
    [2, 3, 2, 3, 4, 5, 5, 5, 6, 7, 7, 7],
    [3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 7],
    [5, 5, 5, 6, 6, 7, 7, 7, 7, 7, 8, 8],
    [7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8],
    [8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9],
]).reshape(6, 6, 2)  # [neck, trunk, legs]
RULA_TABLE_C = np.array([  # [C-1][D-1]
    [1, 2, 3, 3, 4, 5, 5],
    [2, 2, 3, 4, 4, 5, 5],
    [3, 3, 3, 4, 4, 5, 6],
    [3, 3, 3, 4, 5, 6, 6],
    [4, 4, 4, 5, 6, 7, 7],
    [4, 4, 5, 6, 6, 7, 7],
    [5, 5, 6, 6, 7, 7, 7],
    [5, 5, 6, 7, 7, 7, 7],
])
RULA_ACTION_LEVELS = (Band(1, 1, 2), Band(2, 3, 4), Band(3, 5, 6), Band(4, 7, INF))
RULA_ACTION_TEXT = {
    1: "acceptable if not held or repeated for long",
    2: "investigate, change may be needed",
    3: "investigate and change soon",
    4: "investigate and change now",
}
# Force/load: (load kg bands) x pattern. Below 2 kg: 0; 2-10 kg: 1 intermittent, 2 static/repeated;
# above 10 kg: 2 intermittent, 3 static/repeated; shock: 3 whatever the load.
RULA_LOAD_BANDS = (Band(0, -INF, 2, hi_open=True), Band(1, 2, 10), Band(2, 10, INF, lo_open=True))
RULA_FORCE = {"intermittent": (0, 1, 2), "static": (0, 2, 3), "shock": (3, 3, 3)}

# --- REBA (Hignett & McAtamney 2000) ---
REBA_UPRIGHT_DEG = 5.0  # "upright": the worksheet gives no tolerance; RULA's 5 deg is used
REBA_TRUNK_BANDS = (
    Band(1, -REBA_UPRIGHT_DEG, REBA_UPRIGHT_DEG, lo_open=True, hi_open=True), Band(2, -20, 20),
    Band(3, 20, 60, lo_open=True), Band(4, 60, INF, lo_open=True), Band(3, -INF, -20, hi_open=True),
)
REBA_NECK_BANDS = (Band(1, 0, 20), Band(2, -INF, INF))  # > 20 flexion or any extension: 2
REBA_WRIST_BANDS = (Band(1, -INF, 15), Band(2, 15, INF, lo_open=True))
REBA_KNEE_BANDS = (Band(0, -INF, 30, hi_open=True), Band(1, 30, 60), Band(2, 60, INF, lo_open=True))
REBA_CAPS = {"neck": (1, 3), "trunk": (1, 5), "legs": (1, 4), "upper_arm": (1, 6), "lower_arm": (1, 2),
             "wrist": (1, 3)}
# Table A[neck-1][trunk-1][legs-1]
REBA_TABLE_A = np.array([
    [[1, 2, 3, 4], [2, 3, 4, 5], [2, 4, 5, 6], [3, 5, 6, 7], [4, 6, 7, 8]],
    [[1, 2, 3, 4], [3, 4, 5, 6], [4, 5, 6, 7], [5, 6, 7, 8], [6, 7, 8, 9]],
    [[3, 3, 5, 6], [4, 5, 6, 7], [5, 6, 7, 8], [6, 7, 8, 9], [7, 8, 9, 9]],
])
# Table B[lower_arm-1][upper_arm-1][wrist-1]
REBA_TABLE_B = np.array([
    [[1, 2, 2], [1, 2, 3], [3, 4, 5], [4, 5, 5], [6, 7, 8], [7, 8, 8]],
    [[1, 2, 3], [2, 3, 4], [4, 5, 5], [5, 6, 7], [7, 8, 8], [8, 9, 9]],
])
REBA_TABLE_C = np.array([  # [score A-1][score B-1]
    [1, 1, 1, 2, 3, 3, 4, 5, 6, 7, 7, 7],
    [1, 2, 2, 3, 4, 4, 5, 6, 6, 7, 7, 8],
    [2, 3, 3, 3, 4, 5, 6, 7, 7, 8, 8, 8],
    [3, 4, 4, 4, 5, 6, 7, 8, 8, 9, 9, 9],
    [4, 4, 4, 5, 6, 7, 8, 8, 9, 9, 9, 9],
    [6, 6, 6, 7, 8, 8, 9, 9, 10, 10, 10, 10],
    [7, 7, 7, 8, 9, 9, 9, 10, 10, 11, 11, 11],
    [8, 8, 8, 9, 10, 10, 10, 10, 10, 11, 11, 11],
    [9, 9, 9, 10, 10, 10, 11, 11, 11, 12, 12, 12],
    [10, 10, 10, 11, 11, 11, 11, 12, 12, 12, 12, 12],
    [11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 12, 12],
    [12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12],
])
REBA_LOAD_BANDS = (Band(0, -INF, 5, hi_open=True), Band(1, 5, 10), Band(2, 10, INF, lo_open=True))
REBA_SHOCK_EXTRA = 1  # +1 shock or rapid build-up of force
REBA_COUPLING = {"good": 0, "fair": 1, "poor": 2, "unacceptable": 3}
REBA_RISK_LEVELS = (Band(1, 1, 1), Band(2, 2, 3), Band(3, 4, 7), Band(4, 8, 10), Band(5, 11, INF))
REBA_RISK_TEXT = {1: "negligible", 2: "low", 3: "medium", 4: "high", 5: "very high"}

# --- muscle use (RULA) and activity (REBA) ---
STATIC_HOLD_S = 60.0  # the same posture (same sub-scores) held at least this long: static
REPEATS_PER_MIN = 4.0  # a posture repeated at least this often: repeated
REPEAT_WINDOW_S = 60.0  # repetitions are counted in a window of this length centred on each frame
MIN_REPEATS_IN_WINDOW = 2  # one movement alone is no repetition, however short the recording
# Movements counted as repetitions (the rep counter's hysteresis): an angle going from at most
# ``rest_deg`` past ``moved_deg`` and back. Angles are named as in ``ergo_angles.ANGLE_NAMES``.
REPEAT_SIGNALS: tuple[tuple[str, float, float], ...] = (
    ("trunk_flexion_deg", 10.0, 30.0),
    ("upper_arm_flexion_deg", 20.0, 45.0),
    ("knee_flexion_deg", 30.0, 60.0),
)

LOAD_PATTERNS = ("intermittent", "static", "shock")
COUPLINGS = tuple(REBA_COUPLING)
