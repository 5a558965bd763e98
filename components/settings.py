"""The settings sidebar shared by the Analyze and Live pages.

Inference settings change what the model returns (a new run); display settings only change how
results are drawn (never a new run).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from poselab.models import VARIANTS
from poselab.settings import MODEL_SPEED_HINTS, InferenceSettings


@dataclass(frozen=True)
class DisplaySettings:
    """Post-hoc choices: applied to stored results without re-running the model."""

    visibility_threshold: float = 0.5
    show_mask: bool = True


def settings_sidebar(key: str = "settings", workers: bool | None = None) -> tuple[InferenceSettings, DisplaySettings]:
    """Draws the model and threshold widgets in the sidebar; ``key`` keeps two pages' widgets apart.

    ``workers``: also draw the parallel-workers control (default: on the Analyze page only).
    """
    bar = st.sidebar
    bar.header("Model")
    model = bar.select_slider(
        "Model complexity",
        options=list(VARIANTS),
        value="full",
        format_func=lambda v: f"{VARIANTS.index(v)} · {v}",
        help="lite ≈ 85 fps, full ≈ 65 fps, heavy ≈ 28 fps on 2 CPU cores. Heavier is steadier on hard poses.",
        key=f"{key}.model",
    )
    bar.caption(f"**{model}**: {MODEL_SPEED_HINTS[model]}")
    num_poses = bar.number_input("Number of people", 1, 6, 1, key=f"{key}.num_poses",
                                 help="Most people tracked at once; each gets a stable slot and colour.")
    bar.subheader("Confidence thresholds")
    detection = bar.slider("min_detection_confidence", 0.0, 1.0, 0.5, 0.05, key=f"{key}.det",
                           help="How sure the detector must be to start tracking a person.")
    presence = bar.slider("min_presence_confidence", 0.0, 1.0, 0.5, 0.05, key=f"{key}.pres",
                          help="How sure the landmarker must be that the person is still there.")
    tracking = bar.slider("min_tracking_confidence", 0.0, 1.0, 0.5, 0.05, key=f"{key}.track",
                          help="Below this, the next frame re-runs the detector instead of tracking.")
    segmentation = bar.toggle("Segmentation mask", False, key=f"{key}.seg",
                              help="Also compute the person mask (slower).")
    if workers if workers is not None else key == "analyze":
        _workers_input(key)
    bar.header("Display")
    visibility = bar.slider("Visibility threshold", 0.0, 1.0, 0.5, 0.05, key=f"{key}.vis",
                            help="Hide landmarks the model thinks are hidden. Does not re-run the model.")
    show_mask = bar.toggle("Show mask", True, key=f"{key}.showmask", disabled=not segmentation)
    settings = InferenceSettings(
        model=model,
        num_poses=int(num_poses),
        min_detection_confidence=float(detection),
        min_presence_confidence=float(presence),
        min_tracking_confidence=float(tracking),
        segmentation=bool(segmentation),
    )
    return settings, DisplaySettings(visibility_threshold=float(visibility), show_mask=bool(show_mask))


def chosen_workers(key: str = "analyze") -> int:
    """The parallel-workers choice of page ``key`` (1 when the control was never drawn)."""
    return int(st.session_state.get(f"{key}.workers", 1))


def _workers_input(key: str) -> None:
    # Not an inference setting, but part of the run cache key (run_key): a user who picks 2 expects a 2-worker run.
    most = max(1, min(8, os.cpu_count() or 1))
    st.sidebar.number_input("Parallel workers", 1, most, 1, key=f"{key}.workers",
                            help="Processes tracking parts of the clip at once: faster on several cores, "
                            "about one model's memory more per worker. Results match one worker.")
