"""The library's rows as Python: ``Entry`` (a stored analysis), ``Draft`` (one being written), and the
queries every reader shares: what a user may see, and an id (or unique prefix) among those.

A user sees their own rows and those shared with them; the administrator (no user) sees all. Whatever a
user may not see is answered exactly like an id that does not exist, so ids of others leak nothing.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, or_, select, true
from sqlalchemy.engine import Connection

from poselab.errors import InputError
from poselab.settings import InferenceSettings
from poselab.store.owners import LOCAL_USER, Principal
from poselab.store.schema import analyses, shares

ENTRY_COLUMNS = (analyses.c.id, analyses.c.name, analyses.c.source_name, analyses.c.content_hash,
                 analyses.c.settings_key, analyses.c.settings_json, analyses.c.created_s, analyses.c.summary_json,
                 analyses.c.notes, analyses.c.tags_json, analyses.c.kind, analyses.c.status, analyses.c.owner_key)


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
    owner_key: str = LOCAL_USER.key
    read_only: bool = False  # shared with the user who listed it: they may open and export, not change it

    @property
    def created(self) -> str:
        """Local time, ISO 8601 to the second."""
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(self.created_s))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created": self.created, "status": self.status,
                "source_name": self.source_name, "content_hash": self.content_hash, "kind": self.kind,
                "settings_key": self.settings_key, "settings": self.settings, "summary": self.summary,
                "notes": self.notes, "tags": list(self.tags), "owner": self.owner_key, "read_only": self.read_only}


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


def not_found(entry_id: str, several: bool = False) -> InputError:
    what = "several analyses match" if several else "no analysis has"
    return InputError(f"{what} the id {entry_id!r} in the library (see `python -m poselab library list`)")


def visible(user: Principal | None) -> ColumnElement[bool]:
    """The rows ``user`` may read."""
    if user is None:
        return true()
    shared_with_me = select(shares.c.entry_id).where(shares.c.user_key == user.key)
    return or_(analyses.c.owner_key == user.key, analyses.c.id.in_(shared_with_me))


def entries_query(user: Principal | None, include_pending: bool = False) -> Select:
    query = select(*ENTRY_COLUMNS).where(visible(user))
    return query if include_pending else query.where(analyses.c.status == "complete")


def find_one(connection: Connection, user: Principal | None, entry_id: str) -> Row:
    """The complete visible row whose id is ``entry_id`` or starts with it; the not-found InputError else."""
    wanted = entry_id.strip()
    if not wanted:
        raise not_found(entry_id)
    rows = connection.execute(entries_query(user).where(analyses.c.id.startswith(wanted, autoescape=True))
                              .limit(2)).all()
    if len(rows) != 1:
        raise not_found(entry_id, several=len(rows) > 1)
    return rows[0]


def to_entry(row: Row, user: Principal | None, analyses_dir: Path, staging_dir: Path) -> Entry:
    data = row._mapping
    folder = (analyses_dir if data["status"] == "complete" else staging_dir) / data["id"]
    return Entry(id=data["id"], name=data["name"], source_name=data["source_name"],
                 content_hash=data["content_hash"], settings_key=data["settings_key"],
                 settings=json.loads(data["settings_json"]), created_s=data["created_s"],
                 summary=json.loads(data["summary_json"]), notes=data["notes"],
                 tags=tuple(json.loads(data["tags_json"])), kind=data["kind"], status=data["status"],
                 folder=folder, owner_key=data["owner_key"],
                 read_only=user is not None and data["owner_key"] != user.key)
