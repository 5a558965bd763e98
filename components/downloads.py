"""Download buttons for one analysis: on every result panel (Analyze, Library, Live recordings) and in the
Library's Downloads tab.

Files are built only when their button is pressed (Streamlit calls ``data`` then, on a thread of its own),
so drawing the panel costs nothing; the callables therefore use no Streamlit command. Names follow the
analysis (``pose_squats_landmarks.csv``), so the downloads of two analyses never overwrite each other.
The files come only from an Analysis the page already opened through the user's library; the zip's notes
are read as that user too (the user is taken on the page's thread: the builders run without a session).
Angles and reps follow what the Angles tab shows: its smoothing, space, visibility threshold and rep counter.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from components.identity import current_user
from poselab.errors import PoseLabError
from poselab.motion.reps import RepSpec
from poselab.store.analysis import Analysis
from poselab.store.exports import (
    ExportOptions,
    angles_export,
    download_name,
    export_all,
    reps_export,
    safe_stem,
    write_landmarks_json,
    write_trc,
)
from poselab.store.library import Library
from poselab.store.owners import Principal
from poselab.store.tables import landmarks_frame

if TYPE_CHECKING:
    from components.result_context import ResultContext

_log = logging.getLogger(__name__)
Builder = Callable[[], bytes]


def downloads_view(ctx: ResultContext) -> None:
    """The Downloads tab of a result panel."""
    download_buttons(ctx.analysis, export_options(ctx.key, ctx.analysis, ctx.display.visibility_threshold),
                     key=f"{ctx.key}.dl")


def export_options(key: str, analysis: Analysis, visibility_threshold: float, notes: str = "",
                   tags: tuple[str, ...] = ()) -> ExportOptions:
    """The Angles tab's current choices for the result panel ``key`` (its defaults when it was never drawn)."""
    from components.motion_views import ANGLE_NAMES, chosen_smoothing  # motion_views imports the result views

    sequence = analysis.sequence
    state = st.session_state
    if sequence.video.is_image or sequence.num_frames < 2:  # nothing over time: no smoothing, no reps
        return ExportOptions(space=state.get(f"{key}.angle_space", "world"),
                             visibility_threshold=visibility_threshold, notes=notes, tags=tags)
    seen = np.flatnonzero(sequence.detected().any(axis=0))
    low, high = float(state.get(f"{key}.rep_low", 100.0)), float(state.get(f"{key}.rep_high", 150.0))
    reps = RepSpec(state.get(f"{key}.rep_angle", ANGLE_NAMES[0]), low, high) if low < high else None
    return ExportOptions(
        smoothing=chosen_smoothing(f"{key}.motion", sequence.video.fps),
        space=state.get(f"{key}.angle_space", "world"), visibility_threshold=visibility_threshold, reps=reps,
        person=int(state.get(f"{key}.angle_slot", int(seen[0]) if len(seen) else 0)), notes=notes, tags=tags)


def download_buttons(analysis: Analysis, options: ExportOptions, key: str) -> None:
    """One button per export file, built on demand; a caption says what the angles and reps follow."""
    files = _files(analysis, options, current_user())
    columns = st.columns(4)
    for index, (label, file_name, mime, build) in enumerate(files):
        columns[index % 4].download_button(
            label, data=_guarded(build, file_name), file_name=download_name(analysis.name, file_name), mime=mime,
            key=f"{key}.{file_name}", on_click="ignore", icon=":material/download:", width="stretch")
    method = options.smoothing.method
    smoothing = "no smoothing" if method == "none" else f"{method} smoothing"
    text = (f"Files are named after the analysis ({safe_stem(analysis.name)}_…). The zip holds every file and a "
            f"README of the columns, units and settings. Angles: {options.space} landmarks, {smoothing}, with "
            "angular velocity (deg/s)")
    if options.reps is not None:
        text += f"; reps of {options.reps.angle} between {options.reps.low_deg:g}° and {options.reps.high_deg:g}°"
    st.caption(text + ": as chosen in the Angles tab.")


def _files(analysis: Analysis, options: ExportOptions, user: Principal) -> list[tuple[str, str, str, Builder]]:
    sequence = analysis.sequence
    stem = safe_stem(analysis.name)
    files: list[tuple[str, str, str, Builder]] = [
        ("Everything (zip)", f"{stem}.zip", "application/zip", lambda: _zip(analysis, options, user)),
        ("Landmarks CSV", "landmarks.csv", "text/csv",
         lambda: landmarks_frame(sequence).to_csv(index=False, float_format="%.6g").encode()),
        ("Landmarks Parquet", "landmarks.parquet", "application/octet-stream", lambda: _parquet(analysis)),
        ("Landmarks JSON", "landmarks.json", "application/json",
         lambda: _via_file(lambda path: write_landmarks_json(sequence, path))),
        ("Angles CSV", "angles.csv", "text/csv", lambda: _angles_csv(analysis, options)),
        ("OpenSim TRC", f"{stem}.trc", "text/plain", lambda: _via_file(lambda path: write_trc(sequence, path))),
    ]
    if options.reps is not None:
        files.append(("Reps CSV", "reps.csv", "text/csv", lambda: _reps_csv(analysis, options)))
    video = analysis.annotated_path
    if video is not None:
        files.append(("Annotated MP4", "annotated.mp4", "video/mp4", video.read_bytes))
    return files


def _guarded(build: Builder, file_name: str) -> Builder:
    """Runs off the script thread: a failure is logged, never a traceback in the server log."""

    def run() -> bytes:
        try:
            return build()
        except (PoseLabError, OSError) as error:
            _log.warning("export of %s failed: %s", file_name, error)
            return f"PoseLab could not write {file_name}: {error}\n".encode()

    return run


def _via_file(write: Callable[[Path], None]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="poselab-export-") as folder:
        path = Path(folder) / "export"
        write(path)
        return path.read_bytes()


def _parquet(analysis: Analysis) -> bytes:
    buffer = io.BytesIO()
    landmarks_frame(analysis.sequence).to_parquet(buffer, index=False)
    return buffer.getvalue()


def _angles_csv(analysis: Analysis, options: ExportOptions) -> bytes:
    table = angles_export(analysis.sequence, options)
    return b"" if table is None else table.to_csv(index=False, float_format="%.6g").encode()


def _reps_csv(analysis: Analysis, options: ExportOptions) -> bytes:
    table = reps_export(analysis.sequence, options)
    return b"" if table is None else table.to_csv(index=False).encode()


def _zip(analysis: Analysis, options: ExportOptions, user: Principal) -> bytes:
    options = _with_library_notes(analysis, options, user)
    with tempfile.TemporaryDirectory(prefix="poselab-export-") as folder:
        written = export_all(analysis, Path(folder), options)
        return written[-1].read_bytes()


def _with_library_notes(analysis: Analysis, options: ExportOptions, user: Principal) -> ExportOptions:
    """The library entry's notes and tags (read when the zip is built: they may have changed since)."""
    if options.notes or options.tags:
        return options
    try:
        entries = Library(user=user, recover=False).list()
    except PoseLabError:
        return options
    entry = next((e for e in entries if e.folder.resolve() == analysis.folder.resolve()), None)
    if entry is None:
        return options
    return replace(options, notes=entry.notes, tags=entry.tags)
