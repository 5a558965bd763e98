"""Running a batch's clips as Dask tasks and collecting their rows as they finish (``as_completed``).

The task itself (analyse one clip into its folder) is handed in by the caller: ``cli/batch_task.py`` holds
it, beside the ``analyze`` path it shares. Here: submitting, worker deaths, progress.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from poselab.batch.resume import ClipKey
from poselab.batch.rows import make_row

if TYPE_CHECKING:
    from distributed import Client

Row = dict[str, Any]


@dataclass(frozen=True)
class ClipJob:
    """One clip's task: everything a worker needs, small enough to send with it."""

    input: Path
    output: Path
    key: ClipKey | None  # None when the clip cannot be read here (its task then says why)
    options: Any  # the caller's per-clip options (the CLI's argparse namespace), passed to its task as is
    frames: int = 0  # from the header, for the progress bar's time left (0 when unknown)
    pin_cpus: tuple[int, ...] = ()  # local workers: worker i keeps to core pin_cpus[i] (cpus.py says why)
    niceness_steps: int = 0  # the dashboard's batches give way to its live streams


@dataclass
class BatchProgress:
    """Clips done of total, frames per second across the cluster, time left."""

    total: int
    frames_total: int
    finished: int = 0
    failed: int = 0
    frames_done: int = 0
    started_s: float = field(default_factory=time.monotonic)

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started_s

    @property
    def fps(self) -> float:
        return self.frames_done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def remaining_s(self) -> float | None:
        if not self.fps or self.finished >= self.total:
            return None
        return max(self.frames_total - self.frames_done, 0) / self.fps


def run_jobs(client: Client, jobs: list[ClipJob], task: Callable[[ClipJob], Row],
             resources: dict[str, float] | None = None, on_row: Callable[[Row], None] | None = None,
             progress: Callable[[BatchProgress], None] | None = None) -> list[Row]:
    """Submits one task per job and returns their rows in the order they finished.

    A task that raises (a bug: bad input is a row the task returns) and one whose workers kept dying are
    ``failed`` rows too: the batch always goes on.
    """
    from distributed import as_completed

    run_id = uuid.uuid4().hex[:8]
    futures = {client.submit(task, job, key=f"poselab-clip-{run_id}-{index}", resources=resources, pure=False): job
               for index, job in enumerate(jobs)}
    state = BatchProgress(total=len(jobs), frames_total=sum(job.frames for job in jobs))
    rows: list[Row] = []
    if progress is not None:
        progress(state)
    completed = as_completed(list(futures))
    for future in completed:
        row = _row_of(future, futures[future])
        rows.append(row)
        state.finished += 1
        state.failed += row["status"] == "failed"
        state.frames_done += int(row["frames"] or 0) if row["status"] == "done" else 0
        if on_row is not None:
            on_row(row)
        if progress is not None:
            progress(state)
    return rows


def _row_of(future: Any, job: ClipJob) -> Row:
    from distributed.scheduler import KilledWorker

    try:
        return future.result()
    except KilledWorker as error:
        tries = getattr(error, "allowed_failures", None)
        times = f"{tries + 1} times" if isinstance(tries, int) else "repeatedly"
        return make_row(job.input, "failed", error=f"the worker analysing it died {times} (killed, or out of "
                        "memory); gave up on this clip")
    except Exception as error:  # a bug in the task, or a clip its worker could not even receive
        return make_row(job.input, "failed", error=f"{type(error).__name__}: {error}")
