"""``python -m poselab batch`` on its built-in LocalCluster, as a user runs it: shared clips and the bad-input
catalogue in one batch, compared with ``analyze`` of the same clips; then a batch killed mid-way and resumed."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from tests.conftest import REPO
from tests.test_bad_input import REFUSED

pytestmark = pytest.mark.slow
CLIPS = ("videos/dance_600x600.mp4", "falls/fall_corridor_forward.mp4")
OPTIONS = ("--model", "lite", "--smoothing", "one-euro")
VOLATILE = ("elapsed_s", "processing_fps")  # timings: the only summary figures that differ run to run


def batch(*args: str, timeout_s: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "poselab", "batch", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout_s, check=False)


def analyze(clip: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "poselab", "analyze", str(clip), "--out", str(out), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=False)


def table(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "batch.csv", keep_default_na=False)


def test_batch_equals_analyze_and_bad_clips_are_rows(tmp_path: Path, test_data: Path, model_dir: Path) -> None:
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = {name: build(bad_dir) for name, (build, _) in REFUSED.items()}
    missing = tmp_path / "gone.mp4"
    clips = [test_data / c for c in CLIPS]
    out = tmp_path / "out"
    result = batch(*map(str, clips), str(bad_dir), str(missing), "--out", str(out), "--jobs", "2", *OPTIONS)
    assert result.returncode == 1, result.stderr  # some failed
    assert "Traceback" not in result.stderr
    rows = table(out)
    assert len(rows) == len(clips) + len(bad) + 1
    by_input = rows.set_index("input")
    summary = result.stderr.splitlines()
    assert f"{len(rows)} clips: 2 done, 0 skipped (already done), {len(bad) + 1} failed" in summary

    for clip in clips:  # the same files as `analyze`, with the same contents
        row = by_input.loc[str(clip)]
        assert row["status"] == "done" and row["error"] == "" and row["worker"]
        reference = tmp_path / f"analyze-{clip.stem}"
        assert analyze(clip, reference, *OPTIONS).returncode == 0
        folder = Path(row["output"])
        assert folder == out / clip.stem
        assert sorted(p.name for p in folder.iterdir()) == sorted([*(p.name for p in reference.iterdir()),
                                                                   "batch.json"])
        for name in ("landmarks.csv", "landmarks_raw.csv", "angles.csv", "postures.csv"):
            pd.testing.assert_frame_equal(pd.read_csv(folder / name), pd.read_csv(reference / name), rtol=1e-5)
        assert (folder / "events.json").read_text() == (reference / "events.json").read_text()
        ours, theirs = (json.loads((f / "summary.json").read_text()) for f in (folder, reference))
        assert {k: v for k, v in ours.items() if k not in VOLATILE} == \
            {k: v for k, v in theirs.items() if k not in VOLATILE}
        assert int(row["frames"]) == ours["frames"] and int(row["people_seen"]) == ours["people_seen"]

    for path in [*bad.values(), missing]:  # the very line `analyze` prints, without its "error: "
        row = by_input.loc[str(path)]
        refused = analyze(path, tmp_path / "refused", *OPTIONS)
        assert refused.returncode == 2
        assert row["status"] == "failed" and row["output"] == ""
        assert f"error: {row['error']}" == refused.stderr.strip().splitlines()[-1]
        assert f"failed: {path}: {row['error']}" in summary
    assert sorted(p.name for p in out.iterdir()) == sorted(["batch.csv", "batch.parquet", *(c.stem for c in clips)])
    assert pd.read_parquet(out / "batch.parquet")["status"].tolist() == rows["status"].tolist()

    again = batch(*map(str, clips), "--out", str(out), "--jobs", "2", *OPTIONS)  # idempotent: nothing redone
    assert again.returncode == 0, again.stderr
    assert table(out)["status"].tolist() == ["skipped", "skipped"]
    other = batch(str(clips[0]), "--out", str(out), "--jobs", "1", "--model", "lite")  # other settings: redone
    assert other.returncode == 0 and table(out)["status"].tolist() == ["done"]


def test_bad_arguments_exit_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "x.mp4").write_bytes(b"")
    for args in ([str(tmp_path / "empty")], [str(tmp_path / "*.mp4")],
                 [str(tmp_path / "clips"), "--scheduler", "tcp://127.0.0.1:9"]):  # nobody listens there
        result = batch(*args, "--out", str(tmp_path / "out"), timeout_s=120)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    usage = batch(str(tmp_path / "clips"), "--out", str(tmp_path / "out"), "--jobs", "0")  # argparse's own
    assert usage.returncode == 2 and "--jobs: 0 is not between 1 and 64" in usage.stderr


def test_a_killed_batch_resumes_with_only_the_missing_clips(tmp_path: Path, test_data: Path, model_dir: Path) -> None:
    clips = [test_data / c for c in (*CLIPS, "videos/lab_single_portrait_60fps.mp4",
                                     "falls/fall_two_people_dog.mp4")]
    out = tmp_path / "out"
    command = [sys.executable, "-m", "poselab", "batch", *map(str, clips), "--out", str(out), "--jobs", "1",
               "--model", "lite"]
    client = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    family: set[int] = set()
    try:
        deadline = time.monotonic() + 300
        while not list(out.glob("*/batch.json")):
            assert client.poll() is None and time.monotonic() < deadline, client.stderr.read() if client.stderr else ""
            family |= {p.pid for p in psutil.Process(client.pid).children(recursive=True)}
            time.sleep(0.1)
        os.kill(client.pid, signal.SIGKILL)  # the client, and with it the scheduler its LocalCluster ran
        client.wait(timeout=30)
    finally:
        _end(client.pid, family)
    done_before = {p.parent.name: p.parent.stat().st_ino for p in out.glob("*/batch.json")}
    assert 1 <= len(done_before) < len(clips)

    result = batch(*map(str, clips), "--out", str(out), "--jobs", "2", "--model", "lite")
    assert result.returncode == 0, result.stderr
    rows = table(out)
    status = {Path(r["output"]).name: r["status"] for _, r in rows.iterrows()}
    assert {name for name, s in status.items() if s == "skipped"} == set(done_before)
    assert {name for name, s in status.items() if s == "done"} == {c.stem for c in clips} - set(done_before)
    assert {name: (out / name).stat().st_ino for name in done_before} == done_before  # not written again
    assert sorted(p.name for p in out.iterdir()) == sorted(["batch.csv", "batch.parquet", *(c.stem for c in clips)])


def _end(client_pid: int, family: set[int]) -> None:
    """Workers orphaned by the killed client end by themselves (they watch their parent); any still there
    after a while are ended here, by PID, so the test leaves nothing running."""
    deadline = time.monotonic() + 20
    alive = [p for p in family if psutil.pid_exists(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.5)
        alive = [p for p in alive if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
