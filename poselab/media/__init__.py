"""Video in and out with PyAV: decoding (frames, probe, limits) and browser-playable H.264."""
