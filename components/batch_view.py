"""The Batch page: many clips at once on the Dask cluster, a live table of their runs, links into the Library."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from components.batch_jobs import (
    DATA_DIR_ENV,
    BatchRun,
    get_run,
    new_batch_folder,
    recent_runs,
    scheduler_label,
    start_batch,
)
from components.identity import current_user
from components.library_view import OPEN_PARAM
from components.settings import settings_sidebar
from poselab.errors import PoseLabError
from poselab.media.decode import SUPPORTED_TYPES

_CURRENT = "batch.current"  # the batch this session started last (not a widget key: survives other pages)
_UPLOADER = "batch.upload"
_STATUS_TEXT = {"done": "done", "failed": "failed", "skipped": "skipped (done before)"}


def batch_page() -> None:
    st.title(":material/dynamic_feed: Batch analysis")
    inference, _ = settings_sidebar("batch", workers=False)
    st.caption(f"Every clip is analysed on {scheduler_label()}, one clip per worker at a time, and saved in "
               "the Library. You can leave this page while a batch runs: it goes on, and shows here again.")
    owner = current_user().key
    _start_form(inference, owner)
    current = st.session_state.get(_CURRENT)
    runs = recent_runs(owner)
    if not runs:
        return
    ids = [run.id for run in runs]
    chosen = st.selectbox("Batch", ids, index=ids.index(current) if current in ids else 0,
                          format_func=lambda i: _run_label(get_run(i, owner)), key="batch.shown")
    run = get_run(chosen, owner)
    if run is not None:
        _run_view(run)


def _start_form(inference: Any, owner_key: str) -> None:
    limit_mb = int(st.get_option("server.maxUploadSize"))
    uploads = st.file_uploader(f"Clips or photos · up to {limit_mb} MB each", type=list(SUPPORTED_TYPES),
                               accept_multiple_files=True, key=_UPLOADER)
    folder = _server_folder()
    count = len(uploads or []) + (1 if folder else 0)
    if not st.button("Start batch", type="primary", disabled=count == 0, key="batch.start"):
        return
    run_id, batch_folder = new_batch_folder()
    inputs = [_store_upload(upload, batch_folder / "inputs") for upload in uploads or []]
    if folder is not None:
        inputs.append(folder)
    title = f"{len(uploads or [])} uploads" + (f" + {folder.name}/" if folder else "")
    try:
        start_batch(run_id, batch_folder, inputs, inference, title, owner_key)
    except PoseLabError as error:
        st.error(f"Could not start the batch: {error}")
        return
    except OSError as error:  # the cluster could not start, or the scheduler went away
        st.error(f"Could not start the batch on {scheduler_label()}: {error}")
        return
    st.session_state[_CURRENT] = run_id
    st.session_state.pop("batch.shown", None)  # show the new batch


def _server_folder() -> Path | None:
    """A sub-folder of $POSELAB_DATA_DIR to analyse whole, when the server has one configured."""
    root = os.environ.get(DATA_DIR_ENV)
    if not root or not Path(root).is_dir():
        return None
    folders = sorted(p.name for p in Path(root).iterdir() if p.is_dir() and not p.name.startswith("."))
    choices = ["(none)", ".", *folders]
    picked = st.selectbox(f"…or a folder on the server ({root})", choices, key="batch.server_folder")
    return None if picked == "(none)" else Path(root) / picked


def _store_upload(upload: Any, folder: Path) -> Path:
    """The upload under its own name (names become the library names); a second file of the same name
    gets a number."""
    path = folder / Path(upload.name).name
    number = 2
    while path.exists():
        path = folder / f"{Path(upload.name).stem}-{number}{Path(upload.name).suffix}"
        number += 1
    path.write_bytes(upload.getbuffer())
    return path


def _run_label(run: BatchRun | None) -> str:
    if run is None:
        return "?"
    # No progress here: the box is drawn outside the refreshing fragment, so it would go stale.
    return f"{run.id} · {run.title} · {len(run.inputs)} clips"


@st.fragment(run_every=1.0)
def _run_view(run: BatchRun) -> None:
    state, message, rows, progress = run.snapshot()
    total = len(run.inputs)
    if state == "error":
        st.error(f"The batch stopped: {message}")
    elif message:
        st.warning(message)
    share = len(rows) / total if total else 1.0
    text = f"{len(rows)} of {total} clips"
    if progress is not None and progress.fps:
        text += f" · {progress.fps:.1f} frames/s across the cluster"
        if progress.remaining_s is not None:
            text += f" · about {progress.remaining_s:.0f} s left"
    st.progress(share, text=text if state != "finished" else f"Finished: {text}")
    st.table(_status_table(run, rows))
    done = [row for row in rows if row.get("library_id")]
    if done:
        st.markdown("**Open in the Library**")
        for row in done:
            st.page_link("pages/library.py", label=Path(row["input"]).name, icon=":material/open_in_new:",
                         query_params={OPEN_PARAM: row["library_id"]})
    if state == "finished":
        st.caption(f"Outputs and batch.csv: {run.folder / 'out'}")


def _status_table(run: BatchRun, rows: list[dict[str, Any]]) -> pd.DataFrame:
    by_input = {row["input"]: row for row in rows}
    table = []
    for clip in run.inputs:
        row = by_input.get(clip, {})
        table.append({
            "clip": Path(clip).name,
            "status": _STATUS_TEXT.get(row.get("status", ""), "waiting or running"),
            # Text in every cell: blanks beside numbers would make Arrow guess a column's type, and warn.
            "frames": "" if row.get("frames") is None else str(int(row["frames"])),
            "people": "" if row.get("people_seen") is None else str(int(row["people_seen"])),
            "detected (%)": "" if row.get("detection_rate") is None else str(round(100 * row["detection_rate"])),
            "time (s)": "" if row.get("elapsed_s") is None else f"{row['elapsed_s']:.1f}",
            "error": str(row.get("error") or ""),
        })
    return pd.DataFrame(table).set_index("clip")  # st.table shows the index: the clip names, not 0, 1, 2
