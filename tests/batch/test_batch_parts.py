"""The batch wing's parts without a cluster: which clips, their folder names, resume keys, the table, the
one-rename publishing, and the Dask settings the workers start with."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from poselab.batch.cluster import dask_settings
from poselab.batch.inputs import find_clips, folder_names
from poselab.batch.resume import ClipKey, finished_row, remove_leftovers, write_done
from poselab.batch.rows import COLUMNS, exit_code, make_row, summary_lines, write_table
from poselab.cli.staging import staging_dir
from poselab.errors import InputError, PoseLabError
from poselab.settings import InferenceSettings


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_inputs_are_files_folders_and_globs_each_once(tmp_path: Path) -> None:
    a = _touch(tmp_path / "in" / "a.mp4")
    b = _touch(tmp_path / "in" / "deep" / "b.MOV")
    _touch(tmp_path / "in" / "notes.txt")  # not a clip type: a folder search leaves it
    _touch(tmp_path / "in" / ".staging.x" / "c.mp4")  # hidden: never a clip
    c = _touch(tmp_path / "other" / "c.png")
    named = tmp_path / "other" / "readme.txt"  # named explicitly: its task will say why it is no clip
    _touch(named)
    found = find_clips([str(tmp_path / "in"), str(tmp_path / "other" / "*.png"), str(a), str(named)])
    assert found == [a, b, c, named]


def test_a_folder_or_pattern_with_no_clips_is_a_bad_argument(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no clips found in .*empty"):
        find_clips([str(tmp_path / "empty")])
    with pytest.raises(InputError, match=r"no clips found in .*\*\.mp4"):
        find_clips([str(tmp_path / "*.mp4")])


def test_folder_names_are_stems_unless_shared_and_stable() -> None:
    clips = [Path("/x/squat.mp4"), Path("/y/squat.mp4"), Path("/y/jump.mov")]
    names = folder_names(clips)
    assert names[2] == "jump"
    assert names[0] != names[1] and all(n.startswith("squat-") for n in names[:2])
    assert folder_names(clips) == names  # resuming finds the same folders


def test_a_finished_row_needs_the_same_bytes_settings_and_options(tmp_path: Path) -> None:
    key = ClipKey.of("abc", InferenceSettings(model="lite"), {"smoothing": "none"})
    row = make_row("/in/a.mp4", "done", tmp_path, summary={"frames": 3})
    write_done(tmp_path, key, row)
    assert finished_row(tmp_path, key) == row
    assert finished_row(tmp_path, ClipKey.of("abd", InferenceSettings(model="lite"), {"smoothing": "none"})) is None
    assert finished_row(tmp_path, ClipKey.of("abc", InferenceSettings(model="full"), {"smoothing": "none"})) is None
    assert finished_row(tmp_path, ClipKey.of("abc", InferenceSettings(model="lite"), {"smoothing": "one-euro"})) is None
    assert finished_row(tmp_path, None) is None
    assert finished_row(tmp_path / "nothing", key) is None


def test_whole_staging_publishes_one_folder_or_nothing(tmp_path: Path) -> None:
    out = tmp_path / "clip"
    with staging_dir(out, whole=True) as staging:
        (staging / "a.csv").write_text("1")
    assert sorted(p.name for p in out.iterdir()) == ["a.csv"]
    inode = out.stat().st_ino
    with pytest.raises(RuntimeError), staging_dir(out, whole=True) as staging:
        (staging / "b.csv").write_text("half")
        raise RuntimeError("killed half-way")
    assert sorted(p.name for p in out.iterdir()) == ["a.csv"] and out.stat().st_ino == inode  # untouched
    with staging_dir(out, whole=True) as staging:
        (staging / "c.csv").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["c.csv"]  # replaced whole: nothing of the old one
    assert [p.name for p in tmp_path.iterdir()] == ["clip"]  # no staging or old folders left
    assert os.stat(out).st_mode & 0o777 == 0o755


def test_leftover_staging_folders_are_removed_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / ".squat.k2j3").mkdir()
    (tmp_path / "squat").mkdir()
    (tmp_path / ".other.k2j3").mkdir()
    removed = remove_leftovers(tmp_path, ["squat"])
    assert [p.name for p in removed] == [".squat.k2j3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.k2j3", "squat"]


def test_table_summary_and_exit_code(tmp_path: Path) -> None:
    rows = [make_row("/in/a.mp4", "done", tmp_path / "a", summary={"frames": 10, "fps": 25.0, "people_seen": 1,
                                                                   "detection_rate": 0.9, "duration_s": 0.4},
                     elapsed_s=1.23456, worker="0@tcp://x"),
            make_row("/in/b.mp4", "failed", tmp_path / "b", error="b.mp4 is empty"),
            make_row("/in/c.mp4", "skipped", tmp_path / "c", summary={"frames": 5})]
    write_table(rows, tmp_path)
    csv = pd.read_csv(tmp_path / "batch.csv", keep_default_na=False)
    parquet = pd.read_parquet(tmp_path / "batch.parquet")
    assert list(csv.columns) == list(COLUMNS) == list(parquet.columns)
    assert list(csv["status"]) == ["done", "failed", "skipped"]
    assert csv.loc[1, "output"] == "" and csv.loc[1, "error"] == "b.mp4 is empty"
    assert parquet.loc[0, "frames"] == 10 and parquet.loc[0, "elapsed_s"] == pytest.approx(1.235)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert summary_lines(rows) == ["3 clips: 1 done, 1 skipped (already done), 1 failed",
                                   "failed: /in/b.mp4: b.mp4 is empty"]
    assert exit_code(rows) == 1 and exit_code([rows[0], rows[2]]) == 0


def test_local_workers_run_without_the_trim_threshold_and_with_the_allocator_policy() -> None:
    """A real LocalCluster worker: Dask's nanny would set MALLOC_TRIM_THRESHOLD_ (it slowed analyses by ~25 %)."""
    import os as worker_os

    from poselab.batch.cluster import RESOURCE, close_client, open_client
    from poselab.engine.allocator import mmap_threshold_fixed

    assert "MALLOC_TRIM_THRESHOLD_" in dask_default_environ()  # so the check below can fail
    client = open_client(jobs=1)
    try:
        seen = client.run(lambda: (worker_os.environ.get("MALLOC_TRIM_THRESHOLD_"),
                                   worker_os.environ.get("MALLOC_MMAP_THRESHOLD_"), mmap_threshold_fixed()))
        (worker,) = client.scheduler_info(n_workers=-1)["workers"].values()
    finally:
        close_client(client)
    assert list(seen.values()) == [(None, "131072", True)]
    assert worker["resources"][RESOURCE] > 1000
    assert dask_settings()["distributed.scheduler.allowed-failures"] == 2


def dask_default_environ() -> dict:
    import dask

    return dask.config.get("distributed.nanny.pre-spawn-environ")


def test_bad_options_are_refused_before_any_clip(tmp_path: Path) -> None:
    from poselab.cli.batch import plan_batch
    from poselab.cli.commands import build_parser

    clip = _touch(tmp_path / "a.mp4")
    args = build_parser().parse_args(["batch", str(clip), "--out", str(tmp_path / "out"), "--ergonomics", "nope"])
    with pytest.raises(PoseLabError):
        plan_batch(args)
    assert not (tmp_path / "out").exists()


def test_a_batch_never_takes_its_own_outputs_as_inputs(tmp_path: Path) -> None:
    from poselab.cli.batch import plan_batch
    from poselab.cli.commands import build_parser

    clip = _touch(tmp_path / "in" / "a.mp4")
    _touch(tmp_path / "in" / "results" / "a" / "annotated.mp4")  # what an earlier batch into in/results wrote
    args = build_parser().parse_args(["batch", str(tmp_path / "in"), "--out", str(tmp_path / "in" / "results")])
    jobs, skipped = plan_batch(args)
    assert [job.input for job in jobs] == [clip] and skipped == []
    assert jobs[0].key is None  # unreadable here: its task says why, as `analyze` would
