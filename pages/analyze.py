"""Analyze page (placeholder until the Analyze issue lands)."""

import streamlit as st

st.title("PoseLab")
st.write("Upload a clip to analyse it.")
