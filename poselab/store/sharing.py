"""Users and shares in the library's database: who signed in (to share by e-mail, to list for the
administrator) and which analyses each user may read without owning them.

Each function takes a connection inside the caller's transaction; upserts and ``ON CONFLICT DO NOTHING``
make a repeated share or a second replica recording the same sign-in harmless, with no read-then-write race.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from poselab.errors import InputError
from poselab.store.owners import Principal
from poselab.store.schema import shares, users


def upsert(connection: Connection, table: Any) -> Any:
    """The dialect's INSERT that knows ON CONFLICT (both SQLite and PostgreSQL spell it the same way)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def remember_user(connection: Connection, principal: Principal) -> None:
    values = {"key": principal.key, "issuer": principal.issuer, "subject": principal.subject,
              "email": principal.email.strip().lower(), "name": principal.name, "last_seen_s": time.time()}
    statement = upsert(connection, users).values(**values)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[users.c.key],
        set_={"email": statement.excluded.email, "name": statement.excluded.name,
              "last_seen_s": statement.excluded.last_seen_s}))


def list_users(connection: Connection) -> list[Principal]:
    rows = connection.execute(select(users).order_by(users.c.email, users.c.key))
    return [Principal(r.issuer, r.subject, email=r.email, name=r.name) for r in rows]


def resolve_users(connection: Connection, email_or_key: str) -> list[str]:
    """User keys for an e-mail (case-insensitive; one person may sign in through two providers) or a key
    (``issuer|subject``, taken as given: sharing with someone before their first sign-in is fine)."""
    wanted = email_or_key.strip()
    if "|" in wanted:
        return [wanted]
    keys = connection.execute(select(users.c.key).where(users.c.email == wanted.lower())).scalars().all()
    if not keys:
        raise InputError(f"nobody with the e-mail {wanted!r} has signed in to PoseLab yet: they need to sign in "
                         "once before anything can be shared with them")
    return list(keys)


def add_shares(connection: Connection, entry_id: str, user_keys: list[str]) -> None:
    now = time.time()
    rows = [{"entry_id": entry_id, "user_key": key, "created_s": now} for key in user_keys]
    connection.execute(upsert(connection, shares).on_conflict_do_nothing(), rows)


def remove_shares(connection: Connection, entry_id: str, user_keys: list[str]) -> int:
    result = connection.execute(delete(shares).where(shares.c.entry_id == entry_id,
                                                     shares.c.user_key.in_(user_keys)))
    return result.rowcount


def shares_of(connection: Connection, entry_id: str) -> list[Principal]:
    """Who an analysis is shared with (as recorded at their last sign-in, or just the key)."""
    query = (select(shares.c.user_key, func.coalesce(users.c.email, ""), func.coalesce(users.c.name, ""))
             .select_from(shares.outerjoin(users, users.c.key == shares.c.user_key))
             .where(shares.c.entry_id == entry_id).order_by(shares.c.created_s))
    return [Principal.from_key(key, email=email, name=name) for key, email, name in connection.execute(query)]


def drop_shares_of(connection: Connection, entry_ids: list[str]) -> None:
    # The foreign key cascades too; this keeps SQLite files opened without foreign_keys=ON tidy.
    connection.execute(delete(shares).where(or_(shares.c.entry_id.in_(entry_ids))))
