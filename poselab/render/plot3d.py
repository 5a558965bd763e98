"""Rotatable 3D skeletons of world landmarks with Plotly: one frame, or an animated clip.

MediaPipe's world frame has y pointing down; we plot (x, z, -y) so people stand upright on a
floor at their lowest foot, with equal axis scales so limbs keep their true proportions.

Every frame has the same traces (one polyline with joints per person), and hidden points are NaN
breaks rather than missing entries, so animation frames carry coordinates
only and are built as plain dicts: a 150-frame animation then builds and serialises in tens of
milliseconds instead of most of a second (issue #7: display changes under 200 ms).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from poselab.render.colors import SIDE_RGB, css, person_rgb
from poselab.skeleton import CONNECTIONS, LANDMARK_NAMES, connection_side

MAX_ANIMATION_FRAMES = 150
_GAP = -1  # index of a line break in a polyline's landmark list


def to_plot_xyz(world_xyz_m: np.ndarray) -> np.ndarray:
    """(..., 3) MediaPipe world metres -> plot axes (x right, y depth, z up)."""
    x, y, z = world_xyz_m[..., 0], world_xyz_m[..., 1], world_xyz_m[..., 2]
    return np.stack([x, z, -y], axis=-1)


_SIDES = ("left", "centre", "right")
# one polyline through every connection: a, b, break, a, b, break, ...
_VERTICES = np.array([i for a, b in CONNECTIONS for i in (a, b, _GAP)])
_VERTEX_SIDE = np.repeat([_SIDES.index(connection_side(edge)) for edge in CONNECTIONS], 3)
_SIDE_SCALE = [[k / 2, css(SIDE_RGB[side])] for k, side in enumerate(_SIDES)]


def _coords(xyz: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """(F, P, V, 3) polyline points with NaN for breaks and for segments with a hidden end.

    xyz: (F, P, 33, 3) plot axes; shown: (F, P, 33) bool.
    """
    padded = np.concatenate([np.where(shown[..., None], xyz, np.nan),
                             np.full((*xyz.shape[:2], 1, 3), np.nan)], axis=2)  # index -1 = break
    ends = padded[:, :, _VERTICES].reshape((*xyz.shape[:2], -1, 3, 3))
    broken = ~np.isfinite(ends[:, :, :, :2]).all(axis=(3, 4))
    ends[broken] = np.nan
    return ends.reshape((*xyz.shape[:2], -1, 3))


def _shown(xyz: np.ndarray, visibility: np.ndarray, threshold: float) -> np.ndarray:
    return np.isfinite(xyz).all(axis=-1) & (np.nan_to_num(visibility, nan=-1) >= threshold)


def _xyz_dict(points: np.ndarray) -> dict[str, object]:
    """(N, 3) -> a scatter3d's x/y/z lists: millimetres keep the JSON small; NaN becomes a break."""
    rounded = np.round(points.astype(np.float64), 3)
    finite = np.isfinite(rounded).tolist()
    columns = rounded.T.tolist()
    return {"type": "scatter3d"} | {
        axis: [v if ok[k] else None for v, ok in zip(columns[k], finite, strict=True)]
        for k, axis in enumerate("xyz")}


def _styles(num_slots: int) -> list[dict]:
    """One trace per person slot (without coordinates): joints and bones, coloured by side for one
    person and by person for several."""
    several = num_slots > 1
    names = [LANDMARK_NAMES[i] if i != _GAP else "" for i in _VERTICES]
    styles = []
    for slot in range(num_slots):
        if several:
            colour: dict = {"color": css(person_rgb(slot))}
        else:
            colour = {"color": _VERTEX_SIDE.tolist(), "colorscale": _SIDE_SCALE, "cmin": 0, "cmax": 2}
        styles.append({
            "type": "scatter3d", "mode": "lines+markers", "name": f"person {slot}" if several else "pose",
            "line": {"width": 6} | colour, "marker": {"size": 3} | colour, "connectgaps": False,
            "showlegend": several, "text": names,
            "hovertemplate": "%{text}<br>x %{x:.2f} m, depth %{y:.2f} m, up %{z:.2f} m<extra></extra>",
        })
    return styles


def _frame_traces(xyz: np.ndarray, visibility: np.ndarray, threshold: float) -> list[list[dict]]:
    """xyz (F, P, 33, 3) plot axes, visibility (F, P, 33) -> per frame, the x/y/z dict of each slot."""
    coords = _coords(xyz, _shown(xyz, visibility, threshold))
    return [[_xyz_dict(slot) for slot in frame] for frame in coords]


def skeleton_traces(xyz: np.ndarray, visibility: np.ndarray, threshold: float = 0.0) -> list[dict]:
    """Trace dicts for every slot of one frame. xyz: (P, 33, 3) plot axes; visibility: (P, 33)."""
    frame = _frame_traces(xyz[None], visibility[None], threshold)[0]
    return [style | coords for style, coords in zip(_styles(xyz.shape[0]), frame, strict=True)]


def skeleton_figure(world_xyz_m: np.ndarray, visibility: np.ndarray, threshold: float = 0.0,
                    title: str = "") -> go.Figure:
    """One frame: world_xyz_m (P, 33, 3) metres, visibility (P, 33)."""
    xyz = to_plot_xyz(world_xyz_m)
    return _figure(skeleton_traces(xyz, visibility, threshold), [], _layout(xyz, title))


def animation_figure(time_s: np.ndarray, world_xyz_m: np.ndarray, visibility: np.ndarray,
                     threshold: float = 0.0, max_frames: int = MAX_ANIMATION_FRAMES) -> go.Figure:
    """A play button and a slider over the clip: world_xyz_m (T, P, 33, 3), visibility (T, P, 33).

    Long clips are subsampled to ``max_frames`` frames to keep the figure small enough to send.
    """
    xyz = to_plot_xyz(world_xyz_m)
    picks = np.unique(np.linspace(0, len(time_s) - 1, min(len(time_s), max_frames)).round().astype(int))
    per_frame = _frame_traces(xyz[picks], visibility[picks], threshold) if len(picks) else []
    styles = _styles(xyz.shape[1])
    traces = list(range(len(styles)))
    frames = [{"name": str(i), "data": data, "traces": traces} for i, data in zip(picks, per_frame, strict=True)]
    start = [style | coords for style, coords in zip(styles, per_frame[0], strict=True)] if frames else []
    layout, floor = _layout(xyz, "")
    duration_ms = 1000 * float(time_s[-1] - time_s[0]) / max(len(picks) - 1, 1) if len(time_s) > 1 else 100
    layout["updatemenus"] = [{
        "type": "buttons", "showactive": False, "x": 0.02, "y": 0.02, "xanchor": "left",
        "buttons": [
            {"label": "▶ Play", "method": "animate",
             "args": [None, {"frame": {"duration": duration_ms, "redraw": True}, "fromcurrent": True}]},
            {"label": "❚❚ Pause", "method": "animate",
             "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]},
        ],
    }]
    layout["sliders"] = [{
        "x": 0.2, "len": 0.78, "y": 0.02, "currentvalue": {"prefix": "t = ", "suffix": " s"},
        "steps": [{"label": f"{time_s[i]:.2f}", "method": "animate",
                   "args": [[str(i)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True}}]}
                  for i in picks],
    }]
    return _figure(start, frames, (layout, floor))


class AnimatedFigure(go.Figure):
    """A Figure whose animation frames stay plain dicts, joined in only by ``to_dict``.

    Plotly would build and validate a trace object per frame (about 75 ms for 150 frames) and
    deep-copy them on every ``st.plotly_chart``; our frames hold only x/y/z lists of traces that
    are validated once, in ``data``. ``frame_dicts`` holds them; ``frames`` stays empty.
    """

    def __init__(self, data: list[dict], layout: dict, frame_dicts: list[dict]) -> None:
        super().__init__({"data": data, "layout": layout})
        self._frame_dicts = frame_dicts  # plotly refuses new public attributes

    @property
    def frame_dicts(self) -> list[dict]:
        return self._frame_dicts

    def to_dict(self) -> dict:
        # read-only consumers (JSON encoders) share the lists rather than copy them
        return super().to_dict() | {"frames": self._frame_dicts}


def _figure(traces: list[dict], frames: list[dict], scene: tuple[dict, dict]) -> go.Figure:
    """The floor goes last so animation frames, which address traces 0..n-1, never touch it."""
    layout, floor = scene
    if frames:
        return AnimatedFigure([*traces, floor], layout, frames)
    return go.Figure({"data": [*traces, floor], "layout": layout})


def _layout(xyz: np.ndarray, title: str) -> tuple[dict, dict]:
    """Equal scales on all axes and a floor under the lowest point seen in the whole clip."""
    finite = xyz[np.isfinite(xyz).all(axis=-1)]
    if finite.size:
        low, high = finite.min(axis=0), finite.max(axis=0)
    else:
        low, high = np.array([-1.0, -1.0, -1.0]), np.array([1.0, 1.0, 1.0])
    centre = (low + high) / 2
    half = max(float((high - low).max()) / 2 * 1.1, 0.5)
    floor_z = float(low[2])
    ranges = [[float(centre[k] - half), float(centre[k] + half)] for k in range(2)]
    ranges.append([floor_z - 0.05, floor_z - 0.05 + 2 * half])
    gx, gy = np.meshgrid(np.linspace(*ranges[0], 2), np.linspace(*ranges[1], 2))
    floor = {"type": "surface", "x": gx.tolist(), "y": gy.tolist(), "z": np.full_like(gx, floor_z).tolist(),
             "showscale": False, "opacity": 0.25, "hoverinfo": "skip",
             "colorscale": [[0, "#8aa"], [1, "#8aa"]], "name": "floor"}
    axis = {"showbackground": False, "gridcolor": "#555", "zerolinecolor": "#777"}
    layout = {
        "title": {"text": title} if title else None,
        "margin": {"l": 0, "r": 0, "t": 30 if title else 0, "b": 0},
        "height": 520,
        "scene": {
            "xaxis": axis | {"title": {"text": "x (m)"}, "range": ranges[0]},
            "yaxis": axis | {"title": {"text": "depth (m)"}, "range": ranges[1]},
            "zaxis": axis | {"title": {"text": "up (m)"}, "range": ranges[2]},
            "aspectmode": "cube",
            "camera": {"eye": {"x": 0.0, "y": -2.0, "z": 0.6}, "up": {"x": 0, "y": 0, "z": 1}},
        },
        "uirevision": "skeleton3d",
    }
    return layout, floor
