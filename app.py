"""PoseLab dashboard entry point: navigation over the page scripts, nothing else."""

import streamlit as st

st.set_page_config(page_title="PoseLab", page_icon="🦴", layout="wide")

pages = [
    st.Page("pages/analyze.py", title="Analyze", icon="🎬", default=True),
    st.Page("pages/live.py", title="Live webcam", icon="📷"),
    st.Page("pages/library.py", title="Library", icon="📚"),
    st.Page("pages/compare.py", title="Compare", icon="⚖️"),
]
st.navigation(pages).run()
