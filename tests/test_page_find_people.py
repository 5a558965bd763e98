"""The find-people mode on the Analyze page (AppTest): the sidebar toggle reaches the run, the page reports it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from streamlit.testing.v1 import AppTest

from poselab.media.decode import iter_frames

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "analyze.py")


def _crowd_png(test_data: Path) -> bytes:
    """Three small people (pose.jpg at 30 %) on a 1920x1080 grey frame: the whole frame finds at most one."""
    pose = next(iter_frames(test_data / "mediapipe" / "pose.jpg")).image_rgb
    small = cv2.resize(pose, (300, 200), interpolation=cv2.INTER_AREA)
    frame = np.full((1080, 1920, 3), 110, np.uint8)
    for x, y in [(100, 100), (900, 450), (1500, 750)]:
        frame[y:y + 200, x:x + 300] = small
    return cv2.imencode(".png", frame[..., ::-1])[1].tobytes()


def _notes(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if "Find more people" in c.value]


def test_the_toggle_finds_the_small_people_and_the_page_says_what_it_cost(test_data: Path, model_dir: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    at.sidebar.select_slider(key="analyze.model").set_value("lite")
    at.sidebar.number_input(key="analyze.num_poses").set_value(4)
    assert at.sidebar.number_input(key="analyze.find_every").disabled  # meaningless while the mode is off
    at.file_uploader(key="analyze.upload").set_value(("crowd.png", _crowd_png(test_data), "image/png"))
    at.run()
    assert not at.exception and not at.error
    plain = int(next(m.value for m in at.metric if m.label == "People"))
    assert plain < 3 and _notes(at) == []

    at.sidebar.toggle(key="analyze.find_people").set_value(True).run()
    assert not at.exception and not at.error
    people = int(next(m.value for m in at.metric if m.label == "People"))
    assert people == 3
    [note] = _notes(at)
    extra = people - plain
    assert f"{extra} extra {'person' if extra == 1 else 'people'} found by 1 search " in note
    assert "ms per frame" in note
