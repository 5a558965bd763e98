"""The Events and Postures result tabs through Streamlit's AppTest, on the shared corridor fall."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from poselab.assess.taught import train
from poselab.settings import InferenceSettings
from poselab.store.analysis import Analysis
from poselab.store.classifiers import save_classifier
from tests.assess.animate import Body, sequence_from
from tests.assess.scenarios import STILL

FALL = "falls/fall_corridor_forward.mp4"


def _script(folder: str) -> None:
    from pathlib import Path

    from components.results import show_results
    from components.settings import DisplaySettings
    from poselab.store.analysis import Analysis

    show_results(Analysis.load(Path(folder)), DisplaySettings(), "t")


@pytest.fixture
def fall_analysis(shared_sequences: dict, test_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "fall"
    folder.mkdir()
    shutil.copy(test_data / FALL, folder / "source.mp4")
    Analysis(folder, shared_sequences[FALL], InferenceSettings(num_poses=2), "fall", "hash").save()
    return folder


def test_the_events_tab_shows_the_fall_and_jumps_to_its_frame(fall_analysis: Path) -> None:
    at = AppTest.from_function(_script, args=(str(fall_analysis),), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("1 fall event" in e.value for e in at.error)  # the alert banner of the Events tab
    assert any("Fall of person 0" in m.value for m in at.markdown)
    jump = at.button(key="t.event0")
    assert at.slider(key="t.frame").value == 1  # the slider counts frames from 1, as its caption does
    jump.click().run()
    assert at.slider(key="t.frame").value == int(jump.label.split()[-1]) > 80  # impact near 3.9 s of 4.9 s


def test_the_postures_tab_lists_shares_and_applies_a_taught_classifier(fall_analysis: Path) -> None:
    poses = {"upright": Body(), "down": Body(topple_deg=85)}
    marks = [(sequence_from(lambda t, b=body: (b, STILL), 0.4, seed=i), 0, 0, 9, name)
             for i, (name, body) in enumerate(poses.items())]
    save_classifier(train("upright or down", marks))
    at = AppTest.from_function(_script, args=(str(fall_analysis),), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="t.classifier").value == "upright_or_down"
    keys = {chart.key for chart in at.get("plotly_chart")}
    assert {"t.events_timeline", "t.postures", "t.classes"} <= keys
