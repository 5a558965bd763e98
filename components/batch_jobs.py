"""The dashboard's batches: one Dask client shared by every session, and batches running in the background.

The client (``st.cache_resource``: one per server process) belongs to a LocalCluster on this machine, or to
the scheduler at ``$POSELAB_DASK_SCHEDULER``. A batch runs in a thread of the server that only waits on the
cluster (``as_completed``) and fills a locked ``BatchRun``; the page draws that, so a user may leave the
page, or close the tab, and find the batch where it got to. The clips themselves run on the workers,
``BATCH_NICENESS_STEPS`` nicer than the server, and every finished clip is saved in the library.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from poselab.batch.cluster import SCHEDULER_ENV
from poselab.batch.run import BatchProgress
from poselab.parallel.isolated import BATCH_NICENESS_STEPS
from poselab.settings import InferenceSettings
from poselab.store.library import poselab_home

DATA_DIR_ENV = "POSELAB_DATA_DIR"  # a folder on the server whose sub-folders the page offers as inputs
_KEEP_RUNS = 20


@dataclass
class BatchRun:
    """One batch as the page shows it; the fields change under ``lock`` while it runs."""

    id: str
    title: str
    folder: Path
    inputs: list[str]
    owner_key: str  # who started it: the only one who sees it (its clips are saved as theirs)
    started_s: float = field(default_factory=time.time)
    rows: list[dict[str, Any]] = field(default_factory=list)
    progress: BatchProgress | None = None
    state: str = "starting"  # starting, running, finished, error
    message: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> tuple[str, str, list[dict[str, Any]], BatchProgress | None]:
        with self.lock:
            return self.state, self.message, list(self.rows), self.progress


@st.cache_resource(show_spinner=False)
def _runs() -> dict[str, BatchRun]:
    return {}


@dataclass(frozen=True)
class SharedClient:
    """Holds the client: a Dask Client is awaitable, which st.cache_resource refuses to cache as such."""

    client: Any


@st.cache_resource(show_spinner="Starting the Dask cluster…")
def _shared_client() -> SharedClient:
    from poselab.batch.cluster import open_client

    log = str(poselab_home() / "logs" / "batch-workers.log")
    return SharedClient(open_client(os.environ.get(SCHEDULER_ENV) or None, worker_log=log))


def shared_client() -> Any:
    """The server's Dask client: the scheduler at $POSELAB_DASK_SCHEDULER, else a LocalCluster."""
    return _shared_client().client


def scheduler_label() -> str:
    address = os.environ.get(SCHEDULER_ENV)
    return f"the Dask cluster at {address}" if address else "a Dask cluster on this machine"


def recent_runs(owner_key: str | None = None) -> list[BatchRun]:
    """Newest first; ``owner_key``: only the batches that person started (None: every batch, for pruning)."""
    runs = [run for run in _runs().values() if owner_key is None or run.owner_key == owner_key]
    return sorted(runs, key=lambda run: run.started_s, reverse=True)


def get_run(run_id: str, owner_key: str) -> BatchRun | None:
    """That batch if ``owner_key`` started it, else None (another person's batch is not there for them)."""
    run = _runs().get(run_id)
    return run if run is not None and run.owner_key == owner_key else None


def new_batch_folder() -> tuple[str, Path]:
    run_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    folder = poselab_home() / "batches" / run_id
    (folder / "inputs").mkdir(parents=True, exist_ok=True)
    return run_id, folder


def start_batch(run_id: str, folder: Path, inputs: list[Path], settings: InferenceSettings, title: str,
                owner_key: str) -> BatchRun:
    """Plans the batch here (bad arguments raise now) and runs it on a background thread."""
    from poselab.cli.batch import plan_batch
    from poselab.cli.commands import build_parser

    argv = ["batch", *map(str, inputs), "--out", str(folder / "out"), "--save", "--owner", owner_key,
            "--model", settings.model,
            "--num-poses", str(settings.num_poses),
            "--min-detection-confidence", str(settings.min_detection_confidence),
            "--min-presence-confidence", str(settings.min_presence_confidence),
            "--min-tracking-confidence", str(settings.min_tracking_confidence),
            *(["--segmentation"] if settings.segmentation else [])]
    args = build_parser().parse_args(argv)
    jobs, skipped = plan_batch(args, niceness_steps=BATCH_NICENESS_STEPS)
    run = BatchRun(run_id, title, folder, [str(p) for p in args.clips], owner_key, rows=skipped)
    runs = _runs()
    runs[run.id] = run
    for old in recent_runs()[_KEEP_RUNS:]:
        runs.pop(old.id, None)
    client = shared_client()  # before the thread: a cluster that cannot start is the page's error, now
    threading.Thread(target=_run, args=(run, client, args, jobs), name=f"poselab-batch-{run.id}", daemon=True).start()
    return run


def _run(run: BatchRun, client: Any, args: Any, jobs: list) -> None:
    from poselab.batch.cluster import task_resources
    from poselab.batch.resume import remove_leftovers
    from poselab.batch.rows import write_table
    from poselab.batch.run import run_jobs
    from poselab.cli.batch_task import clip_task

    def keep(row: dict[str, Any]) -> None:
        with run.lock:
            run.rows.append(row)

    def progress(state: BatchProgress) -> None:
        with run.lock:
            run.progress = state

    try:
        resources, warning = task_resources(client, args.model)
        with run.lock:
            run.state, run.message = "running", warning
        if jobs:
            run_jobs(client, jobs, clip_task, resources, on_row=keep, progress=progress)
        remove_leftovers(args.out, [job.output.name for job in jobs])  # staging folders of killed workers
        write_table(run.snapshot()[2], args.out)
        with run.lock:
            run.state = "finished"
    except Exception as error:  # the cluster went away, the disk is full: say so on the page
        logging.getLogger(__name__).exception("batch %s failed", run.id)
        with run.lock:
            run.state, run.message = "error", f"{type(error).__name__}: {error}"
