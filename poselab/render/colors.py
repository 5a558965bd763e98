"""Colours, declared once: RGB tuples for OpenCV drawing, CSS strings for Plotly."""

from __future__ import annotations

import numpy as np

SIDE_RGB = {"left": (255, 138, 0), "right": (0, 180, 255), "centre": (235, 235, 235)}
# People get hues of their own: none is a side colour (orange / blue) or a visibility colour (red, yellow,
# green), so a bone's colour says who it belongs to in a multi-person view and never "left" or "sure".
PERSON_RGB = ((235, 70, 170), (150, 110, 255), (0, 215, 200), (170, 120, 70), (255, 160, 200), (120, 140, 255))
VISIBILITY_KEY = ((0.0, "hidden"), (0.5, "unsure"), (1.0, "visible"))  # points of the dot colour scale
MASK_RGB = (60, 120, 255)


def person_rgb(slot: int) -> tuple[int, int, int]:
    return PERSON_RGB[slot % len(PERSON_RGB)]


def css(rgb: tuple[int, int, int]) -> str:
    return f"rgb({rgb[0]},{rgb[1]},{rgb[2]})"


def visibility_rgb(visibility: np.ndarray) -> np.ndarray:
    """(N,) visibility 0..1 -> (N, 3) uint8 from red (unsure) through yellow to green (sure)."""
    v = np.clip(np.nan_to_num(visibility, nan=0.0), 0.0, 1.0)[:, None]
    red = np.array([230, 40, 40])
    yellow = np.array([240, 210, 40])
    green = np.array([40, 210, 80])
    low = red + (yellow - red) * (v / 0.5)
    high = yellow + (green - yellow) * ((v - 0.5) / 0.5)
    return np.where(v < 0.5, low, high).astype(np.uint8)
