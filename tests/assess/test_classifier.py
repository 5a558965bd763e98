"""Taught classes: embeddings, the kNN classifier, leave-one-out accuracy, reps from class transitions, the
library store and the ``classify`` command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from poselab.assess.classifier import PoseClassifier
from poselab.assess.embedding import embed, mirrored, sequence_points
from poselab.assess.taught import class_reps, classes_frame, train
from poselab.cli.commands import main
from poselab.errors import InputError
from poselab.motion.angles import compute_angles
from poselab.sequence import PoseSequence
from poselab.store.classifiers import (
    classifier_json,
    delete_classifier,
    import_classifier,
    list_classifiers,
    load_classifier,
    load_marks,
    save_classifier,
    save_marks,
)
from poselab.store.owners import Principal
from tests.assess.animate import Body, sequence_from
from tests.assess.scenarios import STILL

SQUATS = "mediapipe/pose_squats.mp4"


def _points(body: Body, seed: int = 0, yaw_deg: float = 20.0) -> np.ndarray:
    seq = sequence_from(lambda t: (body, STILL), 0.04, seed=seed, yaw_deg=yaw_deg, elevation_deg=0.0)
    return sequence_points(seq)[0, 0]


POSES = {"up": Body(), "down": Body(shank_deg=40, thigh_deg=100, trunk_deg=40, arm_deg=80),
         "bend": Body(trunk_deg=85, thigh_deg=10)}


def test_embeddings_ignore_where_the_person_stands_and_how_large() -> None:
    points = _points(POSES["down"])
    moved = points + np.array([137.0, -52.0, 9.0])
    scaled = points * 2.7
    assert np.allclose(embed(moved), embed(points), atol=1e-6)
    assert np.allclose(embed(scaled), embed(points), atol=1e-6)
    assert not np.allclose(embed(_points(POSES["up"])), embed(points), atol=1.0)  # a different pose differs


def test_a_mirrored_pose_is_classified_as_its_original() -> None:
    lunge = Body(shank_deg=30, thigh_deg=60, trunk_deg=10)
    assert np.allclose(mirrored(mirrored(_points(lunge))), _points(lunge))
    samples = [_points(POSES["up"], seed) for seed in range(5)] + [_points(lunge, seed) for seed in range(5)]
    classifier = PoseClassifier("mirror", np.stack(samples), ["up"] * 5 + ["lunge"] * 5)
    query = mirrored(_points(lunge, seed=9))
    assert classifier.predict(query) == "lunge"
    taught = embed(np.stack(samples[5:]))
    diffs = [np.abs(taught - embed(q)).mean() for q in (query, mirrored(query))]
    assert diffs[1] < diffs[0]  # the mirror image is the nearer one: the classifier needs both


def test_leave_one_out_accuracy_is_the_share_the_others_predict() -> None:
    points = [_points(POSES[c], seed) for c in ("up", "down") for seed in range(10)]
    labels = ["up"] * 10 + ["down"] * 10
    points += [_points(POSES["up"], seed) for seed in (20, 21)]  # two standing poses marked "down" by mistake
    labels += ["down", "down"]
    classifier = PoseClassifier("loo", np.stack(points), labels)
    assert classifier.leave_one_out_accuracy() == pytest.approx(20 / 22)
    clean = PoseClassifier("clean", np.stack(points[:20]), labels[:20])
    assert clean.leave_one_out_accuracy() == 1.0


def test_bad_training_input_gets_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no samples"):
        PoseClassifier("empty", np.zeros((0, 33, 3)), [])
    with pytest.raises(InputError, match="two classes"):
        PoseClassifier("one", np.stack([_points(POSES["up"])]), ["up"])
    seq = sequence_from(lambda t: (Body(), STILL), 0.5)
    with pytest.raises(InputError, match="not in the analysis"):
        train("x", [(seq, 0, 0, 99, "up")])
    with pytest.raises(InputError, match="no classifier named 'nope'"):
        load_classifier("nope")
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "poselab-classifier-1", "name": "b", "labels": ["a"]}')
    with pytest.raises(InputError, match="damaged"):
        load_classifier(str(broken))
    (tmp_path / "other.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="not a PoseLab classifier"):
        load_classifier(str(tmp_path / "other.json"))


def _squat_labels(sequence: PoseSequence) -> np.ndarray:
    """Ground truth from the knees: down below 120 deg, up above 150, None in between (not taught)."""
    knee = compute_angles(sequence, "world").of("left_knee", 0)
    return np.where(knee < 120, "down", np.where(knee > 150, "up", ""))


def test_a_classifier_taught_on_the_first_half_classifies_the_second(shared_sequences: dict) -> None:
    sequence = shared_sequences[SQUATS]
    truth = _squat_labels(sequence)
    half = sequence.num_frames // 2
    marks = [(sequence, 0, i, i, str(truth[i])) for i in range(half) if truth[i]]
    classifier = train("squat phases", marks)
    assert classifier.leave_one_out_accuracy() >= 0.9
    table = classes_frame(classifier, sequence)
    second = table[(table.frame >= half) & (table.person == 0)]
    judged = [(c, truth[f]) for f, c in zip(second.frame, second["class"], strict=True) if truth[f]]
    assert np.mean([c == t for c, t in judged]) >= 0.85, judged
    reps = class_reps(classifier, sequence)["classes"]["down"]
    assert (reps["count"], reps["unfinished"]) == (2, True)  # three squats; the clip ends rising from the third


def test_classifiers_save_export_and_import_through_the_library(tmp_path: Path) -> None:
    points = np.stack([_points(POSES[c], seed) for c in ("up", "bend") for seed in range(3)])
    classifier = PoseClassifier("my squats/v1", points, ["up"] * 3 + ["bend"] * 3)
    stem = save_classifier(classifier)
    assert list_classifiers() == [stem] == ["my_squats_v1"]
    again = load_classifier("my squats/v1")
    assert again.labels == classifier.labels and np.allclose(again.points, classifier.points, atol=1e-3)
    exported = tmp_path / "exported.json"
    exported.write_text(classifier_json("my squats/v1"))
    delete_classifier("my squats/v1")
    assert list_classifiers() == []
    assert import_classifier(exported).name == "my squats/v1" and list_classifiers() == [stem]


def test_classifiers_and_marks_belong_to_their_owner() -> None:
    ann, bob = Principal("https://idp", "ann", email="ann@x.org"), Principal("https://idp", "bob")
    points = np.stack([_points(POSES[c], seed) for c in ("up", "bend") for seed in range(3)])
    save_classifier(PoseClassifier("squats", points, ["up"] * 3 + ["bend"] * 3), user=ann)
    save_marks([{"analysis": "a1", "person": 0, "first": 1, "last": 2, "label": "up"}], user=ann)
    assert list_classifiers(user=ann) == ["squats"] and list_classifiers(user=bob) == []
    with pytest.raises(InputError, match="no classifier named 'squats'"):
        load_classifier("squats", user=bob)
    assert load_marks(user=bob) == [] and [m["label"] for m in load_marks(user=ann)] == ["up"]
    assert list_classifiers() == ["squats"]  # the administrator sees everyone's


def test_the_classify_command_writes_classes_and_reps(shared_sequences: dict, tmp_path: Path) -> None:
    sequence = shared_sequences[SQUATS]
    truth = _squat_labels(sequence)
    classifier = train("squats", [(sequence, 0, i, i, str(truth[i])) for i in range(sequence.num_frames) if truth[i]])
    save_classifier(classifier)
    sequence.save_npz(tmp_path / "sequence.npz")
    assert main(["classify", str(tmp_path), "--classifier", "squats", "--out", str(tmp_path / "out")]) == 0
    classes = pd.read_csv(tmp_path / "out" / "classes.csv")
    assert list(classes.columns) == ["frame", "time_s", "person", "class", "confidence"]
    assert set(classes["class"]) == {"up", "down"}
    report = json.loads((tmp_path / "out" / "class_reps.json").read_text())
    assert report["classes"]["down"]["count"] == 2 and report["classes"]["down"]["unfinished"]


def test_the_classify_command_refuses_an_unknown_classifier(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["classify", str(tmp_path), "--classifier", "nope", "--out", str(tmp_path / "out")]) == 2
    assert "no classifier named 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
