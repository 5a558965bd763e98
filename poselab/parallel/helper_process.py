"""A tracking helper's process: its entry point, light to import (the child pins its core and puts
stand-ins in place before MediaPipe loads); the work itself is ``segment_run.child_main``."""

from __future__ import annotations

import signal
from multiprocessing.queues import Queue
from typing import TYPE_CHECKING

from poselab.engine.allocator import apply_allocator_policy, mmap_threshold_fixed
from poselab.parallel.cpus import pin_this_thread
from poselab.parallel.spawning import stand_in_for_unused_imports

if TYPE_CHECKING:
    from poselab.settings import InferenceSettings


def helper_entry(index: int, settings: InferenceSettings, inbox: Queue, messages: Queue,
                 cpu: int | None = None) -> None:
    """Load what tracking needs (modules and model), say so, then track the segment handed out (if any),
    kept to core ``cpu`` (see ``cpus``)."""
    apply_allocator_policy()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it ends the workers
    pin_this_thread(cpu)  # before MediaPipe and the decoder start threads: they inherit it
    stand_in_for_unused_imports()
    from poselab.engine.landmarker import PoseDetector  # MediaPipe and friends: most of a helper's start-up time
    from poselab.parallel.segment_run import child_main

    try:
        detector: PoseDetector | None = PoseDetector(settings, video=True)
    except Exception:  # child_main opens it again and reports what went wrong
        detector = None
    messages.put(("ready", index, mmap_threshold_fixed()))  # the payload: for tests and diagnostics
    job = inbox.get()
    if job is not None:
        child_main(job, messages, detector)
    elif detector is not None:
        detector.close()
