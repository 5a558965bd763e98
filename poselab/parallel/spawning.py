"""Spawned child processes: what they inherit from the parent when they start, and how failures cross back.

Spawning unpickles the target function by importing its module; the entry points (``helper_process``: a
tracking helper, one segment; ``isolated_process``: a whole analysis at a lower priority) and this module
import nothing heavy, so a child can put stand-ins in place before MediaPipe is imported.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import traceback
import types
from collections.abc import Iterator
from multiprocessing import spawn
from multiprocessing.queues import Queue
from pathlib import Path
from typing import NoReturn

from poselab.errors import PoseLabError


def send_failure(messages: Queue, address: tuple, error: BaseException) -> None:
    """A child's failure for its parent, called in the ``except`` block: a PoseLabError as itself (its
    text is meant for users), anything else (a bug) as one line, with the traceback in the server log."""
    if isinstance(error, PoseLabError):
        messages.put(("error", *address, error))
    else:
        traceback.print_exc()
        messages.put(("error", *address, f"{type(error).__name__}: {error}"))


def raise_failure(payload: object, who: str) -> NoReturn:
    """The parent's side of ``send_failure``."""
    if isinstance(payload, PoseLabError):
        raise payload
    raise RuntimeError(f"{who} failed: {payload} (traceback in the server log)")


_SPAWN_LOCK = threading.Lock()
_GUARDED = threading.local()  # set while this thread starts children under spawn_guard
_NEVER_MAIN = False  # set by never_send_main(): no child of this process gets its main module


def never_send_main() -> None:
    """From now on no child spawned by this process (from any thread) re-runs its main module. For a server
    whose children are all started by libraries on threads of their own (the Dask nanny of the dashboard's
    batch cluster starts and restarts workers on its event loop), where ``spawn_guard`` cannot reach."""
    global _NEVER_MAIN
    _NEVER_MAIN = True


@contextlib.contextmanager
def spawn_guard(scratch_dir: Path) -> Iterator[None]:
    """What children spawned in this block inherit, and what not.

    - not the parent's ``__main__``: children would re-run the parent's main file, and under Streamlit
      that is a page script (each script run installs its page as ``__main__``, in any session's thread,
      at any moment), so they would run a page. Swapping ``__main__`` here lost that race when sessions
      started at once; the main module is dropped from the start-up data instead (see below).
    - ``TMPDIR`` = a scratch folder the parent removes: a child terminated mid-import (cancel) can
      otherwise leave third-party temporary files (ctypes runs gcc to find libraries) in /tmp.
    """
    with _SPAWN_LOCK:
        tmpdir = os.environ.get("TMPDIR")
        os.environ["TMPDIR"] = str(scratch_dir)
        _GUARDED.active = True
        try:
            yield
        finally:
            _GUARDED.active = False
            if tmpdir is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = tmpdir


def _preparation_data(name: str) -> dict:
    """multiprocessing's start-up data for a spawned child, without the parent's main module when it
    is spawned under ``spawn_guard`` (our entry points import what they need themselves)."""
    data = _STDLIB_PREPARATION_DATA(name)
    if _NEVER_MAIN or getattr(_GUARDED, "active", False):
        data.pop("init_main_from_name", None)
        data.pop("init_main_from_path", None)
    return data


# Looked up in the spawning thread on every start; other children (not ours) are left as they were.
_STDLIB_PREPARATION_DATA = getattr(spawn.get_preparation_data, "poselab_wrapped", spawn.get_preparation_data)
_preparation_data.poselab_wrapped = _STDLIB_PREPARATION_DATA  # type: ignore[attr-defined]
spawn.get_preparation_data = _preparation_data


def stand_in_for_unused_imports() -> None:
    """Empty modules for what MediaPipe imports but a helper never runs: matplotlib (its drawing
    helpers) and sounddevice (its audio tasks). That is half of a helper's start-up (0.88 -> 0.41 s
    to import the pipeline), time in which the helper would not track. Only in helper processes."""
    for name in ("matplotlib", "matplotlib.pyplot", "sounddevice"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["matplotlib"].pyplot = sys.modules["matplotlib.pyplot"]  # type: ignore[attr-defined]
