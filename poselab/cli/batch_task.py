"""One clip of a batch, on a Dask worker: ``analyze``'s own path (``analyze_run.analyze_into``) into
``OUT/<clip>/``, returning the clip's row. Bad input is a ``failed`` row with ``analyze``'s one-line message.

The folder is published with one rename once complete (``staging_dir(whole=True)``), with ``batch.json``
(its key and row) inside; a task that finds that already there (its worker died after publishing, and the
scheduler ran it again) returns the stored row instead of writing the clip twice.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from poselab.batch.cluster import local_worker_index, worker_name
from poselab.batch.resume import finished_row, write_done
from poselab.batch.rows import make_row
from poselab.batch.run import ClipJob
from poselab.cli.analyze_run import ClipResult, analyze_into
from poselab.errors import PoseLabError


def clip_task(job: ClipJob) -> dict[str, Any]:
    """Analyses ``job.input`` into ``job.output``; never raises for a bad clip."""
    done = finished_row(job.output, job.key)
    if done is not None:
        return done
    args = argparse.Namespace(**{**vars(job.options), "input": job.input, "out": job.output})
    worker = worker_name()
    started_s = time.monotonic()
    published: list[dict[str, Any]] = []

    def stamp(staging: Path, result: ClipResult) -> None:
        row = make_row(job.input, "done", job.output, summary=result.summary,
                       elapsed_s=time.monotonic() - started_s, worker=worker, library_id=result.library_id)
        write_done(staging, job.key, row)
        published.append(row)

    try:
        with _kept_to_core(job), _nicer(job.niceness_steps):
            analyze_into(args, job.output, whole=True, before_publish=stamp)
    except PoseLabError as error:
        return make_row(job.input, "failed", error=str(error), elapsed_s=time.monotonic() - started_s,
                        worker=worker)
    return published[0]


@contextlib.contextmanager
def _kept_to_core(job: ClipJob) -> Iterator[None]:
    """Local worker i on core ``job.pin_cpus[i]``: the threads MediaPipe and the decoder start inherit it."""
    from poselab.parallel.cpus import pinned

    index = local_worker_index()
    cpu = job.pin_cpus[index] if index is not None and index < len(job.pin_cpus) else None
    with pinned(cpu):
        yield


@contextlib.contextmanager
def _nicer(steps: int) -> Iterator[None]:
    """This thread (and the threads it starts) ``steps`` nicer. Linux niceness is per thread; a worker thread
    stays nice afterwards (lowering it again needs privileges), which is what a dashboard batch wants."""
    if steps > 0:
        with contextlib.suppress(OSError):
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread, min(os.getpriority(os.PRIO_PROCESS, thread) + steps, 19))
    yield
