"""Left-over run folders (``*.part``) are swept; ones a live writer owns are never touched."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from components.runner import remove_stale_parts


def test_only_parts_without_a_live_writer_are_removed(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)  # a process that has ended
    finished = threading.Thread(target=lambda: None)
    finished.start()
    finished.join()
    names = {
        "crashed": f"abc-key.{dead_pid}-123.part",  # its process is gone
        "ended_thread": f"abc-key.{os.getpid()}-{finished.ident}.part",  # this process, a thread that ended
        "this_thread": f"abc-key.{os.getpid()}-{threading.get_ident()}.part",  # being written here now
        "other_process": f"abc-key.{os.getppid()}-1.part",  # a live process's
        "odd_new": "abc-key.part",  # not our naming, recent
        "done": "abc-key",  # a finished run folder
    }
    for name in names.values():
        (tmp_path / name).mkdir()
        (tmp_path / name / "sequence.npz").write_bytes(b"x")
    old = tmp_path / "odd-old.part"
    old.mkdir()
    os.utime(old, (time.time() - 3 * 86400, time.time() - 3 * 86400))
    removed = remove_stale_parts(tmp_path)
    expected = {names["crashed"], names["ended_thread"], "odd-old.part"}
    assert {p.name for p in removed} == expected
    assert {p.name for p in tmp_path.iterdir()} == set(names.values()) - expected
    assert remove_stale_parts(tmp_path / "missing") == []
