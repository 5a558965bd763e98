"""PoseLab dashboard entry point: navigation over the page scripts, and the process's allocator policy."""

import streamlit as st

from poselab.engine.allocator import apply_allocator_policy

apply_allocator_policy()  # once per server process (idempotent on reruns): see poselab.engine.allocator
st.set_page_config(page_title="PoseLab", page_icon=":material/accessibility_new:", layout="wide")

pages = [
    st.Page("pages/analyze.py", title="Analyze", icon=":material/movie:", default=True),
    st.Page("pages/live.py", title="Live webcam", icon=":material/videocam:"),
    st.Page("pages/batch.py", title="Batch", icon=":material/dynamic_feed:"),
    st.Page("pages/library.py", title="Library", icon=":material/video_library:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
]
st.navigation(pages).run()
