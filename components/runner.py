"""Uploaded file + inference settings -> Analysis, cached on disk so earlier settings come back instantly.

Cache layout under $POSELAB_HOME (default ~/.poselab)::

    uploads/<sha256>.<ext>                    each uploaded clip, written once whatever its name
    analyses/<sha256[:20]>-<settings key>/    a run's Analysis folder until the library has taken it
                                              (under analyses/<owner folder>/ for a signed-in person)
    library/                                  every finished analysis (poselab.store.library): the lasting cache

Only inference settings and the worker count are in the key (``poselab.settings.run_key``): display
settings never reach this module, so they never re-run the model. Within a session, a rerun (any widget
move) finds the Analysis in memory without hashing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Protocol

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.identity import current_user
from components.library_store import cached_analysis, save_to_library, user_library
from components.settings import chosen_workers
from poselab.engine.pipeline import Progress, ProgressFn
from poselab.errors import Cancelled, InputError, PoseLabError, StorageError
from poselab.media.decode import Limits
from poselab.parallel.isolated import analyze_isolated
from poselab.settings import InferenceSettings, run_key
from poselab.store.analysis import ANNOTATED_FILE, RECORD_FILE, Analysis
from poselab.store.library import poselab_home
from poselab.store.library_fs import link_or_copy
from poselab.store.owners import LOCAL_USER, owner_folder

_MEMO_KEY = "runner.memo"
_RUNNING_KEY = "runner.running"  # the (file, run key) being analysed now
_CANCELLED_KEY = "runner.cancelled"  # the (file, run key) the user cancelled: not started again by itself
# A run folder's name ends in ``.<pid>-<thread id>.part`` while it is written; one whose writer is gone is
# left over (a crash, a session stopped mid-cleanup). Names not of that form: gone after this long.
_PART_NAME = re.compile(r"\.(\d+)-(\d+)\.part$")
_ODD_PART_AGE_S = 24 * 3600
_MEMO_SIZE = 4  # analyses kept in a session's memory (a long clip's arrays are tens of MB)
_PROGRESS_EVERY_S = 0.25


class UploadLike(Protocol):
    """What we use of Streamlit's UploadedFile (also lets tests pass a stand-in)."""

    name: str
    file_id: str

    def getbuffer(self) -> memoryview: ...


@dataclasses.dataclass(frozen=True)
class KeptUpload:
    """An upload kept for the session after its uploader forgot it: the analysed copy of the same bytes."""

    name: str
    file_id: str
    path: Path

    def getbuffer(self) -> memoryview:
        try:
            return memoryview(self.path.read_bytes())
        except OSError:  # the library entry was deleted since
            raise InputError(f"{self.name} is no longer stored: upload it again") from None


def saved_in_library(analysis: Analysis) -> bool:
    """Whether ``analysis`` is the library's copy (every finished upload is saved there unless that failed)."""
    try:
        library_dir = user_library(recover=False).analyses_dir.resolve()
    except PoseLabError:
        return False
    return analysis.folder.resolve().parent == library_dir


def analyze_upload(uploaded: UploadLike, settings: InferenceSettings) -> Analysis:
    """The Analysis of ``uploaded`` under ``settings``: from memory, from the disk cache, or by running the model.

    Raises PoseLabError (message safe to show) for bad files, missing models or an unwritable home.
    """
    workers = chosen_workers()
    key = run_key(settings, workers)
    memo: dict[tuple[str, str], Analysis] = st.session_state.setdefault(_MEMO_KEY, {})
    memo_key = (uploaded.file_id, key)
    if memo_key in memo:
        return memo[memo_key]
    source, digest = _store_upload(uploaded)
    folder = run_cache_dir() / f"{digest[:20]}-{key}"
    if (folder / RECORD_FILE).is_file():
        analysis = Analysis.load(folder)
    elif (stored := cached_analysis(digest, settings, workers)) is not None:
        analysis = stored  # the library holds this clip under these settings: no model run
    else:
        if st.session_state.get(_CANCELLED_KEY) == memo_key:
            _offer_run_again(uploaded.name)
            raise Cancelled(f"the analysis of {uploaded.name} was cancelled")
        remove_stale_parts(folder.parent)
        st.session_state[_RUNNING_KEY] = memo_key
        try:
            analysis = _run(source, digest, uploaded.name, settings, folder, workers)
        except InputError:
            source.unlink(missing_ok=True)  # a refused upload is not kept: strangers can't fill the disk with them
            raise
        analysis = _keep_in_library(analysis)
    while len(memo) >= _MEMO_SIZE:
        memo.pop(next(iter(memo)))
    memo[memo_key] = analysis
    return analysis


def run_cache_dir() -> Path:
    """Where this user's runs wait for the library: a folder per signed-in person, so a run the library could
    not take (kept here as the cache) never answers someone else's upload of the same bytes."""
    user = current_user()
    base = poselab_home() / "analyses"
    return base if user == LOCAL_USER else base / owner_folder(user.key)


def _cancel() -> None:
    # A widget callback: runs when the click's rerun starts, after the interrupted run has unwound
    # (the click's rerun request stops it at its next progress update, which ends the analysis process).
    st.session_state[_CANCELLED_KEY] = st.session_state.get(_RUNNING_KEY)


def _offer_run_again(name: str) -> None:
    st.info(f"Analysis of {name} cancelled. Change a setting, upload another file, or run it again.")
    st.button("Run again", key="runner.run_again", on_click=lambda: st.session_state.pop(_CANCELLED_KEY, None))


def remove_stale_parts(analyses_dir: Path) -> list[Path]:
    """Removes run folders (``*.part``) no live writer owns any more; returns them.

    A writer is this process's thread or another live process named in the folder's name: those are
    never touched, whatever their age (a long analysis may be writing).
    """
    removed = []
    threads = {thread.ident for thread in threading.enumerate()}
    for partial in analyses_dir.glob("*.part") if analyses_dir.is_dir() else []:
        match = _PART_NAME.search(partial.name)
        if match is None:
            with contextlib.suppress(OSError):
                if time.time() - partial.stat().st_mtime < _ODD_PART_AGE_S:
                    continue
        else:
            pid, thread = int(match[1]), int(match[2])
            if (thread in threads) if pid == os.getpid() else _process_alive(pid):
                continue
        shutil.rmtree(partial, ignore_errors=True)
        removed.append(partial)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _keep_in_library(analysis: Analysis) -> Analysis:
    """Every finished analysis goes to the library, which is then its only copy on disk (and the cache
    the next lookup finds); if the library cannot take it, the run folder stays as the cache."""
    entry_id = save_to_library(analysis)
    if entry_id is None:
        return analysis
    try:
        stored = user_library().load(entry_id)
    except PoseLabError:
        return analysis
    shutil.rmtree(analysis.folder, ignore_errors=True)
    return stored


def _store_upload(uploaded: UploadLike) -> tuple[Path, str]:
    """Writes the upload once, named by its SHA-256 (the same value as ``poselab.store.analysis.content_hash``)."""
    data = uploaded.getbuffer()
    digest = hashlib.sha256(data).hexdigest()
    suffix = Path(uploaded.name).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".bin"
    uploads = poselab_home() / "uploads"
    path = uploads / f"{digest}{suffix}"
    if path.is_file():
        return path, digest
    try:
        uploads.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.part")
        partial.write_bytes(data)
        os.replace(partial, path)  # atomic: a half-written upload never poses as the clip
    except OSError as error:
        raise StorageError(f"could not store the upload in {uploads}: {error.strerror or error}") from None
    return path, digest


def _run(source: Path, digest: str, name: str, settings: InferenceSettings, folder: Path, workers: int) -> Analysis:
    """Runs the model into a private folder, then renames it into place (a stopped run leaves nothing)."""
    partial = folder.with_name(f"{folder.name}.{os.getpid()}-{threading.get_ident()}.part")
    bar = st.progress(0.0, text=f"Starting the {settings.model} model on {name}…")
    cancel = st.empty()
    cancel.button("Cancel", key="runner.cancel", icon=":material/cancel:", on_click=_cancel,
                  help="Stop this analysis (nothing is saved)")
    try:
        partial.mkdir(parents=True, exist_ok=True)
        clip = partial / f"source{source.suffix}"
        link_or_copy(source, clip)
        # A process of its own, at a lower priority: live webcam streams on this server come first.
        sequence = analyze_isolated(clip, settings, video_out=partial / ANNOTATED_FILE,
                                    progress=_progress_fn(bar, name), workers=workers,
                                    limits=Limits.from_env())
        sequence.video = dataclasses.replace(sequence.video, source_name=name)
        analysis = Analysis(folder=partial, sequence=sequence, settings=settings, name=name, content_hash=digest,
                            extra={"workers": workers})  # the library files it under run_key(settings, workers)
        analysis.save()
        analysis.folder = _move_into_place(partial, folder)
        return analysis
    except PoseLabError as error:
        # Messages name the file we analysed (source.mp4): show the user's own file name instead.
        raise type(error)(str(error).replace(f"source{source.suffix}", name)) from None
    except OSError as error:
        raise StorageError(f"could not write the analysis to {folder.parent}: {error.strerror or error}") from None
    finally:
        # The folder first: when the session was stopped (tab closed, page left) every st.* call raises
        # StopException again, and a rerun requested meanwhile raises at the next one: code after them
        # would not run, and the .part folder stayed behind.
        shutil.rmtree(partial, ignore_errors=True)
        bar.empty()
        cancel.empty()


def _progress_fn(bar: DeltaGenerator, name: str) -> ProgressFn:
    last_s = [0.0]

    def update(progress: Progress) -> None:
        now_s = time.monotonic()
        if now_s - last_s[0] < _PROGRESS_EVERY_S and progress.frames_done != progress.frames_total:
            return
        last_s[0] = now_s
        total = progress.frames_total
        fraction = min(progress.frames_done / total, 1.0) if total else 0.0
        left = progress.remaining_s
        text = f"Analysing {name}: {progress.frames_done}" + (f" / {total}" if total else "") + " frames"
        text += f" · {progress.fps:.0f} fps" + (f" · about {left:.0f} s left" if left is not None else "")
        bar.progress(fraction, text=text)

    return update


def _move_into_place(partial: Path, folder: Path) -> Path:
    try:
        partial.rename(folder)
    except OSError:
        if not (folder / RECORD_FILE).is_file():  # not another session finishing the same work first
            raise
    return folder
