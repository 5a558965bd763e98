"""Analyze page: upload a clip or photo, tune the model in the sidebar, look at the results."""

import logging

import streamlit as st

from components.results import show_results
from components.runner import analyze_upload
from components.settings import settings_sidebar
from poselab.errors import Cancelled, PoseLabError
from poselab.video import SUPPORTED_TYPES

st.title("🎬 Analyze a clip")
inference, display = settings_sidebar("analyze")
limit_mb = int(st.get_option("server.maxUploadSize"))
uploaded = st.file_uploader(
    f"Video or photo · up to {limit_mb} MB", type=list(SUPPORTED_TYPES), key="analyze.upload",
    help=f"mp4, mov, m4v, webm, avi, mkv, jpg or png. The {limit_mb} MB limit is set in .streamlit/config.toml; "
    "clips may last up to 10 minutes.",
)
if uploaded is None:
    st.info("Upload a clip of someone moving (a phone video is fine). The model runs once per clip and "
            "settings; results come back instantly when you return to earlier settings.")
    st.stop()

try:
    analysis = analyze_upload(uploaded, inference)
except Cancelled:  # the runner has said so and offers to run it again
    st.stop()
except PoseLabError as error:
    st.error(f"Could not analyse {uploaded.name}: {error}")
    st.stop()
except Exception:  # a bug, not the user's doing: full details to the server log only
    logging.getLogger(__name__).exception("analysis of %s failed", uploaded.name)
    st.error(f"Something went wrong while analysing {uploaded.name}. Try another file; details are in the server log.")
    st.stop()

show_results(analysis, display, key="analyze")
