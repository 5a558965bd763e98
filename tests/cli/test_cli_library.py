"""`analyze --save` and `python -m poselab library list|export|delete`, and what a SIGKILL half-way leaves."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from poselab.skeleton import LANDMARK_NAMES
from poselab.store.exports import read_trc_header
from poselab.store.library import Library
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "poselab", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=REPO)


def test_save_list_export_delete(tmp_path: Path, test_data: Path, model_dir: Path) -> None:
    clip = test_data / "mediapipe" / "pose_squats.mp4"
    result = run_cli("analyze", str(clip), "--out", str(tmp_path / "out"), "--model", "lite", "--save")
    assert result.returncode == 0, result.stderr
    assert "saved to the library as" in result.stderr
    listed = run_cli("library", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    assert len(entries) == 1 and entries[0]["name"] == "pose_squats" and entries[0]["status"] == "complete"
    assert {"id", "name", "created", "status"} <= entries[0].keys()
    assert entries[0]["summary"]["frames"] == 65 and entries[0]["settings"]["model"] == "lite"
    entry_id = entries[0]["id"]
    text = run_cli("library", "list")
    assert entry_id in text.stdout and "pose_squats" in text.stdout

    exported = run_cli("library", "export", entry_id[:6], "--out", str(tmp_path / "export"))
    assert exported.returncode == 0, exported.stderr
    files = {p.name for p in (tmp_path / "export").iterdir()}
    assert {"landmarks.csv", "landmarks.parquet", "landmarks.json", "angles.csv", "annotated.mp4",
            "pose_squats.trc", "pose_squats.zip", "README.md"} <= files
    header = read_trc_header(tmp_path / "export" / "pose_squats.trc")
    assert header["DataRate"] == "5" and header["NumFrames"] == "65" and header["Units"] == "m"
    assert header["markers"] == list(LANDMARK_NAMES) and len(header["rows"]) == 65
    # the squatting woman is found in most frames: most rows hold numbers, with Y up (head above the hips)
    filled = [row for row in header["rows"] if row[2]]
    assert len(filled) > 50 and all(float(row[3]) > 0 for row in filled)  # nose Y (metres, up) > 0

    missing = run_cli("library", "export", "nope", "--out", str(tmp_path / "x"))
    assert missing.returncode == 2 and "no analysis has the id 'nope'" in missing.stderr
    assert not (tmp_path / "x").exists()
    deleted = run_cli("library", "delete", entry_id)
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(run_cli("library", "list", "--json").stdout) == []
    assert list((Path(os.environ["POSELAB_HOME"]) / "library" / "analyses").iterdir()) == []


def test_sigkill_half_way_leaves_no_complete_entry(tmp_path: Path, test_data: Path, model_dir: Path) -> None:
    home = Path(os.environ["POSELAB_HOME"])
    clip = test_data / "videos" / "lab_single_portrait_60fps.mp4"  # 100 frames of 1080x1920: a few seconds
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen([sys.executable, "-m", "poselab", "analyze", str(clip), "--out", str(out),
                                "--model", "lite", "--save"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        # half-way: the library row exists and the annotated video has started to grow
        while time.monotonic() < deadline and process.poll() is None:
            videos = list(tmp_path.glob(".out.*/annotated.mp4"))
            if videos and videos[0].stat().st_size > 0 and _pending(home):
                break
            time.sleep(0.05)
        assert process.poll() is None, "the analysis ended before it could be killed half-way"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert b"saved to the library" not in process.stderr.read()
    with sqlite3.connect(home / "library.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        statuses = [row[0] for row in db.execute("SELECT status FROM analyses")]
    assert statuses == ["pending"]  # the row of the killed run: never complete
    assert json.loads(run_cli("library", "list", "--json").stdout) == []
    library = Library(home)  # reopening recovers: the dead writer's row and files go
    assert library.list(include_pending=True) == []
    assert list(library.staging_dir.iterdir()) == [] and list(library.analyses_dir.iterdir()) == []
    assert library.integrity_ok()
    assert not out.exists()


def _pending(home: Path) -> bool:
    try:
        with sqlite3.connect(home / "library.db", timeout=1) as db:
            return db.execute("SELECT count(*) FROM analyses WHERE status = 'pending'").fetchone()[0] == 1
    except sqlite3.Error:
        return False


def test_save_for_an_owner(tmp_path: Path, test_data: Path, model_dir: Path) -> None:
    """``--owner`` (the Batch page's clips are saved as the person who started the batch)."""
    photo = test_data / "mediapipe" / "pose.jpg"
    key = "https://id.example.org|alice-42"
    result = run_cli("analyze", str(photo), "--out", str(tmp_path / "out"), "--model", "lite", "--save", "--owner", key)
    assert result.returncode == 0, result.stderr
    owned = json.loads(run_cli("library", "list", "--json", "--owner", key).stdout)
    assert [e["name"] for e in owned] == ["pose"]
    assert json.loads(run_cli("library", "list", "--json", "--owner", "local|local").stdout) == []
    refused = run_cli("analyze", str(photo), "--out", str(tmp_path / "out2"), "--save", "--owner", "alice")
    assert refused.returncode == 2 and "not an owner key" in refused.stderr
    assert not (tmp_path / "out2").exists()
