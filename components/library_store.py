"""The Analyze runner's link to the library: every finished analysis is saved, and the library answers
the run cache when the runner's own cache no longer has a clip (same bytes, same inference settings).

A library problem (full disk, unwritable home) never hides the results just computed: it is a warning.
Every library opened for a page is the signed-in person's view of it (``user_library``): what they own and
what is shared with them; anything else is "not found", whoever knows its id or content hash.
"""

from __future__ import annotations

import logging

import streamlit as st

from components.identity import current_user
from poselab.errors import PoseLabError
from poselab.settings import InferenceSettings, run_key
from poselab.store.analysis import Analysis
from poselab.store.library import Entry, Library

_log = logging.getLogger(__name__)


def user_library(recover: bool = True) -> Library:
    """The library as the person using this session sees it (the one local user without sign-in)."""
    return Library(user=current_user(), recover=recover)


def open_library() -> tuple[Library, list[Entry]] | None:
    """The user's library and all the entries they see, or None once the page has been told why it cannot be
    opened."""
    try:
        library = user_library()
        return library, library.list()
    except PoseLabError as error:
        st.error(str(error))
        return None


def save_to_library(analysis: Analysis, kind: str = "upload") -> str | None:
    """Stores ``analysis`` in the library; returns its id, or None (with a warning shown) if it failed."""
    try:
        entry = user_library().save(analysis, kind=kind)
    except PoseLabError as error:
        st.warning(f"The results are shown but were not saved to the library: {error}")
        return None
    st.toast(f"Saved to the library as “{entry.name}”", icon=":material/video_library:")
    return entry.id


def cached_analysis(content_hash: str, settings: InferenceSettings, workers: int = 1) -> Analysis | None:
    """A complete library analysis of these bytes under these settings and worker count, or None. Only the
    user's own: the same bytes analysed by someone else are not theirs (they get a run of their own)."""
    try:
        library = user_library()
        entry = library.find_cached(content_hash, run_key(settings, workers))
        return library.load(entry.id) if entry is not None else None
    except PoseLabError as error:  # a damaged entry only costs a re-run
        _log.warning("library cache lookup failed: %s", error)
        return None
