"""PoseLab dashboard entry point: navigation over the page scripts (behind sign-in when it is configured), and
the process's allocator policy."""

import streamlit as st

from components.identity import gate
from poselab.engine.allocator import apply_allocator_policy

apply_allocator_policy()  # once per server process (idempotent on reruns): see poselab.engine.allocator
st.set_page_config(page_title="PoseLab", page_icon=":material/accessibility_new:", layout="wide")

pages = [
    st.Page("pages/analyze.py", title="Analyze", icon=":material/movie:", default=True),
    st.Page("pages/live.py", title="Live webcam", icon=":material/videocam:"),
    st.Page("pages/library.py", title="Library", icon=":material/video_library:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
]
st.navigation(gate(pages)).run()  # the sign-in screen alone until a visitor signs in
