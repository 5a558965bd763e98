"""A batch on a real multi-process Dask cluster on this machine: the test starts ``dask scheduler`` and two
``dask worker`` processes on 127.0.0.1 (and ends them, by PID), runs ``batch --scheduler``, kills one worker
in the middle of a clip, and still gets every clip done exactly once (also in the library, with ``--save``)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import psutil
import pytest

from deploy.services import free_port
from poselab.store.library import Library
from tests.conftest import REPO

pytestmark = pytest.mark.slow
CLIPS = ("videos/dance_600x600.mp4", "falls/fall_corridor_forward.mp4", "videos/lab_single_portrait_60fps.mp4",
         "falls/fall_two_people_dog.mp4")
COMPLETE = {"angles.csv", "batch.json", "events.json", "landmarks.csv", "postures.csv", "summary.json",
            "annotated.mp4"}


def _start(*args: str, log: Path) -> subprocess.Popen:
    env = os.environ | {"PYTHONPATH": str(REPO), "DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON__MALLOC_TRIM_THRESHOLD_":
                        "None"}
    with open(log, "w") as handle:
        return subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=REPO, env=env, stdout=handle,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    """The process and the children it started (a worker's nanny starts the worker), by PID."""
    family = [process.pid]
    with contextlib.suppress(psutil.NoSuchProcess):
        family += [p.pid for p in psutil.Process(process.pid).children(recursive=True)]
    for pid in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=15)
    for pid in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    """``dask scheduler`` and two single-threaded ``dask worker`` processes with a MEMORY_MB resource."""
    address = f"tcp://127.0.0.1:{free_port()}"
    processes = [_start("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard",
                        log=tmp_path / "scheduler.log")]
    try:
        for name in ("w1", "w2"):
            processes.append(_start("worker", address, "--name", name, "--nthreads", "1", "--host", "127.0.0.1",
                                    "--resources", "MEMORY_MB=2000", "--no-dashboard", "--death-timeout", "60",
                                    log=tmp_path / f"{name}.log"))
        yield address
    finally:
        for process in reversed(processes):
            _stop(process)


def test_a_killed_worker_costs_no_clip_and_no_clip_runs_twice(cluster: str, tmp_path: Path, test_data: Path,
                                                              model_dir: Path) -> None:
    from distributed import Client

    clips = [test_data / c for c in CLIPS]
    out = tmp_path / "out"
    command = [sys.executable, "-m", "poselab", "batch", *map(str, clips), "--out", str(out), "--scheduler", cluster,
               "--model", "lite", "--save"]
    batch = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = None
    with Client(cluster, timeout="30s") as watcher:
        watcher.wait_for_workers(2, timeout=60)
        deadline = time.monotonic() + 300
        while killed is None:
            assert batch.poll() is None and time.monotonic() < deadline, batch.communicate()
            busy = [address for address, keys in watcher.processing().items() if keys]
            staging = [p for p in out.glob(".*") if p.is_dir()] if out.is_dir() else []
            if busy and staging:
                time.sleep(1.0)  # well inside a clip: each takes several seconds here
                pids = watcher.run(os.getpid, workers=busy[:1])
                killed = (busy[0], pids[busy[0]], [p.name for p in staging])
                os.kill(killed[1], signal.SIGKILL)  # the worker process itself; its nanny starts a new one
            time.sleep(0.1)
    _stdout, stderr = batch.communicate(timeout=400)
    assert batch.returncode == 0, stderr
    assert "Traceback" not in stderr

    rows = pd.read_csv(out / "batch.csv", keep_default_na=False)
    assert sorted(rows["input"]) == sorted(map(str, clips)) and set(rows["status"]) == {"done"}
    for clip in clips:  # complete outputs, once each, nothing half-written beside them
        assert {p.name for p in (out / clip.stem).iterdir()} == COMPLETE
    assert sorted(p.name for p in out.iterdir()) == sorted(["batch.csv", "batch.parquet", *(c.stem for c in clips)])
    entries = Library().list(include_pending=True)  # the worker killed mid-save left no entry behind
    assert sorted(e.source_name for e in entries) == sorted(c.name for c in clips)
    assert sorted(rows["library_id"]) == sorted(e.id for e in entries)
    assert not psutil.pid_exists(killed[1]) or psutil.Process(killed[1]).status() == psutil.STATUS_ZOMBIE
