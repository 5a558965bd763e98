"""Renderers shared by the CLI and the pages: 2D overlay, 3D skeleton, time series."""
