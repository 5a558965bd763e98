"""A library made by PoseLab before SQLAlchemy (raw sqlite3, no alembic_version) opens with today's code:
stamped at the baseline, upgraded in place, nothing lost; its classifier files become the local user's."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from poselab.assess.classifier import PoseClassifier
from poselab.store.classifiers import list_classifiers, load_classifier, load_marks
from poselab.store.database import schema_revision
from poselab.store.library import Library
from poselab.store.owners import LOCAL_USER, Principal
from tests.store.test_library import make_analysis, make_sequence

# The schema exactly as poselab/store/library.py created it before migrations existed.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS analyses (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    source_name TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL DEFAULT '',
    settings_key TEXT NOT NULL DEFAULT '',
    settings_json TEXT NOT NULL DEFAULT '{}',
    created_s REAL NOT NULL,
    summary_json TEXT NOT NULL DEFAULT '{}',
    notes TEXT NOT NULL DEFAULT '',
    tags_json TEXT NOT NULL DEFAULT '[]',
    kind TEXT NOT NULL DEFAULT 'upload',
    status TEXT NOT NULL CHECK (status IN ('pending', 'complete')),
    owner_pid INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS analyses_by_content ON analyses (content_hash, settings_key, status);
"""


def _old_library(home: Path, tmp_path: Path) -> Path:
    analysis = make_analysis(tmp_path / "made-before", name="old squat")
    folder = home / "library" / "analyses" / "0123456789ab"
    shutil.copytree(analysis.folder, folder)
    (home / "library" / "staging" / "deadbeef0000").mkdir(parents=True)
    with sqlite3.connect(home / "library.db") as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(OLD_SCHEMA)
        db.execute("INSERT INTO analyses (id, name, source_name, content_hash, settings_key, settings_json,"
                   " created_s, summary_json, notes, tags_json, kind, status, owner_pid) VALUES"
                   " ('0123456789ab', 'old squat', 'squat.mp4', 'abc123', ?, ?, 1700000000.0, ?, 'left knee',"
                   " '[\"baseline\"]', 'cli', 'complete', 0)",
                   (analysis.settings.key(), json.dumps(analysis.settings.to_dict()), json.dumps({"frames": 20})))
        db.execute("INSERT INTO analyses (id, name, created_s, status, owner_pid)"
                   " VALUES ('deadbeef0000', 'killed half-way', 1700000001.0, 'pending', 999999999)")
    classifiers = home / "classifiers"
    classifiers.mkdir()
    points = make_sequence(frames=10).world_xyz_m[[0, 5], 0]  # two different poses of the sine squat
    classifier = PoseClassifier("squats", points, ["up", "down"])
    (classifiers / "squats.json").write_text(json.dumps(classifier.to_dict()))
    (classifiers / "marks.json").write_text(json.dumps([{"analysis": "0123456789ab", "person": 0, "first": 1,
                                                         "last": 3, "label": "up"}]))
    return folder


def test_an_old_sqlite_library_is_upgraded_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("POSELAB_HOME", str(home))
    monkeypatch.delenv("POSELAB_DATABASE_URL", raising=False)
    folder = _old_library(home, tmp_path)
    library = Library(home)
    assert schema_revision(library.engine) == "0003"
    [entry] = library.list(include_pending=True)  # the dead writer's pending row and folder are recovered
    assert (entry.id, entry.name, entry.notes, entry.tags, entry.kind) == (
        "0123456789ab", "old squat", "left knee", ("baseline",), "cli")
    assert entry.owner_key == LOCAL_USER.key and entry.folder == folder
    assert library.load("0123").sequence.num_frames == 20
    assert library.find_cached("abc123", entry.settings_key).id == entry.id
    assert not (home / "library" / "staging" / "deadbeef0000").exists()
    assert [e.id for e in Library(home, user=LOCAL_USER).list()] == [entry.id]
    assert Library(home, user=Principal("https://idp", "someone")).list() == []
    assert list_classifiers(user=LOCAL_USER) == ["squats"] and load_classifier("squats").labels == ["up", "down"]
    assert [m["label"] for m in load_marks()] == ["up"]
    # new entries and a second open work on the upgraded file, and the old rows survive both
    Library(home).save(make_analysis(tmp_path / "new", name="new squat"))
    assert sorted(e.name for e in Library(home).list()) == ["new squat", "old squat"]
    with sqlite3.connect(home / "library.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("0003",)]
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
