"""No leaks on disk: temporary files go after each analysis, whether it finished, failed or was interrupted.

Each test points the temporary folder (TMPDIR / tempfile.tempdir) at a private, initially empty folder and checks
that it is empty again afterwards, and that nothing half-written remains beside the outputs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import components.runner as runner
from poselab.errors import Cancelled
from poselab.parallel.analyze import analyze_clip
from poselab.settings import InferenceSettings
from tests.conftest import REPO, write_test_clip
from tests.test_bad_input import run_cli

PAGE = str(REPO / "pages" / "analyze.py")


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_cli_leaves_only_its_outputs(tmp_path: Path, private_tmp: Path, model_dir: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    source = write_test_clip(tmp_path / "clip.mp4", frames=5)
    assert run_cli(source, work / "out").returncode == 0
    assert sorted(p.name for p in work.iterdir()) == ["out"]
    written = {p.name for p in (work / "out").iterdir()}
    assert {"annotated.mp4", "landmarks.csv", "summary.json"} <= written
    assert not [name for name in written if name.startswith(".") or name.endswith((".part", ".tmp"))], written
    assert list(private_tmp.iterdir()) == []


def test_cli_interrupted_mid_analysis_leaves_nothing(tmp_path: Path, test_data: Path, private_tmp: Path,
                                                    model_dir: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    command = [sys.executable, "-m", "poselab", "analyze", str(test_data / "mediapipe" / "pose_squats.mp4"),
               "--out", str(work / "out"), "--model", "heavy"]
    process = subprocess.Popen(command, cwd=REPO, env=os.environ.copy(), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(work.glob(".out.*/annotated.mp4")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # wait until the analysis is writing into its staging folder
    assert process.poll() is None, "the analysis ended before it could be interrupted"
    process.send_signal(signal.SIGINT)  # our own child, by its handle
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "error: interrupted" and "Traceback" not in stderr
    assert list(work.iterdir()) == []  # the staging folder went, --out was never created
    assert list(private_tmp.iterdir()) == []


def test_parallel_workers_remove_their_parts(tmp_path: Path, test_data: Path, private_tmp: Path,
                                             model_dir: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    sequence = analyze_clip(test_data / "videos" / "dance_600x600.mp4", InferenceSettings(model="lite"),
                            video_out=out / "annotated.mp4", workers=2)
    assert sequence.num_frames == 102
    assert [p.name for p in out.iterdir()] == ["annotated.mp4"]
    assert list(private_tmp.iterdir()) == []


def test_cancelled_analysis_removes_its_parts(tmp_path: Path, test_data: Path, private_tmp: Path,
                                              model_dir: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    cancel = threading.Event()
    with pytest.raises(Cancelled):
        analyze_clip(test_data / "videos" / "dance_600x600.mp4", InferenceSettings(model="lite"),
                     video_out=out / "annotated.mp4", workers=2, cancel=cancel,
                     progress=lambda progress: cancel.set() if progress.frames_done >= 3 else None)
    assert not [p for p in out.iterdir() if p.name != "annotated.mp4"], list(out.iterdir())
    assert list(private_tmp.iterdir()) == []


def test_page_analyses_leave_no_temporary_files(tmp_path: Path, private_tmp: Path, model_dir: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.run()
    at.sidebar.select_slider(key="analyze.model").set_value("lite")
    good = write_test_clip(tmp_path / "good.mp4", frames=4)
    for name, data in [("good.mp4", good.read_bytes()), ("bad.mp4", b"not a video" * 10)]:
        at.file_uploader(key="analyze.upload").set_value((name, data, "video/mp4"))
        at.run()
        assert not at.exception
    home = runner.poselab_home()
    assert not [p for p in home.rglob("*") if ".part" in p.name]
    assert len(list((home / "uploads").iterdir())) == 1  # the good clip; the refused one is not kept
    assert list(private_tmp.iterdir()) == []
