"""The Library page: a searchable table of saved analyses; open one, rename it, add notes, download, delete."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.classes_editor import classes_editor
from components.library_store import open_library
from components.settings import DisplaySettings
from poselab.errors import PoseLabError
from poselab.store.analysis import Analysis
from poselab.store.library import Entry, Library

SORTS = {
    "Newest first": (lambda e: -e.created_s),
    "Oldest first": (lambda e: e.created_s),
    "Name (A-Z)": (lambda e: e.name.lower()),
    "Longest clip": (lambda e: -(e.summary.get("duration_s") or 0.0)),
}
_OPEN = "library.open"
_CHOSEN = "library.chosen"
_CONFIRM = "library.confirm_delete"
_LOADED = "library.loaded"
_LINK_FOLLOWED = "library.link_followed"
OPEN_PARAM = "open"  # /library?open=<analysis id> opens that analysis

SETTING_LABELS = {  # analysis.json settings -> the short words the labels use
    "model": "model", "num_poses": "people", "min_detection_confidence": "detection",
    "min_presence_confidence": "presence", "min_tracking_confidence": "tracking", "segmentation": "mask",
}


def differing_settings(entries: list[Entry]) -> dict[str, str]:
    """Per entry id, the settings in which it differs from other analyses of the same clip ("" if none), so
    three runs of one clip can be told apart: ``people 2 · detection 0.8``."""
    by_clip: dict[str, list[Entry]] = {}
    for entry in entries:
        by_clip.setdefault(entry.content_hash or entry.id, []).append(entry)
    texts = {}
    for group in by_clip.values():
        varying = [k for k in SETTING_LABELS if len({str(e.settings.get(k)) for e in group}) > 1]
        for entry in group:
            texts[entry.id] = " · ".join(f"{SETTING_LABELS[k]} {_setting(entry.settings.get(k))}" for k in varying)
    return texts


def _setting(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


def entry_label(entry: Entry, differs: str = "") -> str:
    parts = [entry.name, differs, entry.created.replace("T", " "), entry.id[:6]]
    return " · ".join(part for part in parts if part)


def library_table(entries: list[Entry]) -> pd.DataFrame:
    """What the table shows: one row per analysis, units in the headers, the settings that tell runs apart."""
    differs = differing_settings(entries)
    return pd.DataFrame([{
        "name": e.name, "created": e.created.replace("T", " "), "clip": e.source_name,
        "differs by": differs.get(e.id, ""),
        "frames": e.summary.get("frames"), "duration (s)": e.summary.get("duration_s"),
        "model": e.settings.get("model"), "people": e.settings.get("num_poses"),
        "thresholds (det / pres / track)": " / ".join(_setting(e.settings.get(k)) for k in (
            "min_detection_confidence", "min_presence_confidence", "min_tracking_confidence")),
        "detected (%)": round(100 * (e.summary.get("detection_rate") or 0)),
        "tags": ", ".join(e.tags), "notes": e.notes, "id": e.id,
    } for e in entries])


def library_page() -> None:
    st.title(":material/video_library: Library")
    opened = open_library()
    if opened is None:
        return
    library, everything = opened
    if not everything:
        st.info("No saved analyses yet. Every clip you analyse on the Analyze page is saved here, and so is "
                "`python -m poselab analyze CLIP --out DIR --save`.")
        return
    search_col, sort_col = st.columns([3, 1])
    search = search_col.text_input("Search", placeholder="name, clip, notes or tags", key="library.search")
    order = sort_col.selectbox("Sort", list(SORTS), key="library.sort")
    entries = sorted(library.list(search), key=SORTS[order])
    st.caption(f"{len(entries)} of {len(everything)} analyses · click a column header to sort the table")
    if not entries:
        st.info("Nothing matches this search.")
        return
    st.dataframe(library_table(entries), hide_index=True, width="stretch")
    ids = [e.id for e in entries]
    by_id = {e.id: e for e in entries}
    _follow_link(ids)
    # Kept by id, not by widget key: renaming changes the labels, and with them the widget's identity.
    wanted = st.session_state.get(_CHOSEN)
    differs = differing_settings(everything)
    chosen = st.selectbox("Analysis", ids, index=ids.index(wanted) if wanted in ids else 0,
                          format_func=lambda i: entry_label(by_id[i], differs.get(i, "")))
    st.session_state[_CHOSEN] = chosen
    try:
        _manage(library, by_id[chosen])
    except PoseLabError as error:
        st.error(str(error))


def _follow_link(ids: list[str]) -> None:
    """``/library?open=<id>`` (the Batch page's links): choose and open that analysis, once per link, so the
    user can pick another one afterwards while the address still holds the parameter."""
    wanted = st.query_params.get(OPEN_PARAM, "")
    if not wanted or st.session_state.get(_LINK_FOLLOWED) == wanted:
        return
    st.session_state[_LINK_FOLLOWED] = wanted
    if wanted in ids:
        st.session_state[_CHOSEN] = st.session_state[_OPEN] = wanted
    else:
        st.warning("The analysis this link points to is not in the library (deleted, or hidden by the search).")


def _manage(library: Library, entry: Entry) -> None:
    open_col, delete_col = st.columns([4, 1])
    if open_col.button("Open results", type="primary", key="library.open_button",
                       help="Show the Analyze views of this analysis (no model run)"):
        st.session_state[_OPEN] = entry.id
    _delete(library, entry, delete_col)
    edit_tab, download_tab, classes_tab = st.tabs(
        [":material/edit: Name, notes and tags", ":material/download: Downloads", ":material/label: Classes"])
    with edit_tab:
        _edit(library, entry)
    with download_tab:
        _downloads(library, entry)
    with classes_tab:
        classes_editor(library, entry)
    if st.session_state.get(_OPEN) == entry.id:
        _show(library, entry)


def _edit(library: Library, entry: Entry) -> None:
    with st.form(f"library.edit.{entry.id}"):
        name = st.text_input("Name", value=entry.name)
        tags = st.text_input("Tags (comma-separated)", value=", ".join(entry.tags))
        notes = st.text_area("Notes", value=entry.notes, placeholder="e.g. week 3, left knee still hurts")
        if st.form_submit_button("Save changes"):
            if name.strip() != entry.name:
                library.rename(entry.id, name)
            library.set_notes(entry.id, notes)
            library.set_tags(entry.id, tags.split(","))
            st.toast("Saved", icon=":material/check_circle:")
            st.rerun()


def _delete(library: Library, entry: Entry, column: DeltaGenerator) -> None:
    if column.button("Delete…", key="library.delete"):
        st.session_state[_CONFIRM] = entry.id
    if st.session_state.get(_CONFIRM) != entry.id:
        return
    st.warning(f"Delete “{entry.name}” and all its files? This cannot be undone.")
    yes, no = st.columns([1, 5])
    if yes.button("Yes, delete", type="primary", key="library.delete_yes"):
        library.delete(entry.id)
        for key in (_CONFIRM, _OPEN, _LOADED, _CHOSEN):
            st.session_state.pop(key, None)
        st.toast(f"Deleted “{entry.name}”", icon=":material/delete:")
        st.rerun()
    if no.button("Cancel", key="library.delete_no"):
        st.session_state.pop(_CONFIRM, None)
        st.rerun()


def _downloads(library: Library, entry: Entry) -> None:
    """The result panel's download buttons, with this entry's notes and tags in the zip's README."""
    from components.downloads import download_buttons, export_options

    analysis = _loaded(library, entry)
    key = f"library.{entry.id}"  # the opened result panel's key: its Angles tab choices apply
    threshold = float(st.session_state.get("library.vis", 0.5))
    download_buttons(analysis, export_options(key, analysis, threshold, entry.notes, entry.tags), key="library.dl")


def _loaded(library: Library, entry: Entry) -> Analysis:
    """The entry's Analysis, loaded once per entry and name (a rename shows under the new name)."""
    cache: dict[tuple[str, str], Analysis] = st.session_state.setdefault(_LOADED, {})
    if (entry.id, entry.name) not in cache:
        cache.clear()
        cache[(entry.id, entry.name)] = library.load(entry.id)
    return cache[(entry.id, entry.name)]


def _show(library: Library, entry: Entry) -> None:
    from components.results import show_results  # the Analyze page's views

    threshold = st.sidebar.slider("Visibility threshold", 0.0, 1.0, 0.5, 0.05, key="library.vis",
                                  help="Hide landmarks the model thinks are hidden. Does not re-run the model.")
    st.divider()
    st.header(entry.name)
    analysis = _loaded(library, entry)
    show_results(analysis, DisplaySettings(visibility_threshold=float(threshold)), key=f"library.{entry.id}")
