"""Tidying the library after a crash: pending rows whose writer died, and folders no row owns."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine, delete, text

from poselab.store.library_fs import pid_alive
from poselab.store.schema import analyses

STALE_PENDING_S = 24 * 3600.0  # a pending row of another host this old has lost its writer


def recover_library(engine: Engine, parents: Iterable[Path]) -> None:
    """``engine`` must take the write lock at BEGIN (``database.writing``). A writer's pid only means
    something on its own host: another replica's pending row is left alone until it is a day old."""
    # Folders first, rows second: a writer inserts its row before making its folder, so any folder
    # listed here whose id is not among the rows read after it is truly an orphan.
    folders = [folder for parent in parents for folder in parent.iterdir()]
    host, now = socket.gethostname(), time.time()
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
