"""Compare: signals of two analyses, DTW alignment, rep counting and the differences table."""

from __future__ import annotations

import numpy as np
import pytest

from poselab.errors import InputError
from poselab.motion.compare import (
    align_dtw,
    common_signals,
    differences,
    dtw_path,
    find_reps,
    overlay_figure,
    signals,
    warp_onto_a,
)
from tests.store.test_library import make_sequence


def test_dtw_path_on_known_sequences() -> None:
    i, j, cost = dtw_path(np.array([0.0, 1, 2, 3]), np.array([0.0, 0, 1, 2, 3]))
    assert list(zip(i, j, strict=True)) == [(0, 0), (0, 1), (1, 2), (2, 3), (3, 4)]
    assert cost == 0.0
    _, _, worse = dtw_path(np.array([0.0, 1, 2, 3]), np.array([3.0, 2, 1, 0]))
    assert worse > 0.5


def test_dtw_recovers_a_time_shift() -> None:
    a = make_sequence(frames=60, fps=20.0, period_s=1.5)
    b = make_sequence(frames=60, fps=20.0, period_s=1.5, phase_s=0.4)  # B's squat happens 0.4 s later
    sa, sb = signals(a), signals(b)
    name = "left_knee_deg"
    alignment = align_dtw(sa.index.to_numpy(), sa[name].to_numpy(), sb.index.to_numpy(), sb[name].to_numpy())
    assert alignment.offset_s == pytest.approx(-0.4, abs=0.06)
    t, v = warp_onto_a(alignment, sb.index.to_numpy(), sb[name].to_numpy())
    middle = (t > 0.6) & (t < 2.4)
    np.testing.assert_allclose(v[middle], np.interp(t[middle], sa.index, sa[name]), atol=3.0)


def test_long_curves_are_resampled() -> None:
    a = make_sequence(frames=1500, fps=60.0, period_s=2.0)
    s = signals(a)
    alignment = align_dtw(s.index.to_numpy(), s.iloc[:, 0].to_numpy(), s.index.to_numpy(), s.iloc[:, 0].to_numpy())
    assert alignment.offset_s == pytest.approx(0.0, abs=1e-9) and len(alignment.a_time_s) == 400


def test_signal_without_values_is_an_input_error() -> None:
    a = make_sequence(frames=10, missing=tuple(range(9)))
    s = signals(a)
    assert s.count().max() == 1
    assert common_signals(s, s) == []
    with pytest.raises(InputError, match="fewer than two"):
        align_dtw(s.index.to_numpy(), s.iloc[:, 0].to_numpy(), s.index.to_numpy(), s.iloc[:, 0].to_numpy())


def test_count_reps_with_noise() -> None:
    time_s = np.linspace(0, 10, 300)
    values = 90 + 40 * np.cos(2 * np.pi * time_s / 2.5) + np.random.default_rng(1).normal(0, 2, 300)
    reps = find_reps(time_s, values)
    assert len(reps) == 4  # the curve starts at its top: 4 full dips in 10 s
    # a rep runs from leaving the top 30 % of the range to coming back: 63 % of the 2.5 s cycle
    assert np.mean([r.duration_s for r in reps]) == pytest.approx(0.63 * 2.5, abs=0.2)
    assert find_reps(time_s[:50], np.full(50, 3.0)) == []


def test_differences_table_reports_range_reps_and_tempo() -> None:
    a = make_sequence(frames=100, fps=10.0, period_s=2.5, amplitude_px=60)
    b = make_sequence(frames=100, fps=10.0, period_s=2.0, amplitude_px=120)  # deeper and faster
    sa, sb = signals(a), signals(b)
    name = "left_knee_deg"
    table = differences(sa, sb, [name]).set_index("metric")
    knee = 180 - 2 * np.degrees(np.arctan(0.3 / 0.45))  # deepest knee angle of make_sequence
    assert table.loc["peak min (deg)", "A"] == pytest.approx(knee, abs=1.0)
    assert table.loc["range of motion (deg)", "A"] == pytest.approx(180 - knee, abs=1.0)
    assert table.loc["reps", "A"] == 3 and table.loc["reps", "B"] == 4  # counted from the first top
    assert table.loc["tempo (reps/min)", "B"] > table.loc["tempo (reps/min)", "A"]
    figure = overlay_figure(sa, sb, name, offset_s=0.5)
    assert figure.data[1].x[0] == pytest.approx(0.5)
