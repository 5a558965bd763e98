"""Plotly time series of chosen landmarks and one coordinate, with the inspected time marked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from poselab.render.colors import PERSON_RGB, css
from poselab.sequence import PoseSequence
from poselab.skeleton import LANDMARK_INDEX


@dataclass(frozen=True)
class Coordinate:
    """A plottable coordinate: its label, unit and how to read it from a sequence."""

    label: str
    unit: str
    field: str
    component: int | None = None


COORDINATES: dict[str, Coordinate] = {
    "x (px)": Coordinate("x", "px", "image_xy_px", 0),
    "y (px)": Coordinate("y", "px", "image_xy_px", 1),
    "world x (m)": Coordinate("world x", "m", "world_xyz_m", 0),
    "world y (m)": Coordinate("world y", "m", "world_xyz_m", 1),
    "world z (m)": Coordinate("world z", "m", "world_xyz_m", 2),
    "visibility": Coordinate("visibility", "0..1", "visibility"),
    "presence": Coordinate("presence", "0..1", "presence"),
}


def coordinate_values(sequence: PoseSequence, coordinate: str, landmark: str, slot: int = 0) -> np.ndarray:
    """(T,) values of one landmark's coordinate for one person slot (NaN where not found)."""
    spec = COORDINATES[coordinate]
    values = getattr(sequence, spec.field)[:, slot, LANDMARK_INDEX[landmark]]
    return values if spec.component is None else values[:, spec.component]


def landmark_timeseries(
    sequence: PoseSequence,
    landmarks: Sequence[str],
    coordinate: str = "y (px)",
    slots: Sequence[int] = (0,),
    marker_time_s: float | None = None,
    visibility_threshold: float = 0.0,
) -> go.Figure:
    """One line per landmark and slot; values below the visibility threshold are left as gaps."""
    figure = go.Figure()
    dashes = ("solid", "dot", "dash", "longdash", "dashdot")
    for s_index, slot in enumerate(slots):
        for l_index, name in enumerate(landmarks):
            values = coordinate_values(sequence, coordinate, name, slot).astype(float)
            weak = np.nan_to_num(sequence.visibility[:, slot, LANDMARK_INDEX[name]], nan=-1) < visibility_threshold
            values = np.where(weak, np.nan, values)
            label = name if len(slots) == 1 else f"{name} (person {slot})"
            figure.add_trace(go.Scatter(
                x=sequence.time_s, y=values, mode="lines", name=label, connectgaps=False,
                line={"color": css(PERSON_RGB[l_index % len(PERSON_RGB)]), "dash": dashes[s_index % len(dashes)]},
            ))
    style_time_axis(figure, COORDINATES[coordinate].label, COORDINATES[coordinate].unit, marker_time_s)
    if COORDINATES[coordinate].component == 1:
        # image y and MediaPipe's world y both grow downwards: reverse the axis so "up" is up
        figure.update_yaxes(autorange="reversed")
    return figure


def style_time_axis(figure: go.Figure, label: str, unit: str, marker_time_s: float | None) -> None:
    """Shared look of every time chart: axis titles, legend on top, the inspected time as a line."""
    figure.update_layout(
        height=360, margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis_title="time (s)", yaxis_title=f"{label} ({unit})",
        legend={"orientation": "h", "y": 1.12}, hovermode="x unified", uirevision="timeseries",
    )
    if marker_time_s is not None:
        figure.add_vline(x=marker_time_s, line_width=2, line_dash="dash", line_color="#e33")
