"""RULA (McAtamney & Corlett 1993) per frame x person x side, from posture angles and the user's inputs.

Every function takes and returns (T, P, 2) float arrays: NaN where a needed angle is unknown, never a guess.
The bins and tables are data in ``ergo_tables``; this module only looks them up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from poselab.assess import ergo_tables as tb
from poselab.assess.ergo_angles import PostureAngles

if TYPE_CHECKING:
    from poselab.assess.ergo_inputs import ErgoInputs

RULA_COLUMNS = ("upper_arm", "lower_arm", "wrist", "wrist_twist", "neck", "trunk", "legs", "table_a", "table_b",
                "muscle", "force", "score_c", "score_d", "score", "action_level")


def band_score(values: np.ndarray, bands: tuple[tb.Band, ...]) -> np.ndarray:
    """The score of the first band holding each value; NaN for NaN (and for a value no band holds)."""
    values = np.asarray(values, dtype=np.float64)
    result = np.full(values.shape, np.nan)
    with np.errstate(invalid="ignore"):
        for band in reversed(bands):  # the first listed band wins at a shared edge
            result = np.where(band.holds(values), band.score, result)
    return result


def lookup(table: np.ndarray, *scores: np.ndarray) -> np.ndarray:
    """``table[s1 - 1, s2 - 1, ...]`` elementwise (scores clipped to the table); NaN where a score is NaN."""
    arrays = np.broadcast_arrays(*[np.asarray(s, dtype=np.float64) for s in scores])
    known = np.logical_and.reduce([np.isfinite(a) for a in arrays])
    index = tuple(np.clip(np.where(known, a, 1).astype(int), 1, size) - 1
                  for a, size in zip(arrays, table.shape, strict=True))
    return np.where(known, table[index], np.nan)


def flag(condition: np.ndarray, known: np.ndarray) -> np.ndarray:
    """1.0 / 0.0 for a condition, NaN where the quantity it tests is unknown."""
    return np.where(np.isfinite(known), np.asarray(condition, dtype=np.float64), np.nan)


def clip_score(values: np.ndarray, caps: tuple[int, int]) -> np.ndarray:
    return np.clip(values, *caps)  # NaN stays NaN


def shoulder_raised(angles: PostureAngles) -> np.ndarray:
    """1 where the shoulder-ear distance shrank by more than the threshold against calibration; 0 when
    the person is not calibrated (not assessed: flagged in the outputs)."""
    distance = angles["shoulder_ear_m"]
    raised = np.zeros(distance.shape)
    calibration = angles.calibration
    if calibration is None:
        return np.where(np.isfinite(distance), 0.0, np.nan)
    for slot in range(distance.shape[1]):
        if calibration.calibrated(slot):
            reference = calibration.shoulder_ear_m[slot][None, :]
            with np.errstate(invalid="ignore"):
                raised[:, slot] = distance[:, slot] < (1.0 - tb.SHOULDER_RAISED_SHRINK) * reference
    return np.where(np.isfinite(distance), raised, np.nan)


def upper_arm_score(angles: PostureAngles, arm_supported: bool) -> np.ndarray:
    flexion, abduction = angles["upper_arm_flexion_deg"], angles["upper_arm_abduction_deg"]
    with np.errstate(invalid="ignore"):
        abducted = flag(abduction > tb.UPPER_ARM_ABDUCTED_DEG, abduction)
    raised = np.nan_to_num(shoulder_raised(angles))  # unknown ear: not raised (assessment is optional)
    score = band_score(flexion, tb.UPPER_ARM_BANDS) + abducted + raised - float(arm_supported)
    return clip_score(score, tb.RULA_CAPS["upper_arm"])


def lower_arm_score(angles: PostureAngles) -> np.ndarray:
    lateral, midline = angles["wrist_lateral_m"], angles["wrist_midline_m"]
    with np.errstate(invalid="ignore"):
        away = flag((lateral > tb.WRIST_OUT_TO_SIDE_M) | (midline < 0), lateral)
    return clip_score(band_score(angles["elbow_flexion_deg"], tb.LOWER_ARM_BANDS) + away, tb.RULA_CAPS["lower_arm"])


def wrist_score(angles: PostureAngles, deviated: bool) -> np.ndarray:
    score = band_score(angles["wrist_flexion_deg"], tb.RULA_WRIST_BANDS) + float(deviated)
    return clip_score(score, tb.RULA_CAPS["wrist"])


def _beyond(values: np.ndarray, limit: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return flag(np.abs(values) > limit, values)


def neck_score(angles: PostureAngles) -> np.ndarray:
    score = (band_score(angles["neck_flexion_deg"], tb.RULA_NECK_BANDS)
             + _beyond(angles["neck_twist_deg"], tb.NECK_TWIST_DEG)
             + _beyond(angles["neck_side_bend_deg"], tb.NECK_SIDE_BEND_DEG))
    return clip_score(score, tb.RULA_CAPS["neck"])


def trunk_score(angles: PostureAngles) -> np.ndarray:
    score = (band_score(angles["trunk_flexion_deg"], tb.RULA_TRUNK_BANDS)
             + _beyond(angles["trunk_twist_deg"], tb.TRUNK_TWIST_DEG)
             + _beyond(angles["trunk_side_bend_deg"], tb.TRUNK_SIDE_BEND_DEG))
    return clip_score(score, tb.RULA_CAPS["trunk"])


def legs_unilateral(angles: PostureAngles) -> np.ndarray:
    """1 where the feet are not level (one foot not bearing weight), else 0; NaN if an ankle is unseen."""
    difference = angles["ankle_height_diff_m"]
    with np.errstate(invalid="ignore"):
        return flag(difference > tb.FEET_LEVEL_M, difference)


def force_score(load_kg: float, pattern: str) -> int:
    """RULA's force/load score for a load and its pattern (intermittent, static or repeated, shock)."""
    band = int(band_score(np.array(load_kg), tb.RULA_LOAD_BANDS))
    return tb.RULA_FORCE[pattern][band]


def score_rula(angles: PostureAngles, inputs: ErgoInputs, muscle: np.ndarray) -> dict[str, np.ndarray]:
    """Every RULA column of ``RULA_COLUMNS`` as (T, P, 2) arrays; ``muscle`` is 0/1 per frame x person x side."""
    upper = upper_arm_score(angles, inputs.arm_supported)
    lower = lower_arm_score(angles)
    wrist = wrist_score(angles, inputs.wrist_deviated)
    twist = np.full(upper.shape, float(inputs.wrist_twist))
    neck, trunk = neck_score(angles), trunk_score(angles)
    legs = 1.0 + legs_unilateral(angles)
    table_a = lookup(tb.RULA_TABLE_A, upper, lower, wrist, twist)
    table_b = lookup(tb.RULA_TABLE_B, neck, trunk, legs)
    force = np.full(upper.shape, float(force_score(inputs.load_kg, inputs.load_pattern)))
    score_c = table_a + muscle + force
    score_d = table_b + muscle + force
    score = lookup(tb.RULA_TABLE_C, np.minimum(score_c, tb.RULA_C_MAX), np.minimum(score_d, tb.RULA_D_MAX))
    return {
        "upper_arm": upper, "lower_arm": lower, "wrist": wrist, "wrist_twist": twist, "neck": neck,
        "trunk": trunk, "legs": legs, "table_a": table_a, "table_b": table_b, "muscle": muscle.astype(float),
        "force": force, "score_c": score_c, "score_d": score_d, "score": score,
        "action_level": band_score(score, tb.RULA_ACTION_LEVELS),
    }
