"""The Ergonomics result tab through Streamlit's AppTest on a stored synthetic analysis (no model runs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from poselab.settings import InferenceSettings
from poselab.store.analysis import Analysis
from tests.assess.posing import Arm, Posture, sequence_of
from tests.conftest import write_test_clip

SCRIPT = """
from pathlib import Path
from components.results import show_results
from components.settings import DisplaySettings
from poselab.store.analysis import Analysis
show_results(Analysis.load(Path({folder!r})), DisplaySettings(), "t")
"""
BENT = Posture(trunk_flexion=30, neck_flexion=25, left=Arm(flexion=60, wrist=10), right=Arm(flexion=60, wrist=10))


@pytest.fixture
def stored(tmp_path: Path) -> Path:
    folder = tmp_path / "analysis"
    folder.mkdir()
    sequence = sequence_of([Posture()] * 4 + [BENT] * 6, fps=10.0)
    write_test_clip(folder / "source.mp4", frames=10, size=(640, 480), fps=10.0)
    Analysis(folder, sequence, InferenceSettings(), "synthetic.mp4", "0" * 64).save()
    return folder


def _breakdown(at: AppTest) -> dict:
    tables = [frame.value for frame in at.dataframe if "left" in frame.value.columns and "score" in frame.value.index]
    assert tables, "no breakdown table"
    return tables[0]["left"].to_dict()


def test_load_rescores_and_the_report_is_offered(stored: Path) -> None:
    at = AppTest.from_string(SCRIPT.format(folder=str(stored)), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert any("Camera assumed level" in info.value for info in at.info)
    at.slider(key="t.frame").set_value(6).run()
    before = _breakdown(at)
    assert (before["force"], before["score"]) == ("0", "4")
    at.number_input(key="t.ergo.load").set_value(12.0).run()
    after = _breakdown(at)
    assert (after["force"], after["score"]) == ("2", "7")  # C = 4 + 2, D = 4 + 2 -> Table C 7
    at.button(key="t.ergo_prepare").click().run()
    assert not at.exception, at.exception
    assert at.get("download_button"), "the report download is offered once prepared"


def test_calibration_button_sets_the_frame(stored: Path) -> None:
    at = AppTest.from_string(SCRIPT.format(folder=str(stored)), default_timeout=60)
    at.run()
    at.button(key="t.ergo.calibrate").click().run()
    assert not at.exception, at.exception
    assert not any("Camera assumed level" in info.value for info in at.info)
    assert any("Calibration:** frame 1" in md.value for md in at.markdown)
