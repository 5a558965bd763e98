"""The colour key of the skeleton views: what a bone's colour and a dot's colour mean.

One person: bones by body side. Several person slots: bones by person (the colours of
``poselab.render.colors``), so "orange" never means both "left" and "person 0". Dots on the 2D frame are
coloured by visibility in both cases. Swatches are CSS boxes, not characters: nothing depends on a font.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from poselab.render.colors import SIDE_RGB, VISIBILITY_KEY, css, person_rgb, visibility_rgb
from poselab.sequence import PoseSequence


def _swatch(rgb: tuple[int, int, int], label: str, dot: bool = False) -> str:
    shape = "width:10px;height:10px;border-radius:50%;border:1px solid #222" if dot else "width:18px;height:5px"
    return (f'<span style="display:inline-block;{shape};background:{css(rgb)};vertical-align:middle;'
            f'margin:0 4px 0 10px"></span>{label}')


def legend_html(people: list[int], several_slots: bool) -> str:
    """The key as one HTML line: bone colours (sides or people), then the visibility scale of the dots."""
    if several_slots:
        bones = "People: " + "".join(_swatch(person_rgb(slot), f"person {slot}") for slot in people)
    else:
        bones = "Bones: " + "".join(_swatch(SIDE_RGB[side], side) for side in ("left", "right", "centre"))
    levels = np.array([level for level, _ in VISIBILITY_KEY])
    dots = "".join(_swatch(tuple(int(c) for c in rgb), f"{label} ({level:.1f})", dot=True)
                   for rgb, (level, label) in zip(visibility_rgb(levels), VISIBILITY_KEY, strict=True))
    return (f'<div class="poselab-legend" style="font-size:0.85rem;opacity:0.9">{bones}'
            f'<span style="margin-left:18px">Dots on the frame, by visibility:</span>{dots}</div>')


def show_legend(sequence: PoseSequence) -> None:
    """The key for ``sequence``'s views: every slot that held someone is listed in a multi-person view."""
    people = [int(s) for s in np.flatnonzero(sequence.detected().any(axis=0))] or [0]
    st.markdown(legend_html(people, sequence.num_slots > 1), unsafe_allow_html=True)
