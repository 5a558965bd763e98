"""The library: save, list, reopen, edit, delete, the run cache, recovery after a crash, storage errors."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from poselab.errors import InputError, StorageError
from poselab.sequence import PoseSequence, VideoInfo
from poselab.settings import InferenceSettings
from poselab.skeleton import LANDMARK_INDEX, NUM_LANDMARKS
from poselab.store.analysis import Analysis
from poselab.store.library import ANGLES_PARQUET, LANDMARKS_PARQUET, Library, poselab_home
from tests.conftest import REPO

pytestmark = pytest.mark.usefixtures("library_database")


def make_sequence(frames: int = 20, fps: float = 10.0, period_s: float = 1.0, phase_s: float = 0.0,
                  amplitude_px: float = 100.0, missing: tuple[int, ...] = ()) -> PoseSequence:
    """One person whose landmarks move up and down in a sine (a squat-like curve)."""
    time_s = np.arange(frames) / fps
    wave = np.sin(2 * np.pi * (time_s - phase_s) / period_s)
    xy = np.zeros((frames, 1, NUM_LANDMARKS, 2), np.float32)
    xy[..., 0] = np.linspace(100, 300, NUM_LANDMARKS)
    xy[..., 1] = 240 + (amplitude_px * wave)[:, None, None]
    world = np.zeros((frames, 1, NUM_LANDMARKS, 3), np.float32)
    world[..., 0] = np.linspace(-0.3, 0.3, NUM_LANDMARKS)
    world[..., 1] = (0.2 * wave)[:, None, None]
    world[..., 2] = 0.05
    # legs: the knees move forward as the wave rises, so the knee angle runs 180 -> about 113 deg
    bend_m = 0.15 * (1 + wave)
    for side in ("left", "right"):
        hip, knee, ankle = (LANDMARK_INDEX[f"{side}_{part}"] for part in ("hip", "knee", "ankle"))
        world[:, 0, hip, 1:] = 0.0
        world[:, 0, knee, 1], world[:, 0, knee, 2] = 0.45, -bend_m
        world[:, 0, ankle, 1:] = (0.9, 0.0)
    vis = np.full((frames, 1, NUM_LANDMARKS), 0.9, np.float32)
    seq = PoseSequence(time_s=time_s, image_xy_px=xy, image_z=np.zeros_like(vis), visibility=vis,
                       presence=vis.copy(), world_xyz_m=world,
                       video=VideoInfo(640, 480, fps, frames, frames / fps, source_name="squat.mp4"),
                       meta={"settings": InferenceSettings().to_dict()})
    for index in missing:
        for name in ("image_xy_px", "image_z", "visibility", "presence", "world_xyz_m"):
            getattr(seq, name)[index] = np.nan
    return seq


def make_analysis(folder: Path, name: str = "squat", **kwargs) -> Analysis:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "source.mp4").write_bytes(b"not really a video")
    (folder / "annotated.mp4").write_bytes(b"annotated bytes")
    analysis = Analysis(folder=folder, sequence=make_sequence(**kwargs), settings=InferenceSettings(model="lite"),
                        name=name, content_hash="abc123")
    analysis.save()
    return analysis


def test_home_defaults_to_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSELAB_HOME", str(tmp_path / "h"))
    assert poselab_home() == tmp_path / "h"
    monkeypatch.delenv("POSELAB_HOME")
    assert poselab_home() == Path.home() / ".poselab"


def test_save_list_load_roundtrip(tmp_path: Path) -> None:
    lib = Library(tmp_path / "home")
    original = make_analysis(tmp_path / "a", missing=(3,))
    entry = lib.save(original)
    assert entry.status == "complete" and entry.name == "squat" and entry.source_name == "squat.mp4"
    assert entry.folder == tmp_path / "home" / "library" / "analyses" / entry.id
    assert sorted(p.name for p in entry.folder.iterdir()) == [
        "analysis.json", ANGLES_PARQUET, "annotated.mp4", LANDMARKS_PARQUET, "sequence.npz", "source.mp4"]
    assert [e.id for e in lib.list()] == [entry.id]
    assert entry.summary["frames"] == 20 and entry.summary["frames_with_pose"] == 19
    loaded = lib.load(entry.id[:5])  # a unique prefix is enough
    np.testing.assert_array_equal(loaded.sequence.image_xy_px, original.sequence.image_xy_px)
    assert loaded.annotated_path.read_bytes() == b"annotated bytes"
    table = pd.read_parquet(entry.folder / LANDMARKS_PARQUET)
    assert len(table) == 19 * NUM_LANDMARKS
    assert table["world_y_m"].notna().all()
    angles = pd.read_parquet(entry.folder / ANGLES_PARQUET)
    assert len(angles) == 19 and angles["left_knee_deg"].between(100, 180).all()
    # the original analysis folder is untouched and independent of the library copy
    assert (tmp_path / "a" / "sequence.npz").is_file()
    assert lib.integrity_ok()


def test_rename_notes_tags_search_and_json(tmp_path: Path) -> None:
    lib = Library(tmp_path / "home")
    first = lib.save(make_analysis(tmp_path / "a", name="Monday squat"))
    second = lib.save(make_analysis(tmp_path / "b", name="Friday lunge"))
    lib.rename(first.id, "Week 1 squat")
    lib.set_notes(second.id, "knee pain on the left")
    lib.set_tags(first.id, ["patient-7", " patient-7", "", "baseline"])
    assert lib.get(first.id).name == "Week 1 squat"
    assert lib.load(first.id).name == "Week 1 squat"
    assert lib.get(first.id).tags == ("baseline", "patient-7")
    assert [e.id for e in lib.list(search="KNEE")] == [second.id]
    assert [e.id for e in lib.list(search="baseline")] == [first.id]
    assert lib.list(search="nothing like this") == []
    data = lib.get(first.id).to_json()
    assert {"id", "name", "created", "status"} <= data.keys() and data["status"] == "complete"
    with pytest.raises(InputError, match="cannot be empty"):
        lib.rename(first.id, "  ")


def test_delete_removes_files_and_row(tmp_path: Path) -> None:
    lib = Library(tmp_path / "home")
    entry = lib.save(make_analysis(tmp_path / "a"))
    lib.delete(entry.id)
    assert not entry.folder.exists()
    assert lib.list(include_pending=True) == []
    with pytest.raises(InputError, match="no analysis"):
        lib.load(entry.id)


def test_cache_lookup_by_hash_and_settings(tmp_path: Path) -> None:
    lib = Library(tmp_path / "home")
    entry = lib.save(make_analysis(tmp_path / "a"))
    key = InferenceSettings(model="lite").key()
    assert lib.find_cached("abc123", key).id == entry.id
    assert lib.find_cached("abc123", InferenceSettings(model="heavy").key()) is None
    assert lib.find_cached("other", key) is None


def test_cache_lookup_tells_worker_counts_apart(tmp_path: Path) -> None:
    from poselab.settings import run_key

    lib = Library(tmp_path / "home")
    two = make_analysis(tmp_path / "a")
    two.extra["workers"] = 2
    entry = lib.save(two)
    settings = InferenceSettings(model="lite")
    assert lib.find_cached("abc123", run_key(settings, 1)) is None
    assert lib.find_cached("abc123", run_key(settings, 2)).id == entry.id
    assert run_key(settings, 1) == settings.key()  # entries saved before workers were in the key still count


def test_pending_draft_is_invisible_and_recovered_when_writer_died(tmp_path: Path) -> None:
    lib = Library(tmp_path / "home")
    draft = lib.begin("half done", InferenceSettings(), source=None)
    (draft.folder / "annotated.mp4").write_bytes(b"partial")
    assert lib.list() == [] and lib.find_cached("", InferenceSettings().key()) is None
    assert [e.status for e in lib.list(include_pending=True)] == ["pending"]
    # our own process is alive: recovery must not touch a draft that may still be written
    Library(tmp_path / "home")
    assert draft.folder.is_dir()
    with lib.engine.begin() as db:
        db.execute(text("UPDATE analyses SET owner_pid = 999999999"))
    (lib.analyses_dir / "orphan").mkdir()
    (tmp_path / "home" / "analyses" / "run-cache").mkdir(parents=True)  # the Analyze page's cache: not ours
    Library(tmp_path / "home")
    assert not draft.folder.exists() and not (lib.analyses_dir / "orphan").exists()
    assert (tmp_path / "home" / "analyses" / "run-cache").is_dir()
    assert lib.list(include_pending=True) == []


def test_exception_while_saving_aborts(tmp_path: Path) -> None:
    lib = Library(tmp_path / "home")
    with pytest.raises(RuntimeError), lib.saving("x", InferenceSettings()) as draft:
        (draft.folder / "annotated.mp4").write_bytes(b"x")
        raise RuntimeError("model crashed")
    assert lib.list(include_pending=True) == []
    assert list(lib.staging_dir.iterdir()) == []


def test_unwritable_home_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")  # works as root too, unlike chmod
    with pytest.raises(StorageError, match="cannot open the library"):
        Library(blocker / "home")


def test_full_disk_leaves_nothing_half_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = Library(tmp_path / "home")
    kept = lib.save(make_analysis(tmp_path / "a", name="kept"))

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_space)
    with pytest.raises(StorageError, match="disk is full"):
        lib.save(make_analysis(tmp_path / "b", name="lost"))
    assert [e.name for e in lib.list(include_pending=True)] == ["kept"]
    assert list(lib.staging_dir.iterdir()) == []
    assert [p.name for p in lib.analyses_dir.iterdir()] == [kept.id]
    assert lib.integrity_ok()


def test_runner_hook_saves_and_answers_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from components.library_store import cached_analysis, save_to_library

    analysis = make_analysis(tmp_path / "a", name="upload.mp4")
    entry_id = save_to_library(analysis)
    assert Library().get(entry_id).name == "upload.mp4"
    again = cached_analysis("abc123", InferenceSettings(model="lite"))
    assert again is not None and again.folder == Library().get(entry_id).folder
    assert cached_analysis("abc123", InferenceSettings(model="full")) is None
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("POSELAB_HOME", str(blocker / "home"))
    assert save_to_library(analysis) is None  # a warning on the page, never an exception
    assert cached_analysis("abc123", InferenceSettings(model="lite")) is None


def test_pages_with_an_empty_and_a_full_library(tmp_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    empty = AppTest.from_file(str(REPO / "pages" / "library.py"), default_timeout=30).run()
    assert not empty.exception and "No saved analyses yet" in empty.info[0].value
    compare = AppTest.from_file(str(REPO / "pages" / "compare.py"), default_timeout=30).run()
    assert not compare.exception and "needs two saved analyses" in compare.info[0].value
    library = Library()
    library.save(make_analysis(tmp_path / "a", name="before", period_s=2.0, frames=60))
    library.save(make_analysis(tmp_path / "b", name="after", period_s=2.0, phase_s=0.5, frames=60))
    page = AppTest.from_file(str(REPO / "pages" / "library.py"), default_timeout=30).run()
    assert not page.exception and "2 of 2 analyses" in page.caption[0].value
    page.text_input(key="library.search").input("befo").run()
    assert "1 of 2 analyses" in page.caption[0].value
    compare = AppTest.from_file(str(REPO / "pages" / "compare.py"), default_timeout=30).run()
    assert not compare.exception and not compare.error
    compare.button(key="compare.dtw").click().run()
    assert compare.slider(key="compare.offset").value == pytest.approx(-0.5, abs=0.11)
    assert any("DTW: best constant offset" in c.value for c in compare.caption)


def test_save_quietly_for_live_recordings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from poselab.store.library import save_quietly

    analysis = make_analysis(tmp_path / "rec", name="Webcam 2026-01-01 10:00:00")
    entry_id = save_quietly(analysis, kind="live")
    assert Library().get(entry_id).kind == "live"
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("POSELAB_HOME", str(blocker / "home"))
    assert save_quietly(analysis) is None


def test_the_library_runs_on_the_chosen_database(library_database: str, tmp_path: Path) -> None:
    from poselab.store.database import schema_revision

    lib = Library(tmp_path / "home")
    expected = "sqlite" if library_database == "sqlite" else "postgresql"
    assert lib.engine.dialect.name == expected
    assert (lib.db_path.is_file()) == (expected == "sqlite")
    assert schema_revision(lib.engine) == "0003"


def test_an_unusable_database_url_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from poselab.errors import PoseLabError

    monkeypatch.setenv("POSELAB_DATABASE_URL", "nosuchdb://user:secret@host/db")
    with pytest.raises(InputError, match="POSELAB_DATABASE_URL") as bad:
        Library(tmp_path / "home")
    assert "secret" not in str(bad.value)
    monkeypatch.setenv("POSELAB_DATABASE_URL", "postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(PoseLabError, match="cannot open the library") as down:
        Library(tmp_path / "home")
    assert "secret" not in str(down.value)
