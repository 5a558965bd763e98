"""Quality figures: detection rate, per-landmark confidence, jitter before and after smoothing."""

from __future__ import annotations

import numpy as np
import pytest

from poselab.motion.quality import (
    detection_rate,
    jitter_per_landmark_px,
    jitter_px,
    landmark_confidence,
    quality_report,
)
from poselab.motion.smoothing import smooth_one_euro
from tests.motion.test_smoothing import synthetic


def test_jitter_is_mean_absolute_acceleration() -> None:
    still = synthetic(np.full(10, 50.0))
    assert jitter_px(still) == 0.0
    steady = synthetic(np.arange(10) * 3.0)  # constant speed: no acceleration
    assert jitter_px(steady) == pytest.approx(0.0, abs=1e-4)
    zigzag = synthetic(np.array([0.0, 1.0] * 5))  # x and y both +-2 per frame²: length 2·sqrt(2)
    assert jitter_px(zigzag) == pytest.approx(2 * np.sqrt(2), rel=1e-5)
    assert jitter_px(synthetic(np.ones(2))) is None


def test_jitter_ignores_triples_with_a_lost_frame() -> None:
    values = np.array([0.0, 1, 0, 1, np.nan, 5, 5, 5, 5])
    per_landmark = jitter_per_landmark_px(synthetic(values))
    # only frames 0..3 (two triples, +-2 each) and 5..8 (still) count
    assert per_landmark[0] == pytest.approx((2 * 2 * np.sqrt(2)) / 4, rel=1e-5)


def test_detection_rate_and_confidence() -> None:
    sequence = synthetic(np.r_[np.ones(6), [np.nan] * 2])
    assert detection_rate(sequence) == pytest.approx(0.75)
    confidence = landmark_confidence(sequence)
    assert confidence["nose"] == {"mean_visibility": 1.0, "mean_presence": 1.0}


def test_quality_report_before_and_after_smoothing() -> None:
    rng = np.random.default_rng(4)
    raw = synthetic(100 + rng.normal(0, 3, 60))
    report = quality_report(raw, smooth_one_euro(raw))
    assert report["detection_rate"] == 1.0
    assert report["jitter_smoothed_px"] < report["jitter_raw_px"]
    assert 0.3 < report["jitter_reduction"] < 1.0
    assert len(report["landmarks"]) == 33
    assert quality_report(raw)["jitter_reduction"] is None
