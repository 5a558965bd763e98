"""Taught pose classes: k nearest neighbours on pose embeddings, as MediaPipe's pose classification does.

A query is compared with every sample twice, as it is and mirrored (a squat taught facing left counts facing
right). The coarse pass keeps the ``top_by_max`` samples with the smallest maximum per-coordinate distance
(this drops samples with one very different joint), the fine pass the ``top_by_mean`` of those by mean
distance; z is down-weighted (``axis_weights``) since MediaPipe's depth is the least reliable coordinate. The
votes of the fine neighbours, per class, are smoothed over frames by an exponential moving average.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from poselab.assess.embedding import embed, mirrored
from poselab.errors import InputError

TOP_BY_MAX = 30  # MediaPipe's defaults
TOP_BY_MEAN = 10
AXIS_WEIGHTS = (1.0, 1.0, 0.2)
FORMAT = "poselab-classifier-1"
# MediaPipe's EMADictSmoothing weighs the newest frame 0.2 at its 30 fps: a time constant of 0.15 s, kept in
# seconds here so a 5 fps clip is not smoothed over six times as long
EMA_TAU_S = 0.15


@dataclass
class PoseClassifier:
    """Samples: (N, 33, 3) image landmarks (x, y px; z x width) with a class name each."""

    name: str
    points: np.ndarray
    labels: list[str]
    top_by_max: int = TOP_BY_MAX
    top_by_mean: int = TOP_BY_MEAN
    axis_weights: tuple[float, float, float] = AXIS_WEIGHTS
    _embeddings: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.points = np.asarray(self.points, dtype=np.float64)
        if len(self.labels) == 0:
            raise InputError(f"classifier {self.name!r} has no samples: mark frames with class names first")
        if self.points.shape != (len(self.labels), 33, 3):
            raise InputError(f"classifier {self.name!r}: samples must be (N, 33, 3) landmarks, "
                             f"not {self.points.shape} for {len(self.labels)} labels")
        if len(set(self.labels)) < 2:
            raise InputError(f"classifier {self.name!r} needs at least two classes, "
                             f"it has {sorted(set(self.labels))}")
        self._embeddings = embed(self.points)
        if np.isnan(self._embeddings).any():
            raise InputError(f"classifier {self.name!r}: a sample frame has no person in it")

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.labels))

    def thin_classes(self) -> list[str]:
        """Classes with fewer samples than the fine neighbours: they can never win a clear majority."""
        counts = Counter(self.labels)
        return [cls for cls in self.classes if counts[cls] < self.top_by_mean]

    def votes(self, points: np.ndarray, exclude: int | None = None) -> dict[str, int]:
        """(33, 3) landmarks -> votes per class among the fine neighbours ({} when the pose is missing)."""
        if np.isnan(points).any():
            return {}
        weights = np.asarray(self.axis_weights)
        samples = self._embeddings if exclude is None else np.delete(self._embeddings, exclude, axis=0)
        labels = self.labels if exclude is None else self.labels[:exclude] + self.labels[exclude + 1:]
        diffs = [np.abs(samples - embed(p)) * weights for p in (points, mirrored(points))]
        by_max = np.minimum(*(d.max(axis=(1, 2)) for d in diffs))
        coarse = np.argsort(by_max, kind="stable")[: self.top_by_max]
        by_mean = np.minimum(*(d[coarse].mean(axis=(1, 2)) for d in diffs))
        fine = coarse[np.argsort(by_mean, kind="stable")[: self.top_by_mean]]
        return dict(Counter(labels[i] for i in fine))

    def predict(self, points: np.ndarray, exclude: int | None = None) -> str | None:
        votes = self.votes(points, exclude)
        return max(sorted(votes), key=votes.__getitem__) if votes else None

    def leave_one_out_accuracy(self) -> float:
        """Share of samples whose class the others predict (each sample left out in turn)."""
        hits = [self.predict(p, exclude=i) == label for i, (p, label) in enumerate(zip(self.points, self.labels,
                                                                                           strict=True))]
        return float(np.mean(hits))

    def classify_series(self, points: np.ndarray, time_s: np.ndarray) -> tuple[list[str | None],
                                                                                dict[str, np.ndarray]]:
        """(T, 33, 3) landmarks at ``time_s`` -> per frame the leading class after EMA smoothing of the votes
        (None where the person is missing), and per class its smoothed share of the votes, 0..1 (NaN there)."""
        shares = {cls: np.full(len(points), np.nan) for cls in self.classes}
        names: list[str | None] = []
        previous: dict[str, float] = {}
        last_s = None
        for i, frame in enumerate(points):
            votes = self.votes(frame)
            if not votes:
                names.append(None)
                continue
            total = sum(votes.values())
            alpha = 1.0 if last_s is None else 1.0 - float(np.exp(-(time_s[i] - last_s) / EMA_TAU_S))
            last_s = time_s[i]
            for cls in self.classes:
                share = votes.get(cls, 0) / total
                previous[cls] = alpha * share + (1 - alpha) * previous.get(cls, share)
                shares[cls][i] = previous[cls]
            names.append(max(self.classes, key=previous.__getitem__))
        return names, shares

    def to_dict(self) -> dict[str, Any]:
        """The classifier as plain JSON: its samples' landmarks (so a better embedding can be rebuilt later)."""
        return {"format": FORMAT, "name": self.name, "classes": self.classes, "labels": self.labels,
                "points": np.round(self.points, 3).tolist()}

    @classmethod
    def from_dict(cls, data: Any, source: str = "classifier") -> PoseClassifier:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(f"{source} is not a PoseLab classifier (expected \"format\": \"{FORMAT}\")")
        try:
            return cls(str(data["name"]), np.asarray(data["points"], dtype=np.float64), list(data["labels"]))
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(f"{source} is a damaged classifier file: {error}") from None
