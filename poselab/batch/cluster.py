"""The Dask side of a batch: the client (a LocalCluster by default, or an existing scheduler), the settings of
its workers, and the memory each task declares.

Workers keep PoseLab's allocator policy (``engine/allocator.py``): the nanny starts them with glibc's fixed
mmap threshold in their environment, and a worker plugin applies the policy too (for workers started without
our nanny settings). The nanny's ``MALLOC_TRIM_THRESHOLD_`` is unset: measured, it slowed the analysis by
about 25 % (issue 17), and the fixed mmap threshold already gives frame-sized blocks back to the system.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from distributed.diagnostics.plugin import WorkerPlugin

from poselab.engine.allocator import MMAP_THRESHOLD_BYTES, apply_allocator_policy
from poselab.errors import InputError
from poselab.parallel.spawning import never_send_main

if TYPE_CHECKING:
    from distributed import Client, Worker

RESOURCE = "MEMORY_MB"  # the Dask worker resource a task declares (`dask worker --resources MEMORY_MB=N`)
# Peak RSS of one `analyze` of a 1920x1080 clip with the annotated video (bench/memory_bench.py, 15 s clip:
# lite 482, full 494, heavy 558 MB), plus what a Dask worker process holds beside it (~150 MB), rounded up.
TASK_MEMORY_MB = {"lite": 650, "full": 650, "heavy": 750}
ALLOWED_FAILURES = 2  # a clip whose worker dies is tried on another one twice more, then reported failed
SCHEDULER_ENV = "POSELAB_DASK_SCHEDULER"


def dask_settings() -> dict[str, Any]:
    """The Dask configuration PoseLab's batches run with (set in this process before a cluster starts)."""
    return {
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,  # None = unset (nanny.py)
        "distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": MMAP_THRESHOLD_BYTES,
        "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    }


def configure_dask() -> None:
    import dask

    dask.config.set(dask_settings())


def open_client(scheduler: str | None = None, jobs: int | None = None, worker_log: str | None = None,
                timeout_s: float = 20.0) -> Client:
    """A client of the scheduler at ``scheduler``, or of a new LocalCluster with ``jobs`` single-threaded worker
    processes (one per core by default). ``worker_log``: where local workers' stderr goes (native log lines)."""
    from distributed import Client, LocalCluster

    configure_dask()
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError) as error:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
    else:
        # Spawned workers must not re-run this process's main script: under Streamlit that is a page, under
        # AppTest a test's script (both are swapped in as __main__ at any moment). Before the nanny starts them.
        never_send_main()
        workers = jobs or usable_cores()
        memory_mb = _physical_memory_mb() // max(workers, 1)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               resources={RESOURCE: memory_mb}, memory_limit=f"{memory_mb}MB",
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    client.register_plugin(PoseLabWorker(worker_log if not scheduler else None), name="poselab")
    return client


def close_client(client: Client) -> None:
    """Closes the client, and its LocalCluster if it started one."""
    cluster = client.cluster
    client.close()
    if cluster is not None:
        cluster.close()


def task_resources(client: Client, model: str) -> tuple[dict[str, float] | None, str]:
    """The resources each task of this model declares, and a warning when the workers declare none (tasks that
    ask for a resource no worker has would wait for ever, so then they ask for nothing)."""
    need = TASK_MEMORY_MB[model]
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    offered = [w.get("resources", {}).get(RESOURCE) for w in workers.values()]
    offered = [value for value in offered if value]
    if not offered:
        return None, (f"the workers declare no {RESOURCE} resource, so Dask cannot keep their clips within memory:"
                      f" start them with --resources {RESOURCE}=N (one {model} clip needs about {need} MB)")
    if max(offered) < need:
        return {RESOURCE: max(offered)}, (f"no worker declares {need} MB of {RESOURCE} (a {model} clip's need);"
                                          f" each clip asks for {max(offered)} MB instead")
    return {RESOURCE: need}, ""


def worker_name() -> str:
    """The Dask worker running the calling task ('' outside one)."""
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:
        return ""
    return f"{worker.name}@{worker.address}" if worker.name != worker.address else worker.address


def local_worker_index() -> int | None:
    """This worker's number in a LocalCluster (its name there), else None."""
    from distributed import get_worker

    try:
        name = get_worker().name
    except ValueError:
        return None
    return name if isinstance(name, int) else None


class PoseLabWorker(WorkerPlugin):
    """Set up on every worker, also one that joins or restarts later: the allocator policy, and for local
    workers their stderr (MediaPipe's native log lines, Dask's own warnings) into a log file."""

    name = "poselab"

    def __init__(self, log_path: str | None = None) -> None:
        self.log_path = log_path

    def setup(self, worker: Worker) -> None:
        apply_allocator_policy()
        if self.log_path:
            try:
                os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
                log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            except OSError:
                return
            os.dup2(log_fd, 2)
            os.close(log_fd)



def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _physical_memory_mb() -> int:
    import psutil

    return int(psutil.virtual_memory().total / 2**20)

