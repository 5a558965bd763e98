"""Live fall alerts: the watcher fed the rolling window a live panel reads every 0.5 s."""

from __future__ import annotations

import numpy as np

from poselab.assess.events import FallWatcher, current_postures
from poselab.sequence import PoseSequence
from tests.assess.animate import sequence_from
from tests.assess.scenarios import NOT_FALLS, T0, fall

PANEL_EVERY_S = 0.5
WINDOW_S = 10.0


def _replay(sequence: PoseSequence) -> list[tuple[float, list]]:
    """(time of the refresh, falls it reported) for every panel refresh of a stream playing ``sequence``."""
    watcher, reports = FallWatcher(), []
    for now_s in np.arange(PANEL_EVERY_S, sequence.time_s[-1] + 1e-9, PANEL_EVERY_S):
        keep = np.flatnonzero((sequence.time_s <= now_s) & (sequence.time_s > now_s - WINDOW_S))
        fresh = watcher.update(sequence.slice_frames(int(keep[0]), int(keep[-1]) + 1))
        reports.append((float(now_s), fresh))
    return reports


def test_a_fall_is_reported_once_within_two_seconds() -> None:
    reports = _replay(sequence_from(fall("forward", 0.6), 8.0))
    alerts = [(now, e) for now, fresh in reports for e in fresh]
    assert len(alerts) == 1
    now, event = alerts[0]
    assert now - (T0 + 0.6) <= 2.0 and now >= event.impact_s


def test_a_track_lost_on_the_way_down_is_reported_too() -> None:
    reports = _replay(sequence_from(fall("forward", 0.7), 6.0, lost_after_s=T0 + 0.6))
    assert sum(len(fresh) for _, fresh in reports) == 1


def test_squats_and_sitting_raise_no_alert() -> None:
    for name in ("squat_fast", "sit_down", "pick_up"):
        assert all(not fresh for _, fresh in _replay(sequence_from(NOT_FALLS[name], 8.0))), name


def test_current_posture_of_each_person() -> None:
    seq = sequence_from(NOT_FALLS["sit_down"], 4.0, elevation_deg=0.0)
    assert current_postures(seq.slice_frames(0, 10)) == {0: "standing"}
    assert current_postures(seq) == {0: "sitting"}
    assert current_postures(None) == {}
