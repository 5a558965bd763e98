"""MediaPipe's and TFLite's own log lines (``W0000 ...``, ``INFO: Created TensorFlow Lite XNNPACK
delegate``) go to a log file instead of the command line's stderr.

They are written by C++ straight to file descriptor 2, through absl logging that reads no environment
variable (measured with mediapipe 1.2: ``GLOG_minloglevel`` and ``TF_CPP_MIN_LOG_LEVEL`` change nothing),
and some come later from the graph's threads (the first ``detect``). So for the length of a command,
descriptor 2 points at ``$POSELAB_HOME/logs/mediapipe.log`` while Python's ``sys.stderr`` (our errors,
the progress bar, any traceback) keeps writing to the real stderr through a copy of the descriptor.
Processes spawned meanwhile inherit descriptor 2: their native lines go to the log too.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

# The log is started afresh past this size: it is for a look after a surprise, not an archive.
MAX_LOG_BYTES = 1 << 20


def native_log_path() -> Path:
    from poselab.store.library import poselab_home

    return poselab_home() / "logs" / "mediapipe.log"


@contextlib.contextmanager
def native_stderr_to_log(path: Path | None = None) -> Iterator[Path | None]:
    """Sends what native code writes to stderr into ``path`` (default ``native_log_path()``) meanwhile.

    Yields the log's path, or None when it cannot be opened (then nothing is redirected).
    """
    path = path or native_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = "wb" if path.is_file() and path.stat().st_size > MAX_LOG_BYTES else "ab"
        log = open(path, mode)  # noqa: SIM115 (closed below, after descriptor 2 is given back)
    except OSError:
        yield None
        return
    python_stderr = sys.stderr
    python_stderr.flush()
    real_fd = os.dup(2)
    sys.stderr = open(real_fd, "w", buffering=1, encoding=python_stderr.encoding or "utf-8",  # noqa: SIM115
                      errors="backslashreplace")
    os.dup2(log.fileno(), 2)
    try:
        yield path
    finally:
        sys.stderr.flush()
        os.dup2(real_fd, 2)
        sys.stderr.close()  # also closes real_fd: descriptor 2 is a copy of it again
        sys.stderr = python_stderr
        log.close()
