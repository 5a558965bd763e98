"""A private PostgreSQL server for the tests, the benchmarks and `make cluster-demo`: Debian's binaries, a data
folder and a socket folder under /tmp, TCP on 127.0.0.1 at a free port, trust authentication,
stopped by its PID at the end.

``initdb`` refuses to run as root, so as root every server command runs as the ``postgres`` user
(``runuser -u postgres --``), which the Debian package creates.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from deploy.services import free_port

PREFERRED_VERSION = "15"


def postgres_bin() -> Path | None:
    """Debian's PostgreSQL binaries (15 preferred), or None."""
    root = Path("/usr/lib/postgresql")
    versions = sorted(root.glob("*/bin/initdb"), key=lambda p: (p.parent.parent.name != PREFERRED_VERSION,
                                                                 p.parent.parent.name))
    return versions[0].parent if versions else None


def missing_reason() -> str | None:
    """Why no server can be started here, or None."""
    if postgres_bin() is None:
        return ("PostgreSQL binaries not found under /usr/lib/postgresql: install Debian's `postgresql` package "
                "(`make test` does it when run as root)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root needs `runuser` to start PostgreSQL as the postgres user"
    return None


@dataclass
class PostgresServer:
    """A running server; ``url(dbname)`` is SQLAlchemy's URL of one of its databases."""

    host: str
    port: int
    user: str
    data_dir: Path
    pid: int
    password: str = ""
    options: str = ""
    maintenance_dbname: str = "postgres"
    template_dbname: str | None = None  # pytest-postgresql's depends_on reads it: no template of ours

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def start(durable: bool = False) -> PostgresServer:
    """Starts a fresh server. ``durable=False`` (tests) turns fsync off; benchmarks keep PostgreSQL's default."""
    binaries = postgres_bin()
    if binaries is None:
        raise RuntimeError(missing_reason())
    root = Path(tempfile.mkdtemp(prefix="poselab-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    subprocess.run(_as_owner([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                              "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)
    port = free_port()
    settings = f"-p {port} -h 127.0.0.1 -k {sockets} -c max_connections=200"
    if not durable:
        settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(_as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-o", settings, "-l", str(root / "log"),
                              "-w", "-t", "60", "start"]), check=True, capture_output=True)
    pid = int((data / "postmaster.pid").read_text().split()[0])
    return PostgresServer(host="127.0.0.1", port=port, user="postgres", data_dir=data, pid=pid)


def stop(server: PostgresServer) -> None:
    """Fast shutdown by PID (the postmaster ends its own children), then the folders go."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            os.kill(server.pid, 0)
            time.sleep(0.1)
        os.kill(server.pid, signal.SIGKILL)
    shutil.rmtree(server.data_dir.parent, ignore_errors=True)


@contextlib.contextmanager
def running(durable: bool = False) -> Iterator[PostgresServer]:
    server = start(durable)
    try:
        yield server
    finally:
        stop(server)
