"""compare page (placeholder until its issue lands)."""

import streamlit as st

st.title("Compare")
st.info("Coming soon.")
