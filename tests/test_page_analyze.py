"""The Analyze page driven through Streamlit's AppTest with real uploaded files (file_uploader.set_value).

The lite model keeps the runs short; each test gets a private POSELAB_HOME (tests/conftest.py), so the disk
cache starts empty.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import components.runner as runner
from components.analyze_views import display_width_px, people_world_xyz_m
from poselab.store.library import Library
from tests.conftest import write_test_clip

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "analyze.py")
RUN_TIMEOUT_S = 180


@pytest.fixture
def model_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts model runs: the names of the clips the runner analysed (each in a process of its own)."""
    calls: list[str] = []
    real = runner.analyze_isolated

    def counting(path: Path, *args, **kwargs):
        calls.append(path.name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(runner, "analyze_isolated", counting)
    return calls


def _page(model: str = "lite") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=RUN_TIMEOUT_S)
    at.run()
    at.sidebar.select_slider(key="analyze.model").set_value(model)
    return at


def _upload(at: AppTest, name: str, data: bytes, mime: str = "video/mp4") -> AppTest:
    at.file_uploader(key="analyze.upload").set_value((name, data, mime))
    return at.run()


def _metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def _chart_keys(at: AppTest) -> set[str]:
    return {chart.key for chart in at.get("plotly_chart")}


def _image_caption(at: AppTest) -> str:
    return at.get("image")[0].proto.imgs[0].caption


def _assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_without_upload_the_page_explains_and_states_the_limit() -> None:
    at = AppTest.from_file(PAGE, default_timeout=RUN_TIMEOUT_S).run()
    _assert_clean(at)
    uploader = at.file_uploader(key="analyze.upload")
    assert "500 MB" in uploader.label
    assert {"mp4", "mov", "webm", "jpg", "png"} <= {t.lstrip(".") for t in uploader.allowed_type}
    assert "Upload a clip" in at.info[0].value


def test_dance_clip_gives_every_view_and_the_slider_moves_the_overlay(test_data: Path, model_dir: Path,
                                                                      model_calls: list[str]) -> None:
    at = _upload(_page(), "dance.mp4", (test_data / "videos" / "dance_600x600.mp4").read_bytes())
    _assert_clean(at)
    metrics = _metrics(at)
    assert metrics["Frames"] == "102"
    assert metrics["People"] == "1"
    assert int(metrics["Detected"].split()[0]) >= 90
    assert len(at.get("video")) == 1
    assert at.get("video")[0].proto.url.endswith(".mp4")
    assert {"analyze.anim3d", "analyze.frame3d", "analyze.ts.chart"} <= _chart_keys(at)
    assert _image_caption(at).startswith("frame 1 of 102")
    first_url = at.get("image")[0].proto.imgs[0].url

    at.slider(key="analyze.frame").set_value(61).run()  # numbered from 1, like the caption
    _assert_clean(at)
    assert _image_caption(at).startswith("frame 61 of 102 · t = 3.00 s")
    assert at.get("image")[0].proto.imgs[0].url != first_url
    assert model_calls == ["source.mp4"]  # the slider never re-runs the model


def test_display_settings_never_rerun_and_earlier_settings_come_back_from_cache(
        test_data: Path, model_dir: Path, model_calls: list[str]) -> None:
    at = _upload(_page(), "dance.mp4", (test_data / "videos" / "dance_600x600.mp4").read_bytes())
    at.sidebar.slider(key="analyze.vis").set_value(0.9).run()
    _assert_clean(at)
    assert len(model_calls) == 1

    at.sidebar.slider(key="analyze.det").set_value(0.7).run()  # inference setting: a new run
    assert len(model_calls) == 2
    at.sidebar.slider(key="analyze.det").set_value(0.5).run()  # back: instant, from memory
    _assert_clean(at)
    assert len(model_calls) == 2
    entries = Library().list()
    assert len(entries) == 2  # the library is the lasting cache: one entry per inference settings
    assert not list((runner.poselab_home() / "analyses").iterdir())  # no second copy beside it
    assert len(list((runner.poselab_home() / "uploads").iterdir())) == 1  # the clip is stored once

    # A new session (no memory) finds the stored analysis on disk.
    fresh = _upload(_page(), "renamed.mp4", (test_data / "videos" / "dance_600x600.mp4").read_bytes())
    _assert_clean(fresh)
    assert len(model_calls) == 2
    assert _metrics(fresh)["Frames"] == "102"
    stored = Library().load(entries[0].id)
    assert stored.sequence.num_frames == 102 and stored.annotated_path is not None


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("empty.mp4", b"", "empty"),
    ("notes.mp4", b"this is a text file, not a video\n" * 20, "not a supported video"),
])
def test_bad_uploads_show_an_error_and_the_page_keeps_working(name: str, data: bytes, expected: str,
                                                             tmp_path: Path, model_dir: Path) -> None:
    at = _upload(_page(), name, data)
    assert not at.exception
    assert len(at.error) == 1
    assert name in at.error[0].value and expected in at.error[0].value
    assert not at.get("plotly_chart")
    assert not list((runner.poselab_home() / "analyses").glob("*.part"))  # nothing half-written left

    clip = write_test_clip(tmp_path / "grey.mp4", frames=6, size=(64, 48))
    at = _upload(at, "grey.mp4", clip.read_bytes())
    _assert_clean(at)
    assert _metrics(at)["Frames"] == "6"


def test_truncated_clip_shows_an_error(test_data: Path, model_dir: Path) -> None:
    data = (test_data / "videos" / "dance_600x600.mp4").read_bytes()
    at = _upload(_page(), "cut.mp4", data[: len(data) // 3])
    assert not at.exception
    assert len(at.error) == 1 and "cut.mp4" in at.error[0].value


def test_photo_input_shows_overlay_and_3d(test_data: Path, model_dir: Path) -> None:
    at = _upload(_page("full"), "pose.jpg", (test_data / "mediapipe" / "pose.jpg").read_bytes(), "image/jpeg")
    _assert_clean(at)
    metrics = _metrics(at)
    assert metrics["Image"] == "1000×667 px" and metrics["Detected"] == "100 %" and metrics["People"] == "1"
    assert "Frame rate" not in metrics
    assert not at.get("video")
    assert "Frame" not in [slider.label for slider in at.slider]  # one frame: nothing to slide over
    charts = _chart_keys(at)
    assert "analyze.frame3d" in charts and "analyze.anim3d" not in charts and "analyze.ts.chart" not in charts
    assert _image_caption(at).startswith("frame 1 of 1")


def test_portrait_two_people_clip(test_data: Path, model_dir: Path) -> None:
    at = _page()
    at.sidebar.number_input(key="analyze.num_poses").set_value(2).run()
    path = test_data / "videos" / "lab_two_people_portrait_60fps.mp4"
    at = _upload(at, "lab.mp4", path.read_bytes())
    _assert_clean(at)
    metrics = _metrics(at)
    assert metrics["Frames"] == "100" and metrics["Frame rate"] == "60 fps"
    assert metrics["People"] == "2"
    video = at.get("video")[0].proto
    assert video.width_config.pixel_width == display_width_px(1088, 1920) < 400  # a phone clip fits the screen
    assert at.multiselect(key="analyze.ts.people").value == [0, 1]


def test_people_are_placed_apart_in_3d() -> None:
    """Two people with identical hip-centred world landmarks end up side by side, ordered as in the picture."""
    from poselab.sequence import PoseSequence, VideoInfo

    frames, slots = 2, 2
    rng = np.random.default_rng(0)
    world = np.repeat(rng.normal(0, 0.3, (1, 1, 33, 3)), frames * slots, axis=0).reshape(frames, slots, 33, 3)
    world[..., 2] = 0.0  # flat people: the torso's pixel length is exactly 200 px per metre
    pixels = (world[..., :2] * 200 + 500).astype(np.float32)
    pixels[:, 1, :, 0] += 400  # the second person stands 400 px to the right
    sequence = PoseSequence(
        time_s=np.arange(frames, dtype=float), image_xy_px=pixels, image_z=np.zeros((frames, slots, 33), np.float32),
        visibility=np.ones((frames, slots, 33), np.float32), presence=np.ones((frames, slots, 33), np.float32),
        world_xyz_m=world.astype(np.float32), video=VideoInfo(1400, 1000, 10.0, frames, 0.2),
    )
    moved = people_world_xyz_m(sequence)
    gap_m = moved[:, 1, :, 0].mean() - moved[:, 0, :, 0].mean()
    assert gap_m == pytest.approx(400 / 200, rel=0.05)  # 400 px at 200 px per metre
    assert np.allclose(moved[..., 1:], world[..., 1:], atol=1e-6)


def test_segmentation_mask_is_a_display_choice(test_data: Path, model_dir: Path, model_calls: list[str]) -> None:
    at = _page()
    at.sidebar.toggle(key="analyze.seg").set_value(True).run()
    at = _upload(at, "pose.jpg", (test_data / "mediapipe" / "pose.jpg").read_bytes(), "image/jpeg")
    _assert_clean(at)
    with_mask = at.get("image")[0].proto.imgs[0].url
    at.sidebar.toggle(key="analyze.showmask").set_value(False).run()
    _assert_clean(at)
    assert at.get("image")[0].proto.imgs[0].url != with_mask
    assert len(model_calls) == 1


def test_inspected_frame_is_the_analysed_frame_when_the_stream_starts_late(tmp_path: Path) -> None:
    """Frame times count from the stream start; a clip whose first frame is stamped 1.5 s must still match."""
    from fractions import Fraction

    import av

    from poselab.media.decode import iter_frames, read_frame_at

    path = tmp_path / "late.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 * index, np.uint8), format="rgb24")
            frame.pts, frame.time_base = index + 15, Fraction(1, 10)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    frames = list(iter_frames(path))
    assert frames[0].time_s == 0.0
    for frame in frames[::3]:
        assert np.array_equal(read_frame_at(path, frame.time_s), frame.image_rgb)


def test_progress_text_gives_frames_fps_and_time_left() -> None:
    from poselab.engine.pipeline import Progress

    shown: list[tuple[float, str]] = []

    class Bar:
        def progress(self, fraction: float, text: str) -> None:
            shown.append((fraction, text))

    update = runner._progress_fn(Bar(), "dance.mp4")
    update(Progress(frames_done=50, frames_total=100, elapsed_s=2.0))
    update(Progress(frames_done=51, frames_total=100, elapsed_s=2.01))  # too soon: skipped
    update(Progress(frames_done=100, frames_total=100, elapsed_s=4.0))  # the last one always shows
    assert shown[0] == (0.5, "Analysing dance.mp4: 50 / 100 frames · 25 fps · about 2 s left")
    assert len(shown) == 2 and shown[1][0] == 1.0
