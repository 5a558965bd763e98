"""Motion analysis views: smoothing controls, the Angles tab (angles, range of motion, reps, jitter) and
a live rep counter. Everything reads a stored sequence; smoothing and angles are recomputed instantly,
never the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components.analyze_views import display_width_px, overlay_image
from poselab.errors import PoseLabError
from poselab.motion.angles import (
    ANGLE_BY_NAME,
    ANGLES,
    AngleSeries,
    angle_ranges,
    angular_velocity_deg_s,
    compute_angles,
)
from poselab.motion.quality import jitter_px
from poselab.motion.reps import Rep, RepCounter, count_reps
from poselab.motion.smoothing import SMOOTHING_METHODS, ButterworthParams, OneEuroParams, SmoothingSettings
from poselab.sequence import PoseSequence
from poselab.skeleton import LANDMARK_INDEX

if TYPE_CHECKING:
    from components.result_context import ResultContext

ANGLE_NAMES = [angle.name for angle in ANGLES]
METHOD_LABELS = {"none": "None (raw)", "one-euro": "One Euro (causal)", "butterworth": "Butterworth (zero-phase)"}


def smoothing_controls(key: str, container: object = None, default: str = "one-euro",
                       rate_hz: float = 0.0) -> SmoothingSettings:
    """A "Smoothing" section (in ``container``, the sidebar by default); returns the chosen settings.
    ``rate_hz``: the clip's frame rate when known, so the Butterworth cutoff stays below Nyquist."""
    box = container if container is not None else st.sidebar
    box.subheader("Smoothing")
    method = box.selectbox("Landmark smoothing", SMOOTHING_METHODS, index=SMOOTHING_METHODS.index(default),
                           format_func=METHOD_LABELS.get, key=f"{key}.smoothing",
                           help="Raw landmarks are always kept; smoothing only changes what is derived from them.")
    one, butter = OneEuroParams(), ButterworthParams()
    if method == "one-euro":
        one = OneEuroParams(
            box.slider("min_cutoff (Hz)", 0.05, 5.0, one.min_cutoff_hz, 0.05, key=f"{key}.oe_min",
                       help="Smoothing when still: lower is smoother but lags more."),
            box.slider("beta", 0.0, 100.0, one.beta, 1.0, key=f"{key}.oe_beta",
                       help="How fast movement opens the filter: higher lags less during fast moves."),
            box.slider("d_cutoff (Hz)", 0.05, 5.0, one.d_cutoff_hz, 0.05, key=f"{key}.oe_d",
                       help="Smoothing of the speed estimate that drives the filter."),
        )
    elif method == "butterworth":
        top_hz = round(0.48 * rate_hz, 1) if rate_hz else 15.0
        cutoff = box.slider("Cutoff (Hz)", 0.1, top_hz, min(6.0, round(0.4 * rate_hz, 1) if rate_hz else 6.0), 0.1,
                            key=f"{key}.bw_cut.{top_hz}", help="Must be below half the frame rate.")
        order = box.select_slider("Order", [1, 2, 3, 4], 2, key=f"{key}.bw_order")
        gap = box.number_input("Fill gaps up to (frames)", 0, 100, butter.max_gap_frames, key=f"{key}.bw_gap")
        butter = ButterworthParams(float(cutoff), int(order), int(gap))
    return SmoothingSettings(method, one, butter)


def chosen_smoothing(key: str, rate_hz: float = 0.0, default: str = "one-euro") -> SmoothingSettings:
    """What ``smoothing_controls(key, rate_hz=rate_hz)`` returns now, read from the session without drawing
    (the Downloads tab exports what the Angles tab shows)."""
    state = st.session_state
    method = state.get(f"{key}.smoothing", default)
    one, butter = OneEuroParams(), ButterworthParams()
    if method == "one-euro":
        one = OneEuroParams(float(state.get(f"{key}.oe_min", one.min_cutoff_hz)),
                            float(state.get(f"{key}.oe_beta", one.beta)),
                            float(state.get(f"{key}.oe_d", one.d_cutoff_hz)))
    elif method == "butterworth":
        top_hz = round(0.48 * rate_hz, 1) if rate_hz else 15.0
        cutoff = state.get(f"{key}.bw_cut.{top_hz}", min(6.0, round(0.4 * rate_hz, 1) if rate_hz else 6.0))
        butter = ButterworthParams(float(cutoff), int(state.get(f"{key}.bw_order", 2)),
                                   int(state.get(f"{key}.bw_gap", butter.max_gap_frames)))
    return SmoothingSettings(method, one, butter)


def smoothing_sidebar(key: str) -> SmoothingSettings:
    """The "Smoothing" sidebar section for a page (call it outside fragments)."""
    return smoothing_controls(key)


@st.cache_resource(max_entries=16, show_spinner=False)
def _smoothed(cache_key: str, smoothing: SmoothingSettings, _sequence: PoseSequence) -> PoseSequence:
    """The smoothed sequence, once per analysis and smoothing choice; a read-only resource, so a
    visibility change (which only re-masks angles) neither re-smooths nor copies it."""
    return smoothing.apply(_sequence)


@st.cache_data(max_entries=16, show_spinner=False)
def _angles(cache_key: str, smoothing: SmoothingSettings, space: str, threshold: float,
            _sequence: PoseSequence, _smoothed: PoseSequence) -> tuple[AngleSeries, AngleSeries]:
    """(raw angles, smoothed angles), once per analysis and choice."""
    return compute_angles(_sequence, space, threshold), compute_angles(_smoothed, space, threshold)


def _derived(cache_key: str, smoothing: SmoothingSettings, space: str, threshold: float,
             sequence: PoseSequence) -> tuple[PoseSequence, AngleSeries, AngleSeries]:
    """(smoothed sequence, raw angles, smoothed angles)."""
    smoothed = _smoothed(cache_key, smoothing, sequence)
    return smoothed, *_angles(cache_key, smoothing, space, threshold, sequence, smoothed)


def angles_view(ctx: ResultContext) -> None:
    """The Angles tab: choices, the angle chart with the inspected frame marked, ranges, reps, jitter."""
    sequence = ctx.sequence
    if sequence.video.is_image or sequence.num_frames < 2:
        _photo_angles(ctx)
        return
    pick_col, space_col, smooth_col = st.columns([3, 1, 2])
    names = pick_col.multiselect("Angles", ANGLE_NAMES, ["left_knee", "right_knee"], key=f"{ctx.key}.angles",
                                 help="Joint angles are 180° when straight; trunk incline is 0° upright.")
    space = space_col.radio("From", ["world", "image"], key=f"{ctx.key}.angle_space", horizontal=True,
                            help="world: 3D landmarks (metres); image: the 2D picture plane.")
    with smooth_col.popover("Smoothing", width="stretch"):
        smoothing = smoothing_controls(f"{ctx.key}.motion", container=st, rate_hz=sequence.video.fps)
    try:
        smoothed, raw_angles, angles = _derived(_key(ctx), smoothing, space, ctx.display.visibility_threshold,
                                                sequence)
    except PoseLabError as error:
        st.error(str(error))
        return
    slot = _slot_choice(sequence, ctx.key)
    show_raw = st.toggle("Show raw beside smoothed", smoothing.method != "none", key=f"{ctx.key}.show_raw",
                         disabled=smoothing.method == "none")
    if sequence.num_frames > 1 and names:
        figure = angle_figure(angles, raw_angles if show_raw else None, names, slot, ctx.time_s)
        st.plotly_chart(figure, key=f"{ctx.key}.angle_chart", config={"displaylogo": False})
    table_col, frame_col = st.columns([3, 2], gap="medium")
    with table_col:
        st.markdown("**Range of motion**")
        st.dataframe(_ranges_table(angles, slot, ctx.frame_index), hide_index=True)
        _quality_line(sequence, smoothed, smoothing)
    with frame_col:
        if st.toggle("Label angles on the frame", False, key=f"{ctx.key}.labels"):
            _labelled_frame(ctx, smoothed, angles, names, slot)
    if sequence.num_frames > 1:
        reps_section(angles, slot, ctx.key)


def _photo_angles(ctx: ResultContext) -> None:
    """A photo has no time: its angles as they are, without smoothing, speed, ranges or reps."""
    space = st.radio("From", ["world", "image"], key=f"{ctx.key}.angle_space", horizontal=True,
                     help="world: 3D landmarks (metres); image: the 2D picture plane.")
    angles = compute_angles(ctx.sequence, space, ctx.display.visibility_threshold)
    slot = _slot_choice(ctx.sequence, ctx.key)
    st.dataframe(pd.DataFrame({"angle": list(angles.names), "angle_deg": angles.values_deg[0, slot].round(1)}),
                 hide_index=True)
    st.caption("Joint angles are 180° when straight; trunk incline is 0° upright. Blank: not measured.")


def angle_figure(angles: AngleSeries, raw: AngleSeries | None, names: list[str], slot: int,
                 marker_time_s: float | None) -> go.Figure:
    """Angles over time: smoothed as lines, raw dotted and faint, the inspected time as a vertical line."""
    figure = go.Figure()
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    for index, name in enumerate(names):
        colour = palette[index % len(palette)]
        if raw is not None:
            figure.add_scatter(x=raw.time_s, y=raw.of(name, slot), name=f"{name} (raw)", mode="lines",
                               line={"color": colour, "dash": "dot", "width": 1}, opacity=0.6)
        figure.add_scatter(x=angles.time_s, y=angles.of(name, slot), name=name, mode="lines",
                           line={"color": colour, "width": 2})
    if marker_time_s is not None:
        figure.add_vline(x=marker_time_s, line={"color": "grey", "dash": "dash"})
    figure.update_layout(height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10}, xaxis_title="time (s)",
                         yaxis_title="angle (°)", legend={"orientation": "h", "y": 1.12})
    return figure


def _ranges_table(angles: AngleSeries, slot: int, frame_index: int) -> pd.DataFrame:
    table = angle_ranges(angles, slot)
    velocity = angular_velocity_deg_s(angles.values_deg[:, slot, :], angles.time_s)
    table.insert(1, "now_deg", angles.values_deg[frame_index, slot, :].round(1))
    table.insert(2, "speed_deg_s", velocity[frame_index].round(0) if len(velocity) else np.nan)
    return table


def _quality_line(raw: PoseSequence, smoothed: PoseSequence, smoothing: SmoothingSettings) -> None:
    before = jitter_px(raw)
    if before is None:
        return
    text = f"Jitter (mean frame-to-frame acceleration): {before:.2f} px/frame² raw"
    after = jitter_px(smoothed)
    if smoothing.method != "none" and after is not None and before > 0:
        text += f", {after:.2f} smoothed ({100 * (1 - after / before):.0f} % less)"
    st.caption(text)


def _labelled_frame(ctx: ResultContext, smoothed: PoseSequence, angles: AngleSeries, names: list[str],
                    slot: int) -> None:
    image_rgb = overlay_image(ctx.analysis, ctx.frame_index, ctx.display)
    if image_rgb is None:
        st.info("The source clip is not stored, so the frame cannot be shown.")
        return
    scale = image_rgb.shape[1] / max(ctx.sequence.video.width, 1)
    labelled = draw_angle_labels(image_rgb, smoothed.image_xy_px[ctx.frame_index, slot] * scale,
                                 angles.values_deg[ctx.frame_index, slot], angles.names, names)
    height, width = labelled.shape[:2]
    st.image(labelled, width=display_width_px(width, height) or "stretch")


def draw_angle_labels(image_rgb: np.ndarray, points_px: np.ndarray, values_deg: np.ndarray,
                      all_names: tuple[str, ...], names: list[str]) -> np.ndarray:
    """A copy of the frame with each chosen angle's value written at its vertex (skipped when unknown)."""
    out = image_rgb.copy()
    size = max(0.4, out.shape[1] / 900)
    for name in names:
        value = values_deg[all_names.index(name)]
        angle = ANGLE_BY_NAME[name]
        vertex = angle.points[1] if angle.kind == "joint" else angle.points[0]
        where = points_px[[LANDMARK_INDEX[n] for n in vertex]].mean(axis=0)
        if np.isnan(value) or np.isnan(where).any():
            continue
        origin = (int(where[0]) + 8, int(where[1]) - 8)
        for colour, thickness in (((0, 0, 0), 4), ((255, 255, 255), 1)):  # outlined: readable on any background
            cv2.putText(out, f"{value:.0f}", origin, cv2.FONT_HERSHEY_SIMPLEX, size, colour,
                        max(1, round(thickness * size)), cv2.LINE_AA)
    return out


def reps_section(angles: AngleSeries, slot: int, key: str) -> None:
    """Rep counting on one angle with two thresholds; the reps as a table."""
    st.markdown("**Repetitions**")
    angle_col, low_col, high_col = st.columns([2, 1, 1])
    name = angle_col.selectbox("Angle", ANGLE_NAMES, index=0, key=f"{key}.rep_angle")
    low = low_col.number_input("Low (°)", 0.0, 180.0, 100.0, 5.0, key=f"{key}.rep_low",
                               help="A rep starts when the angle drops below this...")
    high = high_col.number_input("High (°)", 0.0, 180.0, 150.0, 5.0, key=f"{key}.rep_high",
                                 help="...and ends when it comes back above this.")
    if low >= high:
        st.warning("The low threshold must be below the high one.")
        return
    reps = count_reps(angles.time_s, angles.of(name, slot), float(low), float(high))
    st.metric("Reps", len(reps))
    if reps:
        st.dataframe(reps_table(reps), hide_index=True, column_config=REPS_FORMAT)


REPS_FORMAT = {
    **{c: st.column_config.NumberColumn(format="%.2f") for c in ("start_s", "end_s", "duration_s")},
    **{c: st.column_config.NumberColumn(format="%.1f") for c in ("min_deg", "max_deg")},
}


def reps_table(reps: list[Rep]) -> pd.DataFrame:
    """Times to the hundredth of a second and angles to a tenth of a degree: what a frame can resolve."""
    table = pd.DataFrame([{"rep": i + 1, **rep.to_dict()} for i, rep in enumerate(reps)])
    return table.round({"start_s": 2, "end_s": 2, "duration_s": 2, "min_deg": 1, "max_deg": 1})


def _slot_choice(sequence: PoseSequence, key: str) -> int:
    seen = np.flatnonzero(sequence.detected().any(axis=0))
    if len(seen) <= 1:
        return int(seen[0]) if len(seen) else 0
    return int(st.selectbox("Person", seen.tolist(), key=f"{key}.angle_slot", format_func=lambda s: f"person {s}"))


def _key(ctx: ResultContext) -> str:
    analysis = ctx.analysis
    return f"{analysis.folder}|{analysis.content_hash}|{analysis.created_s}|{ctx.sequence.num_frames}"


class LiveReps:
    """A rep counter fed from the live rolling history: only frames newer than the last one seen count."""

    def __init__(self, name: str, low_deg: float, high_deg: float) -> None:
        self.name = name
        self.counter = RepCounter(low_deg, high_deg)
        self.last_time_s = -np.inf

    def feed(self, history: PoseSequence, slot: int = 0) -> None:
        fresh = history.time_s > self.last_time_s
        if not fresh.any() or history.num_slots <= slot:
            return
        recent = history.slice_frames(int(np.argmax(fresh)), history.num_frames)
        values = compute_angles(recent, angles=(ANGLE_BY_NAME[self.name],)).of(self.name, slot)
        for time_s, value in zip(recent.time_s, values, strict=True):
            self.counter.update(float(time_s), float(value))
        self.last_time_s = float(history.time_s[-1])


def live_reps_panel(history: PoseSequence | None, key: str) -> None:
    """Rep counter for the Live page: call it in the page's refreshing fragment with the rolling history."""
    angle_col, low_col, high_col, count_col = st.columns([2, 1, 1, 1])
    name = angle_col.selectbox("Rep angle", ANGLE_NAMES, key=f"{key}.live_rep_angle")
    low = low_col.number_input("Low (°)", 0.0, 180.0, 100.0, 5.0, key=f"{key}.live_rep_low")
    high = high_col.number_input("High (°)", 0.0, 180.0, 150.0, 5.0, key=f"{key}.live_rep_high")
    state_key = f"{key}.live_reps"
    current = st.session_state.get(state_key)
    if current is None or (current.name, current.counter.low_deg, current.counter.high_deg) != (name, low, high):
        if low >= high:
            st.warning("The low threshold must be below the high one.")
            return
        current = st.session_state[state_key] = LiveReps(name, float(low), float(high))
    if history is not None:
        current.feed(history)
    count_col.metric("Reps", current.counter.count, help=f"phase: {current.counter.phase}")
