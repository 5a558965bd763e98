"""The Ergonomics result tab: RULA / REBA over time, the inspected frame's breakdown, worst moments, inputs and
the downloadable report (issue 15). Everything reads the stored sequence: changing an input re-scores in
milliseconds and never runs the model; only a new calibration frame measures the angles again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components.analyze_views import INSPECT_MAX_SIDE_PX, display_frame, display_width_px
from components.result_context import go_to_frame
from poselab.assess import ErgoInputs, ErgoResult, assess, rescore
from poselab.assess.ergo_angles import SIDES
from poselab.assess.ergo_draw import ergo_frame
from poselab.assess.ergo_report import LEVEL_NAME, LEVEL_RGB, UNSCORED_RGB, report_html
from poselab.assess.ergo_summary import LEVEL_KEY, LEVEL_TEXT, level_shares, worst_moments
from poselab.assess.ergo_tables import COUPLINGS, LOAD_PATTERNS
from poselab.assess.ergonomics import latest_rula
from poselab.assess.reba import REBA_COLUMNS
from poselab.assess.rula import RULA_COLUMNS
from poselab.errors import PoseLabError
from poselab.sequence import PoseSequence

if TYPE_CHECKING:
    from components.result_context import ResultContext

METHOD_LABEL = {"rula": "RULA", "reba": "REBA"}


@st.cache_resource(max_entries=8, show_spinner=False)
def _measured(cache_key: str, calibrate_frame: int | None, _sequence: PoseSequence) -> ErgoResult:
    """Angles (and default scores) once per analysis and calibration frame; inputs only re-score."""
    return assess(_sequence, ErgoInputs(calibrate_frame=calibrate_frame))


@st.cache_resource(max_entries=16, show_spinner=False)
def _rescored(cache_key: str, inputs: ErgoInputs, _base: ErgoResult) -> ErgoResult:
    """Scores per input set, so moving the frame slider re-scores nothing."""
    return rescore(_base, inputs)


def _cache_key(ctx: ResultContext) -> str:
    analysis = ctx.analysis
    return f"{analysis.folder}|{analysis.content_hash}|{analysis.settings.key()}|{analysis.created_s}"


def ergonomics_view(ctx: ResultContext) -> None:
    """Draws the tab for the inspected frame ``ctx.frame_index``."""
    method, inputs = _inputs(ctx)
    try:
        key = _cache_key(ctx)
        result = _rescored(f"{key}|{inputs.calibrate_frame}", inputs, _measured(key, inputs.calibrate_frame,
                                                                                  ctx.sequence))
    except PoseLabError as error:
        st.error(str(error))
        return
    if result.angles.calibration is None:
        st.info("Camera assumed level: no calibration frame is set. A tilted camera biases trunk and arm angles, "
                "and raised shoulders are not assessed.")
    people = level_shares(result, method)
    if not people:
        st.warning("Nobody was detected in this clip: nothing to score.")
        return
    st.plotly_chart(_timeline(result, method, ctx.time_s), key=f"{ctx.key}.ergo_timeline",
                    config={"displaylogo": False})
    _frame_breakdown(ctx, result, method)
    _shares(method, people)
    _worst(ctx, result, method)
    _report_button(ctx, result)


def _inputs(ctx: ResultContext) -> tuple[str, ErgoInputs]:
    key = f"{ctx.key}.ergo"
    with st.expander("Inputs the camera cannot see, and calibration", expanded=True):
        top = st.columns(4)
        method = top[0].radio("Method", ("rula", "reba"), format_func=METHOD_LABEL.get, horizontal=True,
                              key=f"{key}.method")
        load_kg = top[1].number_input("Load (kg)", 0.0, 500.0, 0.0, 0.5, key=f"{key}.load",
                                      help="Weight handled. RULA: 2 / 10 kg steps; REBA: 5 / 10 kg steps.")
        pattern = top[2].selectbox("Load pattern", LOAD_PATTERNS, key=f"{key}.pattern",
                                   help="static also covers repeated; shock: sudden or rapid build-up of force")
        coupling = top[3].selectbox("Coupling (REBA)", COUPLINGS, key=f"{key}.coupling")
        row = st.columns(5)
        twist = row[0].radio("Wrist twist (RULA)", (1, 2), horizontal=True, key=f"{key}.twist",
                             help="1: mainly mid-range; 2: at or near the end of range")
        supported = row[1].checkbox("Arm supported / leaning", key=f"{key}.supported")
        deviated = row[2].checkbox("Wrist deviated", key=f"{key}.deviated")
        muscle = row[3].checkbox("Muscle use (force on)", key=f"{key}.muscle",
                                 help="Otherwise measured: a posture held 60 s, or repeated 4 times a minute")
        unstable = row[4].checkbox("Unstable base (REBA)", key=f"{key}.unstable")
        calibrate = _calibration(ctx, key)
    inputs = ErgoInputs(load_kg=float(load_kg), load_pattern=pattern, coupling=coupling, arm_supported=supported,
                        wrist_twist=int(twist), wrist_deviated=deviated, muscle_use=muscle, unstable=unstable,
                        calibrate_frame=calibrate)
    defaults = [name for name, item in inputs.described().items() if item["source"] == "default"]
    st.caption("Defaults in use (flagged in the report): " + (", ".join(defaults) or "none"))
    return method, inputs


def _calibration(ctx: ResultContext, key: str) -> int | None:
    state = f"{key}.calibrate_frame"
    left, right = st.columns([3, 2])
    current = st.session_state.get(state)
    buttons = right.columns(2)
    if buttons[0].button("Calibrate on this frame", key=f"{key}.calibrate",
                         help="Pick a frame where the person stands upright and looks ahead: it sets the "
                              "vertical and the neck offset"):
        st.session_state[state] = ctx.frame_index
        current = ctx.frame_index
    if buttons[1].button("Clear", key=f"{key}.uncalibrate", disabled=current is None):
        st.session_state[state] = None
        current = None
    left.markdown(f"**Calibration:** frame {current + 1}" if current is not None else
                  "**Calibration:** none (camera assumed level)")
    return current


def _person_levels(result: ErgoResult, method: str, slot: int) -> np.ndarray:
    values = result.scores(method)[LEVEL_KEY[method]][:, slot]
    with np.errstate(invalid="ignore"):
        return np.fmax(values[:, 0], values[:, 1])


def _timeline(result: ErgoResult, method: str, marker_time_s: float) -> go.Figure:
    """Score (worse side) over time as bars coloured by level, one row per person; the inspected time marked."""
    figure = go.Figure()
    time_s = result.sequence.time_s
    width_s = float(np.median(np.diff(time_s))) if len(time_s) > 1 else 1.0
    scores = result.person_score(method)
    for slot in np.nonzero(result.sequence.detected().any(axis=0))[0]:
        levels = _person_levels(result, method, slot)
        colours = [LEVEL_RGB[method][int(v)] if np.isfinite(v) else UNSCORED_RGB for v in levels]
        figure.add_bar(x=time_s, y=np.nan_to_num(scores[:, slot], nan=0.3), width=width_s, marker_color=colours,
                       marker_line_width=0, name=f"person {slot}",
                       hovertemplate="t = %{x:.2f} s<br>score %{y}<extra>person " + str(slot) + "</extra>")
    figure.add_vline(x=marker_time_s, line_color="#222", line_width=2)
    figure.update_layout(height=230, margin={"l": 40, "r": 10, "t": 30, "b": 35}, bargap=0, barmode="group",
                         title=f"{METHOD_LABEL[method]} score over time (colour: {LEVEL_NAME[method]})",
                         xaxis_title="time (s)", yaxis_title="score", showlegend=False)
    return figure


def _frame_breakdown(ctx: ResultContext, result: ErgoResult, method: str) -> None:
    index = ctx.frame_index
    seen = np.nonzero(ctx.sequence.detected()[index])[0]
    if not len(seen):
        st.info("Nobody is detected in the inspected frame.")
        return
    slot = int(seen[0]) if len(seen) == 1 else int(st.selectbox("Person", seen, key=f"{ctx.key}.ergo_person"))
    image_col, table_col = st.columns([3, 2], gap="medium")
    source = ctx.analysis.source_path
    with image_col:
        if source is None:
            st.warning("The source clip is not stored, so the frame cannot be shown.")
        else:
            image = display_frame(str(source), ctx.time_s, INSPECT_MAX_SIDE_PX)
            drawn = ergo_frame(image, result, index, slot, ctx.display.visibility_threshold)
            st.image(drawn, caption=f"frame {index + 1}: measured angles (degrees)",
                     width=display_width_px(drawn.shape[1], drawn.shape[0]) or "stretch")
    with table_col:
        columns = RULA_COLUMNS if method == "rula" else REBA_COLUMNS
        scores = result.scores(method)
        table = pd.DataFrame({side: [_cell(scores[name][index, slot, s]) for name in columns]
                              for s, side in enumerate(SIDES)}, index=list(columns))
        cells = st.columns(2)
        for s, side in enumerate(SIDES):
            level = _cell(scores[LEVEL_KEY[method]][index, slot, s])
            cells[s].metric(f"{METHOD_LABEL[method]} {side}", _cell(scores["score"][index, slot, s]),
                            help=f"{LEVEL_NAME[method]} {level}" if level != "–" else "not scored: a joint is unseen")
        st.markdown(f"**{METHOD_LABEL[method]} breakdown, frame {index + 1}, person {slot}**")
        st.dataframe(table, width="stretch", height=min(600, 36 * (len(columns) + 1)))
        angles = pd.DataFrame({side: [_cell(result.angles[name][index, slot, s], 1) for name in result.angles.values
                                      if name.endswith("_deg")] for s, side in enumerate(SIDES)},
                              index=[n.removesuffix("_deg") for n in result.angles.values if n.endswith("_deg")])
        with st.expander("Measured angles (degrees)"):
            st.dataframe(angles, width="stretch")


def _cell(value: float, digits: int = 0) -> str:
    if not np.isfinite(value):
        return "–"
    return f"{value:.{digits}f}" if digits else str(int(value))


def _shares(method: str, people: dict) -> None:
    st.markdown(f"**Share of time per {LEVEL_NAME[method]}** (worse side per frame)")
    rows = {f"person {p}": {f"{level} {text}": f"{100 * facts['share_by_level'][str(level)]:.0f} %"
                            for level, text in LEVEL_TEXT[method].items()}
            | {"not scored": f"{100 * facts['unscored_share']:.0f} %"} for p, facts in people.items()}
    st.dataframe(pd.DataFrame(rows).T, width="stretch")



def _worst(ctx: ResultContext, result: ErgoResult, method: str) -> None:
    moments = worst_moments(result, method)
    if not moments:
        return
    st.markdown("**Worst moments** (click to inspect)")
    source = ctx.analysis.source_path
    for column, moment in zip(st.columns(len(moments)), moments, strict=True):
        with column:
            if source is not None:
                image = display_frame(str(source), moment["time_s"], 320)
                st.image(ergo_frame(image, result, moment["frame"], moment["person"]), width="stretch")
            level = moment["breakdown"][LEVEL_KEY[method]]
            # frame and person: two people's worst moments may share a frame (every one does in a photo)
            st.button(f"t = {moment['time_s']:.2f} s · score {moment['breakdown']['score']} · level {level}",
                      key=f"{ctx.key}.ergo_jump.{moment['frame']}.{moment['person']}", on_click=go_to_frame,
                      args=(ctx.key, moment["frame"]), width="stretch")


def _report_button(ctx: ResultContext, result: ErgoResult) -> None:
    """Prepared on request (it reads the worst frames from the clip), for the inputs in use at that moment."""
    state = f"{ctx.key}.ergo_report"
    if st.button("Prepare the HTML report", key=f"{ctx.key}.ergo_prepare"):
        from poselab.assess.ergo_output import worst_frames

        frames = {}
        source = ctx.analysis.source_path
        if source is not None:
            frames = {f: display_frame(str(source), float(ctx.sequence.time_s[f]), INSPECT_MAX_SIDE_PX)
                      for f in worst_frames(result, ("rula", "reba"))}
        st.session_state[state] = (result.inputs, report_html(result, ("rula", "reba"), frames, ctx.analysis.name))
    prepared = st.session_state.get(state)
    if prepared is not None and prepared[0] == result.inputs:
        st.download_button("Download the report (HTML)", prepared[1], file_name="ergonomics_report.html",
                           mime="text/html", key=f"{ctx.key}.ergo_download")
    elif prepared is not None:
        st.caption("The inputs changed since the report was prepared: prepare it again.")


def live_rula_panel(history: PoseSequence | None) -> None:
    """The Live page's current RULA score and action level (newest frame, person 0, default inputs); called in
    one of the page's refreshing fragments with the rolling history."""
    score, level = latest_rula(history) if history is not None else (float("nan"), float("nan"))
    cells = st.columns([1, 1, 3])
    cells[0].metric("RULA now", _cell(score), help="Worse side of the newest frame; default inputs, no load")
    cells[1].metric("Action level", _cell(level))
    if np.isfinite(level):
        cells[2].caption(f"Level {int(level)}: {LEVEL_TEXT['rula'][int(level)]}. The camera is assumed level; "
                         "analyse a recording for the full assessment.")
