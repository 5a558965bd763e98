"""Bad input catalogue through the Analyze page (AppTest with real uploads): one clear st.error, never an
exception, nothing half-written under POSELAB_HOME, refused uploads not kept; good odd inputs give right results.

The inputs come from the builders in tests/test_bad_input.py (the same catalogue as the CLI).
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import components.runner as runner
from poselab.sequence import PoseSequence
from poselab.store.library import Library
from tests.conftest import write_test_clip
from tests.test_bad_input import (
    REFUSED,
    ffconcat_playlist,
    hls_playlist,
    recording_http_server,
    set_rotation,
    write_clip,
)

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "analyze.py")
RUN_TIMEOUT_S = 180


def _page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=RUN_TIMEOUT_S)
    at.run()
    at.sidebar.select_slider(key="analyze.model").set_value("lite")
    return at


def _upload(at: AppTest, path: Path, name: str | None = None) -> AppTest:
    at.file_uploader(key="analyze.upload").set_value((name or path.name, path.read_bytes(), "video/mp4"))
    return at.run()


def _home_files() -> list[str]:
    home = runner.poselab_home()
    return sorted(str(p.relative_to(home)) for p in home.rglob("*")) if home.exists() else []


def assert_page_refused(at: AppTest, name: str, fragment: str) -> None:
    """One st.error naming the file and the reason; no exception, no results, nothing kept or half-written."""
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1, [e.value for e in at.error]
    message = at.error[0].value
    assert name in message and fragment in message, message
    assert "Traceback" not in message and "source." not in message  # the user's name, not our internal one
    assert not at.get("plotly_chart")
    leftovers = [f for f in _home_files() if f.startswith(("uploads/", "analyses/")) or ".part" in f]
    assert not leftovers, leftovers


def _library_records() -> list[Path]:
    return [Library().get(entry.id).folder / "analysis.json" for entry in Library().list()]


def _record(name: str) -> dict:
    """analysis.json of the one finished analysis of ``name`` in the library (the runner's lasting cache)."""
    records = [json.loads(p.read_text()) for p in _library_records()]
    matching = [r for r in records if r["name"] == name]
    assert len(matching) == 1, [r["name"] for r in records]
    return matching[0]


@pytest.mark.parametrize("name", list(REFUSED))
def test_page_refuses_bad_input(name: str, tmp_path: Path, model_dir: Path) -> None:
    build, fragment = REFUSED[name]
    source = build(tmp_path)
    assert_page_refused(_upload(_page(), source), source.name, fragment)


@pytest.mark.parametrize("kind", ["hls", "ffconcat"])
def test_page_refuses_playlist_without_fetching(kind: str, tmp_path: Path, model_dir: Path) -> None:
    with recording_http_server() as (base_url, requests):
        source = tmp_path / f"{kind}.mp4"
        source.write_text(hls_playlist(f"{base_url}/s.ts") if kind == "hls" else ffconcat_playlist(f"{base_url}/a.mp4"))
        assert_page_refused(_upload(_page(), source), source.name, "not a supported video")
    assert requests == []


def test_page_uses_the_configured_limits(tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSELAB_MAX_FRAMES", "5")
    source = write_test_clip(tmp_path / "ten frames.mp4", frames=10)
    assert_page_refused(_upload(_page(), source), source.name, "the limit is 5")


def test_missing_model_is_a_clear_message_and_the_page_recovers(tmp_path: Path, model_dir: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "no-models"
    empty.mkdir()
    monkeypatch.setenv("POSELAB_MODEL_DIR", str(empty))
    monkeypatch.setenv("POSELAB_MODEL_URL", "http://127.0.0.1:9/pose_landmarker_{variant}.task")
    source = write_test_clip(tmp_path / "clip.mp4", frames=4)
    at = _upload(_page(), source)
    assert not at.exception and len(at.error) == 1
    assert "could not download the lite model" in at.error[0].value
    assert not [f for f in _home_files() if f.startswith("analyses/") or f.endswith(".part")]

    monkeypatch.setenv("POSELAB_MODEL_DIR", str(model_dir))  # the admin puts the models back
    at = _upload(at, write_test_clip(tmp_path / "other.mp4", frames=5))
    assert not at.exception and not at.error
    assert _record("other.mp4")["summary"]["frames"] == 5


def test_unwritable_home_is_a_clear_message(tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"x")  # no folder can be made under a file, even as root
    monkeypatch.setenv("POSELAB_HOME", str(blocker / "home"))
    at = _upload(_page(), write_test_clip(tmp_path / "clip.mp4", frames=3))
    assert not at.exception and len(at.error) == 1
    assert "could not store the upload" in at.error[0].value


def test_full_disk_while_saving_leaves_nothing_half_written(tmp_path: Path, model_dir: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    real_save = PoseSequence.save_npz

    def save_then_disk_full(self: PoseSequence, path: Path) -> None:
        real_save(self, path)  # the bytes land, then the disk fills up
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(PoseSequence, "save_npz", save_then_disk_full)
    at = _upload(_page(), write_test_clip(tmp_path / "clip.mp4", frames=3))
    assert not at.exception and len(at.error) == 1
    assert "No space left on device" in at.error[0].value
    assert not [f for f in _home_files() if f.startswith("analyses/") or ".part" in f]


# ---------------------------------------------------------------------------------------------- correct results


@pytest.fixture(scope="module")
def squat_frames(test_data: Path) -> list[np.ndarray]:
    from poselab.media.decode import iter_frames

    frames = iter_frames(test_data / "mediapipe" / "pose_squats.mp4")
    return [next(frames).image_rgb for _ in range(6)]


def test_page_odd_but_valid_inputs(tmp_path: Path, squat_frames: list[np.ndarray], test_data: Path,
                                   model_dir: Path) -> None:
    """Variable frame rate, a rotated phone clip, a unicode name and a PNG named .mp4 in one session."""
    times_s = [0.0, 0.1, 0.15, 0.4, 0.45, 1.0]
    vfr = write_clip(tmp_path / "vfr.mp4", squat_frames, times_s)
    phone = set_rotation(write_clip(tmp_path / "phone.mp4", [np.rot90(f, k=1) for f in squat_frames[:3]]))
    unicode_name = write_test_clip(tmp_path / "clip.mp4", frames=4)
    photo = tmp_path / "photo.mp4"
    photo.write_bytes((test_data / "mediapipe" / "pose.jpg").read_bytes())

    at = _page()
    for path, name in [(vfr, vfr.name), (phone, phone.name), (unicode_name, "squat été 日本 #1.mp4"),
                       (photo, photo.name)]:
        at = _upload(at, path, name)
        assert not at.exception and not at.error, (name, [e.value for e in at.error])
    folders = {json.loads(p.read_text())["name"]: p.parent for p in _library_records()}
    vfr_times = PoseSequence.load_npz(folders["vfr.mp4"] / "sequence.npz").time_s
    np.testing.assert_allclose(vfr_times, times_s, atol=1e-3)
    phone_summary = _record("phone.mp4")["summary"]
    assert (phone_summary["width"], phone_summary["height"], phone_summary["frames_with_pose"]) == (720, 1280, 3)
    assert _record("squat été 日本 #1.mp4")["summary"]["frames"] == 4
    photo_summary = _record("photo.mp4")["summary"]
    assert (photo_summary["frames"], photo_summary["frames_with_pose"], photo_summary["width"]) == (1, 1, 1000)
