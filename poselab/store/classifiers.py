"""Taught pose classifiers in the library: one JSON file each under ``$POSELAB_HOME/classifiers/``, which is
also the export and import format (a classifier travels as that one file)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from poselab.assess.classifier import PoseClassifier
from poselab.errors import InputError, StorageError
from poselab.store.library import poselab_home

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def classifiers_dir() -> Path:
    return poselab_home() / "classifiers"


def _path(name: str) -> Path:
    stem = _SAFE.sub("_", name.strip()).strip("._")
    if not stem:
        raise InputError(f"{name!r} cannot name a classifier: use letters, digits, '-' or '_'")
    return classifiers_dir() / f"{stem}.json"


def save_classifier(classifier: PoseClassifier) -> Path:
    """Store under its name (replacing one of the same name), atomically."""
    path = _path(classifier.name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".json.part")
        partial.write_text(json.dumps(classifier.to_dict()))
        os.replace(partial, path)
    except OSError as error:
        raise StorageError(f"cannot save classifier {classifier.name!r}: {error.strerror or error}") from None
    return path


def list_classifiers() -> list[str]:
    folder = classifiers_dir()
    found = folder.glob("*.json") if folder.is_dir() else []
    return sorted(p.stem for p in found if p.name != "marks.json")  # marks.json: frames marked for training


def read_classifier_file(path: Path) -> PoseClassifier:
    """A classifier from an exported JSON file."""
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"no classifier file {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path} is not a PoseLab classifier ({error})") from None
    return PoseClassifier.from_dict(data, str(path))


def load_classifier(name_or_file: str) -> PoseClassifier:
    """By library name, or from a file path (anything ending in .json or naming an existing file)."""
    if name_or_file.endswith(".json") or Path(name_or_file).is_file():
        return read_classifier_file(Path(name_or_file))
    path = _path(name_or_file)
    if not path.is_file():
        known = ", ".join(list_classifiers()) or "none yet"
        raise InputError(f"no classifier named {name_or_file!r} in the library (saved: {known})")
    return read_classifier_file(path)


def import_classifier(path: Path) -> PoseClassifier:
    """Copy an exported classifier file into the library under its own name."""
    classifier = read_classifier_file(path)
    save_classifier(classifier)
    return classifier


def marks_path() -> Path:
    return classifiers_dir() / "marks.json"


def load_marks() -> list[dict]:
    """Frames marked with class names in the Library: {analysis, person, first, last, label} each."""
    path = marks_path()
    if not path.is_file():
        return []
    try:
        marks = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise StorageError(f"cannot read the class marks in {path}: {error}") from None
    return marks if isinstance(marks, list) else []


def save_marks(marks: list[dict]) -> None:
    path = marks_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".json.part")
        partial.write_text(json.dumps(marks, indent=1))
        os.replace(partial, path)
    except OSError as error:
        raise StorageError(f"cannot save the class marks: {error.strerror or error}") from None
