"""Library throughput: saves per second into SQLite and PostgreSQL with 1 and 4 concurrent writer processes,
renames per second (metadata only), and the time ``Library.list()`` takes with 1,000 analyses (as the
administrator, and as a user who owns half and has 50 shared with them).

Each save is a whole entry: a 60-frame, 1-person analysis (sequence.npz, landmarks and angles Parquet,
a small source and annotated file), staged, fsynced, renamed into place and committed. PostgreSQL is a
private server (deploy/postgres.py) with its default durability (fsync on).

    flock /tmp/poselab-heavy.lock .venv/bin/python bench/library_bench.py [--saves 40] [--entries 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

from sqlalchemy import insert, select  # noqa: E402 - needs the path above

from deploy import postgres  # noqa: E402
from poselab.store.database import dispose_all  # noqa: E402
from poselab.store.library import Library  # noqa: E402
from poselab.store.owners import Principal  # noqa: E402
from poselab.store.schema import analyses, shares  # noqa: E402
from tests.store.test_library import make_analysis  # noqa: E402


def writer(count: int, prefix: str) -> None:
    """One writer process: ``count`` saves then ``count`` renames; prints its timings as JSON."""
    with tempfile.TemporaryDirectory(prefix="library-bench-") as scratch:
        analysis = make_analysis(Path(scratch) / "a", name=prefix, frames=60)
        library = Library()
        start = time.perf_counter()
        ids = []
        for index in range(count):
            analysis.name = f"{prefix}-{index}"
            ids.append(library.save(analysis).id)
        saved = time.perf_counter()
        for entry_id in ids:
            library.rename(entry_id, f"{entry_id} renamed")
        print(json.dumps({"save_s": saved - start, "rename_s": time.perf_counter() - saved}))


def run_writers(env: dict[str, str], writers: int, count: int) -> dict[str, float]:
    """``writers`` processes at once; rates over the wall time from the first start to the last end."""
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, __file__, "--writer", str(count), f"w{i}"], env=env,
                              stdout=subprocess.PIPE, text=True) for i in range(writers)]
    results = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"a writer failed ({proc.returncode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    wall_s = time.perf_counter() - start
    total = writers * count
    return {"saves_per_s": total / max(r["save_s"] for r in results),
            "renames_per_s": total / max(r["rename_s"] for r in results), "wall_s": wall_s}


def fill(library: Library, entries: int) -> Principal:
    """``entries`` rows copied from one real saved entry; half owned by a user, 50 of the rest shared."""
    user = Principal("https://idp.example", "bench-user")
    template = library.save(make_analysis(library.home / "template", name="template", frames=60))
    with library.engine.begin() as db:
        row = dict(db.execute(select(analyses).where(analyses.c.id == template.id)).one()._mapping)
        rows = []
        for index in range(entries - 1):
            owner = user.key if index % 2 else row["owner_key"]
            rows.append({**row, "id": uuid.uuid4().hex[:12], "name": f"analysis {index}",
                         "created_s": row["created_s"] - index, "owner_key": owner})
        db.execute(insert(analyses), rows)
        others = [r["id"] for r in rows if r["owner_key"] != user.key][:50]
        db.execute(insert(shares), [{"entry_id": i, "user_key": user.key, "created_s": 0.0} for i in others])
    return user


def time_list(home: Path, user: Principal | None, repeats: int = 7) -> float:
    library = Library(home, user=user, recover=False)
    library.list()  # warm: the engine, the schema check, the page cache
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        count = len(library.list())
        times.append(time.perf_counter() - start)
    print(f"    list() as {'admin' if user is None else 'user'}: {count} entries", file=sys.stderr)
    return statistics.median(times) * 1000


def bench_backend(name: str, url: str | None, args: argparse.Namespace) -> list[str]:
    lines = []
    for writers in (1, 4):
        home = _prepare(name, url, f"bench{writers}")  # the schema made before the clock starts
        rates = run_writers(dict(os.environ), writers, args.saves)
        lines.append(f"| {name} | {writers} | {rates['saves_per_s']:.1f} | {rates['renames_per_s']:.0f} | "
                     f"{writers * args.saves} in {rates['wall_s']:.1f} s |")
    home = _prepare(name, url, "benchlist")
    user = fill(Library(home), args.entries)
    admin_ms, user_ms = time_list(home, None), time_list(home, user)
    lines.append(f"| {name} list() of {args.entries} | admin {admin_ms:.0f} ms | user {user_ms:.0f} ms | | |")
    dispose_all()
    return lines


def _prepare(name: str, url: str | None, database: str) -> Path:
    """A fresh home (and PostgreSQL database) in this process's environment, its schema made."""
    home = Path(tempfile.mkdtemp(prefix=f"library-bench-{name.split()[0]}-"))
    _homes.append(home)
    os.environ["POSELAB_HOME"] = str(home)
    os.environ.pop("POSELAB_DATABASE_URL", None)
    if url:
        _create_database(url, database)
        os.environ["POSELAB_DATABASE_URL"] = url.rsplit("/", 1)[0] + f"/{database}"
    Library(home)
    dispose_all()
    return home


_homes: list[Path] = []


def _create_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=40, help="saves per writer process")
    parser.add_argument("--entries", type=int, default=1000, help="library size for the list() timing")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--writer", nargs=2, metavar=("COUNT", "PREFIX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        writer(int(args.writer[0]), args.writer[1])
        return
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    lines = ["| database | writers | saves/s | renames/s | run |", "| --- | --- | --- | --- | --- |"]
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                lines += bench_backend("SQLite", None, args)
            else:
                with postgres.running(durable=True) as server:
                    lines += bench_backend("PostgreSQL 15", server.url(), args)
    finally:
        dispose_all()
        for home in _homes:
            shutil.rmtree(home, ignore_errors=True)
    print("\n".join(lines))
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
