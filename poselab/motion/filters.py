"""Zero-phase Butterworth low-pass in plain numpy: design, filtfilt, and filtering around gaps.

Plain numpy rather than SciPy: one small filter does not justify a dependency of SciPy's size, and the
tests pin the coefficients and the response to SciPy's documented ones.
"""

from __future__ import annotations

import math

import numpy as np


def butter_lowpass(order: int, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
    """Digital Butterworth low-pass (b, a); ``cutoff`` as a fraction of Nyquist (0..1), bilinear transform."""
    warped = 4.0 * math.tan(math.pi * cutoff / 2)  # pre-warped analog cutoff for a sampling rate of 2
    k = np.arange(1, order + 1)
    poles = warped * np.exp(1j * np.pi * (2 * k + order - 1) / (2 * order))
    z_poles = (4.0 + poles) / (4.0 - poles)
    a = np.real(np.poly(z_poles))
    b = np.real(np.poly(-np.ones(order)))
    return b * a.sum() / b.sum(), a  # unit gain at DC


def _lfilter(b: np.ndarray, a: np.ndarray, x: np.ndarray, state: np.ndarray) -> np.ndarray:
    """Direct form II transposed over axis 0 of (T, C) ``x``; ``state`` (n-1, C) is updated in place."""
    y = np.empty_like(x)
    n = len(a)
    for t in range(x.shape[0]):
        y[t] = b[0] * x[t] + state[0]
        for i in range(n - 2):
            state[i] = b[i + 1] * x[t] + state[i + 1] - a[i + 1] * y[t]
        state[n - 2] = b[n - 1] * x[t] - a[n - 1] * y[t]
    return y


def _steady_state(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The filter state for a unit step held forever (so a run starts without a transient)."""
    n = len(a)
    companion = np.zeros((n - 1, n - 1))
    companion[0] = -a[1:]
    companion[1:, :-1] = np.eye(n - 2)
    return np.linalg.solve(np.eye(n - 1) - companion.T, b[1:] - a[1:] * b[0])


def filtfilt(b: np.ndarray, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Zero-phase filtering of (T, C) gap-free ``x`` with odd padding (like scipy's default)."""
    pad = min(3 * len(a), x.shape[0] - 1)
    ext = np.concatenate([2 * x[:1] - x[pad:0:-1], x, 2 * x[-1:] - x[-2:-pad - 2:-1]]) if pad else x
    zi = _steady_state(b, a)[:, None]
    forward = _lfilter(b, a, ext, zi * ext[:1])
    backward = _lfilter(b, a, forward[::-1].copy(), zi * forward[-1:])[::-1]
    return backward[pad:pad + x.shape[0]] if pad else backward


def fill_short_gaps(x: np.ndarray, max_gap_frames: int) -> np.ndarray:
    """(T, C): NaN runs of at most ``max_gap_frames`` with data on both sides become linear ramps."""
    out = x.copy()
    frames = np.arange(x.shape[0])
    for c in range(x.shape[1]):
        missing = np.isnan(x[:, c])
        if not missing.any() or missing.all():
            continue
        filled = np.interp(frames, frames[~missing], x[~missing, c])
        for start, stop in _runs(missing):
            inside = start > 0 and stop < x.shape[0]
            if inside and stop - start <= max_gap_frames:
                out[start:stop, c] = filled[start:stop]
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True in a 1-D bool array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def filtfilt_runs(b: np.ndarray, a: np.ndarray, x: np.ndarray, max_gap_frames: int) -> np.ndarray:
    """Fill short gaps, then filter each gap-free run long enough for the filter; shorter runs stay raw."""
    filled = fill_short_gaps(x, max_gap_frames)
    out = filled.copy()
    valid = ~np.isnan(filled)
    min_length = 3 * len(a) + 1
    # columns of one landmark share their gaps, so group columns by identical masks to filter together
    patterns: dict[bytes, list[int]] = {}
    for c in range(x.shape[1]):
        patterns.setdefault(valid[:, c].tobytes(), []).append(c)
    for columns in patterns.values():
        for start, stop in _runs(valid[:, columns[0]]):
            if stop - start >= min_length:
                out[start:stop, columns] = filtfilt(b, a, filled[start:stop, columns])
    return out
