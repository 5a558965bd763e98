"""Ergonomic assessment of a pose sequence: inputs for what the camera cannot see, muscle use measured from
holds and repetitions, RULA and REBA per frame x person x side, the tables the CLI writes and a summary.

``assess(sequence, ErgoInputs(...))`` -> ``ErgoResult``; ``rescore(result, inputs)`` re-scores for new inputs
without measuring the angles again (the dashboard's load field). Nothing here runs the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from poselab.assess import ergo_tables as tb
from poselab.assess.ergo_angles import ANGLE_NAMES, SIDES, PostureAngles, calibrate, measure
from poselab.assess.ergo_inputs import ErgoInputs
from poselab.assess.reba import REBA_COLUMNS, score_reba
from poselab.assess.rula import RULA_COLUMNS, score_rula
from poselab.motion.reps import count_reps
from poselab.sequence import PoseSequence

METHODS = ("rula", "reba")


@dataclass
class ErgoResult:
    """Angles and scores of one sequence: ``rula`` / ``reba`` map column names to (T, P, 2) arrays."""

    sequence: PoseSequence
    inputs: ErgoInputs
    angles: PostureAngles
    rula: dict[str, np.ndarray]
    reba: dict[str, np.ndarray]
    repeated: np.ndarray  # (T, P, 2) 0/1 measured repetition

    def scores(self, method: str) -> dict[str, np.ndarray]:
        return self.rula if method == "rula" else self.reba

    def person_score(self, method: str) -> np.ndarray:
        """(T, P) the worse side's score (the other side where one is unseen), NaN where neither is scored."""
        values = self.scores(method)["score"]
        with np.errstate(invalid="ignore"):
            return np.fmax(values[..., 0], values[..., 1])


def assess(sequence: PoseSequence, inputs: ErgoInputs | None = None) -> ErgoResult:
    """Measure every posture angle and score RULA and REBA for ``inputs`` (defaults when None)."""
    inputs = inputs or ErgoInputs()
    calibration = None if inputs.calibrate_frame is None else calibrate(sequence, inputs.calibrate_frame)
    angles = measure(sequence, calibration)
    return _score(sequence, inputs, angles, repetition(angles))


def rescore(result: ErgoResult, inputs: ErgoInputs) -> ErgoResult:
    """Scores for new inputs; the angles are measured again only when the calibration frame changed."""
    if inputs.calibrate_frame != result.inputs.calibrate_frame:
        return assess(result.sequence, inputs)
    return _score(result.sequence, inputs, result.angles, result.repeated)


def _score(sequence: PoseSequence, inputs: ErgoInputs, angles: PostureAngles, repeated: np.ndarray) -> ErgoResult:
    # A posture is its sub-scores: scored once without muscle use / activity to find the holds.
    zeros = np.zeros(repeated.shape)
    rula_posture = score_rula(angles, inputs, zeros)
    reba_posture = score_reba(angles, inputs, zeros, zeros)
    muscle = np.maximum(held(_keys(rula_posture, RULA_POSTURE), sequence.time_s), repeated)
    if inputs.muscle_use:
        muscle = np.ones_like(muscle)
    rula_scores = score_rula(angles, inputs, muscle)
    static = held(_keys(reba_posture, REBA_POSTURE), sequence.time_s)
    reba_scores = score_reba(angles, inputs, static, repeated)
    return ErgoResult(sequence, inputs, angles, rula_scores, reba_scores, repeated)


RULA_POSTURE = ("upper_arm", "lower_arm", "wrist", "neck", "trunk", "legs")
REBA_POSTURE = ("neck", "trunk", "legs", "upper_arm", "lower_arm", "wrist")


def _keys(scores: dict[str, np.ndarray], names: tuple[str, ...]) -> np.ndarray:
    return np.stack([scores[name] for name in names], axis=-1)


def held(keys: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """(T, P, 2) 1 where the posture (``keys``: (T, P, 2, K) sub-scores) stays the same for a run of at least
    ``STATIC_HOLD_S``; every frame of such a run counts. A frame with an unknown sub-score ends a run."""
    frames = keys.shape[0]
    out = np.zeros(keys.shape[:3])
    for slot in range(keys.shape[1]):
        for side in range(keys.shape[2]):
            series = keys[:, slot, side]
            known = np.isfinite(series).all(axis=1)
            start = 0
            for index in range(1, frames + 1):
                same = (index < frames and known[index] and known[start]
                        and np.array_equal(series[index], series[start]))
                if same:
                    continue
                if known[start] and time_s[index - 1] - time_s[start] >= tb.STATIC_HOLD_S:
                    out[start:index, slot, side] = 1.0
                start = index
    return out


def repetition(angles: PostureAngles) -> np.ndarray:
    """(T, P, 2) 1 where a movement of ``REPEAT_SIGNALS`` repeats at least ``REPEATS_PER_MIN`` times a minute in
    the ``REPEAT_WINDOW_S`` window centred on the frame (clipped to the recording), counted by the rep counter."""
    time_s = angles.time_s
    shape = angles["trunk_flexion_deg"].shape
    out = np.zeros(shape)
    if len(time_s) < 2:
        return out
    first, last = float(time_s[0]), float(time_s[-1])
    lo = np.maximum(time_s - tb.REPEAT_WINDOW_S / 2, first)
    hi = np.minimum(time_s + tb.REPEAT_WINDOW_S / 2, last)
    minutes = np.maximum(hi - lo, 1e-9) / 60.0
    for slot in range(shape[1]):
        for side in range(shape[2]):
            for name, rest_deg, moved_deg in tb.REPEAT_SIGNALS:
                # the counter counts drops below low after high: a flexion counts when negated
                reps = count_reps(time_s, -angles[name][:, slot, side], -moved_deg, -rest_deg)
                mids = np.array([(rep.start_s + rep.end_s) / 2 for rep in reps])
                if not len(mids):
                    continue
                count = ((mids[None, :] >= lo[:, None]) & (mids[None, :] <= hi[:, None])).sum(axis=1)
                often = (count >= tb.MIN_REPEATS_IN_WINDOW) & (count / minutes >= tb.REPEATS_PER_MIN)
                out[:, slot, side] = np.maximum(out[:, slot, side], often)
    return out


def scores_frame(result: ErgoResult, method: str) -> pd.DataFrame:
    """rula.csv / reba.csv: one row per frame x detected person x side, the method's columns, then the angles."""
    frames, slots = np.nonzero(result.sequence.detected())
    columns = RULA_COLUMNS if method == "rula" else REBA_COLUMNS
    scores = result.scores(method)
    rows = len(frames) * len(SIDES)
    table: dict[str, Any] = {
        "frame": np.repeat(frames, 2),
        "time_s": np.repeat(result.sequence.time_s[frames], 2).round(6),
        "person": np.repeat(slots, 2),
        "side": np.tile(np.array(SIDES, dtype=object), len(frames)),
    }
    for name in columns:
        table[name] = pd.array(_cells(scores[name], frames, slots), dtype="Int64") if rows else []
    for name in ANGLE_NAMES:
        table[name] = _cells(result.angles[name], frames, slots).round(2 if name.endswith("_deg") else 4)
    return pd.DataFrame(table)


def _cells(values: np.ndarray, frames: np.ndarray, slots: np.ndarray) -> np.ndarray:
    return values[frames, slots].reshape(-1)


def latest_rula(sequence: PoseSequence, slot: int = 0) -> tuple[float, float]:
    """(score, action level) of the newest frame's person ``slot`` (worse side; NaN if not scored): the Live
    page's reading. One frame, default inputs: no hold or repetition can be measured from it."""
    if not sequence.num_frames or slot >= sequence.num_slots:
        return float("nan"), float("nan")
    result = assess(sequence.slice_frames(sequence.num_frames - 1, sequence.num_frames))
    levels = result.rula["action_level"][0, slot]
    with np.errstate(invalid="ignore"):
        return float(result.person_score("rula")[0, slot]), float(np.fmax(levels[0], levels[1]))
