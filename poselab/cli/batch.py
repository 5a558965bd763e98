"""``python -m poselab batch INPUT... --out DIR``: many clips, one Dask task each (issue 17).

Without ``--scheduler`` a LocalCluster with one single-threaded worker process per core runs them; with it, the
cluster behind that scheduler does. Each clip goes to ``DIR/<clip>/`` (the files ``analyze`` writes), the
table of runs to ``DIR/batch.csv`` and ``DIR/batch.parquet``. Exit code 0 when every clip is done or skipped,
1 when some failed, 2 for bad arguments (one ``error:`` line).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from poselab.cli.library import owner_key
from poselab.errors import InputError, PoseLabError

if TYPE_CHECKING:  # loaded when a batch runs: `python -m poselab --help` stays quick
    from poselab.batch.resume import ClipKey
    from poselab.batch.run import BatchProgress, ClipJob

# What is not an option of the analysis itself (and so not part of a clip's key).
_RUN_OPTIONS = ("command", "inputs", "out", "scheduler", "jobs", "save", "owner", "workers")


def add_batch_parser(commands: Any, add_analyze_options: Callable[[argparse.ArgumentParser], None]) -> None:
    batch = commands.add_parser("batch", help="analyse many clips at once on Dask (this machine, or a cluster)")
    batch.add_argument("inputs", nargs="+", metavar="INPUT",
                       help="clips or images, folders (searched recursively) or glob patterns")
    batch.add_argument("--out", type=Path, required=True, help="folder for one sub-folder per clip and batch.csv")
    batch.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="address of a running Dask scheduler (default: a cluster on this machine)")
    batch.add_argument("--jobs", type=_job_count, help="worker processes on this machine (default: one per core)")
    batch.add_argument("--save", action="store_true", help="also store every finished clip in the library")
    batch.add_argument("--owner", type=owner_key, metavar="KEY",
                       help="with --save: whose library entries they are (issuer|subject; default the local user)")
    add_analyze_options(batch)


def run_batch(args: argparse.Namespace) -> int:
    from poselab.batch.rows import exit_code, summary_lines, write_table

    jobs, rows = plan_batch(args)
    if jobs:
        rows += run_planned(args, jobs, rows)
    order = {str(job_input): index for index, job_input in enumerate(args.clips)}
    rows.sort(key=lambda row: order.get(row["input"], len(order)))
    write_table(rows, args.out)
    for line in summary_lines(rows):
        print(line, file=sys.stderr)
    print(f"wrote {args.out / 'batch.csv'}", file=sys.stderr)
    return exit_code(rows)


def plan_batch(args: argparse.Namespace, pin_cpus: tuple[int, ...] = (),
               niceness_steps: int = 0) -> tuple[list[ClipJob], list[dict[str, Any]]]:
    """The clips still to analyse, and the rows of those already done for these settings (``skipped``).

    Bad arguments raise their PoseLabError here, before any clip is touched."""
    from poselab.batch.inputs import find_clips, folder_names
    from poselab.batch.resume import finished_row, remove_leftovers
    from poselab.batch.run import ClipJob
    from poselab.cli.analyze_run import settings_of
    from poselab.cli.ergonomics import check_analyze_options
    from poselab.motion.smoothing import SmoothingSettings

    settings = settings_of(args)
    SmoothingSettings.from_args(args)  # bad smoothing parameters are bad arguments, for every clip alike
    check_analyze_options(args)
    out = args.out.absolute()
    # Never a batch's own outputs as its inputs (annotated.mp4 files, when --out is inside an input folder).
    clips = [c for c in find_clips([str(item) for item in args.inputs]) if out not in c.parents]
    if not clips:
        raise InputError(f"no clips to analyse outside the output folder {args.out}")
    args.clips = clips
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot write into {args.out}: {error.strerror}") from None
    names = folder_names(clips)
    remove_leftovers(args.out, names)
    options = argparse.Namespace(**{k: v for k, v in vars(args).items() if k not in (*_RUN_OPTIONS, "clips")},
                                 save=args.save, workers=1)
    analysis_options = {k: v for k, v in vars(options).items() if k not in _RUN_OPTIONS}
    jobs, skipped = [], []
    for clip, name in zip(clips, names, strict=True):
        output = args.out / name
        key, frames = _key_and_frames(clip, settings, analysis_options)
        done = finished_row(output, key)
        if done is not None:
            skipped.append({**done, "status": "skipped", "input": str(clip), "output": str(output)})
            continue
        jobs.append(ClipJob(clip, output, key, options, frames, pin_cpus, niceness_steps))
    return jobs, skipped


def run_planned(args: argparse.Namespace, jobs: list[ClipJob], skipped: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs the jobs on the cluster; returns their rows (the table is rewritten as each one finishes)."""
    from poselab.batch.cluster import close_client, open_client, task_resources, usable_cores
    from poselab.batch.resume import remove_leftovers
    from poselab.batch.rows import write_table
    from poselab.batch.run import run_jobs
    from poselab.cli.batch_task import clip_task
    from poselab.store.library import poselab_home

    log = str(poselab_home() / "logs" / "batch-workers.log")
    client = open_client(args.scheduler, args.jobs, worker_log=log)
    try:
        if not args.scheduler:
            jobs = _pinned(jobs, args.jobs or usable_cores())
        else:
            try:
                client.wait_for_workers(1, timeout=60)
            except TimeoutError:
                raise InputError(f"no Dask worker joined the scheduler at {args.scheduler} within 60 s") from None
        resources, warning = task_resources(client, args.model)
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"{len(jobs)} clips to analyse on {_where(client, args.scheduler)}"
              + (f", {len(skipped)} already done" if skipped else ""), file=sys.stderr)
        finished: list[dict[str, Any]] = []

        def keep(row: dict[str, Any]) -> None:
            finished.append(row)
            write_table(skipped + finished, args.out)  # an interrupted batch leaves its table so far

        run_jobs(client, jobs, clip_task, resources, on_row=keep, progress=BatchBar())
        remove_leftovers(args.out, [job.output.name for job in jobs])  # staging folders of killed workers
        return finished
    finally:
        close_client(client)


class BatchBar:
    """One line on stderr: clips done of total, frames per second across the cluster, time left."""

    def __init__(self, width: int = 24) -> None:
        self.width = width
        self._tty = sys.stderr.isatty()

    def __call__(self, state: BatchProgress) -> None:
        share = state.finished / state.total if state.total else 1.0
        left = state.remaining_s
        line = (f"[{'#' * int(share * self.width):<{self.width}}] {state.finished}/{state.total} clips"
                + (f", {state.failed} failed" if state.failed else "")
                + f", {state.fps:5.1f} fps" + (f", {left:4.0f} s left" if left is not None else ""))
        end = "\n" if state.finished >= state.total or not self._tty else ""
        print(("\r" if self._tty else "") + line, end=end, file=sys.stderr, flush=True)


def _key_and_frames(clip: Path, settings: Any, options: dict[str, Any]) -> tuple[ClipKey | None, int]:
    """The clip's resume key and frame count; (None, 0) for one that cannot be read (its task says why)."""
    from poselab.batch.resume import ClipKey
    from poselab.media.decode import Limits, probe
    from poselab.store.analysis import content_hash

    try:
        info = probe(clip, Limits.from_env())
        return ClipKey.of(content_hash(clip), settings, options), (1 if info.is_image else info.frame_count or 0)
    except (PoseLabError, OSError):
        return None, 0


def _pinned(jobs: list[ClipJob], workers: int) -> list[ClipJob]:
    from dataclasses import replace

    from poselab.parallel.cpus import plan_cpus

    cpus = plan_cpus(workers)
    plan = tuple(c for c in cpus if c is not None)
    return [replace(job, pin_cpus=plan) for job in jobs] if len(plan) == workers else jobs


def _where(client: Any, scheduler: str | None) -> str:
    count = len(client.scheduler_info(n_workers=-1).get("workers", {}))
    return f"{count} workers at {scheduler}" if scheduler else f"{count} local workers"


def _job_count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"{text} is not between 1 and 64")
    return value

