"""The library's database: which one (``POSELAB_DATABASE_URL``), one engine per URL and process, and the
schema brought up to date (Alembic, run on first open).

SQLite (the default, ``$POSELAB_HOME/library.db``) gets WAL and ``BEGIN IMMEDIATE`` for writes, so two
writers queue instead of failing halfway; PostgreSQL (``postgresql+psycopg://...``) serialises the
migrations of several replicas starting at once with an advisory lock.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from poselab.errors import InputError

DB_FILE = "library.db"
BASELINE_REVISION = "0001"
_MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_LOCK_ID = 7_305_180_018  # any constant: PostgreSQL advisory locks are named by a number
_engines: dict[tuple[int, str], Engine] = {}
_migrated: set[tuple[int, str]] = set()
_lock = threading.Lock()


def database_url(home: Path) -> str:
    """``$POSELAB_DATABASE_URL``, else the SQLite file under ``home``."""
    value = os.environ.get("POSELAB_DATABASE_URL", "").strip()
    return value or f"sqlite:///{home / DB_FILE}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def engine_for(url: str, home: Path) -> Engine:
    """The process's engine for ``url``, its schema migrated (once per process, or again if the SQLite file
    went away)."""
    key = (os.getpid(), url)  # a forked child must not share its parent's pooled connections
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = _create(url)
        if key not in _migrated or not _sqlite_file_exists(engine):
            migrate(engine, home)
            _migrated.add(key)
    return engine


def writing(engine: Engine) -> Engine:
    """The engine whose transactions take SQLite's write lock at BEGIN (not at the first write, which can
    fail with 'database is locked' in the middle of a transaction)."""
    return engine.execution_options(poselab_write=True)


def migrate(engine: Engine, home: Path) -> None:
    """Upgrades the schema to the newest revision. A library made before migrations existed (an ``analyses``
    table, no ``alembic_version``) is stamped with the baseline first, then upgraded in place."""
    if engine.dialect.name == "sqlite":
        _sqlite_wal(engine)
    with writing(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        config = _alembic_config(connection, home)
        tables = set(inspect(connection).get_table_names())
        if "analyses" in tables and "alembic_version" not in tables:
            command.stamp(config, BASELINE_REVISION)
        command.upgrade(config, "head")


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def dispose_all() -> None:
    """Closes every pooled connection of this process (tests dropping a database, benchmarks)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _migrated.clear()


def _alembic_config(connection: Connection, home: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["home"] = home  # the first owners revision imports classifier files found there
    return config


def _create(url: str) -> Engine:
    try:
        parsed = make_url(url)
        if is_sqlite(url):
            engine = create_engine(parsed, connect_args={"timeout": 30.0, "check_same_thread": False})
            _sqlite_transactions(engine)
            return engine
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as error:
        raise InputError(f"POSELAB_DATABASE_URL {_hide_password(url)!r} is not usable: {error}") from None


def _sqlite_transactions(engine: Engine) -> None:
    # pysqlite's own transaction handling begins lazily and commits before DDL; take it over (SQLAlchemy's
    # documented recipe) so a transaction is exactly what the library asks for.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("poselab_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _sqlite_wal(engine: Engine) -> None:
    # Readers never wait for the writer, and it persists in the file; outside any transaction (SQLite
    # refuses to switch journal modes inside one), hence the raw DB-API connection.
    raw = engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA journal_mode=WAL")
    finally:
        raw.close()


def _sqlite_file_exists(engine: Engine) -> bool:
    database = engine.url.database
    return engine.dialect.name != "sqlite" or not database or database == ":memory:" or Path(database).exists()


def _hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable)"
