"""What a camera cannot see, as inputs to the ergonomic scores: ``ErgoInputs`` with its stated defaults.

A module of its own so that ``rula``, ``reba`` and ``ergonomics`` (which runs them) all import it without a circle.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from poselab.assess import ergo_tables as tb
from poselab.errors import InputError

INPUT_HELP = {
    "load_kg": "load handled, kg",
    "load_pattern": "intermittent, static (held or repeated) or shock",
    "coupling": "REBA hand coupling: good, fair, poor or unacceptable",
    "arm_supported": "arm supported or person leaning (-1 upper arm)",
    "wrist_twist": "RULA wrist twist: 1 mainly mid-range, 2 at or near the end of range",
    "wrist_deviated": "wrist bent from the midline (+1 wrist)",
    "muscle_use": "force muscle use on (+1), whatever the holds and repetitions measured",
    "unstable": "REBA: rapid large changes in posture or an unstable base (+1 activity)",
    "calibrate_frame": "frame where the person stands upright looking ahead (sets the vertical and neck offset)",
}


@dataclass(frozen=True)
class ErgoInputs:
    """What a camera cannot see, with the defaults used when the user says nothing (flagged in outputs)."""

    load_kg: float = 0.0
    load_pattern: str = "intermittent"
    coupling: str = "good"
    arm_supported: bool = False
    wrist_twist: int = 1
    wrist_deviated: bool = False
    muscle_use: bool = False
    unstable: bool = False
    calibrate_frame: int | None = None

    def __post_init__(self) -> None:
        if not np.isfinite(self.load_kg) or self.load_kg < 0:
            raise InputError(f"the load must be 0 kg or more, not {self.load_kg:g}")
        if self.load_pattern not in tb.LOAD_PATTERNS:
            raise InputError(f"unknown load pattern {self.load_pattern!r}: choose {', '.join(tb.LOAD_PATTERNS)}")
        if self.coupling not in tb.COUPLINGS:
            raise InputError(f"unknown coupling {self.coupling!r}: choose {', '.join(tb.COUPLINGS)}")
        if self.wrist_twist not in (1, 2):
            raise InputError(f"the wrist twist must be 1 or 2, not {self.wrist_twist}")

    def described(self) -> dict[str, dict[str, Any]]:
        """Each input with its value, default and whether the user set it (``"default"`` is the flag)."""
        defaults = ErgoInputs()
        return {f.name: {"value": getattr(self, f.name), "default": getattr(defaults, f.name),
                         "source": "user" if getattr(self, f.name) != getattr(defaults, f.name) else "default",
                         "meaning": INPUT_HELP[f.name]}
                for f in dataclasses.fields(self)}
