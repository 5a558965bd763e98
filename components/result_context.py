"""What a result tab is handed: its own module, so the views and ``results`` (which registers them) import it
without importing each other."""

from __future__ import annotations

from dataclasses import dataclass

from components.settings import DisplaySettings
from poselab.sequence import PoseSequence
from poselab.store.analysis import Analysis


@dataclass(frozen=True)
class ResultContext:
    """What a result tab needs: the analysis, display choices, a widget-key prefix and the inspected frame."""

    analysis: Analysis
    display: DisplaySettings
    key: str
    frame_index: int

    @property
    def sequence(self) -> PoseSequence:
        return self.analysis.sequence

    @property
    def time_s(self) -> float:
        return float(self.sequence.time_s[self.frame_index])
