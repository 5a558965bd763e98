"""The export zip carries the ergonomic files, and the report is self-contained and illustrated."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from poselab.settings import InferenceSettings
from poselab.store.analysis import Analysis
from poselab.store.exports import export_all
from tests.assess.posing import Arm, Posture, sequence_of
from tests.conftest import write_test_clip


def test_export_zip_has_the_ergonomics(tmp_path: Path) -> None:
    folder = tmp_path / "analysis"
    folder.mkdir()
    bent = Posture(trunk_flexion=30, left=Arm(flexion=60), right=Arm(flexion=60))
    write_test_clip(folder / "source.mp4", frames=8, size=(640, 480), fps=10.0)
    analysis = Analysis(folder, sequence_of([Posture()] * 4 + [bent] * 4), InferenceSettings(), "lift", "0" * 64)
    export_all(analysis, tmp_path / "out")
    with zipfile.ZipFile(tmp_path / "out" / "lift.zip") as bundle:
        names = set(bundle.namelist())
        report = bundle.read("lift/ergonomics_report.html").decode()
        readme = bundle.read("lift/README.md").decode()
    assert {"lift/rula.csv", "lift/reba.csv", "lift/ergonomics.json", "lift/ergonomics_report.html"} <= names
    assert "`rula.csv`: RULA per frame" in readme
    assert "data:image/jpeg;base64," in report  # the worst moments' frames, inline
    assert not re.search(r"""(src|href)=["']https?://""", report)  # nothing fetched from elsewhere
    assert "@page { size: A4" in report and "default (not seen by the camera)" in report


def test_report_timeline_is_one_band_per_run_of_a_level() -> None:
    from poselab.assess import assess
    from poselab.assess.ergo_report import LEVEL_RGB, timeline_svg

    bent = Posture(trunk_flexion=70, left=Arm(flexion=100), right=Arm(flexion=100))  # RULA 5: action level 3
    result = assess(sequence_of([Posture()] * 3 + [bent] * 4 + [Posture()] * 3))
    fills = re.findall(r'<rect x="[\d.]+" y="0" width="([\d.]+)" height="26" fill="(#\w+)"', timeline_svg(
        result, "rula", 0, width_px=100))
    green, orange = LEVEL_RGB["rula"][1], LEVEL_RGB["rula"][3]
    assert [(round(float(w)), c) for w, c in fills] == [(30, green), (40, orange), (30, green)]
