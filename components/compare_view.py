"""The Compare page: pick two saved analyses (before / after), watch them side by side, overlay a joint
angle with a time offset (by hand or by dynamic time warping), and read a table of what changed."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.library_store import open_library
from components.library_view import entry_label
from poselab.analysis import Analysis
from poselab.compare import align_dtw, common_signals, differences, overlay_figure, signals, warp_onto_a
from poselab.errors import PoseLabError
from poselab.library import Entry, Library

_OFFSET = "compare.offset"
_WARP = "compare.warp"
DEFAULT_SIGNALS = ("left_knee_deg", "right_knee_deg", "left_hip_deg", "left_elbow_deg")


def compare_page() -> None:
    st.title("⚖️ Compare")
    opened = open_library()
    if opened is None:
        return
    library, entries = opened
    if len(entries) < 2:
        st.info("Compare needs two saved analyses: analyse two clips on the Analyze page (both are saved to "
                "the Library), then come back.")
        return
    by_id = {e.id: e for e in entries}
    ids = list(by_id)
    left, right = st.columns(2)
    a_id = left.selectbox("A (before)", ids, index=1, format_func=lambda i: entry_label(by_id[i]), key="compare.a")
    b_id = right.selectbox("B (after)", ids, index=0, format_func=lambda i: entry_label(by_id[i]), key="compare.b")
    if a_id == b_id:
        st.warning("A and B are the same analysis: pick two different ones.")
    try:
        a, b = _load(library, a_id), _load(library, b_id)
        _videos(by_id[a_id], a, by_id[b_id], b, left, right)
        _curves(by_id[a_id], a, by_id[b_id], b)
    except PoseLabError as error:
        st.error(str(error))


def _load(library: Library, entry_id: str) -> Analysis:
    cache: dict[str, Analysis] = st.session_state.setdefault("compare.loaded", {})
    if entry_id not in cache:
        if len(cache) >= 4:
            cache.pop(next(iter(cache)))
        cache[entry_id] = library.load(entry_id)
    return cache[entry_id]


def _videos(entry_a: Entry, a: Analysis, entry_b: Entry, b: Analysis, left: DeltaGenerator,
            right: DeltaGenerator) -> None:
    for column, entry, analysis in ((left, entry_a, a), (right, entry_b, b)):
        with column:
            video = analysis.annotated_path or analysis.source_path
            if video is not None and not analysis.sequence.video.is_image:
                st.video(str(video))
            else:
                st.info("No video stored for this analysis.")
            facts = analysis.summary()
            st.caption(f"{entry.source_name} · {facts['frames']} frames · {facts['duration_s']:.1f} s · "
                       f"{entry.settings.get('model', '?')} model")


def _curves(entry_a: Entry, a: Analysis, entry_b: Entry, b: Analysis) -> None:
    table_a, table_b = signals(a.sequence), signals(b.sequence)
    names = common_signals(table_a, table_b)
    if not names:
        st.warning("These two analyses have no angle measured in both: nobody was found in one of them.")
        return
    default = next((n for n in DEFAULT_SIGNALS if n in names), names[0])
    st.subheader("Curves")
    name = st.selectbox("Angle", names, index=names.index(default), key="compare.signal",
                        format_func=lambda n: n.removesuffix("_deg").replace("_", " ") + (" (deg)" if
                                                                                          n.endswith("_deg") else ""))
    span_s = max(a.sequence.video.duration_s, b.sequence.video.duration_s, 1.0)
    limit_s = float(math.ceil(span_s))
    # The value lives in session state only (the DTW button sets it), so the slider gets no default of its own.
    if abs(st.session_state.get(_OFFSET, 0.0)) > limit_s:
        st.session_state[_OFFSET] = 0.0
    st.session_state.setdefault(_OFFSET, 0.0)
    slider_col, button_col = st.columns([4, 1])
    offset_s = slider_col.slider("Offset of B (s)", -limit_s, limit_s, step=0.01, key=_OFFSET,
                                 help="Shifts B's curve in time; positive = later.")
    button_col.button("Align automatically (DTW)", key="compare.dtw", on_click=_align,
                      args=(table_a, table_b, name, (entry_a.id, entry_b.id, name)),
                      help="Dynamic time warping on the chosen angle finds the offset that best matches the "
                           "curves, and draws B warped onto A's clock (dotted).")
    warp = st.session_state.get(_WARP)
    warped = warp[1] if warp and warp[0] == (entry_a.id, entry_b.id, name) else None
    if warped is not None:
        st.caption(f"DTW: best constant offset {warp[2]:+.2f} s; dotted = B warped onto A's clock.")
    figure = overlay_figure(table_a, table_b, name, offset_s, warped, labels=(f"A: {entry_a.name}",
                                                                              f"B: {entry_b.name}"))
    st.plotly_chart(figure, key="compare.chart", config={"displaylogo": False})
    st.subheader("Differences")
    st.table(_format(differences(table_a, table_b, [name])))
    with st.expander("Every angle"):
        st.dataframe(_format(differences(table_a, table_b, names)), hide_index=True, width="stretch")


def _align(table_a: pd.DataFrame, table_b: pd.DataFrame, name: str, key: tuple[str, str, str]) -> None:
    """Button callback: runs before the page, so it may set the slider's value."""
    try:
        alignment = align_dtw(table_a.index.to_numpy(float), table_a[name].to_numpy(float),
                              table_b.index.to_numpy(float), table_b[name].to_numpy(float))
    except PoseLabError as error:
        st.session_state[_WARP] = None
        st.toast(str(error), icon="⚠️")
        return
    warped = warp_onto_a(alignment, table_b.index.to_numpy(float), table_b[name].to_numpy(float))
    st.session_state[_WARP] = (key, warped, alignment.offset_s)
    st.session_state[_OFFSET] = round(alignment.offset_s, 2)


def _format(table: pd.DataFrame) -> pd.DataFrame:
    shown = table.copy()
    for column in ("A", "B", "B - A"):
        shown[column] = [("–" if pd.isna(v) else f"{v:+.1f}" if column == "B - A" else f"{v:.1f}")
                         for v in shown[column]]
    return shown.set_index(["signal", "metric"]) if shown["signal"].nunique() > 1 else shown.set_index("metric")
