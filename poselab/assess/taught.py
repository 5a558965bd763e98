"""Taught classes over a whole sequence: training from marked frames, a class per frame and person, and
repetitions counted from class transitions with hysteresis (the ``motion.reps`` counter run on a class's
smoothed share of the votes: a rep starts when the share rises above ``ENTER_SHARE`` and ends when it falls
below ``EXIT_SHARE``, as MediaPipe's repetition counter does with 6 and 4 of 10 neighbours)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from poselab.assess.classifier import PoseClassifier
from poselab.assess.embedding import sequence_points
from poselab.errors import InputError
from poselab.motion.reps import RepCounter
from poselab.sequence import PoseSequence

ENTER_SHARE = 0.6
EXIT_SHARE = 0.4


def train(name: str, marks: Iterable[tuple[PoseSequence, int, int, int, str]]) -> PoseClassifier:
    """A classifier from marked frame ranges: (sequence, person, first frame, last frame, class name); frames
    without that person are skipped."""
    points, labels = [], []
    for sequence, person, first, last, label in marks:
        if not label.strip():
            raise InputError("a class name cannot be empty")
        if not 0 <= person < sequence.num_slots or not 0 <= first <= last < sequence.num_frames:
            raise InputError(f"frames {first}-{last} of person {person} are not in the analysis "
                             f"({sequence.num_frames} frames, {sequence.num_slots} people)")
        part = sequence_points(sequence)[first: last + 1, person]
        keep = ~np.isnan(part).any(axis=(1, 2))
        points += list(part[keep])
        labels += [label.strip()] * int(keep.sum())
    return PoseClassifier(name, np.asarray(points).reshape(-1, 33, 3), labels)


def classes_frame(classifier: PoseClassifier, sequence: PoseSequence) -> pd.DataFrame:
    """``classes.csv``: frame, time_s, person, class, confidence (the class's smoothed share of the votes)."""
    points = sequence_points(sequence)
    rows = []
    for person in range(sequence.num_slots):
        names, shares = classifier.classify_series(points[:, person], sequence.time_s)
        rows += [(i, float(sequence.time_s[i]), person, name, round(float(shares[name][i]), 3))
                 for i, name in enumerate(names) if name is not None]
    return pd.DataFrame(rows, columns=["frame", "time_s", "person", "class", "confidence"])


def class_reps(classifier: PoseClassifier, sequence: PoseSequence, person: int = 0) -> dict[str, Any]:
    """``class_reps.json``: per class, the repetitions of entering and leaving it (``count``), and whether the
    clip ended inside one more (``unfinished``)."""
    _, shares = classifier.classify_series(sequence_points(sequence)[:, person], sequence.time_s)
    report: dict[str, Any] = {"classifier": classifier.name, "person": person, "enter_share": ENTER_SHARE,
                              "exit_share": EXIT_SHARE, "classes": {}}
    for cls, share in shares.items():
        counter = RepCounter(1.0 - ENTER_SHARE, 1.0 - EXIT_SHARE)  # a rep dips into the class: 1 - share
        for t, value in zip(sequence.time_s, 1.0 - share, strict=True):
            counter.update(float(t), float(value))
        reps = counter.reps
        report["classes"][cls] = {"count": len(reps), "unfinished": counter.phase == "down", "reps": [
            {"start_s": round(r.start_s, 3), "end_s": round(r.end_s, 3), "duration_s": round(r.duration_s, 3)}
            for r in reps]}
    return report
