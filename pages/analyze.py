"""Analyze page: upload a clip or photo, tune the model in the sidebar, look at the results.

The upload and its result outlive a visit to another page: a file uploader forgets its file when its page is
not drawn, so the page keeps the clip it analysed (the library's copy of the same bytes) for the session.
"""

import logging

import streamlit as st

from components.results import show_results
from components.runner import KeptUpload, analyze_upload, saved_in_library
from components.settings import settings_sidebar
from poselab.errors import Cancelled, PoseLabError
from poselab.media.decode import SUPPORTED_TYPES

_KEPT = "analyze.kept_upload"  # the last clip analysed (not a widget key: survives other pages)
_HAD_FILE = "analyze.had_file"  # the uploader held a file in this page's last run

st.title(":material/movie: Analyze a clip")
inference, display = settings_sidebar("analyze")
limit_mb = int(st.get_option("server.maxUploadSize"))
uploader_drawn_before = "analyze.upload" in st.session_state
uploaded = st.file_uploader(
    f"Video or photo · up to {limit_mb} MB", type=list(SUPPORTED_TYPES), key="analyze.upload",
    help=f"mp4, mov, m4v, webm, avi, mkv, jpg or png. The {limit_mb} MB limit is set in .streamlit/config.toml; "
    "clips may last up to 10 minutes.",
)
if uploaded is None and uploader_drawn_before and st.session_state.get(_HAD_FILE):
    st.session_state.pop(_KEPT, None)  # the user removed the file: forget it too
st.session_state[_HAD_FILE] = uploaded is not None
source = uploaded if uploaded is not None else st.session_state.get(_KEPT)
if source is None:
    st.info("Upload a clip of someone moving (a phone video is fine). The model runs once per clip and "
            "settings; results come back instantly when you return to earlier settings.")
    st.stop()
if uploaded is None:
    st.caption(f"Showing **{source.name}**, uploaded earlier in this session. Upload another file to replace it.")

try:
    analysis = analyze_upload(source, inference)
except Cancelled:  # the runner has said so and offers to run it again
    st.stop()
except PoseLabError as error:
    st.error(f"Could not analyse {source.name}: {error}")
    st.stop()
except Exception:  # a bug, not the user's doing: full details to the server log only
    logging.getLogger(__name__).exception("analysis of %s failed", source.name)
    st.error(f"Something went wrong while analysing {source.name}. Try another file; details are in the server log.")
    st.stop()

if analysis.source_path is not None:
    st.session_state[_KEPT] = KeptUpload(source.name, source.file_id, analysis.source_path)
if saved_in_library(analysis):
    st.success(f"Saved in the Library as “{analysis.name}”: open it there any time, add notes and tags, or "
               "compare it with another run. Downloads are in the Downloads tab below.",
               icon=":material/video_library:")
show_results(analysis, display, key="analyze")
