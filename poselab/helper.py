"""The entry point of a spawned tracking helper (see ``parallel``), in a module of its own.

Spawning unpickles the target function by importing its module; this one imports nothing heavy,
so the helper can put stand-ins in place before MediaPipe is imported.
"""

from __future__ import annotations

import signal
import sys
import types
from multiprocessing.queues import Queue
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from poselab.settings import InferenceSettings


def helper_entry(index: int, settings: InferenceSettings, inbox: Queue, messages: Queue) -> None:
    """Load what tracking needs (modules and model), say so, then track the segment handed out (if any)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it ends the workers
    stand_in_for_unused_imports()
    from poselab.landmarker import PoseDetector  # MediaPipe and friends: most of a helper's start-up time
    from poselab.parallel import _child_main

    try:
        detector: PoseDetector | None = PoseDetector(settings, video=True)
    except Exception:  # _child_main opens it again and reports what went wrong
        detector = None
    messages.put(("ready", index, None))
    job = inbox.get()
    if job is not None:
        _child_main(job, messages, detector)
    elif detector is not None:
        detector.close()


def stand_in_for_unused_imports() -> None:
    """Empty modules for what MediaPipe imports but a helper never runs: matplotlib (its drawing
    helpers) and sounddevice (its audio tasks). That is half of a helper's start-up (0.88 -> 0.41 s
    to import the pipeline), time in which the helper would not track. Only in helper processes."""
    for name in ("matplotlib", "matplotlib.pyplot", "sounddevice"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["matplotlib"].pyplot = sys.modules["matplotlib.pyplot"]  # type: ignore[attr-defined]
