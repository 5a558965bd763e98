"""Live page: pose tracking on the browser's webcam, with the same settings sidebar as Analyze."""

import streamlit as st

from components.settings import settings_sidebar
from components.webcam import webcam_panel

st.title("Live webcam")
settings, display = settings_sidebar("live")
webcam_panel(settings, display, key="live")
