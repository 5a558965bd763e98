"""The find-people mode through the command line: ``--find-people tiles|off``, ``--find-every N``, summary.json."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from poselab.cli.commands import build_parser
from poselab.media.decode import iter_frames
from poselab.settings import InferenceSettings, run_key
from tests.cli.test_cli import run_cli


def test_the_flags_parse_with_their_defaults() -> None:
    parser = build_parser()
    plain = parser.parse_args(["analyze", "clip.mp4", "--out", "o"])
    assert (plain.find_people, plain.find_every) == ("off", 10)
    chosen = parser.parse_args(["analyze", "clip.mp4", "--out", "o", "--find-people", "tiles", "--find-every", "5"])
    assert (chosen.find_people, chosen.find_every) == ("tiles", 5)


@pytest.mark.parametrize("flags", [["--find-people", "grid"], ["--find-every", "0"]])
def test_bad_values_are_refused_with_exit_2(flags: list[str], tmp_path: Path) -> None:
    result = run_cli("analyze", "clip.mp4", "--out", str(tmp_path / "o"), *flags)
    assert result.returncode == 2 and "error:" in result.stderr and "Traceback" not in result.stderr


def test_the_mode_changes_the_run_key_only_when_on() -> None:
    plain = InferenceSettings()
    assert plain.key() == "25b46af9e2a5d5ec"  # the key runs cached before the mode existed were stored under
    assert InferenceSettings(find_every_frames=3).key() == plain.key()  # the interval means nothing when off
    tiles = InferenceSettings(find_people="tiles")
    assert len({plain.key(), tiles.key(), InferenceSettings(find_people="tiles", find_every_frames=3).key()}) == 3
    assert run_key(tiles) != run_key(plain)
    assert InferenceSettings.from_dict(tiles.to_dict()) == tiles
    with pytest.raises(ValueError, match="find_people"):
        InferenceSettings(find_people="grid")


def test_an_image_of_small_people_finds_more_with_tiles(test_data: Path, model_dir: Path, tmp_path: Path) -> None:
    pose = next(iter_frames(test_data / "mediapipe" / "pose.jpg")).image_rgb
    small = cv2.resize(pose, (300, 200), interpolation=cv2.INTER_AREA)
    frame = np.full((1080, 1920, 3), 110, np.uint8)
    for x, y in [(100, 100), (900, 450), (1500, 750)]:
        frame[y:y + 200, x:x + 300] = small
    image = tmp_path / "crowd.png"
    cv2.imwrite(str(image), frame[..., ::-1])
    people = {}
    for mode in ("off", "tiles"):
        out = tmp_path / mode
        result = run_cli("analyze", str(image), "--out", str(out), "--model", "lite", "--num-poses", "4",
                         "--find-people", mode)
        assert result.returncode == 0, result.stderr
        summary = json.loads((out / "summary.json").read_text())
        assert summary["find_people"]["mode"] == mode and summary["settings"]["find_people"] == mode
        people[mode] = pd.read_csv(out / "landmarks.csv").person.nunique()
        if mode == "tiles":
            assert summary["find_people"]["extra_people"] == people["tiles"] - people["off"]
            assert summary["find_people"]["extra_ms_per_frame"] > 0
    assert people["off"] < people["tiles"] == 3
