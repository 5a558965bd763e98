"""The pieces behind ``components.results``: the overlay frame, people placed side by side in 3D, the time
series and details tabs. Everything reads a stored Analysis; nothing re-runs the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import pandas as pd
import streamlit as st

from components.settings import DisplaySettings
from poselab.media.decode import read_frame_at
from poselab.render.overlay import OverlayStyle, draw_pose
from poselab.render.timeseries import COORDINATES, landmark_timeseries
from poselab.sequence import PoseSequence
from poselab.skeleton import LANDMARK_INDEX, LANDMARK_NAMES
from poselab.store.analysis import Analysis

if TYPE_CHECKING:
    from components.result_context import ResultContext

# Frames are shown at most this many pixels on their longer side: sharper would not be seen, only sent.
INSPECT_MAX_SIDE_PX = 960
# Tall (portrait or square) media are shown at this height at most, so a phone clip fits on a laptop screen,
# and at this width at most, so they never spill out of a half-width column on a 1366 px screen.
MAX_DISPLAY_HEIGHT_PX = 500
MAX_TALL_WIDTH_PX = 440
DEFAULT_LANDMARKS = ("left_wrist", "right_wrist", "left_ankle", "right_ankle")
_HIPS = (LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"])
_SHOULDERS = (LANDMARK_INDEX["left_shoulder"], LANDMARK_INDEX["right_shoulder"])


def display_width_px(width: int, height: int) -> int | None:
    """A pixel width keeping tall media under MAX_DISPLAY_HEIGHT_PX; None lets wide media fill the column."""
    if width <= 0 or height <= 0 or width > 1.2 * height:
        return None
    return min(int(MAX_DISPLAY_HEIGHT_PX * width / height), MAX_TALL_WIDTH_PX)


@st.cache_data(max_entries=32, show_spinner=False)
def display_frame(path: str, time_s: float, max_side_px: int) -> np.ndarray:
    """The source frame at ``time_s``, downscaled; cached so stepping back and forth decodes nothing."""
    image_rgb = read_frame_at(Path(path), time_s)
    scale = max_side_px / max(image_rgb.shape[:2])
    if scale < 1:
        size = (round(image_rgb.shape[1] * scale), round(image_rgb.shape[0] * scale))
        image_rgb = cv2.resize(image_rgb, size, interpolation=cv2.INTER_AREA)
    return image_rgb


def overlay_image(analysis: Analysis, index: int, display: DisplaySettings) -> np.ndarray | None:
    """Frame ``index`` with the 2D skeleton (dots coloured by visibility) and the mask when asked for."""
    source = analysis.source_path
    if source is None:
        return None
    sequence = analysis.sequence
    image_rgb = display_frame(str(source), float(sequence.time_s[index]), INSPECT_MAX_SIDE_PX)
    # Landmarks are in pixels of the full-size upright frame: scale them to the shown size.
    scale = image_rgb.shape[1] / sequence.video.width if sequence.video.width else 1.0
    mask = sequence.segmentation[index] if sequence.segmentation is not None else None
    style = OverlayStyle(visibility_threshold=display.visibility_threshold, show_mask=display.show_mask)
    return draw_pose(image_rgb, sequence.image_xy_px[index] * scale, sequence.visibility[index], mask, style)


def people_world_xyz_m(sequence: PoseSequence) -> np.ndarray:
    """(T, P, 33, 3) world landmarks with each person moved to where they stand in the picture.

    MediaPipe centres every person's world landmarks on their own hips, so two people would be drawn on top
    of each other. We shift each person sideways by their hip offset in the image, turned into metres with
    the clip's median torso length (metres per pixel).
    """
    world = sequence.world_xyz_m
    if sequence.num_slots < 2:
        return world
    pixels = sequence.image_xy_px
    torso_px = np.linalg.norm(pixels[..., _SHOULDERS, :].mean(-2) - pixels[..., _HIPS, :].mean(-2), axis=-1)
    torso_m = np.linalg.norm(world[..., _SHOULDERS, :].mean(-2) - world[..., _HIPS, :].mean(-2), axis=-1)
    ratios = torso_m / np.where(torso_px > 1, torso_px, np.nan)
    ratios = ratios[np.isfinite(ratios)]
    if not ratios.size:
        return world
    metres_per_px = float(np.median(ratios))
    hip_x_px = pixels[..., _HIPS, 0].mean(-1)  # (T, P)
    shift_m = (hip_x_px - sequence.video.width / 2) * metres_per_px
    moved = world.copy()
    moved[..., 0] += np.nan_to_num(shift_m)[..., None]
    return moved


def timeseries_view(ctx: ResultContext) -> None:
    """Chosen landmarks' coordinate over time, the inspected frame marked."""
    sequence = ctx.sequence
    pick_col, coord_col, people_col = st.columns([3, 1, 1])
    landmarks = pick_col.multiselect("Landmarks", LANDMARK_NAMES, default=list(DEFAULT_LANDMARKS),
                                     key=f"{ctx.key}.ts.landmarks")
    # y (px) first: up and down in the picture is what a coach reads first (squats, jumps, reps).
    coordinate = coord_col.selectbox("Coordinate", list(COORDINATES), index=list(COORDINATES).index("y (px)"),
                                     key=f"{ctx.key}.ts.coord",
                                     help="x/y in pixels of the picture; world x/y/z in metres from the hips.")
    seen = [int(s) for s in np.flatnonzero(sequence.detected().any(axis=0))] or [0]
    slots = seen[:1]
    if len(seen) > 1:
        slots = people_col.multiselect("People", seen, default=seen, format_func=lambda s: f"person {s}",
                                       key=f"{ctx.key}.ts.people") or seen[:1]
    if not landmarks:
        st.info("Choose at least one landmark.")
        return
    figure = landmark_timeseries(sequence, landmarks, coordinate, slots, marker_time_s=ctx.time_s,
                                 visibility_threshold=ctx.display.visibility_threshold)
    st.plotly_chart(figure, key=f"{ctx.key}.ts.chart", config={"displaylogo": False})
    st.caption("Gaps: the landmark was not found or is below the visibility threshold. "
               "The dashed red line is the inspected frame.")


def details_view(ctx: ResultContext) -> None:
    """The run's figures and settings as plain tables."""
    facts = ctx.analysis.summary()
    settings = facts.pop("settings", {}) or ctx.analysis.settings.to_dict()
    facts["source"] = ctx.analysis.name
    left, right = st.columns(2)
    left.markdown("**Clip and run**")
    left.dataframe(_table(facts), hide_index=True, width="stretch")
    right.markdown("**Model settings**")
    right.dataframe(_table(settings), hide_index=True, width="stretch")


def _table(values: dict) -> pd.DataFrame:
    return pd.DataFrame({"item": list(values), "value": [str(v) for v in values.values()]})
