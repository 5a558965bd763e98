"""The library of finished analyses: SQLite metadata at ``$POSELAB_HOME/library.db``, files beside it.

Layout under the PoseLab home (default ``~/.poselab``)::

    library.db              one row per analysis (name, source, hash, settings, summary, notes, tags, status)
    library/staging/<id>/   files of an analysis being written (never read as a result)
    library/analyses/<id>/  files of a complete analysis: the Analysis folder + landmarks.parquet (+ angles.parquet)

(``$POSELAB_HOME/analyses/`` is the Analyze page's run cache, not the library: never touched here.)

Why it survives a kill: a row is inserted as ``pending`` with its writer's pid, files go to ``staging/``,
then the folder is renamed into ``analyses/`` and ONE transaction marks the row ``complete``. Readers only
see ``complete`` rows. ``recover()`` (run on open) removes pending rows of dead writers and orphan folders.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from poselab.errors import InputError, PoseLabError, StorageError
from poselab.sequence import PoseSequence
from poselab.settings import InferenceSettings, run_key
from poselab.store.analysis import ANNOTATED_FILE, Analysis
from poselab.store.library_fs import fsync_folder, link_or_copy, pid_alive, storage_reason

DB_FILE = "library.db"
LANDMARKS_PARQUET = "landmarks.parquet"
ANGLES_PARQUET = "angles.parquet"
_SCHEMA = """
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
_COLUMNS = ("id", "name", "source_name", "content_hash", "settings_key", "settings_json", "created_s",
            "summary_json", "notes", "tags_json", "kind", "status")


def poselab_home() -> Path:
    """``$POSELAB_HOME`` or ``~/.poselab``."""
    value = os.environ.get("POSELAB_HOME")
    return Path(value).expanduser() if value else Path.home() / ".poselab"


@dataclass(frozen=True)
class Entry:
    """One row of the library (metadata only; ``Library.load`` gives the Analysis)."""

    id: str
    name: str
    source_name: str
    content_hash: str
    settings_key: str
    settings: dict[str, Any]
    created_s: float
    summary: dict[str, Any]
    notes: str
    tags: tuple[str, ...]
    kind: str
    status: str
    folder: Path

    @property
    def created(self) -> str:
        """Local time, ISO 8601 to the second."""
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(self.created_s))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created": self.created, "status": self.status,
                "source_name": self.source_name, "content_hash": self.content_hash, "kind": self.kind,
                "settings_key": self.settings_key, "settings": self.settings, "summary": self.summary,
                "notes": self.notes, "tags": list(self.tags)}


@dataclass
class Draft:
    """An analysis being written: put files into ``folder``, then ``Library.commit`` (or ``abort``)."""

    id: str
    folder: Path
    name: str
    source_name: str
    content_hash: str
    settings: InferenceSettings
    created_s: float = field(default_factory=time.time)


class Library:
    """The analyses stored under one PoseLab home. Cheap to create: one per call site is fine."""

    def __init__(self, home: Path | None = None, recover: bool = True) -> None:
        self.home = Path(home) if home is not None else poselab_home()
        self.db_path = self.home / DB_FILE
        self.staging_dir = self.home / "library" / "staging"
        self.analyses_dir = self.home / "library" / "analyses"
        with self._storage("open the library"):
            for folder in (self.home, self.staging_dir, self.analyses_dir):
                folder.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
        if recover:
            self.recover()

    # ---- writing -------------------------------------------------------------------------------

    def begin(self, name: str, settings: InferenceSettings, source: Path | None = None,
              source_name: str = "", content_hash: str = "", kind: str = "upload", workers: int = 1) -> Draft:
        """Registers a pending analysis and its staging folder (with a copy of ``source`` if given).

        ``workers``: the processes it was tracked with, part of the run cache's key (``run_key``).
        """
        draft = Draft(id=uuid.uuid4().hex[:12], folder=Path(), name=name or "analysis",
                      source_name=source_name or (source.name if source else ""),
                      content_hash=content_hash, settings=settings)
        draft.folder = self.staging_dir / draft.id
        # The row first: a recover() running in another process meanwhile sees a live owner, and keeps
        # the folder (a folder without a row would look like an orphan to it).
        with self._storage("start saving an analysis"), self._transaction() as db:
            db.execute(
                "INSERT INTO analyses (id, name, source_name, content_hash, settings_key, settings_json,"
                " created_s, kind, status, owner_pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                (draft.id, draft.name, draft.source_name, content_hash, run_key(settings, workers),
                 json.dumps(settings.to_dict()), draft.created_s, kind, os.getpid()))
        with self._aborting(draft), self._storage("start saving an analysis"):
            draft.folder.mkdir()
            if source is not None:
                link_or_copy(source, draft.folder / f"source{source.suffix.lower()}")
        return draft

    def commit(self, draft: Draft, sequence: PoseSequence, extra: dict[str, Any] | None = None) -> Entry:
        """Writes the records, moves the folder in place and marks the row complete in one transaction."""
        with self._aborting(draft), self._storage("save the analysis"):
            analysis = Analysis(folder=draft.folder, sequence=sequence, settings=draft.settings, name=draft.name,
                                content_hash=draft.content_hash, created_s=draft.created_s, extra=extra or {})
            analysis.save()
            _write_tables(sequence, draft.folder)
            fsync_folder(draft.folder)
            final = self.analyses_dir / draft.id
            os.replace(draft.folder, final)
            try:
                with self._transaction() as db:
                    db.execute("UPDATE analyses SET status = 'complete', summary_json = ?, owner_pid = 0"
                               " WHERE id = ? AND status = 'pending'",
                               (json.dumps(analysis.summary()), draft.id))
            except BaseException:
                os.replace(final, draft.folder)  # so the abort below finds and removes it
                raise
        return self.get(draft.id)

    def abort(self, draft: Draft) -> None:
        """Forgets a draft: its row and staging files (best effort: ``recover`` finishes the job)."""
        with contextlib.suppress(sqlite3.Error, OSError), self._transaction() as db:
            db.execute("DELETE FROM analyses WHERE id = ? AND status = 'pending'", (draft.id,))
        shutil.rmtree(draft.folder, ignore_errors=True)

    def save(self, analysis: Analysis, kind: str = "upload") -> Entry:
        """Stores a finished Analysis folder (from the Analyze page or a Live recording) as a new entry."""
        draft = self.begin(analysis.name, analysis.settings, source=analysis.source_path,
                           source_name=analysis.sequence.video.source_name, content_hash=analysis.content_hash,
                           kind=kind, workers=int(analysis.extra.get("workers", 1)))
        draft.created_s = analysis.created_s
        if analysis.annotated_path is not None:
            with self._aborting(draft), self._storage("copy the annotated video into the library"):
                link_or_copy(analysis.annotated_path, draft.folder / ANNOTATED_FILE)
        return self.commit(draft, analysis.sequence, extra=analysis.extra)

    @contextlib.contextmanager
    def saving(self, name: str, settings: InferenceSettings, source: Path | None = None,
               content_hash: str = "", kind: str = "upload") -> Iterator[Draft]:
        """``with lib.saving(...) as draft:`` write into ``draft.folder``; an exception aborts the draft."""
        draft = self.begin(name, settings, source=source, content_hash=content_hash, kind=kind)
        with self._aborting(draft):
            yield draft

    # ---- reading -------------------------------------------------------------------------------

    def list(self, search: str = "", include_pending: bool = False) -> list[Entry]:
        """Newest first; ``search`` matches name, source, notes and tags (case-insensitive)."""
        where = "" if include_pending else "WHERE status = 'complete'"
        with self._storage("read the library"), self._connect() as db:
            rows = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM analyses {where} ORDER BY created_s DESC")
            entries = [self._entry(row) for row in rows]
        needle = search.strip().lower()
        if needle:
            entries = [e for e in entries
                       if needle in " ".join((e.name, e.source_name, e.notes, *e.tags)).lower()]
        return entries

    def get(self, entry_id: str) -> Entry:
        """A complete entry by id (or unique id prefix); InputError if there is none."""
        with self._storage("read the library"), self._connect() as db:
            rows = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM analyses WHERE status = 'complete'"
                              " AND id LIKE ? || '%'", (entry_id.strip(),)).fetchall()
        if len(rows) != 1 or not entry_id.strip():
            what = "several analyses match" if len(rows) > 1 else "no analysis has"
            raise InputError(f"{what} the id {entry_id!r} in the library (see `python -m poselab library list`)")
        return self._entry(rows[0])

    def load(self, entry_id: str) -> Analysis:
        """The stored Analysis, ready for the result views (no model run)."""
        entry = self.get(entry_id)
        try:
            analysis = Analysis.load(entry.folder)
        except (OSError, ValueError, KeyError) as error:
            raise StorageError(f"the files of analysis {entry.name!r} are damaged or missing: {error}") from None
        analysis.name = entry.name
        return analysis

    def find_cached(self, content_hash: str, settings_key: str) -> Entry | None:
        """The newest complete analysis of these bytes under this ``run_key`` (the run cache)."""
        with self._storage("read the library"), self._connect() as db:
            row = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM analyses WHERE status = 'complete'"
                             " AND content_hash = ? AND settings_key = ? ORDER BY created_s DESC LIMIT 1",
                             (content_hash, settings_key)).fetchone()
        entry = self._entry(row) if row else None
        return entry if entry is not None and entry.folder.is_dir() else None

    # ---- editing -------------------------------------------------------------------------------

    def rename(self, entry_id: str, name: str) -> Entry:
        if not name.strip():
            raise InputError("a name cannot be empty")
        return self._update(entry_id, "name", name.strip())

    def set_notes(self, entry_id: str, notes: str) -> Entry:
        return self._update(entry_id, "notes", notes)

    def set_tags(self, entry_id: str, tags: list[str]) -> Entry:
        clean = sorted({t.strip() for t in tags if t.strip()})
        return self._update(entry_id, "tags_json", json.dumps(clean))

    def delete(self, entry_id: str) -> None:
        """Removes the row, then the files (an interrupted delete leaves an orphan folder recover removes)."""
        entry = self.get(entry_id)
        with self._storage("delete the analysis"):
            with self._transaction() as db:
                db.execute("DELETE FROM analyses WHERE id = ?", (entry.id,))
            shutil.rmtree(entry.folder, ignore_errors=True)

    def recover(self) -> None:
        """Drops pending rows whose writer died, and folders no row owns."""
        with self._storage("tidy the library"):
            with self._transaction() as db:
                pending = db.execute("SELECT id, owner_pid FROM analyses WHERE status = 'pending'").fetchall()
                dead = [entry_id for entry_id, pid in pending if not pid_alive(pid)]
                db.executemany("DELETE FROM analyses WHERE id = ?", [(i,) for i in dead])
                known = {row[0] for row in db.execute("SELECT id FROM analyses")}
            for parent in (self.staging_dir, self.analyses_dir):
                for folder in parent.iterdir():
                    if folder.name not in known:
                        shutil.rmtree(folder, ignore_errors=True)

    def integrity_ok(self) -> bool:
        with self._connect() as db:
            return db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # ---- internals -----------------------------------------------------------------------------

    def _update(self, entry_id: str, column: str, value: str) -> Entry:
        entry = self.get(entry_id)
        with self._storage("update the library"), self._transaction() as db:
            db.execute(f"UPDATE analyses SET {column} = ? WHERE id = ?", (value, entry.id))
        return self.get(entry.id)

    def _entry(self, row: tuple) -> Entry:
        data = dict(zip(_COLUMNS, row, strict=True))
        folder = (self.analyses_dir if data["status"] == "complete" else self.staging_dir) / data["id"]
        return Entry(id=data["id"], name=data["name"], source_name=data["source_name"],
                     content_hash=data["content_hash"], settings_key=data["settings_key"],
                     settings=json.loads(data["settings_json"]), created_s=data["created_s"],
                     summary=json.loads(data["summary_json"]), notes=data["notes"],
                     tags=tuple(json.loads(data["tags_json"])), kind=data["kind"], status=data["status"],
                     folder=folder)

    def _connect(self) -> contextlib.closing[sqlite3.Connection]:
        # One short connection per call: Streamlit reruns on many threads, and the CLI may write concurrently.
        db = sqlite3.connect(self.db_path, timeout=10.0, isolation_level=None)
        return contextlib.closing(db)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextlib.contextmanager
    def _aborting(self, draft: Draft) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.abort(draft)
            raise

    @contextlib.contextmanager
    def _storage(self, what: str) -> Iterator[None]:
        """Turns OS and SQLite failures into one clear StorageError."""
        try:
            yield
        except (OSError, sqlite3.Error) as error:
            raise StorageError(f"cannot {what} in {self.home}: {storage_reason(error)}") from None


def save_quietly(analysis: Analysis, kind: str = "live") -> str | None:
    """Library().save for callers that must not fail because of the library (a recording already on disk):
    returns the new id, or None after logging why it could not be saved."""
    try:
        return Library().save(analysis, kind=kind).id
    except PoseLabError as error:
        logging.getLogger(__name__).warning("analysis %r not saved to the library: %s", analysis.name, error)
        return None


def _write_tables(sequence: PoseSequence, folder: Path) -> None:
    """Landmarks and joint angles as Parquet for other tools."""
    from poselab.store.exports import angles_frame
    from poselab.store.tables import landmarks_frame

    landmarks_frame(sequence).to_parquet(folder / LANDMARKS_PARQUET, index=False)
    angles = angles_frame(sequence)
    if angles is not None:
        angles.to_parquet(folder / ANGLES_PARQUET, index=False)
