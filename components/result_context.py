"""What a result tab is handed: its own module, so the views and ``results`` (which registers them) import it
without importing each other."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

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


def frame_slider_key(key: str) -> str:
    """The widget key of result panel ``key``'s frame slider."""
    return f"{key}.frame"


def go_to_frame(key: str, frame_index: int) -> None:
    """A button callback: moves panel ``key``'s frame slider to the 0-based ``frame_index`` (the slider counts
    from 1, as the caption does). Callbacks run before the rerun draws the slider, so it may still be set."""
    st.session_state[frame_slider_key(key)] = frame_index + 1
