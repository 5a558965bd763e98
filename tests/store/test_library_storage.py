"""The library's files through fsspec: a local folder elsewhere (``POSELAB_STORAGE_URL=/path``) and a real S3
server (moto, ``s3://bucket/prefix``). Files are written under the analysis's id before its row is complete,
so a reader never sees half an entry; orphans are removed by recovery; another replica (another home, same
database) gets the files materialised in its own local cache."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import delete

from poselab.errors import StorageError
from poselab.settings import InferenceSettings
from poselab.store.library import LANDMARKS_PARQUET, Library
from poselab.store.schema import analyses
from tests.store.test_library import make_analysis, make_sequence

FILES = ["analysis.json", "angles.parquet", "annotated.mp4", LANDMARKS_PARQUET, "sequence.npz", "source.mp4"]


@pytest.fixture(params=["folder", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = str(tmp_path / "shared-storage") if request.param == "folder" else request.getfixturevalue("s3_storage_url")
    monkeypatch.setenv("POSELAB_STORAGE_URL", url)
    monkeypatch.setenv("POSELAB_DATABASE_URL", f"sqlite:///{tmp_path / 'shared.db'}")  # two homes, one database
    return url


def stored(library: Library) -> dict[str, list[str]]:
    """What the storage holds: {id: [file names]}."""
    if library.files.remote:
        fs, root = library.files.fs, f"{library.files.url}/analyses"
        ids = [k.rsplit("/", 1)[-1] for k in fs.ls(root, detail=False)] if fs.exists(root) else []
        return {i: sorted(k.rsplit("/", 1)[-1] for k in fs.ls(f"{root}/{i}", detail=False)) for i in ids}
    return {p.name: sorted(f.name for f in p.iterdir()) for p in library.analyses_dir.iterdir()}


def test_saved_files_reach_the_storage_and_another_replica(storage: str, tmp_path: Path) -> None:
    first = Library(tmp_path / "replica-1")
    entry = first.save(make_analysis(tmp_path / "a", name="squat"))
    assert stored(first) == {entry.id: FILES}
    local_root = tmp_path / "replica-1" / "cache" / "library" if first.files.remote else Path(storage) / "analyses"
    assert entry.folder == local_root / entry.id and sorted(p.name for p in entry.folder.iterdir()) == FILES
    second = Library(tmp_path / "replica-2")
    [seen] = second.list()
    assert seen.id == entry.id and seen.folder.exists() == (not second.files.remote)
    loaded = second.load(entry.id)  # downloaded into replica 2's cache, once
    assert loaded.folder == seen.folder and loaded.annotated_path.read_bytes() == b"annotated bytes"
    assert len(pd.read_parquet(loaded.folder / LANDMARKS_PARQUET)) == 20 * 33
    assert second.find_cached("abc123", entry.settings_key).id == entry.id
    second.delete(entry.id)
    assert stored(second) == {} and not loaded.folder.exists()
    Library(tmp_path / "replica-1")  # its recovery drops the local copy of what replica 2 deleted
    assert not entry.folder.exists()


def test_orphans_are_never_shown_and_recovery_removes_them(storage: str, tmp_path: Path) -> None:
    library = Library(tmp_path / "home")
    kept = library.save(make_analysis(tmp_path / "a", name="kept"))
    draft = library.begin("still being written", InferenceSettings())  # a live writer: its files stay
    (draft.folder / "annotated.mp4").write_bytes(b"partial")
    library.files.publish(draft.folder, draft.id)
    orphan = library.begin("writer died after uploading", InferenceSettings())
    (orphan.folder / "sequence.npz").write_bytes(b"x")
    library.files.publish(orphan.folder, orphan.id)
    with library.engine.begin() as db:  # its row is gone (a writer on another machine, recovered a day later)
        db.execute(delete(analyses).where(analyses.c.id == orphan.id))
    assert [e.id for e in library.list()] == [kept.id]
    assert set(stored(library)) == {kept.id, draft.id, orphan.id}
    library.recover(scan_storage=True)
    assert set(stored(library)) == {kept.id, draft.id}
    assert [e.id for e in library.list()] == [kept.id]


def test_a_commit_the_database_refuses_leaves_no_files(storage: str, tmp_path: Path) -> None:
    library = Library(tmp_path / "home")
    draft = library.begin("doomed", InferenceSettings())
    with library.engine.begin() as db:  # the pending row vanishes before the commit records it
        db.execute(delete(analyses).where(analyses.c.id == draft.id))
    with pytest.raises(StorageError, match="vanished"):
        library.commit(draft, make_sequence())
    assert stored(library) == {} and list(library.staging_dir.iterdir()) == []
    assert library.list(include_pending=True) == []
