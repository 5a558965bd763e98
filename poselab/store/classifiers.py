"""Taught pose classifiers in the library's database, one per owner and name, stored as the JSON that is
also the export and import format (a classifier travels as that one file); and each owner's class marks.

``user`` None is the local user / the administrator: it saves as the local user, and finds a classifier by
name among the local user's first, then anyone's (the ``classify`` command on the server).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from sqlalchemy import case, delete, select

from poselab.assess.classifier import PoseClassifier
from poselab.errors import InputError
from poselab.store.database import writing
from poselab.store.library import Library
from poselab.store.owners import LOCAL_USER, Principal
from poselab.store.schema import class_marks, classifiers
from poselab.store.sharing import upsert

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def classifier_stem(name: str) -> str:
    stem = _SAFE.sub("_", name.strip()).strip("._")
    if not stem:
        raise InputError(f"{name!r} cannot name a classifier: use letters, digits, '-' or '_'")
    return stem


def save_classifier(classifier: PoseClassifier, *, user: Principal | None = None) -> str:
    """Stores under its name (replacing the owner's classifier of the same name); returns the stored name."""
    stem = classifier_stem(classifier.name)
    library = Library(user=user, recover=False)
    with library._storage(f"save classifier {classifier.name!r}"), writing(library.engine).begin() as db:
        statement = upsert(db, classifiers).values(owner_key=library.owner_key, stem=stem, name=classifier.name,
                                                   body_json=json.dumps(classifier.to_dict()), saved_s=time.time())
        db.execute(statement.on_conflict_do_update(
            index_elements=[classifiers.c.owner_key, classifiers.c.stem],
            set_={"name": statement.excluded.name, "body_json": statement.excluded.body_json,
                  "saved_s": statement.excluded.saved_s}))
    return stem


def list_classifiers(*, user: Principal | None = None) -> list[str]:
    """The stored names (``user`` None: every owner's, each name once)."""
    query = select(classifiers.c.stem).distinct().order_by(classifiers.c.stem)
    if user is not None:
        query = query.where(classifiers.c.owner_key == user.key)
    library = Library(user=user, recover=False)
    with library._storage("read the classifiers"), library.engine.connect() as db:
        return list(db.execute(query).scalars())


def classifier_json(name: str, *, user: Principal | None = None) -> str:
    """The stored classifier as its export file's text."""
    stem = classifier_stem(name)
    query = select(classifiers.c.body_json).where(classifiers.c.stem == stem)
    if user is not None:
        query = query.where(classifiers.c.owner_key == user.key)
    query = query.order_by(case((classifiers.c.owner_key == LOCAL_USER.key, 0), else_=1)).limit(1)
    library = Library(user=user, recover=False)
    with library._storage("read the classifiers"), library.engine.connect() as db:
        body = db.execute(query).scalar()
    if body is None:
        known = ", ".join(list_classifiers(user=user)) or "none yet"
        raise InputError(f"no classifier named {name!r} in the library (saved: {known})")
    return body


def delete_classifier(name: str, *, user: Principal | None = None) -> None:
    library = Library(user=user, recover=False)
    with library._storage("delete the classifier"), writing(library.engine).begin() as db:
        db.execute(delete(classifiers).where(classifiers.c.owner_key == library.owner_key,
                                             classifiers.c.stem == classifier_stem(name)))


def read_classifier_file(path: Path) -> PoseClassifier:
    """A classifier from an exported JSON file."""
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"no classifier file {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path} is not a PoseLab classifier ({error})") from None
    return PoseClassifier.from_dict(data, str(path))


def load_classifier(name_or_file: str, *, user: Principal | None = None) -> PoseClassifier:
    """By library name, or from a file path (anything ending in .json or naming an existing file)."""
    if name_or_file.endswith(".json") or Path(name_or_file).is_file():
        return read_classifier_file(Path(name_or_file))
    return PoseClassifier.from_dict(json.loads(classifier_json(name_or_file, user=user)), name_or_file)


def import_classifier(path: Path, *, user: Principal | None = None) -> PoseClassifier:
    """Stores an exported classifier file in the library under its own name."""
    classifier = read_classifier_file(path)
    save_classifier(classifier, user=user)
    return classifier


def load_marks(*, user: Principal | None = None) -> list[dict]:
    """Frames marked with class names in the Library: {analysis, person, first, last, label} each."""
    library = Library(user=user, recover=False)
    with library._storage("read the class marks"), library.engine.connect() as db:
        body = db.execute(select(class_marks.c.body_json)
                          .where(class_marks.c.owner_key == library.owner_key)).scalar()
    marks = json.loads(body) if body else []
    return marks if isinstance(marks, list) else []


def save_marks(marks: list[dict], *, user: Principal | None = None) -> None:
    library = Library(user=user, recover=False)
    with library._storage("save the class marks"), writing(library.engine).begin() as db:
        statement = upsert(db, class_marks).values(owner_key=library.owner_key, body_json=json.dumps(marks),
                                                   saved_s=time.time())
        db.execute(statement.on_conflict_do_update(
            index_elements=[class_marks.c.owner_key],
            set_={"body_json": statement.excluded.body_json, "saved_s": statement.excluded.saved_s}))
