"""What the command line leaves on the terminal: our own lines only, and no traceback when the reader leaves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from poselab.store.library import Library
from tests.conftest import REPO, write_test_clip
from tests.store.test_library import make_analysis

NATIVE_NOISE = ("W0000", "XNNPACK", "InitGoogle", "I0000")


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO))


def test_library_list_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    library = Library()
    for index in range(3):
        library.save(make_analysis(tmp_path / f"a{index}", name=f"squat {index}"))
    for listing in (["library", "list"], ["library", "list", "--json"]):
        child = subprocess.Popen([sys.executable, "-m", "poselab", *listing], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=_env(), cwd=REPO)
        child.stdout.close()  # the reader is gone before the first line is written (as `| head` after a line)
        _, stderr = child.communicate(timeout=60)
        assert stderr.decode() == "", stderr.decode()
        assert child.returncode == 141  # as a program ended by SIGPIPE


def test_analyze_keeps_mediapipe_log_lines_off_stderr_and_our_own_on_it(tmp_path: Path, model_dir: Path) -> None:
    clip = write_test_clip(tmp_path / "tiny.mp4", frames=5)
    result = subprocess.run([sys.executable, "-m", "poselab", "analyze", str(clip), "--out", str(tmp_path / "out"),
                             "--model", "lite"], capture_output=True, text=True, env=_env(), cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    assert not [line for line in result.stderr.splitlines() if any(n in line for n in NATIVE_NOISE)], result.stderr
    assert "5/5 frames" in result.stderr and f"wrote {tmp_path / 'out'}" in result.stderr  # ours still shows
    log = Path(os.environ["POSELAB_HOME"]) / "logs" / "mediapipe.log"
    assert any(noise in log.read_text() for noise in NATIVE_NOISE)  # routed, not lost


def test_an_error_while_native_lines_are_routed_still_reaches_stderr(tmp_path: Path, model_dir: Path) -> None:
    clip = write_test_clip(tmp_path / "tiny.mp4", frames=5)
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = subprocess.run([sys.executable, "-m", "poselab", "analyze", str(clip), "--out",
                             str(blocker / "out"), "--model", "lite"],
                            capture_output=True, text=True, env=_env(), cwd=REPO, timeout=300)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip() and "frames," not in line]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
