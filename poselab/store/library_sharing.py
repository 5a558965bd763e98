"""The library's owners and sharing, as methods of ``Library`` (kept apart to keep ``library.py`` short):
record sign-ins, share an analysis read-only with named users, and the administrator's reassigning."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Connection

from poselab.errors import InputError, PoseLabError
from poselab.store import sharing
from poselab.store.library_rows import Entry, find_one
from poselab.store.owners import Principal
from poselab.store.schema import analyses


class SharingMixin:
    """Needs the Library's ``user``, ``engine``, ``_write``, ``_storage``, ``_own_row`` and ``_get_as_admin``."""

    user: Principal | None
    engine: Any
    _write: Callable[[], contextlib.AbstractContextManager[Connection]]
    _storage: Callable[[str], contextlib.AbstractContextManager[None]]
    _own_row: Callable[[Connection, str, str], Any]
    _get_as_admin: Callable[[str], Entry]

    def remember_user(self, principal: Principal) -> None:
        """Records a sign-in (so others can share with this person by e-mail)."""
        with self._storage("record the sign-in"), self._write() as db:
            sharing.remember_user(db, principal)

    def list_users(self) -> list[Principal]:
        with self._storage("read the users"), self.engine.connect() as db:
            return sharing.list_users(db)

    def share(self, entry_id: str, email_or_key: str) -> list[str]:
        """Lets another user open (not change) an analysis of ours; returns the user keys it was shared with."""
        with self._storage("share the analysis"), self._write() as db:
            row = self._own_row(db, entry_id, "share")
            keys = [k for k in sharing.resolve_users(db, email_or_key) if k != row.owner_key]
            if not keys:
                raise InputError(f"{row.name!r} belongs to {email_or_key!r} already")
            sharing.add_shares(db, row.id, keys)
        return keys

    def unshare(self, entry_id: str, email_or_key: str) -> None:
        with self._storage("unshare the analysis"), self._write() as db:
            row = self._own_row(db, entry_id, "unshare")
            sharing.remove_shares(db, row.id, sharing.resolve_users(db, email_or_key))

    def shares(self, entry_id: str) -> list[Principal]:
        """Who an analysis is shared with (its owner and the administrator may ask)."""
        with self._storage("read the shares"), self.engine.connect() as db:
            row = self._own_row(db, entry_id, "see the shares of")
            return sharing.shares_of(db, row.id)

    def reassign(self, entry_id: str, to: str) -> Entry:
        """Gives an analysis to another user (by key or e-mail): the administrator's command."""
        if self.user is not None:
            raise PoseLabError("only the administrator (the library command on the server) can reassign owners")
        with self._storage("reassign the analysis"), self._write() as db:
            row = find_one(db, None, entry_id)
            keys = sharing.resolve_users(db, to)
            if len(keys) != 1:
                raise InputError(f"{to!r} names {len(keys)} users: give the key (issuer|subject) instead")
            db.execute(update(analyses).where(analyses.c.id == row.id).values(owner_key=keys[0]))
            sharing.remove_shares(db, row.id, keys)  # the new owner needs no share of their own analysis
        return self._get_as_admin(row.id)
