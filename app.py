"""PoseLab dashboard entry point: navigation over the page scripts, nothing else."""

import streamlit as st

st.set_page_config(page_title="PoseLab", page_icon="🦴", layout="wide")

pages = [
    st.Page("pages/analyze.py", title="Analyze", icon="🎬", default=True),
]
st.navigation(pages).run()
