"""Repetition counting on one angle with hysteresis, frame by frame (live) or over a whole series.

A rep starts when the angle, having been at or above ``high_deg``, drops below ``low_deg``, and ends
when it comes back to ``high_deg`` or above. The gap between the thresholds is the hysteresis: noise
around either threshold never counts. The counter first has to see the angle at ``high_deg`` or above,
so a clip that starts at the bottom does not count half a rep. NaN frames are skipped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from poselab.errors import InputError
from poselab.motion.angles import ANGLE_BY_NAME, compute_angles
from poselab.sequence import PoseSequence


@dataclass(frozen=True)
class Rep:
    """One completed repetition: from leaving ``high_deg`` to coming back to it."""

    start_s: float
    end_s: float
    min_deg: float
    max_deg: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in (asdict(self) | {"duration_s": self.duration_s}).items()}


@dataclass(frozen=True)
class RepSpec:
    """Which angle and thresholds to count on; parsed from ``ANGLE:LOW:HIGH`` (e.g. ``left_knee:100:150``)."""

    angle: str
    low_deg: float
    high_deg: float

    def __post_init__(self) -> None:
        if self.angle not in ANGLE_BY_NAME:
            raise InputError(f"unknown angle {self.angle!r}: choose one of {', '.join(ANGLE_BY_NAME)}")
        if not self.low_deg < self.high_deg:
            raise InputError(f"the low threshold ({self.low_deg:g}) must be below the high one ({self.high_deg:g})")

    @classmethod
    def parse(cls, text: str) -> RepSpec:
        parts = text.split(":")
        try:
            name, low, high = parts[0], float(parts[1]), float(parts[2])
        except (IndexError, ValueError):
            raise InputError(f"reps must be ANGLE:LOW:HIGH such as left_knee:100:150, not {text!r}") from None
        if len(parts) != 3:
            raise InputError(f"reps must be ANGLE:LOW:HIGH such as left_knee:100:150, not {text!r}")
        return cls(name.removesuffix("_deg"), low, high)


class RepCounter:
    """Incremental hysteresis counter: feed ``update(time_s, angle_deg)`` one frame at a time."""

    def __init__(self, low_deg: float, high_deg: float) -> None:
        if not low_deg < high_deg:
            raise InputError("the low threshold must be below the high one")
        self.low_deg = low_deg
        self.high_deg = high_deg
        self.reps: list[Rep] = []
        self._armed = False  # seen at or above high since the last rep (or the start)
        self._in_rep = False  # went below low, waiting to come back above high
        self._top_s = 0.0  # last time at or above high: where a rep starts
        self._top_deg = float("nan")
        self._min_deg = self._max_deg = float("nan")

    @property
    def count(self) -> int:
        return len(self.reps)

    @property
    def phase(self) -> str:
        """'waiting' (not yet seen high), 'up' (ready) or 'down' (in a rep)."""
        return "down" if self._in_rep else "up" if self._armed else "waiting"

    def update(self, time_s: float, angle_deg: float) -> Rep | None:
        """Feed one frame; returns the Rep that this frame completes, if any."""
        if angle_deg is None or np.isnan(angle_deg):
            return None
        angle_deg = float(angle_deg)
        if self._in_rep:
            self._min_deg = min(self._min_deg, angle_deg)
            self._max_deg = max(self._max_deg, angle_deg)
            if angle_deg >= self.high_deg:
                return self._finish(time_s, angle_deg)
            return None
        if angle_deg >= self.high_deg:
            self._armed = True
            self._top_s, self._top_deg = time_s, angle_deg
        elif self._armed and angle_deg < self.low_deg:
            self._in_rep = True
            self._min_deg = angle_deg
            self._max_deg = self._top_deg
        return None

    def _finish(self, time_s: float, angle_deg: float) -> Rep:
        rep = Rep(self._top_s, time_s, self._min_deg, self._max_deg)
        self.reps.append(rep)
        self._in_rep = False
        self._top_s, self._top_deg = time_s, angle_deg  # the end of one rep can start the next
        return rep


def count_reps(time_s: np.ndarray, angle_deg: np.ndarray, low_deg: float, high_deg: float) -> list[Rep]:
    """Every completed rep of a whole angle series (the live counter run over it)."""
    counter = RepCounter(low_deg, high_deg)
    for t, value in zip(time_s, angle_deg, strict=True):
        counter.update(float(t), float(value))
    return counter.reps


def reps_report(spec: RepSpec, reps: list[Rep], slot: int = 0) -> dict[str, Any]:
    """What ``reps.json`` holds."""
    return {
        "angle": spec.angle,
        "low_deg": spec.low_deg,
        "high_deg": spec.high_deg,
        "person": slot,
        "count": len(reps),
        "reps": [rep.to_dict() for rep in reps],
    }


def reps_of_sequence(sequence: PoseSequence, spec: RepSpec, space: str = "world", slot: int = 0) -> dict[str, Any]:
    """Count reps of ``spec`` over one person slot of a whole sequence; the reps.json dictionary."""
    series = compute_angles(sequence, space, angles=(ANGLE_BY_NAME[spec.angle],))
    values = series.of(spec.angle, slot) if sequence.num_slots > slot else np.full(sequence.num_frames, np.nan)
    return reps_report(spec, count_reps(series.time_s, values, spec.low_deg, spec.high_deg), slot)
