"""Repetition counting with hysteresis: synthetic curves, the live counter, and the squat clip."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from poselab.errors import InputError
from poselab.motion.reps import RepCounter, RepSpec, count_reps, reps_of_sequence
from poselab.motion.smoothing import smooth_one_euro
from tests.motion.test_smoothing import analyzed


def squats(count: int, fps: float = 10.0, noise_deg: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` cosine dips from 170 to 80 deg, 2 s each, standing 1 s before, between and after."""
    rng = np.random.default_rng(seed)
    one = np.r_[np.full(int(fps), 170.0), 125 + 45 * np.cos(np.linspace(0, 2 * np.pi, int(2 * fps)))]
    curve = np.r_[np.tile(one, count), np.full(int(fps), 170.0)]
    curve = curve + rng.normal(0, noise_deg, curve.size)
    return np.arange(curve.size) / fps, curve


def test_counts_clean_and_noisy_squats() -> None:
    for noise in (0.0, 4.0):
        time_s, curve = squats(3, noise_deg=noise)
        reps = count_reps(time_s, curve, 100, 150)
        assert len(reps) == 3
        assert all(r.min_deg < 90 and r.max_deg > 150 and 1.0 < r.duration_s < 3.0 for r in reps)
        assert all(a.end_s <= b.start_s for a, b in itertools.pairwise(reps))


def test_noise_around_a_threshold_is_not_a_rep() -> None:
    rng = np.random.default_rng(3)
    time_s = np.arange(300) / 30
    around_low = 100 + rng.normal(0, 5, 300)  # crosses low often, never comes back up to high
    around_high = 150 + rng.normal(0, 5, 300)  # crosses high often, never goes down to low
    assert count_reps(time_s, np.r_[170, around_low[1:]], 100, 150) == []
    assert count_reps(time_s, around_high, 100, 150) == []


def test_a_clip_starting_at_the_bottom_does_not_count_half_a_rep() -> None:
    time_s = np.arange(6.0)
    assert count_reps(time_s, np.array([80, 90, 160, 170, 165, 160]), 100, 150) == []
    assert len(count_reps(time_s, np.array([80, 160, 90, 160, 95, 140]), 100, 150)) == 1  # last one unfinished


def test_nan_frames_are_skipped() -> None:
    time_s = np.arange(7.0)
    reps = count_reps(time_s, np.array([170, np.nan, 90, np.nan, np.nan, 160, np.nan]), 100, 150)
    assert len(reps) == 1 and reps[0].start_s == 0 and reps[0].end_s == 5 and reps[0].min_deg == 90


def test_live_counter_reports_each_rep_as_it_ends() -> None:
    counter = RepCounter(100, 150)
    time_s, curve = squats(2)
    done = [t for t, v in zip(time_s, curve, strict=True) if counter.update(t, v) is not None]
    assert counter.count == 2 and len(done) == 2 and counter.phase == "up"
    counter.update(99.0, 80.0)
    assert counter.phase == "down"


def test_rep_spec_parsing() -> None:
    spec = RepSpec.parse("left_knee:100:150")
    assert (spec.angle, spec.low_deg, spec.high_deg) == ("left_knee", 100, 150)
    assert RepSpec.parse("right_elbow_deg:60:140").angle == "right_elbow"
    for bad in ("left_knee:100", "left_knee:a:150", "knee:100:150", "left_knee:150:100", "left_knee:1:2:3"):
        with pytest.raises(InputError):
            RepSpec.parse(bad)


@pytest.mark.slow
def test_squat_clip_completes_two_squats(test_data: Path, model_dir: Path) -> None:
    # The left knee (world) goes 166 -> 89 -> 166, 167 -> 85 -> 167, then 161 -> 81 -> 110 as the clip
    # ends: two completed squats and a third cut off at the bottom.
    raw = analyzed("squats", test_data, model_dir)
    for sequence in (raw, smooth_one_euro(raw)):
        for side in ("left_knee", "right_knee"):
            report = reps_of_sequence(sequence, RepSpec(side, 100, 150))
            assert report["count"] == 2, report
            first, second = report["reps"]
            assert 0.4 <= first["start_s"] < first["end_s"] <= 3.6 and 5.0 <= second["start_s"] < second["end_s"] <= 8.6
            assert first["min_deg"] < 95 and second["min_deg"] < 95
