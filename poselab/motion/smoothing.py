"""Landmark smoothing: a causal One Euro filter (live and offline) and a zero-phase Butterworth (offline).

Smoothing never changes a sequence in place: it returns a new PoseSequence, so the raw landmarks stay
beside the smoothed ones. Visibility and presence are left raw (they are the model's confidences).

The One Euro filter follows MediaPipe's legacy landmark filter: the speed that opens the cutoff is
measured in object sizes per second (the pose's bounding-box size), so one set of parameters suits
pixels and metres, near and far people alike.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass

import numpy as np

from poselab.errors import InputError
from poselab.motion.filters import butter_lowpass, filtfilt_runs
from poselab.sequence import PoseSequence

SMOOTHING_METHODS = ("none", "one-euro", "butterworth")
_MIN_OBJECT_SCALE = 1e-6


@dataclass(frozen=True)
class OneEuroParams:
    """``min_cutoff_hz``: smoothing when still (lower = smoother); ``beta``: how fast speed opens the
    cutoff (higher = less lag); ``d_cutoff_hz``: smoothing of the speed estimate.

    Defaults tuned on the shared clips (tests/motion/test_smoothing.py keeps them honest): jitter -41% (dance,
    20 fps) and -68% (lab, 60 fps) while the squat clip stays as close to its goldens as raw (median
    4.85 -> 4.97 px, p99 24.1 -> 16.4 px). MediaPipe's own 0.05 / 80 / 1.0 barely smooths at these
    frame rates (-7% on dance).
    """

    min_cutoff_hz: float = 1.5
    beta: float = 14.0
    d_cutoff_hz: float = 0.2

    def __post_init__(self) -> None:
        if self.min_cutoff_hz <= 0 or self.d_cutoff_hz <= 0 or self.beta < 0:
            raise InputError("One Euro cutoffs must be > 0 Hz and beta >= 0")


@dataclass(frozen=True)
class ButterworthParams:
    """Zero-phase low-pass: ``cutoff_hz`` below half the frame rate (None: 6 Hz, or 0.4 x the frame rate on
    slower clips); gaps up to ``max_gap_frames`` are interpolated first, longer gaps stay NaN."""

    cutoff_hz: float | None = None
    order: int = 2
    max_gap_frames: int = 10

    def __post_init__(self) -> None:
        if (self.cutoff_hz is not None and self.cutoff_hz <= 0) or not 1 <= self.order <= 8 or self.max_gap_frames < 0:
            raise InputError("Butterworth needs cutoff > 0 Hz, order 1..8 and max gap >= 0 frames")

    def cutoff_for(self, rate_hz: float) -> float:
        return self.cutoff_hz if self.cutoff_hz is not None else min(6.0, 0.4 * rate_hz)

    def check_rate(self, rate_hz: float) -> None:
        """An explicit cutoff must be below the Nyquist frequency of the clip (0 = unknown rate: nothing to check)."""
        if rate_hz and self.cutoff_hz is not None and self.cutoff_hz >= rate_hz / 2:
            raise InputError(
                f"Butterworth cutoff {self.cutoff_hz:g} Hz must be below half the frame rate "
                f"({rate_hz / 2:.3g} Hz for this {rate_hz:.3g} fps clip)"
            )


def _alpha(cutoff_hz: float | np.ndarray, dt_s: float) -> float | np.ndarray:
    tau_s = 1.0 / (2 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau_s / dt_s)


class OneEuroFilter:
    """A causal One Euro filter over arrays of any fixed shape, one independent filter per element.

    A NaN input gives NaN and resets that element, so it restarts cleanly after a gap (no jump smeared
    over the first frames back). ``scale`` (broadcastable) is the object size in the value's unit.
    """

    def __init__(self, params: OneEuroParams = OneEuroParams()) -> None:
        self.params = params
        self._last_time_s: float | None = None
        self._value: np.ndarray | None = None  # last filtered value (NaN = no state)
        self._raw: np.ndarray | None = None  # last raw value
        self._speed: np.ndarray | None = None  # filtered derivative, object sizes per second

    def reset(self) -> None:
        self._last_time_s = None
        self._value = self._raw = self._speed = None

    def __call__(self, time_s: float, value: np.ndarray, scale: np.ndarray | float = 1.0) -> np.ndarray:
        value = np.asarray(value, dtype=np.float64)
        if self._value is None or self._last_time_s is None:
            return self._start(time_s, value)
        dt_s = time_s - self._last_time_s
        if dt_s <= 0:  # same or older timestamp: nothing sensible to filter with
            return np.where(np.isnan(self._value), value, self._value)
        p = self.params
        scale = np.maximum(np.asarray(scale, dtype=np.float64), _MIN_OBJECT_SCALE)
        speed = (value - self._raw) / scale / dt_s
        speed_hat = self._speed + _alpha(p.d_cutoff_hz, dt_s) * (speed - self._speed)
        cutoff_hz = p.min_cutoff_hz + p.beta * np.abs(speed_hat)
        smoothed = self._value + _alpha(cutoff_hz, dt_s) * (value - self._value)
        fresh = np.isnan(self._value) & ~np.isnan(value)  # elements (re)starting after a gap
        self._value = np.where(fresh, value, smoothed)
        self._speed = np.where(fresh, 0.0, speed_hat)
        self._raw = value.copy()
        self._last_time_s = time_s
        return self._value.copy()

    def _start(self, time_s: float, value: np.ndarray) -> np.ndarray:
        self._last_time_s = time_s
        self._value = value.copy()
        self._raw = value.copy()
        self._speed = np.where(np.isnan(value), np.nan, 0.0)
        return value.copy()


def object_scale(points: np.ndarray) -> np.ndarray:
    """(..., L, D) points -> (..., 1, 1) mean of the x-y bounding box's width and height (NaN if empty)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # empty slots are all-NaN: NaN is the answer
        span = np.nanmax(points[..., :2], axis=-2) - np.nanmin(points[..., :2], axis=-2)
    return span.mean(axis=-1)[..., None, None]


def _image_scale(image_xyz: np.ndarray, width_px: int) -> np.ndarray:
    """Per-value object scale for (x_px, y_px, z): z is in units of the frame width, so scale it alike."""
    scale_px = object_scale(image_xyz)
    return np.concatenate([scale_px, scale_px, scale_px / max(width_px, 1)], axis=-1)


class PoseSmoother:
    """Live One Euro smoothing of one frame's slot rows at a time (image x, y, z and world x, y, z).

    ``update`` takes the (P, 33, 8) rows that ``SequenceBuilder.append`` returns and gives smoothed rows
    in the same layout; visibility and presence pass through unchanged.
    """

    def __init__(self, width_px: int, params: OneEuroParams = OneEuroParams()) -> None:
        self.width_px = width_px
        self._image = OneEuroFilter(params)
        self._world = OneEuroFilter(params)

    def update(self, time_s: float, rows: np.ndarray) -> np.ndarray:
        out = np.array(rows, dtype=np.float32, copy=True)
        image = rows[..., 0:3].astype(np.float64)
        out[..., 0:3] = self._image(time_s, image, _image_scale(image, self.width_px))
        world = rows[..., 5:8].astype(np.float64)
        out[..., 5:8] = self._world(time_s, world, object_scale(world))
        return out


def smooth_one_euro(sequence: PoseSequence, params: OneEuroParams = OneEuroParams()) -> PoseSequence:
    """A new sequence with image and world landmarks One-Euro filtered, frame by frame (causal)."""
    image = np.concatenate([sequence.image_xy_px, sequence.image_z[..., None]], axis=-1).astype(np.float64)
    width = sequence.video.width
    image_filter, world_filter = OneEuroFilter(params), OneEuroFilter(params)
    image_out = np.empty_like(image)
    world_out = np.empty(sequence.world_xyz_m.shape, np.float64)
    for t, time_s in enumerate(sequence.time_s):
        image_out[t] = image_filter(float(time_s), image[t], _image_scale(image[t], width))
        world = sequence.world_xyz_m[t].astype(np.float64)
        world_out[t] = world_filter(float(time_s), world, object_scale(world))
    return dataclasses.replace(
        sequence,
        image_xy_px=image_out[..., 0:2].astype(np.float32),
        image_z=image_out[..., 2].astype(np.float32),
        world_xyz_m=world_out.astype(np.float32),
        meta=sequence.meta | {"smoothing": {"method": "one-euro", **dataclasses.asdict(params)}},
    )


def frame_rate_hz(time_s: np.ndarray) -> float:
    """The sampling rate from the median frame step (robust to a dropped frame)."""
    steps = np.diff(time_s)
    steps = steps[steps > 0]
    return float(1.0 / np.median(steps)) if steps.size else 0.0


def smooth_butterworth(sequence: PoseSequence, params: ButterworthParams = ButterworthParams()) -> PoseSequence:
    """A new sequence with image and world landmarks low-passed forward and backward (no lag)."""
    rate_hz = frame_rate_hz(sequence.time_s)
    params.check_rate(rate_hz)
    if not rate_hz:  # a single frame or an image: nothing to filter
        return dataclasses.replace(sequence, meta=sequence.meta | {"smoothing": {"method": "butterworth"}})
    b, a = butter_lowpass(params.order, params.cutoff_for(rate_hz) / (rate_hz / 2))

    def run(values: np.ndarray) -> np.ndarray:
        flat = values.reshape(values.shape[0], -1).astype(np.float64)
        return filtfilt_runs(b, a, flat, params.max_gap_frames).reshape(values.shape).astype(np.float32)

    return dataclasses.replace(
        sequence,
        image_xy_px=run(sequence.image_xy_px),
        image_z=run(sequence.image_z),
        world_xyz_m=run(sequence.world_xyz_m),
        meta=sequence.meta | {"smoothing": {"method": "butterworth", **dataclasses.asdict(params)}},
    )


@dataclass(frozen=True)
class SmoothingSettings:
    """The smoothing chosen in the CLI or the sidebar: a method name and both filters' parameters."""

    method: str = "none"
    one_euro: OneEuroParams = OneEuroParams()
    butterworth: ButterworthParams = ButterworthParams()

    def __post_init__(self) -> None:
        if self.method not in SMOOTHING_METHODS:
            raise InputError(f"unknown smoothing {self.method!r}: choose one of {', '.join(SMOOTHING_METHODS)}")

    def check_rate(self, rate_hz: float) -> None:
        if self.method == "butterworth":
            self.butterworth.check_rate(rate_hz)

    def apply(self, sequence: PoseSequence) -> PoseSequence:
        return smooth(sequence, self.method, self.one_euro, self.butterworth)

    def to_dict(self) -> dict:
        params = {"one-euro": self.one_euro, "butterworth": self.butterworth}.get(self.method)
        return {"method": self.method, **(dataclasses.asdict(params) if params else {})}

    @classmethod
    def from_args(cls, args: object) -> SmoothingSettings:
        """From the CLI's namespace (``--smoothing`` and its parameters); missing flags take defaults."""
        one, butter = OneEuroParams(), ButterworthParams()

        def arg(name: str, default: float) -> float:
            value = getattr(args, name, None)
            return default if value is None else value

        return cls(
            method=getattr(args, "smoothing", None) or "none",
            one_euro=OneEuroParams(arg("min_cutoff", one.min_cutoff_hz), arg("beta", one.beta),
                                   arg("d_cutoff", one.d_cutoff_hz)),
            butterworth=ButterworthParams(getattr(args, "cutoff", None), int(arg("order", butter.order)),
                                          int(arg("max_gap", butter.max_gap_frames))),
        )


def smooth(sequence: PoseSequence, method: str, one_euro: OneEuroParams = OneEuroParams(),
           butterworth: ButterworthParams = ButterworthParams()) -> PoseSequence:
    """Dispatch on the method name used by the CLI and the settings ('none' returns the input)."""
    if method == "none":
        return sequence
    if method == "one-euro":
        return smooth_one_euro(sequence, one_euro)
    if method == "butterworth":
        return smooth_butterworth(sequence, butterworth)
    raise InputError(f"unknown smoothing {method!r}: choose one of {', '.join(SMOOTHING_METHODS)}")
