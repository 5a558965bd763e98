"""What keeps the Live page cheap while it refreshes (issue 13): a bounded history, snapshots without it for
the metrics, the received video size and counters on the page, and no full garbage collection per rerun."""

from __future__ import annotations

import numpy as np

from poselab.engine.landmarker import FramePoses
from poselab.live import processor as live
from poselab.live.history import history_sequence
from poselab.live.processor import LiveProcessor, LiveStats
from poselab.settings import InferenceSettings
from tests.conftest import REPO


class _Clock:
    def __init__(self) -> None:
        self.now_s = 50.0

    def __call__(self) -> float:
        return self.now_s


class _NoPoseDetector:
    """Stands in for the model (no person in a black frame either way); costs 1 ms of the fake clock."""

    def __init__(self, settings: InferenceSettings, clock: _Clock) -> None:
        self.settings, self._clock = settings, clock

    def detect(self, image_rgb: np.ndarray, time_s: float) -> FramePoses:
        self._clock.now_s += 0.001
        return FramePoses.none()

    def close(self) -> None:
        pass


def _processor(clock: _Clock) -> LiveProcessor:
    return LiveProcessor(InferenceSettings(), detector_factory=lambda s: _NoPoseDetector(s, clock), clock=clock)


def test_history_keeps_the_last_seconds_at_camera_rate() -> None:
    clock = _Clock()
    processor = _processor(clock)
    image = np.zeros((48, 64, 3), np.uint8)
    for _ in range(30 * 25):  # 25 s at 30 fps
        clock.now_s += 1 / 30
        processor.process(image, clock())
    history = processor.snapshot().history
    assert history is not None
    assert live.HISTORY_S - 0.2 <= history.time_s[-1] - history.time_s[0] <= live.HISTORY_S
    assert 29 * live.HISTORY_S <= history.num_frames <= 31 * live.HISTORY_S


def test_history_is_bounded_in_frames_whatever_the_frame_rate() -> None:
    # Far more frames than any camera gives inside the time window: the copy made on every refresh stays small.
    clock = _Clock()
    processor = _processor(clock)
    image = np.zeros((48, 64, 3), np.uint8)
    for _ in range(3 * live.HISTORY_MAX_FRAMES):
        processor.process(image, clock())  # the detector's 1 ms is all the time that passes
    history = processor.snapshot().history
    assert history is not None and history.num_frames == live.HISTORY_MAX_FRAMES
    assert history.time_s[-1] - history.time_s[0] < live.HISTORY_S


def test_metrics_snapshot_skips_the_history_and_reports_the_frame_size() -> None:
    clock = _Clock()
    processor = _processor(clock)
    assert processor.snapshot().stats.frame_size == (0, 0)
    for _ in range(5):
        clock.now_s += 1 / 30
        processor.process(np.zeros((240, 320, 3), np.uint8), clock())
    light = processor.snapshot(history=False)
    assert light.history is None
    assert light.stats.frame_size == (320, 240)
    assert light.stats.frames_processed == 5
    full = processor.snapshot()
    assert full.history is not None and (full.history.video.width, full.history.video.height) == (320, 240)


def test_received_caption_names_size_and_counters() -> None:
    from components.webcam import received_caption

    text = received_caption(LiveStats(frames_received=1234, frames_dropped=56, frame_size=(640, 480)))
    assert text == "Video received: 640×480 · 1,234 frames received, 56 dropped"


def test_streamlit_runs_no_full_collection_after_each_script_run(monkeypatch) -> None:
    """The Live page's fragments rerun several times a second; Streamlit's default gc.collect(2) after each run
    held the interpreter lock 60-125 ms every time, and the video stalled with it."""
    from streamlit import config as st_config

    monkeypatch.chdir(REPO)  # Streamlit reads ./.streamlit/config.toml, as `streamlit run` does from the repo
    st_config.get_config_options(force_reparse=True, options_from_flags={})
    try:
        assert st_config.get_option("runner.postScriptGC") is False
    finally:
        st_config.get_config_options(force_reparse=True)


def test_live_3d_box_and_floor_stay_put_while_the_newest_pose_moves() -> None:
    """The browser rebuilds the 3D scene when ranges or floor change: they must not follow every frame."""
    from components.webcam import live_skeleton_figure

    rng = np.random.default_rng(0)
    rows = []
    for index in range(90):  # 3 s of a person swaying by up to 30 cm, hip-centred as world coordinates are
        row = np.full((1, 33, 8), np.nan, np.float32)
        row[0, :, 3:5] = 1.0
        row[0, :, 5:8] = rng.normal(0, 0.3, (33, 3))
        row[0, :, 6] = np.linspace(-0.7, 0.9, 33)  # y down: feet at +0.9 m, head at -0.7 m
        rows.append((index / 30, row))
    scenes, floors = [], []
    for end in range(60, 91, 10):  # four refreshes of the last two seconds
        history = history_sequence(rows[end - 60:end], (640, 480))
        figure = live_skeleton_figure(history, 0.5)
        scene = figure.layout.scene
        scenes.append((scene.xaxis.range, scene.yaxis.range, scene.zaxis.range))
        floors.append(tuple(map(tuple, next(t for t in figure.data if t.name == "floor").z)))
    assert len(set(scenes)) == 1 and len(set(floors)) == 1
    up_low = scenes[0][2][0]
    assert -1.0 < up_low < -0.9  # the floor just under the feet (0.9 m below the hips), rounded down
    pose = next(t for t in figure.data if t.name == "pose")
    assert np.nanmax(np.abs(np.array(pose.x, dtype=float))) <= scenes[0][0][1]  # the person inside the box


class _OnePoseDetector(_NoPoseDetector):
    """One person standing still, the same every frame."""

    def detect(self, image_rgb: np.ndarray, time_s: float) -> FramePoses:
        self._clock.now_s += 0.001
        rng = np.random.default_rng(0)
        world = rng.normal(0, 0.2, (1, 33, 3)).astype(np.float32)
        world[0, :, 1] = np.linspace(-0.7, 0.9, 33)
        return FramePoses(image_xy_px=rng.uniform(100, 300, (1, 33, 2)).astype(np.float32),
                          image_z=np.zeros((1, 33), np.float32), visibility=np.ones((1, 33), np.float32),
                          presence=np.ones((1, 33), np.float32), world_xyz_m=world)


def test_panels_read_one_history_until_the_next_frame() -> None:
    """The page's panels read the history several times a second: built once per frame, not once per read."""
    clock = _Clock()
    processor = _processor(clock)
    image = np.zeros((48, 64, 3), np.uint8)
    for _ in range(3):
        clock.now_s += 1 / 30
        processor.process(image, clock())
    first = processor.snapshot().history
    assert first is not None and first.num_frames == 3
    clock.now_s += 0.4  # time passes, no frame: the stats move on, the history is the same object
    again = processor.snapshot()
    assert again.history is first
    clock.now_s += 1 / 30
    processor.process(image, clock())
    newer = processor.snapshot().history
    assert newer is not first and newer is not None and newer.num_frames == 4
    assert np.array_equal(newer.time_s[:3], first.time_s)
    assert processor.snapshot().history is newer


def test_a_new_pose_count_empties_the_shared_history() -> None:
    clock = _Clock()
    processor = _processor(clock)
    image = np.zeros((48, 64, 3), np.uint8)
    for _ in range(5):
        clock.now_s += 1 / 30
        processor.process(image, clock())
    assert processor.snapshot().history.num_slots == 1
    processor.configure(InferenceSettings(num_poses=2), processor._style)
    clock.now_s += 1 / 30
    processor.process(image, clock())
    history = processor.snapshot().history
    assert history is not None and history.num_slots == 2 and history.num_frames == 1


def test_every_live_panel_reads_the_shared_history_without_writing_to_it() -> None:
    """The shared sequence is read-only, so a panel that wrote into it would raise here instead of changing
    what the other panels see."""
    from components.motion_views import ANGLE_NAMES, LiveReps
    from components.webcam import live_skeleton_figure
    from poselab.assess.ergonomics import latest_rula
    from poselab.assess.events import FallWatcher, current_postures
    from poselab.render.timeseries import COORDINATES, landmark_timeseries

    clock = _Clock()
    processor = LiveProcessor(InferenceSettings(), detector_factory=lambda s: _OnePoseDetector(s, clock),
                              clock=clock)
    image = np.zeros((480, 640, 3), np.uint8)
    for _ in range(60):
        clock.now_s += 1 / 30
        processor.process(image, clock())
    history = processor.snapshot().history
    assert history is not None and not history.world_xyz_m.flags.writeable and not history.time_s.flags.writeable
    before = [history.time_s.copy(), history.image_xy_px.copy(), history.world_xyz_m.copy()]
    for coordinate in COORDINATES:
        landmark_timeseries(history, ["left_wrist"], coordinate, visibility_threshold=0.5)
    live_skeleton_figure(history, 0.5)
    FallWatcher().update(history)
    assert current_postures(history)
    LiveReps(ANGLE_NAMES[0], 100.0, 150.0).feed(history)
    assert np.isfinite(latest_rula(history)[0])
    after = processor.snapshot().history
    assert after is history
    for old, new in zip(before, [after.time_s, after.image_xy_px, after.world_xyz_m], strict=True):
        assert np.array_equal(old, new)
