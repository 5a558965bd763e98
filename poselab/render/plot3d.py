"""Rotatable 3D skeletons of world landmarks with Plotly: one frame, or an animated clip.

MediaPipe's world frame has y pointing down; we plot (x, z, -y) so people stand upright on a
floor at their lowest foot, with equal axis scales so limbs keep their true proportions.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from poselab.render.colors import SIDE_RGB, css, person_rgb
from poselab.skeleton import CONNECTIONS, LANDMARK_NAMES, connection_side

MAX_ANIMATION_FRAMES = 150


def to_plot_xyz(world_xyz_m: np.ndarray) -> np.ndarray:
    """(..., 3) MediaPipe world metres -> plot axes (x right, y depth, z up)."""
    x, y, z = world_xyz_m[..., 0], world_xyz_m[..., 1], world_xyz_m[..., 2]
    return np.stack([x, z, -y], axis=-1)


def skeleton_traces(xyz: np.ndarray, visibility: np.ndarray, threshold: float = 0.0) -> list[go.Scatter3d]:
    """Traces for every slot of one frame. xyz: (P, 33, 3) plot axes; visibility: (P, 33)."""
    traces: list[go.Scatter3d] = []
    several = xyz.shape[0] > 1
    for slot in range(xyz.shape[0]):
        shown = np.isfinite(xyz[slot]).all(axis=1) & (np.nan_to_num(visibility[slot], nan=-1) >= threshold)
        traces += _person_traces(xyz[slot], shown, slot if several else None)
    return traces


def _person_traces(xyz: np.ndarray, shown: np.ndarray, slot: int | None) -> list[go.Scatter3d]:
    by_colour: dict[str, list[float | None]] = {}
    for a, b in CONNECTIONS:
        colour = css(person_rgb(slot)) if slot is not None else css(SIDE_RGB[connection_side((a, b))])
        line = by_colour.setdefault(colour, [])
        if shown[a] and shown[b]:
            line += [a, b, None]
    label = f"person {slot}" if slot is not None else "pose"
    traces = []
    for colour, indices in by_colour.items():
        points = np.array([xyz[i] if i is not None else [np.nan] * 3 for i in indices]).reshape(-1, 3)
        traces.append(go.Scatter3d(
            x=points[:, 0], y=points[:, 1], z=points[:, 2], mode="lines",
            line={"color": colour, "width": 6}, name=label, showlegend=False, hoverinfo="skip",
        ))
    joints = np.where(shown[:, None], xyz, np.nan)
    traces.append(go.Scatter3d(
        x=joints[:, 0], y=joints[:, 1], z=joints[:, 2], mode="markers", name=label,
        marker={"size": 3, "color": css(person_rgb(slot or 0)) if slot is not None else "white"},
        text=list(LANDMARK_NAMES), hovertemplate="%{text}<br>x %{x:.2f} m, depth %{y:.2f} m, up %{z:.2f} m",
    ))
    return traces


def skeleton_figure(world_xyz_m: np.ndarray, visibility: np.ndarray, threshold: float = 0.0,
                    title: str = "") -> go.Figure:
    """One frame: world_xyz_m (P, 33, 3) metres, visibility (P, 33)."""
    xyz = to_plot_xyz(world_xyz_m)
    figure = go.Figure(skeleton_traces(xyz, visibility, threshold))
    _layout(figure, xyz, title)
    return figure


def animation_figure(time_s: np.ndarray, world_xyz_m: np.ndarray, visibility: np.ndarray,
                     threshold: float = 0.0, max_frames: int = MAX_ANIMATION_FRAMES) -> go.Figure:
    """A play button and a slider over the clip: world_xyz_m (T, P, 33, 3), visibility (T, P, 33).

    Long clips are subsampled to ``max_frames`` frames to keep the figure small enough to send.
    """
    xyz = to_plot_xyz(world_xyz_m)
    picks = np.unique(np.linspace(0, len(time_s) - 1, min(len(time_s), max_frames)).round().astype(int))
    frames = [go.Frame(data=skeleton_traces(xyz[i], visibility[i], threshold), name=str(i)) for i in picks]
    start = frames[0].data if frames else []
    figure = go.Figure(data=start, frames=frames)
    duration_ms = 1000 * float(time_s[-1] - time_s[0]) / max(len(picks) - 1, 1) if len(time_s) > 1 else 100
    _layout(figure, xyz, "")
    figure.update_layout(
        updatemenus=[{
            "type": "buttons", "showactive": False, "x": 0.02, "y": 0.02, "xanchor": "left",
            "buttons": [
                {"label": "▶ Play", "method": "animate",
                 "args": [None, {"frame": {"duration": duration_ms, "redraw": True}, "fromcurrent": True}]},
                {"label": "❚❚ Pause", "method": "animate",
                 "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]},
            ],
        }],
        sliders=[{
            "x": 0.2, "len": 0.78, "y": 0.02, "currentvalue": {"prefix": "t = ", "suffix": " s"},
            "steps": [{"label": f"{time_s[i]:.2f}", "method": "animate",
                       "args": [[str(i)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True}}]}
                      for i in picks],
        }],
    )
    return figure


def _layout(figure: go.Figure, xyz: np.ndarray, title: str) -> None:
    """Equal scales on all axes and a floor under the lowest point seen in the whole clip."""
    finite = xyz[np.isfinite(xyz).all(axis=-1)]
    if finite.size:
        low, high = finite.min(axis=0), finite.max(axis=0)
    else:
        low, high = np.array([-1.0, -1.0, -1.0]), np.array([1.0, 1.0, 1.0])
    centre = (low + high) / 2
    half = max(float((high - low).max()) / 2 * 1.1, 0.5)
    floor_z = float(low[2])
    ranges = [[centre[k] - half, centre[k] + half] for k in range(2)]
    ranges.append([floor_z - 0.05, floor_z - 0.05 + 2 * half])
    gx, gy = np.meshgrid(np.linspace(*ranges[0], 2), np.linspace(*ranges[1], 2))
    figure.add_trace(go.Surface(
        x=gx, y=gy, z=np.full_like(gx, floor_z), showscale=False, opacity=0.25, hoverinfo="skip",
        colorscale=[[0, "#8aa"], [1, "#8aa"]], name="floor",
    ))
    axis = {"showbackground": False, "gridcolor": "#555", "zerolinecolor": "#777"}
    figure.update_layout(
        title=title or None,
        margin={"l": 0, "r": 0, "t": 30 if title else 0, "b": 0},
        height=520,
        scene={
            "xaxis": axis | {"title": "x (m)", "range": ranges[0]},
            "yaxis": axis | {"title": "depth (m)", "range": ranges[1]},
            "zaxis": axis | {"title": "up (m)", "range": ranges[2]},
            "aspectmode": "cube",
            "camera": {"eye": {"x": 0.0, "y": -2.0, "z": 0.6}, "up": {"x": 0, "y": 0, "z": 1}},
        },
        uirevision="skeleton3d",
    )
