"""The Compare page: pick two saved analyses (before / after), watch them side by side, overlay a joint
angle with a time offset (by hand or by dynamic time warping), and read a table of what changed."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from components.library_store import open_library
from components.library_view import differing_settings, entry_label
from poselab.errors import PoseLabError
from poselab.motion.angles import compute_angles
from poselab.motion.compare import align_dtw, common_signals, differences, overlay_figure, signals, warp_onto_a
from poselab.store.analysis import Analysis
from poselab.store.library import Entry, Library

_OFFSET = "compare.offset"
_WARP = "compare.warp"
DEFAULT_SIGNALS = ("left_knee_deg", "right_knee_deg", "left_hip_deg", "left_elbow_deg")


def compare_page() -> None:
    st.title(":material/compare: Compare")
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
    differs = differing_settings(entries)
    a_index, b_index = _default_pair(entries)
    left, right = st.columns(2)
    a_id = left.selectbox("A (before)", ids, index=a_index, key="compare.a",
                          format_func=lambda i: entry_label(by_id[i], differs.get(i, "")))
    b_id = right.selectbox("B (after)", ids, index=b_index, key="compare.b",
                           format_func=lambda i: entry_label(by_id[i], differs.get(i, "")))
    if a_id == b_id:
        st.warning("A and B are the same analysis: pick two different ones.")
    try:
        a, b = _load(library, a_id), _load(library, b_id)
        _videos(by_id[a_id], a, by_id[b_id], b)
        _curves(by_id[a_id], a, by_id[b_id], b)
    except PoseLabError as error:
        st.error(str(error))


def _default_pair(entries: list[Entry]) -> tuple[int, int]:
    """(A, B) positions to open with: the two newest clips (curves need time), else the two newest entries."""
    clips = [i for i, e in enumerate(entries) if (e.summary.get("frames") or 0) > 1]
    return (clips[1], clips[0]) if len(clips) >= 2 else (1, 0)


def _load(library: Library, entry_id: str) -> Analysis:
    cache: dict[str, Analysis] = st.session_state.setdefault("compare.loaded", {})
    if entry_id not in cache:
        if len(cache) >= 4:
            cache.pop(next(iter(cache)))
        cache[entry_id] = library.load(entry_id)
    return cache[entry_id]


def _videos(entry_a: Entry, a: Analysis, entry_b: Entry, b: Analysis) -> None:
    # Keyed container: the sync script finds exactly these two videos by the class Streamlit gives it.
    shown = 0
    with st.container(key="compare-videos"):
        for column, entry, analysis in zip(st.columns(2), (entry_a, entry_b), (a, b), strict=True):
            with column:
                video = analysis.annotated_path or analysis.source_path
                if video is not None and not analysis.sequence.video.is_image:
                    st.video(str(video), muted=True)
                    shown += 1
                else:
                    st.info("A photo: no video to play.")
                facts = analysis.summary()
                st.caption(f"{entry.source_name} · {facts['frames']} frames · {facts['duration_s']:.1f} s · "
                           f"{entry.settings.get('model', '?')} model")
    if shown == 2:
        st.caption("Play, pause or seek either video: the other follows, shifted by the offset of B below.")
        st.html(SYNC_SCRIPT.replace("__OFFSET__", repr(float(st.session_state.get(_OFFSET, 0.0)))),
                unsafe_allow_javascript=True)


# Links the two videos of the "compare-videos" container: play, pause, seek and rate follow, with B's clock
# shifted by the offset (B's event at t shows at t + offset on A's clock). Streamlit replaces video elements
# across reruns, so a timer (one per browser tab) relinks whatever pair is on the page; it also corrects drift.
SYNC_SCRIPT = """<script>
window.poselabCompareOffset = __OFFSET__;
if (!window.poselabCompareTimer) {
  const pair = () => Array.from(document.querySelectorAll('.st-key-compare-videos video'));
  const target = (from, videos) => from === videos[0]
    ? from.currentTime - window.poselabCompareOffset : from.currentTime + window.poselabCompareOffset;
  const follow = (from) => {
    const videos = pair();
    if (videos.length !== 2 || !videos.includes(from)) return;
    const other = videos[0] === from ? videos[1] : videos[0];
    const time = Math.max(0, target(from, videos));
    if (Math.abs(other.currentTime - time) > 0.25) other.currentTime = time;
    if (other.playbackRate !== from.playbackRate) other.playbackRate = from.playbackRate;
    if (!from.paused && other.paused) other.play().catch(() => {});
    if (from.paused && !other.paused) other.pause();
  };
  window.poselabCompareTimer = setInterval(() => {
    const videos = pair();
    for (const video of videos) {
      if (video.poselabLinked) continue;
      video.poselabLinked = true;
      for (const event of ['play', 'pause', 'seeked', 'ratechange']) {
        video.addEventListener(event, () => follow(video));
      }
    }
    if (videos.length === 2 && !videos[0].paused) follow(videos[0]);
  }, 300);
}
</script>"""


def _curves(entry_a: Entry, a: Analysis, entry_b: Entry, b: Analysis) -> None:
    stills = [label for label, analysis in (("A", a), ("B", b)) if analysis.sequence.num_frames < 2]
    if stills:
        _still_angles(a, b, " and ".join(stills))
        return
    table_a, table_b = signals(a.sequence), signals(b.sequence)
    names = common_signals(table_a, table_b)
    if not names:
        empty = [label for label, table in (("A", table_a), ("B", table_b)) if not table.count().sum()]
        who = " and ".join(empty) if empty else "one of them"
        st.warning(f"These two analyses have no angle measured in both: nobody was found in {who}.")
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
        # signal and metric as columns: a hidden index would hide which row is which
        st.dataframe(_format(differences(table_a, table_b, names)).reset_index(), hide_index=True, width="stretch")


def _still_angles(a: Analysis, b: Analysis, stills: str) -> None:
    """A photo has no curve: its angles beside the other analysis's (a value, or a clip's min..max)."""
    st.info(f"{stills} {'is a photo' if len(stills) == 1 else 'are photos'}: there are no curves to align. "
            "The angles of both:")
    rows = {}
    for label, analysis in (("A", a), ("B", b)):
        series = compute_angles(analysis.sequence)
        values = series.values_deg[:, 0, :] if series.values_deg.shape[1] else np.full((1, len(series.names)), np.nan)
        for column, name in enumerate(series.names):
            finite = values[:, column][np.isfinite(values[:, column])]
            text = "–" if not finite.size else f"{finite[0]:.1f}" if len(values) == 1 else \
                f"{finite.min():.1f} – {finite.max():.1f}"
            rows.setdefault(name.replace("_", " ") + " (deg)", {})[label] = text
    st.dataframe(pd.DataFrame(rows).T.rename_axis("angle").reset_index(), hide_index=True, width="stretch")


def _align(table_a: pd.DataFrame, table_b: pd.DataFrame, name: str, key: tuple[str, str, str]) -> None:
    """Button callback: runs before the page, so it may set the slider's value."""
    try:
        alignment = align_dtw(table_a.index.to_numpy(float), table_a[name].to_numpy(float),
                              table_b.index.to_numpy(float), table_b[name].to_numpy(float))
    except PoseLabError as error:
        st.session_state[_WARP] = None
        st.toast(str(error), icon=":material/warning:")
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
