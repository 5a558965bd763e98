"""PoseLab's UI-free core: decode, detect, smooth, measure, render, export, store.

Importing ``poselab`` loads neither Streamlit nor MediaPipe; the landmarker loads on first use.
"""

__version__ = "0.1.0"
