"""Two processes saving, renaming and deleting in one library at once, many times: every entry complete,
none lost, none duplicated, no half-written files left behind (each open also runs recover() against the
other's live writes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from poselab.store.library import LANDMARKS_PARQUET, Library
from tests.conftest import REPO

pytestmark = [pytest.mark.usefixtures("library_database"), pytest.mark.slow]
SAVES_PER_WRITER = 30


def test_two_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    writers = [subprocess.Popen([sys.executable, "-m", "tests.store.library_worker", prefix, str(SAVES_PER_WRITER)],
                                cwd=REPO, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for prefix in ("left", "right")]
    for writer in writers:
        _out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err[-3000:]
    library = Library()
    entries = library.list(include_pending=True)
    names = sorted(e.name for e in entries)
    expected = sorted(f"{prefix}-{i}-renamed" for prefix in ("left", "right")
                      for i in range(SAVES_PER_WRITER) if i % 3 != 2)
    assert names == expected  # none lost, none duplicated, none of the deleted back
    assert {e.status for e in entries} == {"complete"}
    assert len({e.id for e in entries}) == len(entries)
    for entry in entries:
        assert (entry.folder / LANDMARKS_PARQUET).is_file() and (entry.folder / "sequence.npz").is_file()
        assert library.load(entry.id).name == entry.name
    assert sorted(p.name for p in library.analyses_dir.iterdir()) == sorted(e.id for e in entries)
    assert list(library.staging_dir.iterdir()) == []
    assert library.integrity_ok()
