"""PoseLab dashboard entry point: navigation over the page scripts (behind sign-in when it is configured), and
the process's allocator policy."""

import sys
from pathlib import Path

import streamlit as st

from components.identity import gate
from poselab.engine.allocator import apply_allocator_policy

apply_allocator_policy()  # once per server process (idempotent on reruns): see poselab.engine.allocator
# The Live page's frame thread gives the interpreter lock up and takes it back a hundred times a frame (the model,
# each OpenCV stroke of the overlay, the codecs release it). While a page rerun or the WebRTC loop runs Python, each
# take-back can wait up to the switch interval, 5 ms by default. At 1 ms, full model, two 45 s runs each
# (bench/live_browser_bench.py, issue 13): 17.1 against 15.8 processed fps, 88 against 98 ms; counting only the
# windows at 640x480, 16.1 against 15.5 fps: a small gain, near the noise of the shared machine, and no loss.
# Analyses run in child processes, so nothing else in this process is CPU-bound Python.
sys.setswitchinterval(0.001)
# A local file: a Material icon as the favicon makes every browser fetch it from fonts.gstatic.com, which
# fails (a console error, no icon) on the offline and intranet servers clinics and labs run.
st.set_page_config(page_title="PoseLab", page_icon=str(Path(__file__).parent / "assets" / "poselab_icon.png"),
                   layout="wide")

pages = [
    st.Page("pages/analyze.py", title="Analyze", icon=":material/movie:", default=True),
    st.Page("pages/live.py", title="Live webcam", icon=":material/videocam:"),
    st.Page("pages/batch.py", title="Batch", icon=":material/dynamic_feed:"),
    st.Page("pages/library.py", title="Library", icon=":material/video_library:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
]
st.navigation(gate(pages)).run()  # the sign-in screen alone until a visitor signs in
