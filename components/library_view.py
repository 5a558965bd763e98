"""The Library page: a searchable table of saved analyses; open one, rename it, add notes, download, delete."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.library_store import open_library
from components.settings import DisplaySettings
from poselab.errors import PoseLabError
from poselab.exports import export_all
from poselab.library import Entry, Library

SORTS = {
    "Newest first": (lambda e: -e.created_s),
    "Oldest first": (lambda e: e.created_s),
    "Name (A-Z)": (lambda e: e.name.lower()),
    "Longest clip": (lambda e: -(e.summary.get("duration_s") or 0.0)),
}
_OPEN = "library.open"
_CHOSEN = "library.chosen"
_CONFIRM = "library.confirm_delete"
_EXPORTS = "library.exports"
DOWNLOADS = (  # file in the export folder, button label, MIME type
    (".zip", "Everything (zip)", "application/zip"),
    ("landmarks.csv", "Landmarks CSV", "text/csv"),
    ("landmarks.parquet", "Landmarks Parquet", "application/octet-stream"),
    ("landmarks.json", "Landmarks JSON", "application/json"),
    ("angles.csv", "Angles CSV", "text/csv"),
    (".trc", "OpenSim TRC", "text/plain"),
    ("annotated.mp4", "Annotated MP4", "video/mp4"),
)


def entry_label(entry: Entry) -> str:
    return f"{entry.name} · {entry.created.replace('T', ' ')} · {entry.id[:6]}"


def library_table(entries: list[Entry]) -> pd.DataFrame:
    """What the table shows: one row per analysis, units in the headers."""
    return pd.DataFrame([{
        "name": e.name, "created": e.created.replace("T", " "), "clip": e.source_name,
        "frames": e.summary.get("frames"), "duration (s)": e.summary.get("duration_s"),
        "model": e.settings.get("model"), "detected (%)": round(100 * (e.summary.get("detection_rate") or 0)),
        "tags": ", ".join(e.tags), "notes": e.notes, "id": e.id,
    } for e in entries])


def library_page() -> None:
    st.title("📚 Library")
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
    # Kept by id, not by widget key: renaming changes the labels, and with them the widget's identity.
    wanted = st.session_state.get(_CHOSEN)
    chosen = st.selectbox("Analysis", ids, index=ids.index(wanted) if wanted in ids else 0,
                          format_func=lambda i: entry_label(by_id[i]))
    st.session_state[_CHOSEN] = chosen
    try:
        _manage(library, by_id[chosen])
    except PoseLabError as error:
        st.error(str(error))


def _manage(library: Library, entry: Entry) -> None:
    open_col, delete_col = st.columns([4, 1])
    if open_col.button("Open results", type="primary", key="library.open_button",
                       help="Show the Analyze views of this analysis (no model run)"):
        st.session_state[_OPEN] = entry.id
    _delete(library, entry, delete_col)
    edit_tab, download_tab = st.tabs(["✏️ Name, notes and tags", "⬇️ Downloads"])
    with edit_tab:
        _edit(library, entry)
    with download_tab:
        _downloads(library, entry)
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
            st.session_state.pop(_EXPORTS, None)  # file names follow the analysis name
            st.toast("Saved", icon="✅")
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
        for key in (_CONFIRM, _OPEN, _EXPORTS, _CHOSEN):
            st.session_state.pop(key, None)
        st.toast(f"Deleted “{entry.name}”", icon="🗑️")
        st.rerun()
    if no.button("Cancel", key="library.delete_no"):
        st.session_state.pop(_CONFIRM, None)
        st.rerun()


def _downloads(library: Library, entry: Entry) -> None:
    exports = st.session_state.get(_EXPORTS)
    if not exports or exports[0] != entry.id:
        if st.button("Prepare the export files", key="library.prepare",
                     help="Landmarks (CSV, Parquet, JSON), angles, OpenSim .trc, the video and a zip of all"):
            try:
                with st.spinner("Writing the export files…"):
                    files = _export_bytes(library, entry)
            except PoseLabError as error:
                st.error(f"Could not prepare the exports: {error}")
                return
            st.session_state[_EXPORTS] = (entry.id, files)
            st.rerun()
        return
    files: dict[str, bytes] = exports[1]
    columns = st.columns(4)
    shown = 0
    for suffix, label, mime in DOWNLOADS:
        name = next((n for n in sorted(files) if n == suffix or n.endswith(suffix)), None)
        if name is None:
            continue
        columns[shown % 4].download_button(label, data=files[name], file_name=name, mime=mime,
                                           key=f"library.dl.{suffix}")
        shown += 1
    st.caption("The zip holds every file and a README of the columns and units.")


def _export_bytes(library: Library, entry: Entry) -> dict[str, bytes]:
    """The export files' contents by name; the temporary folder they were written in is gone on return."""
    with tempfile.TemporaryDirectory(prefix="poselab-export-") as folder:
        export_all(library.load(entry.id), Path(folder))
        return {path.name: path.read_bytes() for path in Path(folder).iterdir() if path.is_file()}


def _show(library: Library, entry: Entry) -> None:
    from components.results import show_results  # the Analyze page's views

    threshold = st.sidebar.slider("Visibility threshold", 0.0, 1.0, 0.5, 0.05, key="library.vis",
                                  help="Hide landmarks the model thinks are hidden. Does not re-run the model.")
    st.divider()
    st.header(entry.name)
    analysis = library.load(entry.id)
    show_results(analysis, DisplaySettings(visibility_threshold=float(threshold)), key=f"library.{entry.id}")
