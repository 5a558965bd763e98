"""Smoothing: One Euro and Butterworth maths, and the tuned defaults on the shared clips.

``analyzed(name)`` runs MediaPipe once per clip per test session; the other motion tests import it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from pathlib import Path

import numpy as np
import pytest

from poselab.errors import InputError
from poselab.motion.filters import butter_lowpass, filtfilt, filtfilt_runs
from poselab.motion.quality import jitter_px
from poselab.motion.smoothing import (
    ButterworthParams,
    OneEuroFilter,
    OneEuroParams,
    PoseSmoother,
    SmoothingSettings,
    smooth_butterworth,
    smooth_one_euro,
)
from poselab.sequence import PoseSequence, VideoInfo

CLIPS = {
    "squats": "mediapipe/pose_squats.mp4",
    "dance": "videos/dance_600x600.mp4",
    "lab_single": "videos/lab_single_portrait_60fps.mp4",
    "lab_two": "videos/lab_two_people_portrait_60fps.mp4",
}


@functools.cache
def _analyze(path: str) -> PoseSequence:
    from poselab.parallel.analyze import analyze_clip
    from poselab.settings import InferenceSettings

    return analyze_clip(Path(path), InferenceSettings())


def analyzed(name: str, test_data: Path, model_dir: Path) -> PoseSequence:
    """The full model's landmarks of a shared clip, computed once per session."""
    os.environ.setdefault("POSELAB_MODEL_DIR", str(model_dir))
    return _analyze(str(test_data / CLIPS[name]))


def synthetic(values_px: np.ndarray, fps: float = 30.0) -> PoseSequence:
    """A one-slot sequence whose 33 landmarks all follow ``values_px`` (T,) in x and y (NaN = lost)."""
    frames = len(values_px)
    xy = np.repeat(values_px[:, None, None, None], 33, axis=2).repeat(2, axis=3).astype(np.float32)
    xy[..., 0] += np.arange(33, dtype=np.float32) * 10  # give the pose a size for the object scale
    lost = np.isnan(values_px)[:, None, None]
    ones = np.where(lost, np.nan, np.ones((frames, 1, 33), np.float32))
    return PoseSequence(
        time_s=np.arange(frames) / fps, image_xy_px=xy, image_z=ones * 0, visibility=ones, presence=ones,
        world_xyz_m=np.repeat(xy[..., :1], 3, axis=3) / 1000, video=VideoInfo(640, 480, fps, frames, frames / fps),
    )


# ----------------------------------------------------------------------------- One Euro maths

def test_one_euro_keeps_a_constant_constant() -> None:
    smoother = OneEuroFilter(OneEuroParams())
    out = [smoother(t / 30, np.array([5.0, -2.5]), 100.0) for t in range(60)]
    np.testing.assert_array_equal(np.array(out), np.tile([5.0, -2.5], (60, 1)))


def test_one_euro_step_settles_without_overshoot() -> None:
    smoother = OneEuroFilter(OneEuroParams())
    values = np.r_[np.zeros(30), np.full(60, 100.0)]
    out = np.array([smoother(t / 30, np.array(v), 200.0) for t, v in enumerate(values)])
    after = out[30:]
    assert 0 < after[0] < 100  # smoothed: not the raw jump in one frame
    assert np.all(np.diff(after) >= -1e-9) and after.max() <= 100 + 1e-9  # monotone, no overshoot
    assert abs(after[30] - 100) < 1.0  # settled within a second


def test_one_euro_nan_gap_gives_nan_and_restarts_cleanly() -> None:
    smoother = OneEuroFilter(OneEuroParams())
    for t in range(10):
        smoother(t / 30, np.array([0.0, 0.0]), 100.0)
    gap = smoother(10 / 30, np.array([np.nan, 1.0]), 100.0)
    assert np.isnan(gap[0]) and not np.isnan(gap[1])
    back = smoother(11 / 30, np.array([50.0, 1.0]), 100.0)
    assert back[0] == 50.0  # restarts at the new value instead of smearing the jump over the gap


def test_one_euro_rejects_bad_parameters() -> None:
    with pytest.raises(InputError):
        OneEuroParams(min_cutoff_hz=0)


def test_smooth_one_euro_returns_new_sequence_and_keeps_raw() -> None:
    rng = np.random.default_rng(1)
    values = np.r_[100 + rng.normal(0, 2, 40), [np.nan] * 5, 100 + rng.normal(0, 2, 40)]
    raw = synthetic(values)
    before = raw.image_xy_px.copy()
    smoothed = smooth_one_euro(raw)
    np.testing.assert_array_equal(raw.image_xy_px, before)  # raw untouched
    np.testing.assert_array_equal(smoothed.visibility, raw.visibility)
    assert np.isnan(smoothed.image_xy_px[40:45]).all()  # lost frames stay lost
    assert jitter_px(smoothed) < 0.5 * jitter_px(raw)
    assert smoothed.meta["smoothing"]["method"] == "one-euro"


def test_live_smoother_matches_offline() -> None:
    rng = np.random.default_rng(2)
    raw = synthetic(100 + np.cumsum(rng.normal(0, 3, 30)))
    offline = smooth_one_euro(raw)
    live = PoseSmoother(raw.video.width)
    for t in range(raw.num_frames):
        rows = np.concatenate([raw.image_xy_px[t], raw.image_z[t][..., None], raw.visibility[t][..., None],
                               raw.presence[t][..., None], raw.world_xyz_m[t]], axis=-1)
        out = live.update(float(raw.time_s[t]), rows)
        np.testing.assert_allclose(out[..., 0:2], offline.image_xy_px[t], rtol=1e-5)
        np.testing.assert_allclose(out[..., 5:8], offline.world_xyz_m[t], rtol=1e-5)


# ----------------------------------------------------------------------------- Butterworth maths

def test_butterworth_coefficients_match_the_textbook() -> None:
    b, a = butter_lowpass(2, 0.2)  # scipy.signal.butter(2, 0.2)
    np.testing.assert_allclose(b, [0.06745527, 0.13491055, 0.06745527], rtol=1e-6)
    np.testing.assert_allclose(a, [1.0, -1.1429805, 0.4128016], rtol=1e-6)


def test_filtfilt_keeps_constant_and_has_no_lag() -> None:
    b, a = butter_lowpass(4, 0.2)
    np.testing.assert_allclose(filtfilt(b, a, np.full((50, 2), 7.0)), 7.0, atol=1e-9)
    t = np.arange(200)
    slow = np.sin(2 * np.pi * t / 50)[:, None]  # well below the cutoff: comes out in phase
    noisy = slow + 0.3 * np.sin(2 * np.pi * t / 2.5)[:, None]
    out = filtfilt(b, a, noisy)
    assert np.abs(out - slow)[20:-20].max() < 0.05


def test_filtfilt_runs_fills_short_gaps_and_keeps_long_ones() -> None:
    b, a = butter_lowpass(2, 0.3)
    x = np.linspace(0, 10, 60)[:, None].copy()
    x[10:13] = np.nan  # 3 frames: interpolated
    x[30:45] = np.nan  # 15 frames: stays NaN
    x[52:58] = np.nan  # 6 frames: stays NaN, leaving 7- and 2-frame runs too short to filter (kept raw)
    x[46] += 1.0  # a bump that filtering would spread
    out = filtfilt_runs(b, a, x, max_gap_frames=5)
    np.testing.assert_allclose(out[10:13, 0], np.linspace(0, 10, 60)[10:13], atol=1e-6)
    assert np.isnan(out[30:45]).all() and np.isnan(out[52:58]).all()
    np.testing.assert_array_equal(out[45:52], x[45:52])
    np.testing.assert_array_equal(out[58:], x[58:])
    np.testing.assert_allclose(out[:30], np.linspace(0, 10, 60)[:30, None], atol=0.02)  # a ramp stays a ramp


def test_butterworth_cutoff_must_be_below_nyquist() -> None:
    raw = synthetic(np.full(40, 100.0), fps=5.0)
    with pytest.raises(InputError, match="below half the frame rate"):
        smooth_butterworth(raw, ButterworthParams(cutoff_hz=3.0))
    smoothed = smooth_butterworth(raw)  # the default cutoff adapts to slow clips
    np.testing.assert_allclose(smoothed.image_xy_px, raw.image_xy_px, atol=1e-3)


def test_smoothing_settings_from_cli_namespace() -> None:
    class Args:
        smoothing, min_cutoff, beta, d_cutoff, cutoff, order, max_gap = "one-euro", 0.7, None, None, 4.0, 3, None

    settings = SmoothingSettings.from_args(Args())
    assert settings.one_euro == dataclasses.replace(OneEuroParams(), min_cutoff_hz=0.7)
    assert settings.butterworth.cutoff_hz == 4.0 and settings.butterworth.order == 3
    assert SmoothingSettings.from_args(None).apply(synthetic(np.ones(3))).meta.get("smoothing") is None
    with pytest.raises(InputError):
        SmoothingSettings(method="kalman")


# ----------------------------------------------------------------------------- tuned defaults on real clips

def _golden_distance_px(sequence: PoseSequence, golden: np.ndarray) -> np.ndarray:
    return np.linalg.norm(sequence.image_xy_px[:, 0].astype(np.float64) - golden, axis=-1)


@pytest.mark.slow
def test_one_euro_defaults_stay_close_to_squat_goldens(test_data: Path, model_dir: Path) -> None:
    golden = np.array(json.loads((test_data / "mediapipe/pose_squats.full.json").read_text()))[..., :2]
    raw = analyzed("squats", test_data, model_dir)
    smoothed = smooth_one_euro(raw)
    raw_px, smooth_px = _golden_distance_px(raw, golden), _golden_distance_px(smoothed, golden)
    print(f"squats vs goldens: raw median {np.median(raw_px):.2f} p99 {np.percentile(raw_px, 99):.1f} px, "
          f"one-euro median {np.median(smooth_px):.2f} p99 {np.percentile(smooth_px, 99):.1f} px")
    assert np.median(smooth_px) <= np.median(raw_px) + 1.0
    assert np.percentile(smooth_px, 99) <= np.percentile(raw_px, 99)
    assert jitter_px(smoothed) < jitter_px(raw)  # 5 fps: most frame-to-frame change is the squat itself


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dance", "lab_single", "lab_two"])
def test_one_euro_defaults_cut_jitter_by_30_percent(name: str, test_data: Path, model_dir: Path) -> None:
    raw = analyzed(name, test_data, model_dir)
    reduction = 1 - jitter_px(smooth_one_euro(raw)) / jitter_px(raw)
    print(f"{name}: jitter {jitter_px(raw):.2f} px/frame², cut by {reduction:.0%}")
    assert reduction >= 0.30
