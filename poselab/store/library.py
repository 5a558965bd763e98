"""The library of finished analyses: rows in a database (``database.py``: SQLite ``library.db`` under
``$POSELAB_HOME`` by default, PostgreSQL with ``POSELAB_DATABASE_URL``), files in ``storage.py``'s FileStore::

    library/staging/<id>/   files of an analysis being written (never read as a result)
    library/analyses/<id>/  files of a complete analysis: the Analysis folder + landmarks.parquet (+ angles.parquet)

(``$POSELAB_HOME/analyses/`` is the Analyze page's run cache, not the library: never touched here.)

Why it survives a kill: a row is inserted as ``pending`` with its writer's host and pid, files go to
``staging/``, then the folder is renamed into ``analyses/`` and ONE transaction marks the row ``complete``.
Readers only see ``complete`` rows. ``recover()`` (run on open) removes pending rows of dead writers and
orphan folders. Every user action is one transaction, and each change re-checks in its own WHERE clause
what it was allowed to change, so two replicas and a batch writing at once cannot interleave halfway.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from poselab.errors import InputError, PoseLabError, StorageError
from poselab.sequence import PoseSequence
from poselab.settings import InferenceSettings, run_key
from poselab.store.analysis import ANNOTATED_FILE, Analysis
from poselab.store.database import DB_FILE, database_url, engine_for, is_sqlite, writing
from poselab.store.library_fs import fsync_folder, link_or_copy, storage_reason
from poselab.store.library_recovery import recover_library
from poselab.store.library_rows import Draft, Entry, entries_query, find_one, not_found, to_entry
from poselab.store.library_sharing import SharingMixin
from poselab.store.owners import LOCAL_USER, Principal
from poselab.store.schema import analyses
from poselab.store.storage import FileStore, storage_url

__all__ = ["ANGLES_PARQUET", "DB_FILE", "LANDMARKS_PARQUET", "Draft", "Entry", "Library", "link_or_copy",
           "poselab_home", "save_quietly"]

LANDMARKS_PARQUET = "landmarks.parquet"
ANGLES_PARQUET = "angles.parquet"


def poselab_home() -> Path:
    """``$POSELAB_HOME`` or ``~/.poselab``."""
    value = os.environ.get("POSELAB_HOME")
    return Path(value).expanduser() if value else Path.home() / ".poselab"


class Library(SharingMixin):
    """The analyses stored under one PoseLab home, as ``user`` sees them (None: the administrator, who
    sees everything). Cheap to create: one per call site is fine (the engine is shared per process)."""

    def __init__(self, home: Path | None = None, *, user: Principal | None = None, recover: bool = True) -> None:
        self.home = Path(home) if home is not None else poselab_home()
        self.user = user
        self.url = database_url(self.home)
        self.db_path = self.home / DB_FILE
        self.files = FileStore(storage_url(self.home), self.home)
        self.staging_dir, self.analyses_dir = self.files.staging_dir, self.files.analyses_dir
        with self._storage("open the library"):
            for folder in (self.home, self.staging_dir, self.analyses_dir):
                folder.mkdir(parents=True, exist_ok=True)
            self.engine = engine_for(self.url, self.home)
        if recover:
            self.recover()

    @property
    def owner_key(self) -> str:
        """The owner of what this Library saves."""
        return (self.user or LOCAL_USER).key

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
        with self._storage("start saving an analysis"), self._write() as db:
            db.execute(insert(analyses).values(
                id=draft.id, name=draft.name, source_name=draft.source_name, content_hash=content_hash,
                settings_key=run_key(settings, workers), settings_json=json.dumps(settings.to_dict()),
                created_s=draft.created_s, kind=kind, status="pending", owner_pid=os.getpid(),
                writer_host=socket.gethostname(), owner_key=self.owner_key))
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
            final = self.files.publish(draft.folder, draft.id)
            try:
                with self._write() as db:
                    done = db.execute(update(analyses).where(analyses.c.id == draft.id,
                                                             analyses.c.status == "pending")
                                      .values(status="complete", summary_json=json.dumps(analysis.summary()),
                                              created_s=draft.created_s, owner_pid=0, writer_host=""))
                    if done.rowcount != 1:
                        raise StorageError(f"the pending entry {draft.id} vanished while it was being saved")
            except BaseException:
                self.files.unpublish(draft.id, final, draft.folder)  # so the abort below finds and removes it
                raise
        return self._get_as_admin(draft.id)

    def abort(self, draft: Draft) -> None:
        """Forgets a draft: its row and staging files (best effort: ``recover`` finishes the job)."""
        with contextlib.suppress(SQLAlchemyError, OSError), self._write() as db:
            db.execute(delete(analyses).where(analyses.c.id == draft.id, analyses.c.status == "pending"))
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

    def list(self, search: str = "", include_pending: bool = False, owner: str | None = None) -> list[Entry]:
        """Newest first; ``search`` matches name, source, notes and tags (case-insensitive); ``owner``: only
        that owner's (by key)."""
        query = entries_query(self.user, include_pending).order_by(analyses.c.created_s.desc())
        if owner is not None:
            query = query.where(analyses.c.owner_key == owner)
        with self._storage("read the library"), self.engine.connect() as db:
            entries = [self._entry(row) for row in db.execute(query)]
        needle = search.strip().lower()
        if needle:
            entries = [e for e in entries
                       if needle in " ".join((e.name, e.source_name, e.notes, *e.tags)).lower()]
        return entries

    def get(self, entry_id: str) -> Entry:
        """A complete entry by id (or unique id prefix); InputError if there is none (or none ``user`` sees)."""
        with self._storage("read the library"), self.engine.connect() as db:
            return self._entry(find_one(db, self.user, entry_id))

    def load(self, entry_id: str) -> Analysis:
        """The stored Analysis, ready for the result views (no model run)."""
        entry = self.get(entry_id)
        try:
            self.files.materialise(entry.id, entry.folder)
            analysis = Analysis.load(entry.folder)
        except (OSError, ValueError, KeyError) as error:
            raise StorageError(f"the files of analysis {entry.name!r} are damaged or missing: {error}") from None
        analysis.name = entry.name
        return analysis

    def find_cached(self, content_hash: str, settings_key: str) -> Entry | None:
        """The newest complete analysis of these bytes under this ``run_key`` (the run cache); a user's own
        only (a result shared with them is not theirs to keep as their own)."""
        query = (entries_query(None).where(analyses.c.content_hash == content_hash,
                                           analyses.c.settings_key == settings_key)
                 .order_by(analyses.c.created_s.desc()).limit(1))
        if self.user is not None:
            query = query.where(analyses.c.owner_key == self.user.key)
        with self._storage("read the library"), self.engine.connect() as db:
            row = db.execute(query).first()
        entry = self._entry(row) if row else None
        return entry if entry is not None and self.files.available(entry.folder) else None

    # ---- editing -------------------------------------------------------------------------------

    def rename(self, entry_id: str, name: str) -> Entry:
        if not name.strip():
            raise InputError("a name cannot be empty")
        return self._change(entry_id, "rename", name=name.strip())

    def set_notes(self, entry_id: str, notes: str) -> Entry:
        return self._change(entry_id, "change the notes of", notes=notes)

    def set_tags(self, entry_id: str, tags: list[str]) -> Entry:
        clean = sorted({t.strip() for t in tags if t.strip()})
        return self._change(entry_id, "change the tags of", tags_json=json.dumps(clean))

    def delete(self, entry_id: str) -> None:
        """Removes the row, then the files (an interrupted delete leaves an orphan folder recover removes)."""
        with self._storage("delete the analysis"):
            with self._write() as db:
                row = self._own_row(db, entry_id, "delete")
                db.execute(delete(analyses).where(analyses.c.id == row.id))
            self.files.remove(row.id)

    # ---- upkeep --------------------------------------------------------------------------------

    def recover(self, scan_storage: bool = False) -> None:
        """Drops pending rows whose writer died, and files no row owns (object storage is listed at most
        every few minutes per process, unless ``scan_storage``)."""
        with self._storage("tidy the library"):
            recover_library(writing(self.engine), self.files, scan_storage)

    def integrity_ok(self) -> bool:
        if not is_sqlite(self.url):
            return True  # PostgreSQL checks its own pages; there is no cheap whole-database check to run
        with self.engine.connect() as db:
            return db.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"

    # ---- internals -----------------------------------------------------------------------------

    def _own_row(self, db: Connection, entry_id: str, what: str) -> Any:
        """The visible row, if this user may change it; a clear error for a row only shared with them."""
        row = find_one(db, self.user, entry_id)
        if self.user is not None and row.owner_key != self.user.key:
            raise InputError(f"{row.name!r} is shared with you read-only: only its owner can {what} it")
        return row

    def _change(self, entry_id: str, what: str, **values: str) -> Entry:
        with self._storage("update the library"), self._write() as db:
            row = self._own_row(db, entry_id, what)
            changed = db.execute(update(analyses).where(analyses.c.id == row.id, analyses.c.status == "complete",
                                                        analyses.c.owner_key == row.owner_key).values(**values))
            if changed.rowcount != 1:  # deleted or given away since it was read
                raise not_found(entry_id)
        return self.get(row.id)

    def _get_as_admin(self, entry_id: str) -> Entry:
        with self._storage("read the library"), self.engine.connect() as db:
            return self._entry(find_one(db, None, entry_id))

    def _entry(self, row: Any) -> Entry:
        return to_entry(row, self.user, self.analyses_dir, self.staging_dir)

    def _write(self) -> contextlib.AbstractContextManager[Connection]:
        return writing(self.engine).begin()

    @contextlib.contextmanager
    def _aborting(self, draft: Draft) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.abort(draft)
            raise

    @contextlib.contextmanager
    def _storage(self, what: str) -> Iterator[None]:
        """Turns OS and database failures into one clear StorageError."""
        try:
            yield
        except (OSError, SQLAlchemyError) as error:
            raise StorageError(f"cannot {what} in {self.home}: {storage_reason(error)}") from None


def save_quietly(analysis: Analysis, kind: str = "live", user: Principal | None = None) -> str | None:
    """Library().save for callers that must not fail because of the library (a recording already on disk):
    returns the new id, or None after logging why it could not be saved."""
    try:
        return Library(user=user).save(analysis, kind=kind).id
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
