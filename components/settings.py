"""The settings sidebar shared by the Analyze and Live pages.

Inference settings change what the model returns (a new run); display settings only change how
results are drawn (never a new run).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from poselab.settings import DEFAULT_FIND_EVERY_FRAMES, MODEL_SPEED_HINTS, VARIANTS, InferenceSettings


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
    k = _Kept(key)  # values outlive a visit to another page (widgets alone forget theirs)
    bar.header("Model")
    model = bar.select_slider(
        "Model complexity",
        options=list(VARIANTS),
        format_func=lambda v: f"{VARIANTS.index(v)} · {v}",
        help="lite ≈ 85 fps, full ≈ 65 fps, heavy ≈ 28 fps on 2 CPU cores. Heavier is steadier on hard poses.",
        key=k("model", "full"),
    )
    bar.caption(f"**{model}**: {MODEL_SPEED_HINTS[model]}")
    num_poses = bar.number_input("Number of people", 1, 6, key=k("num_poses", 1),
                                 help="Most people tracked at once; each gets a stable slot and colour.")
    bar.subheader("Confidence thresholds")
    detection = bar.slider("min_detection_confidence", 0.0, 1.0, step=0.05, key=k("det", 0.5),
                           help="How sure the detector must be to start tracking a person.")
    presence = bar.slider("min_presence_confidence", 0.0, 1.0, step=0.05, key=k("pres", 0.5),
                          help="How sure the landmarker must be that the person is still there.")
    tracking = bar.slider("min_tracking_confidence", 0.0, 1.0, step=0.05, key=k("track", 0.5),
                          help="Below this, the next frame re-runs the detector instead of tracking.")
    segmentation = bar.toggle("Segmentation mask", key=k("seg", False),
                              help="Also compute the person mask (slower).")
    find_people, find_every = "off", DEFAULT_FIND_EVERY_FRAMES
    if workers if workers is not None else key == "analyze":
        find_people, find_every = _find_people_inputs(k)
        _workers_input(k)
    bar.header("Display")
    visibility = bar.slider("Visibility threshold", 0.0, 1.0, step=0.05, key=k("vis", 0.5),
                            help="Hide landmarks the model thinks are hidden. Does not re-run the model.")
    show_mask = bar.toggle("Show mask", key=k("showmask", True), disabled=not segmentation)
    k.remember()
    settings = InferenceSettings(
        model=model,
        num_poses=int(num_poses),
        min_detection_confidence=float(detection),
        min_presence_confidence=float(presence),
        min_tracking_confidence=float(tracking),
        segmentation=bool(segmentation),
        find_people=find_people,
        find_every_frames=find_every,
    )
    return settings, DisplaySettings(visibility_threshold=float(visibility), show_mask=bool(show_mask))


def chosen_workers(key: str = "analyze") -> int:
    """The parallel-workers choice of page ``key`` (1 when the control was never drawn)."""
    return int(st.session_state.get(f"{key}.workers", 1))


def _find_people_inputs(k: _Kept) -> tuple[str, int]:
    """The find-people mode (poselab/engine/people.py): Analyze page only; the live stream runs MediaPipe alone."""
    bar = st.sidebar
    on = bar.toggle("Find more people", key=k("find_people", False),
                    help="Also search overlapping tiles of the frame for small, distant or crowded people the "
                    "whole frame misses. Several times slower on the frames it searches; runs in one process. "
                    "Set Number of people high enough for them.")
    every = bar.number_input("Search for new people every N frames", 1, 1000, key=k("find_every",
                             DEFAULT_FIND_EVERY_FRAMES), disabled=not on,
                             help="People found are followed between searches; fewer searches cost less.")
    return ("tiles" if on else "off"), int(every)


def _workers_input(k: _Kept) -> None:
    # Not an inference setting, but part of the run cache key (run_key): a user who picks 2 expects a 2-worker run.
    most = max(1, min(8, os.cpu_count() or 1))
    st.sidebar.number_input("Parallel workers", 1, most, key=k("workers", 1),
                            help="Processes tracking parts of the clip at once: faster on several cores, "
                            "about one model's memory more per worker. Results match one worker.")


class _Kept:
    """Widget keys whose values are kept for the session under a plain (non-widget) key.

    Streamlit drops a widget's value when a run does not draw it, as on a visit to another page; a widget
    then comes back at its default. ``k(name, default)`` seeds the widget ``<page>.<name>`` from the kept
    copy before it is drawn (so it is drawn without a ``value`` of its own), and ``remember()`` copies the
    drawn values back.
    """

    def __init__(self, page: str) -> None:
        self.page = page
        self.kept: dict[str, object] = st.session_state.setdefault(KEPT_KEY, {})
        self.keys: list[str] = []

    def __call__(self, name: str, default: object) -> str:
        key = f"{self.page}.{name}"
        if key not in st.session_state:
            st.session_state[key] = self.kept.get(key, default)
        self.keys.append(key)
        return key

    def remember(self) -> None:
        for key in self.keys:
            self.kept[key] = st.session_state[key]


KEPT_KEY = "settings.kept"
