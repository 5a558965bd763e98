"""What ergonomics.json holds: the inputs and defaults used, the calibration, share of time per level per
person and the worst moments, for each method assessed."""

from __future__ import annotations

from typing import Any

import numpy as np

from poselab.assess import ergo_tables as tb
from poselab.assess.ergo_angles import SIDES
from poselab.assess.ergonomics import ErgoResult
from poselab.assess.reba import REBA_COLUMNS
from poselab.assess.rula import RULA_COLUMNS

LEVEL_KEY = {"rula": "action_level", "reba": "risk_level"}
LEVEL_TEXT = {"rula": tb.RULA_ACTION_TEXT, "reba": tb.REBA_RISK_TEXT}
WORST_COUNT = 5
WORST_SPACING_S = 1.0  # worst moments of one person at least this far apart (not five frames of one lift)
LIMITS = (
    "Angles come from a single camera's 3D estimate (MediaPipe world landmarks): expect errors of 10 degrees "
    "or more, most for joints hidden from the camera and for twists.",
    "Without a calibration frame the camera is assumed level; a tilted camera biases trunk and arm angles.",
    "Shoulder raising is assessed only against a calibration frame; wrist deviation and twist, load, coupling, "
    "arm support and an unstable base cannot be seen and are inputs (defaults flagged).",
    "An upper arm pointing out to the side is scored by its elevation (its flexion cannot be measured there); "
    "one pointing forward or back counts as not abducted.",
    "Frames where a needed landmark is below visibility 0.5 have no score: they are not counted as safe.",
    "A score describes one posture at one instant; RULA and REBA are screening tools, not a diagnosis.",
)


def level_dt_s(time_s: np.ndarray) -> np.ndarray:
    """Duration each frame stands for (the gap to the next frame; the median gap for the last one)."""
    if len(time_s) < 2:
        return np.ones(len(time_s))
    gaps = np.diff(time_s)
    return np.append(gaps, np.median(gaps))


def level_shares(result: ErgoResult, method: str) -> dict[str, dict[str, Any]]:
    """Per person slot seen: seconds scored, share of that time in each level, share of detected time unscored."""
    levels = _person_level(result, method)
    detected = result.sequence.detected()
    dt_s = level_dt_s(result.sequence.time_s)
    people: dict[str, dict[str, Any]] = {}
    level_range = range(1, 5 if method == "rula" else 6)
    for slot in np.nonzero(detected.any(axis=0))[0]:
        seen = detected[:, slot]
        scored = seen & np.isfinite(levels[:, slot])
        scored_s = float(dt_s[scored].sum())
        shares = {str(level): round(float(dt_s[scored & (levels[:, slot] == level)].sum() / scored_s), 4)
                  if scored_s else 0.0 for level in level_range}
        scores = result.person_score(method)[scored, slot]
        people[str(int(slot))] = {
            "frames_detected": int(seen.sum()),
            "frames_scored": int(scored.sum()),
            "seconds_scored": round(scored_s, 3),
            "unscored_share": round(1.0 - scored_s / float(dt_s[seen].sum()), 4) if seen.any() else 1.0,
            "share_by_level": shares,
            "median_score": float(np.median(scores)) if scores.size else None,
            "max_score": int(scores.max()) if scores.size else None,
        }
    return people


def _person_level(result: ErgoResult, method: str) -> np.ndarray:
    values = result.scores(method)[LEVEL_KEY[method]]
    with np.errstate(invalid="ignore"):
        return np.fmax(values[..., 0], values[..., 1])


def worst_moments(result: ErgoResult, method: str, count: int = WORST_COUNT) -> list[dict[str, Any]]:
    """The highest-scoring frames (worse side), at least ``WORST_SPACING_S`` apart per person, with breakdowns."""
    scores = result.scores(method)
    person = result.person_score(method)
    time_s = result.sequence.time_s
    frames, slots = np.nonzero(np.isfinite(person))
    order = np.lexsort((frames, -person[frames, slots]))  # highest score first, earliest first among equals
    chosen: list[dict[str, Any]] = []
    columns = RULA_COLUMNS if method == "rula" else REBA_COLUMNS
    for index in order:
        frame, slot = int(frames[index]), int(slots[index])
        if any(c["person"] == slot and abs(c["time_s"] - time_s[frame]) < WORST_SPACING_S for c in chosen):
            continue
        side = int(np.nanargmax(scores["score"][frame, slot]))
        chosen.append({
            "frame": frame, "time_s": round(float(time_s[frame]), 3), "person": slot, "side": SIDES[side],
            "breakdown": {name: _int(scores[name][frame, slot, side]) for name in columns},
            "angles_deg": {name.removesuffix("_deg"): _round(result.angles[name][frame, slot, side])
                           for name in result.angles.values if name.endswith("_deg")},
        })
        if len(chosen) == count:
            break
    return chosen


def _int(value: float) -> int | None:
    return None if not np.isfinite(value) else int(value)


def _round(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 1)


def summary(result: ErgoResult, methods: tuple[str, ...] = ("rula", "reba")) -> dict[str, Any]:
    """The ergonomics.json dictionary."""
    calibration = result.angles.calibration
    data: dict[str, Any] = {
        "methods": list(methods),
        "inputs": result.inputs.described(),
        "calibration": calibration.to_dict() if calibration is not None else None,
        "camera": "calibrated" if calibration is not None else "assumed level (no calibration frame)",
        "shoulder_raised": "assessed against the calibration frame" if calibration is not None
        else "not assessed (no calibration frame): counted as not raised",
        "thresholds": {name: getattr(tb, name) for name in (
            "VISIBILITY_THRESHOLD", "ARM_PLANE_MIN_SHARE", "FEET_LEVEL_M", "SHOULDER_RAISED_SHRINK",
            "WRIST_OUT_TO_SIDE_M",
            "UPPER_ARM_ABDUCTED_DEG", "TRUNK_TWIST_DEG", "TRUNK_SIDE_BEND_DEG", "NECK_TWIST_DEG",
            "NECK_SIDE_BEND_DEG", "REBA_UPRIGHT_DEG", "STATIC_HOLD_S", "REPEATS_PER_MIN", "REPEAT_WINDOW_S",
            "MIN_REPEATS_IN_WINDOW")},
        "limits": list(LIMITS),
    }
    for method in methods:
        data[method] = {
            "levels": {str(k): v for k, v in LEVEL_TEXT[method].items()},
            "people": level_shares(result, method),
            "worst_moments": worst_moments(result, method),
        }
    return data
