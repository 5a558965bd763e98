"""Tidying the library after a crash: pending rows whose writer died, and files no row owns (local folders,
and objects in remote storage)."""

from __future__ import annotations

import shutil
import socket
import time

from sqlalchemy import Engine, delete, text

from poselab.store.library_fs import pid_alive
from poselab.store.schema import analyses
from poselab.store.storage import FileStore

STALE_PENDING_S = 24 * 3600.0  # a pending row of another host this old has lost its writer
STALE_PART_S = 3600.0  # a half-downloaded cache copy this old lost its reader


def recover_library(engine: Engine, files: FileStore, scan_storage: bool = False) -> None:
    """``engine`` must take the write lock at BEGIN (``database.writing``). A writer's pid only means
    something on its own host: another replica's pending row is left alone until it is a day old."""
    # Files first, rows second: a writer inserts its row before writing any file, so anything listed here
    # whose id is not among the rows read after it is truly an orphan.
    now = time.time()
    folders = [folder for parent in files.folders() for folder in parent.iterdir()
               if not folder.name.startswith(".") or now - folder.stat().st_mtime > STALE_PART_S]
    stored = files.stored_ids(force=scan_storage)
    host = socket.gethostname()
    with engine.begin() as db:
        pending = db.execute(text("SELECT id, owner_pid, writer_host, created_s FROM analyses"
                                  " WHERE status = 'pending'")).all()
        dead = [entry_id for entry_id, pid, writer_host, created_s in pending
                if (not pid_alive(pid) if writer_host in ("", host) else now - created_s > STALE_PENDING_S)]
        if dead:
            db.execute(delete(analyses).where(analyses.c.id.in_(dead)))
        known = set(db.execute(text("SELECT id FROM analyses")).scalars())
    for folder in folders:
        if folder.name not in known:
            shutil.rmtree(folder, ignore_errors=True)
    for entry_id in stored or ():
        if entry_id not in known:
            files.remove_stored(entry_id)
