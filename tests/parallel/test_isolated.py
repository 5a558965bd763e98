"""An analysis in a process of its own (what the dashboard runs): same results and errors, nicer, and gone after."""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import time
import types
from multiprocessing import resource_tracker
from pathlib import Path

import numpy as np
import pytest

from poselab.engine.pipeline import Progress
from poselab.errors import Cancelled, InputError, PoseLabError
from poselab.media.decode import iter_frames
from poselab.parallel import isolated
from poselab.parallel.analyze import analyze_clip
from poselab.parallel.isolated import BATCH_NICENESS_STEPS, analyze_isolated
from poselab.parallel.isolated_process import isolated_entry
from poselab.settings import InferenceSettings
from tests.test_bad_input import write_clip

LITE = InferenceSettings(model="lite")


@pytest.fixture(scope="module")
def dance_clip(test_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 20 frames of the dance clip: a person in every frame."""
    frames = iter_frames(test_data / "videos" / "dance_600x600.mp4")
    return write_clip(tmp_path_factory.mktemp("isolated") / "dance.mp4", [next(frames).image_rgb for _ in range(20)])


@pytest.fixture
def text(tmp_path: Path) -> Path:
    """A text file named like a video: the quickest analysis that fails, with a clear message."""
    path = tmp_path / "notes.mp4"
    path.write_text("not a video at all\n" * 100)
    return path


def _analysis_children() -> list[int]:
    """This process's spawned children (not multiprocessing's resource tracker)."""
    pids = []
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes() if Path(f"/proc/{pid}").exists() else b""
            if b"spawn_main" in cmdline:
                pids.append(int(pid))
    return pids


def test_results_match_a_run_in_this_process_and_the_child_runs_nicer(model_dir: Path, dance_clip: Path,
                                                                    tmp_path: Path) -> None:
    niceness: list[int] = []
    progress: list[Progress] = []

    def report(done: Progress) -> None:
        progress.append(done)
        niceness.extend(os.getpriority(os.PRIO_PROCESS, pid) for pid in _analysis_children())

    isolated = analyze_isolated(dance_clip, LITE, video_out=tmp_path / "annotated.mp4", progress=report)
    here = analyze_clip(dance_clip, LITE)
    np.testing.assert_array_equal(isolated.image_xy_px, here.image_xy_px)
    np.testing.assert_array_equal(isolated.world_xyz_m, here.world_xyz_m)
    assert np.isfinite(isolated.image_xy_px).all()  # the dancer in every frame, so not two empty results
    assert (tmp_path / "annotated.mp4").stat().st_size > 1000
    assert isolated.meta["mmap_threshold_fixed"] is True  # the child ran under the allocator policy (issue 13)
    assert progress[-1].frames_done == progress[-1].frames_total == 20
    if sys.platform.startswith("linux"):
        assert set(niceness) == {min(os.getpriority(os.PRIO_PROCESS, 0) + BATCH_NICENESS_STEPS, 19)}
    assert _analysis_children() == []


def test_bad_input_gives_the_same_clear_message(model_dir: Path, text: Path) -> None:
    with pytest.raises(InputError) as here:
        analyze_clip(text, LITE)
    with pytest.raises(InputError) as isolated:
        analyze_isolated(text, LITE)
    assert str(isolated.value) == str(here.value)


def test_cancel_ends_the_analysis_process(model_dir: Path, dance_clip: Path) -> None:
    cancel = threading.Event()
    with pytest.raises(Cancelled):
        analyze_isolated(dance_clip, LITE, progress=lambda _: cancel.set(), cancel=cancel)
    assert _analysis_children() == []


def test_an_analysis_process_that_dies_gives_a_clean_error(model_dir: Path, dance_clip: Path) -> None:
    def kill_it(_: Progress) -> None:
        for pid in _analysis_children():
            os.kill(pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would

    with pytest.raises(PoseLabError, match="ended unexpectedly"):
        analyze_isolated(dance_clip, LITE, progress=kill_it)
    assert _analysis_children() == []


def _slow_to_shut_down_entry(request: tuple, niceness_steps: int, messages: object) -> None:
    """The analysis child of a busy machine: still in the interpreter's shutdown when the parent has its answer."""
    atexit.register(time.sleep, 3.0)
    isolated_entry(request, niceness_steps, messages)


def test_an_analysis_process_ended_after_its_answer_prints_no_traceback(
        model_dir: Path, text: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture) -> None:
    # The dashboard's server log is the children's stderr: a traceback there reads as a crash (it failed CI).
    monkeypatch.setattr(isolated, "isolated_entry", _slow_to_shut_down_entry)
    with pytest.raises(InputError):
        analyze_isolated(text, LITE)
    assert "Traceback" not in capfd.readouterr().err
    assert _analysis_children() == []


def test_an_analysis_process_never_runs_the_page_that_started_it(model_dir: Path, text: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # Streamlit installs every script run as __main__, from any session's thread at any moment; here one
    # does so just as the analysis process is being started (three users uploading at once did it).
    marker = tmp_path / "page-ran"
    page = tmp_path / "page.py"
    page.write_text(f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n")
    script = types.ModuleType("__main__")
    script.__file__ = str(page)
    getfd = resource_tracker.getfd

    def getfd_as_another_session_starts_its_page() -> int:
        monkeypatch.setitem(sys.modules, "__main__", script)
        return getfd()

    monkeypatch.setattr(resource_tracker, "getfd", getfd_as_another_session_starts_its_page)
    with pytest.raises(InputError):
        analyze_isolated(text, LITE)
    assert not marker.exists()
