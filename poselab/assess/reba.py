"""REBA (Hignett & McAtamney 2000) per frame x person x side, from posture angles and the user's inputs.

Same conventions as ``rula``: (T, P, 2) float arrays, NaN where a needed angle is unknown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from poselab.assess import ergo_tables as tb
from poselab.assess.ergo_angles import PostureAngles
from poselab.assess.rula import band_score, clip_score, flag, legs_unilateral, lookup, shoulder_raised

if TYPE_CHECKING:
    from poselab.assess.ergo_inputs import ErgoInputs

REBA_COLUMNS = ("neck", "trunk", "legs", "upper_arm", "lower_arm", "wrist", "table_a", "load", "score_a",
                "table_b", "coupling", "score_b", "table_c", "activity", "score", "risk_level")
REBA_SCORE_MAX = 12  # Table C's rows and columns
REBA_FINAL_MAX = 15


def _either_beyond(first: np.ndarray, first_limit: float, second: np.ndarray, second_limit: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return flag((np.abs(first) > first_limit) | (np.abs(second) > second_limit), first + second)


def neck_score(angles: PostureAngles) -> np.ndarray:
    score = band_score(angles["neck_flexion_deg"], tb.REBA_NECK_BANDS) + _either_beyond(
        angles["neck_twist_deg"], tb.NECK_TWIST_DEG, angles["neck_side_bend_deg"], tb.NECK_SIDE_BEND_DEG)
    return clip_score(score, tb.REBA_CAPS["neck"])


def trunk_score(angles: PostureAngles) -> np.ndarray:
    score = band_score(angles["trunk_flexion_deg"], tb.REBA_TRUNK_BANDS) + _either_beyond(
        angles["trunk_twist_deg"], tb.TRUNK_TWIST_DEG, angles["trunk_side_bend_deg"], tb.TRUNK_SIDE_BEND_DEG)
    return clip_score(score, tb.REBA_CAPS["trunk"])


def legs_score(angles: PostureAngles) -> np.ndarray:
    """Bilateral 1 / unilateral 2, plus 1 for knee flexion 30-60 and 2 beyond 60 (this side's knee)."""
    score = 1.0 + legs_unilateral(angles) + band_score(angles["knee_flexion_deg"], tb.REBA_KNEE_BANDS)
    return clip_score(score, tb.REBA_CAPS["legs"])


def upper_arm_score(angles: PostureAngles, arm_supported: bool) -> np.ndarray:
    abduction = angles["upper_arm_abduction_deg"]
    with np.errstate(invalid="ignore"):
        abducted = flag(abduction > tb.UPPER_ARM_ABDUCTED_DEG, abduction)
    raised = np.nan_to_num(shoulder_raised(angles))
    score = band_score(angles["upper_arm_flexion_deg"], tb.UPPER_ARM_BANDS) + abducted + raised - float(arm_supported)
    return clip_score(score, tb.REBA_CAPS["upper_arm"])


def load_score(load_kg: float, pattern: str) -> int:
    """REBA's load/force score: 0 below 5 kg, 1 for 5-10, 2 above 10; +1 for shock or rapid build-up."""
    extra = tb.REBA_SHOCK_EXTRA if pattern == "shock" else 0
    return int(band_score(np.array(load_kg), tb.REBA_LOAD_BANDS)) + extra


def score_reba(angles: PostureAngles, inputs: ErgoInputs, static: np.ndarray,
               repeated: np.ndarray) -> dict[str, np.ndarray]:
    """Every REBA column of ``REBA_COLUMNS`` as (T, P, 2) arrays; ``static`` / ``repeated`` are 0/1."""
    neck, trunk, legs = neck_score(angles), trunk_score(angles), legs_score(angles)
    upper = upper_arm_score(angles, inputs.arm_supported)
    lower = clip_score(band_score(angles["elbow_flexion_deg"], tb.LOWER_ARM_BANDS), tb.REBA_CAPS["lower_arm"])
    twisted_wrist = float(inputs.wrist_deviated or inputs.wrist_twist == 2)
    wrist = clip_score(band_score(angles["wrist_flexion_deg"], tb.REBA_WRIST_BANDS) + twisted_wrist,
                       tb.REBA_CAPS["wrist"])
    table_a = lookup(tb.REBA_TABLE_A, neck, trunk, legs)
    load = np.full(neck.shape, float(load_score(inputs.load_kg, inputs.load_pattern)))
    score_a = np.minimum(table_a + load, REBA_SCORE_MAX)
    table_b = lookup(tb.REBA_TABLE_B, lower, upper, wrist)
    coupling = np.full(neck.shape, float(tb.REBA_COUPLING[inputs.coupling]))
    score_b = np.minimum(table_b + coupling, REBA_SCORE_MAX)
    table_c = lookup(tb.REBA_TABLE_C, score_a, score_b)
    activity = static.astype(float) + repeated.astype(float) + float(inputs.unstable)
    score = np.minimum(table_c + activity, REBA_FINAL_MAX)
    return {
        "neck": neck, "trunk": trunk, "legs": legs, "upper_arm": upper, "lower_arm": lower, "wrist": wrist,
        "table_a": table_a, "load": load, "score_a": score_a, "table_b": table_b, "coupling": coupling,
        "score_b": score_b, "table_c": table_c, "activity": activity, "score": score,
        "risk_level": band_score(score, tb.REBA_RISK_LEVELS),
    }
