"""The Library's Classes tab through AppTest: mark frames of one analysis, train, and see the taught classes
of another analysis in its Postures tab."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from poselab.assess.taught import class_reps
from poselab.settings import InferenceSettings
from poselab.store.analysis import Analysis
from poselab.store.classifiers import list_classifiers, load_classifier, load_marks
from poselab.store.library import Library
from tests.assess.animate import sequence_from
from tests.assess.scenarios import squat
from tests.conftest import REPO

PAGE = str(REPO / "pages" / "library.py")


def _save(folder: Path, name: str, seed: int) -> object:
    folder.mkdir(parents=True)
    sequence = sequence_from(squat(), 6.0, seed=seed, elevation_deg=0.0)
    return Library().save(Analysis(folder, sequence, InferenceSettings(), name, f"hash{seed}"))


def test_mark_frames_train_and_count_reps_of_another_clip(tmp_path: Path) -> None:
    _save(tmp_path / "a", "taught", 1)
    at = AppTest.from_file(PAGE, default_timeout=60).run()  # the only analysis is the one chosen
    # standing, then the bottom of the first squat: as many frames of each, as a kNN vote wants
    for frames, label in (((0, 10), "up"), ((52, 62), "down")):
        at.slider(key="classes.range").set_value(frames)
        at.text_input(key="classes.label").input(label).run()  # the button waits for a name
        at.button(key="classes.add").click().run()
    assert [m["label"] for m in load_marks()] == ["up", "down"]
    at.text_input(key="classes.name").input("squat phases").run()
    at.button(key="classes.train").click().run()
    assert not at.exception and any("Saved classifier 'squat phases'" in s.value for s in at.success)
    assert list_classifiers() == ["squat_phases"] and load_classifier("squat phases").classes == ["down", "up"]
    other = sequence_from(squat(), 6.0, seed=7, yaw_deg=40.0, elevation_deg=0.0)  # another clip, another angle
    report = class_reps(load_classifier("squat phases"), other)
    assert report["classes"]["down"]["count"] == 3
