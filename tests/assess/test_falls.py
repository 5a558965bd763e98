"""Fall events on synthetic sequences: a skeleton animated from angles (tests/assess/animate.py), seen from
several sides, at several frame rates and image sizes, so every threshold is exercised in its own units."""

from __future__ import annotations

import json

import numpy as np
import pytest

from poselab.assess.falls import FALL_SPEED_BH_S, detect_falls, events_json, smoothed
from tests.assess.animate import sequence_from
from tests.assess.scenarios import FALLS, NOT_FALLS, T0, fall

VIEWS = {"front_25fps_640": dict(fps=25.0, size=(640, 360), yaw_deg=0.0),
         "side_60fps_1080p": dict(fps=60.0, size=(1920, 1080), yaw_deg=90.0),
         "oblique_10fps_640": dict(fps=10.0, size=(640, 360), yaw_deg=45.0)}
# falls taking 1.1 s peak near FALL_SPEED_BH_S: found from some sides only (see the report of issue 16)
FOUND_FALLS = {name: pose for name, pose in FALLS.items() if not name.endswith("1.1s")}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("name", FOUND_FALLS)
def test_each_fall_gives_one_event_at_its_impact(name: str, view: str) -> None:
    duration_s = float(name.split("_")[-1].removesuffix("s"))
    events = detect_falls(sequence_from(FALLS[name], 6.0, **VIEWS[view]))
    assert len(events) == 1, events
    event = events[0]
    assert event.kind == "fall" and event.person == 0
    assert abs(event.impact_s - (T0 + duration_s)) <= 0.35
    assert T0 - 0.1 <= event.start_s < event.impact_s
    assert event.clip_ended and event.down_for_s == pytest.approx(6.0 - event.impact_s, abs=0.05)
    assert 0.5 <= event.confidence <= 1.0


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("name", NOT_FALLS)
def test_everyday_movements_give_no_event(name: str, view: str) -> None:
    assert detect_falls(sequence_from(NOT_FALLS[name], 6.0, **VIEWS[view])) == []


def test_the_speed_unit_ignores_frame_rate_and_image_size() -> None:
    peaks = []
    for fps, size in ((25.0, (640, 360)), (60.0, (1920, 1080)), (15.0, (320, 180))):
        seq = sequence_from(fall("sideways", 0.7), 4.0, fps=fps, size=size, noise_frac=0.0)
        hips = seq.image_xy_px[:, 0, 23:25, 1].mean(axis=1) / (seq.video.height * 0.5)  # px_per_m x 1.7 m
        peaks.append(np.nanmax(np.gradient(smoothed(seq.time_s, hips), seq.time_s)))
    assert max(peaks) / min(peaks) < 1.25, peaks
    assert min(peaks) > FALL_SPEED_BH_S


def test_a_track_lost_during_the_descent_is_still_a_fall() -> None:
    seq = sequence_from(fall("forward", 0.7), 5.0, lost_after_s=T0 + 0.6)
    events = detect_falls(seq)
    assert len(events) == 1 and events[0].impact_s == pytest.approx(T0 + 0.6, abs=0.1)
    assert events[0].confidence < 0.9  # less sure than a fall seen to the floor


def test_a_short_tracking_gap_is_bridged() -> None:
    seq = sequence_from(fall("backward", 0.7), 5.0)
    gap = (seq.time_s > T0 + 0.2) & (seq.time_s < T0 + 0.45)  # 0.2 s of frames lost mid-fall
    for field in ("image_xy_px", "world_xyz_m", "visibility", "presence", "image_z"):
        getattr(seq, field)[gap] = np.nan
    assert len(detect_falls(seq)) == 1


def test_getting_up_again_ends_the_event() -> None:
    def pose(t: float):  # falls, stays down 1.5 s, gets up
        if t < T0 + 2.2:
            return fall("sideways", 0.5)(t)
        return fall("sideways", 0.5)(max(T0, T0 + 0.5 - (t - T0 - 2.2)))
    events = detect_falls(sequence_from(pose, 6.0))
    assert len(events) == 1 and not events[0].clip_ended
    assert 1.3 <= events[0].down_for_s <= 2.3


def test_events_json_is_an_empty_list_when_nothing_happened() -> None:
    assert events_json(sequence_from(NOT_FALLS["sit_down"], 4.0)) == []
    events = events_json(sequence_from(fall("forward", 0.5), 4.0))
    assert list(events[0]) == ["kind", "person", "start_s", "impact_s", "end_s", "confidence", "down_for_s",
                               "clip_ended"]
    json.dumps(events)  # plain JSON types only


def test_a_gap_during_the_descent_lowers_the_speed_needed() -> None:
    def gapped() -> object:
        seq = sequence_from(fall("backward", 1.1), 6.0, **VIEWS["side_60fps_1080p"])  # peaks just under the bar
        gap = (seq.time_s > T0 + 0.7) & (seq.time_s < T0 + 0.95)
        for field in ("image_xy_px", "world_xyz_m", "visibility", "presence", "image_z"):
            getattr(seq, field)[gap] = np.nan
        return seq
    assert detect_falls(sequence_from(fall("backward", 1.1), 6.0, **VIEWS["side_60fps_1080p"])) == []
    assert len(detect_falls(gapped())) == 1
