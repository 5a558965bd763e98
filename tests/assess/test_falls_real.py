"""Fall events on real clips: the two shared CCTV falls (one event each, impact within 1 s of the label) and
every other shared clip (no event). Each clip goes through the model once per test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from poselab.assess.falls import detect_falls
from poselab.cli.commands import main
from poselab.cli.output import write_analysis
from poselab.sequence import PoseSequence
from tests.assess.conftest import FALL_IMPACT_S, NEGATIVES
from tests.conftest import write_test_clip


@pytest.mark.parametrize("name", FALL_IMPACT_S)
def test_each_real_fall_is_found_once_near_its_label(shared_sequences: dict[str, PoseSequence], name: str) -> None:
    events = detect_falls(shared_sequences[name])
    assert len(events) == 1, [e.to_dict() for e in events]
    assert abs(events[0].impact_s - FALL_IMPACT_S[name]) <= 1.0
    assert events[0].clip_ended  # both clips end about a second after the fall


@pytest.mark.parametrize("name", NEGATIVES)
def test_no_shared_negative_clip_gives_a_fall(shared_sequences: dict[str, PoseSequence], name: str) -> None:
    assert detect_falls(shared_sequences[name]) == []


def test_analysis_output_holds_the_events(shared_sequences: dict[str, PoseSequence], tmp_path: Path) -> None:
    write_analysis(shared_sequences["falls/fall_corridor_forward.mp4"], tmp_path)
    events = json.loads((tmp_path / "events.json").read_text())
    assert [e["kind"] for e in events] == ["fall"] and events[0]["person"] == 0


def test_analyze_writes_an_empty_events_list_when_nothing_happened(model_dir: Path, tmp_path: Path) -> None:
    clip = write_test_clip(tmp_path / "grey.mp4")  # no person at all
    assert main(["analyze", str(clip), "--out", str(tmp_path / "out"), "--no-video"]) == 0
    assert json.loads((tmp_path / "out" / "events.json").read_text()) == []
