"""Comparing two analyses (before / after): shared signals, time alignment, and a table of differences.

Signals are joint angles in degrees when ``poselab.motion.angles`` is available, else landmark heights
(``1 - y / frame height``: 0 at the bottom of the frame, 1 at the top, so clips of any size compare).
Alignment convention: ``offset_s`` is added to B's clock, so B's event at ``t`` is drawn at ``t + offset_s``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from poselab.errors import InputError
from poselab.motion.angles import compute_angles
from poselab.motion.reps import Rep, count_reps
from poselab.sequence import PoseSequence
from poselab.skeleton import LANDMARK_INDEX

HEIGHT_LANDMARKS = ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
                    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
                    "nose")
HEIGHT_SUFFIX = " height (0-1)"
DTW_MAX_SAMPLES = 400  # DTW costs n*m: resample longer curves (400 x 400 = 160k cells, a few ms)


def signals(sequence: PoseSequence, person: int = 0) -> pd.DataFrame:
    """One column per comparable signal, one row per frame (NaN where not found), indexed by time_s.

    Joint angles (``<name>_deg``, world landmarks) when any was measured, else landmark heights.
    """
    index = pd.Index(sequence.time_s, name="time_s")
    if person < sequence.num_slots:
        series = compute_angles(sequence)
        data = {f"{name}_deg": series.of(name, person) for name in series.names}
        table = pd.DataFrame(data, index=index).astype(float)
        if (table.count() >= 2).any():
            return table
    height = float(sequence.video.height or 1)
    heights = {name + HEIGHT_SUFFIX: 1.0 - sequence.image_xy_px[:, person, LANDMARK_INDEX[name], 1] / height
               for name in HEIGHT_LANDMARKS} if person < sequence.num_slots else {}
    return pd.DataFrame(heights, index=index).astype(float)


def common_signals(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """Signals both analyses have with at least two values."""
    return [c for c in a.columns if c in b.columns and a[c].count() >= 2 and b[c].count() >= 2]


@dataclass(frozen=True)
class Alignment:
    """A DTW match of B onto A: matched sample pairs in seconds and the constant offset that fits best."""

    a_time_s: np.ndarray
    b_time_s: np.ndarray
    offset_s: float
    cost: float


def align_dtw(a_time_s: np.ndarray, a: np.ndarray, b_time_s: np.ndarray, b: np.ndarray) -> Alignment:
    """Dynamic time warping of two curves (z-scored, gaps filled); ``offset_s`` = median of A - B times."""
    ta, va = _resample(*_filled(a_time_s, a))
    tb, vb = _resample(*_filled(b_time_s, b))
    i, j, cost = dtw_path(_zscore(va), _zscore(vb))
    offset_s = float(np.median(ta[i] - tb[j]))
    return Alignment(a_time_s=ta[i], b_time_s=tb[j], offset_s=offset_s, cost=cost)


def dtw_path(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Classic DTW (steps: match, insert, delete) on |a - b|; returns index pairs and mean cost per step.

    Filled one anti-diagonal at a time: every cell of a diagonal depends only on the two before it,
    so each diagonal is one vectorised numpy step instead of a Python loop over cells.
    """
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        raise InputError("cannot align an empty curve")
    cost = np.abs(a[:, None] - b[None, :])
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for diagonal in range(2, n + m + 1):
        i = np.arange(max(1, diagonal - m), min(n, diagonal - 1) + 1)
        j = diagonal - i
        best = np.minimum(np.minimum(acc[i - 1, j - 1], acc[i - 1, j]), acc[i, j - 1])
        acc[i, j] = cost[i - 1, j - 1] + best
    path = [(n - 1, m - 1)]
    i_at, j_at = n, m
    while (i_at, j_at) != (1, 1):
        steps = ((i_at - 1, j_at - 1), (i_at - 1, j_at), (i_at, j_at - 1))
        i_at, j_at = min(steps, key=lambda s: acc[s] if s[0] >= 1 and s[1] >= 1 else np.inf)
        path.append((i_at - 1, j_at - 1))
    pairs = np.array(path[::-1])
    return pairs[:, 0], pairs[:, 1], float(acc[n, m] / len(pairs))


def warp_onto_a(alignment: Alignment, b_time_s: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """B's curve re-timed onto A's clock along the DTW path (for the aligned overlay)."""
    tb, vb = _filled(b_time_s, b)
    values = np.interp(alignment.b_time_s, tb, vb)
    frame = pd.DataFrame({"t": alignment.a_time_s, "v": values}).groupby("t", sort=True)["v"].mean()
    return frame.index.to_numpy(), frame.to_numpy()


def find_reps(time_s: np.ndarray, values: np.ndarray) -> list[Rep]:
    """Reps of a curve with thresholds from its own spread: a dip below 30 % of its range after 70 %."""
    finite = values[np.isfinite(values)]
    if finite.size < 3 or np.ptp(finite) == 0:
        return []
    low, high = np.percentile(finite, 5), np.percentile(finite, 95)  # robust to a few outliers
    return count_reps(time_s, values, low + 0.3 * (high - low), low + 0.7 * (high - low))


def curve_stats(time_s: np.ndarray, values: np.ndarray) -> dict[str, float]:
    """Range of motion, peaks, reps and tempo of one curve (NaN-aware)."""
    ok = np.isfinite(values)
    if ok.sum() < 2:
        return {"range": np.nan, "peak_max": np.nan, "peak_min": np.nan, "reps": 0, "reps_per_min": np.nan,
                "rep_duration_s": np.nan}
    finite = values[ok]
    span_s = float(time_s[ok][-1] - time_s[ok][0])
    found = find_reps(time_s, values)
    reps = len(found)
    return {
        "range": float(np.ptp(finite)),
        "peak_max": float(finite.max()),
        "peak_min": float(finite.min()),
        "reps": reps,
        "reps_per_min": reps / span_s * 60 if span_s > 0 and reps else np.nan,
        "rep_duration_s": float(np.mean([r.duration_s for r in found])) if reps else np.nan,
    }


def differences(a: pd.DataFrame, b: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Rows: signal x metric; columns A, B and B - A."""
    rows = []
    for name in names:
        stats_a = curve_stats(a.index.to_numpy(float), a[name].to_numpy(float))
        stats_b = curve_stats(b.index.to_numpy(float), b[name].to_numpy(float))
        unit = "deg" if name.endswith("_deg") else "frame heights"
        for metric, label in _METRICS.items():
            shown = label.replace("{unit}", unit)
            rows.append({"signal": name, "metric": shown, "A": stats_a[metric], "B": stats_b[metric],
                         "B - A": stats_b[metric] - stats_a[metric]})
    return pd.DataFrame(rows, columns=["signal", "metric", "A", "B", "B - A"])


_METRICS = {
    "range": "range of motion ({unit})", "peak_max": "peak max ({unit})", "peak_min": "peak min ({unit})",
    "reps": "reps", "reps_per_min": "tempo (reps/min)", "rep_duration_s": "rep duration (s)",
}


def overlay_figure(a: pd.DataFrame, b: pd.DataFrame, name: str, offset_s: float = 0.0,
                   warped: tuple[np.ndarray, np.ndarray] | None = None, labels: tuple[str, str] = ("A", "B"),
                   ) -> go.Figure:
    """A's curve, B's curve shifted by ``offset_s``, and optionally B warped onto A by DTW."""
    figure = go.Figure()
    figure.add_scatter(x=a.index, y=a[name], name=labels[0], mode="lines", line={"color": "#1f77b4"})
    figure.add_scatter(x=b.index + offset_s, y=b[name], name=f"{labels[1]} ({offset_s:+.2f} s)", mode="lines",
                       line={"color": "#d62728"})
    if warped is not None:
        figure.add_scatter(x=warped[0], y=warped[1], name=f"{labels[1]} (DTW)", mode="lines",
                           line={"color": "#d62728", "dash": "dot"})
    figure.update_layout(xaxis_title="time (s, A's clock)", yaxis_title=name, height=380,
                         margin={"l": 40, "r": 10, "t": 30, "b": 40}, legend={"orientation": "h", "y": 1.12})
    return figure


def _filled(time_s: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(values)
    if ok.sum() < 2:
        raise InputError("this signal has fewer than two values in one of the analyses: pick another one")
    return time_s, np.interp(time_s, time_s[ok], values[ok])


def _resample(time_s: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(time_s) <= DTW_MAX_SAMPLES:
        return time_s, values
    even_s = np.linspace(time_s[0], time_s[-1], DTW_MAX_SAMPLES)
    return even_s, np.interp(even_s, time_s, values)


def _zscore(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else values - values.mean()
