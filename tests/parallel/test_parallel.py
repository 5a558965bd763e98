"""Parallel tracking: segments tile the clip, seams keep person slots, results match a serial run."""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from poselab.errors import Cancelled
from poselab.media.decode import iter_frames
from poselab.parallel import segment_run, segments
from poselab.parallel import workers as parallel
from poselab.parallel.analyze import analyze_clip
from poselab.parallel.seams import greedy_order, match_slots, permute_slots
from poselab.parallel.videoparts import concat_videos, frames_between
from poselab.sequence import PoseSequence, VideoInfo
from poselab.settings import InferenceSettings
from tests.conftest import REPO

LITE = InferenceSettings(model="lite")


def _grey_clip(path: Path, frames: int = 40, fps: int = 10, gop: int = 5) -> Path:
    """Frame i is grey level 5*i; short GOPs so seeking really lands mid-clip."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.gop_size = gop
        for index in range(frames):
            image = np.full((48, 64, 3), 5 * index, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def _sequence(times: np.ndarray, centres: list[tuple[float, float] | None]) -> PoseSequence:
    """A sequence whose slot s is a 33-point blob at centres[s] (None: empty slot) in every frame."""
    frames, slots = len(times), len(centres)
    xy = np.full((frames, slots, 33, 2), np.nan, np.float32)
    for slot, centre in enumerate(centres):
        if centre is not None:
            xy[:, slot] = np.array(centre, np.float32) + np.linspace(0, 10, 33, dtype=np.float32)[:, None]
    filled = np.where(np.isnan(xy[..., 0]), np.nan, 0.9).astype(np.float32)
    world = np.repeat(filled[..., None], 3, axis=-1)
    info = VideoInfo(640, 480, 10.0, frames, frames / 10)
    return PoseSequence(times, xy, filled.copy(), filled.copy(), filled.copy(), world, info)


def test_plan_tiles_the_clip_with_equal_work_and_warm_up_before_each_seam() -> None:
    plan = segments.plan_segments(30.0, 3, overlap_s=1.0)
    assert len(plan) == 3
    assert plan[0][:2] == (-math.inf, -math.inf)
    starts = [p[1] for p in plan[1:]]
    assert [p[2] for p in plan] == pytest.approx([*starts, math.inf])  # each ends where the next starts
    assert [p[0] for p in plan[1:]] == pytest.approx([s - 1.0 for s in starts])
    work = [starts[0], starts[1] - plan[1][0], 30.0 - plan[2][0]]  # warm-up frames are work too
    assert work == pytest.approx([32 / 3] * 3)


def test_plan_uses_fewer_segments_on_a_short_clip() -> None:
    assert len(segments.plan_segments(3.0, 4)) == 1
    assert len(segments.plan_segments(5.0, 4)) == 2


def test_late_split_shares_what_the_parent_has_not_tracked_yet() -> None:
    helpers = segments.split_remaining(12.0, 30.0, 2, overlap_s=1.0, min_segment_s=2.0)
    parent_s = helpers[0][1] - 12.0
    work = [parent_s, helpers[1][1] - helpers[0][0], 30.0 - helpers[1][0]]
    assert work == pytest.approx([20 / 3] * 3)
    assert helpers[-1][2] == math.inf
    assert len(segments.split_remaining(24.0, 30.0, 2, overlap_s=1.0, min_segment_s=2.0)) == 1  # 6 s left
    assert segments.split_remaining(27.0, 30.0, 2, overlap_s=1.0, min_segment_s=2.0) == []
    assert segments.split_remaining(math.inf, 30.0, 2) == []  # the parent already finished


def test_handout_gives_each_helper_a_job_or_tells_it_to_stop(tmp_path: Path) -> None:
    import queue

    info = VideoInfo(64, 48, 10.0, 300, 30.0)
    first = parallel.SegmentJob(0, Path("x.mp4"), LITE, info, -math.inf, -math.inf, math.inf,
                                tmp_path / "part00.mp4", parallel.OverlayStyle())
    inboxes = [queue.Queue() for _ in range(3)]
    handout = parallel._Handout(first, inboxes)  # type: ignore[arg-type]
    handout.assign(22.0)  # 8 s left: two helpers are worth it, three are not
    got = [inbox.get_nowait() for inbox in inboxes]
    assert got[2] is None
    assert [job.index for job in got[:2]] == [1, 2] and got[1].end_s == math.inf
    assert got[1].video_part == tmp_path / "part02.mp4" and got[0].end_s == got[1].start_s
    assert handout.parent_end_s == got[0].start_s > 22.0
    assert [job.index for job in handout.jobs] == [0, 1, 2] and handout.jobs[0].end_s == got[0].start_s


def test_frames_between_matches_serial_decode_and_tiles(tmp_path: Path) -> None:
    clip = _grey_clip(tmp_path / "grey.mp4")
    serial = [(f.time_s, float(f.image_rgb.mean())) for f in iter_frames(clip)]
    middle = [(f.time_s, float(f.image_rgb.mean())) for f in frames_between(clip, 1.25, 2.55)]
    assert [t for t, _ in middle] == [t for t, _ in serial if 1.25 <= t < 2.55]
    assert [g for _, g in middle] == pytest.approx([5 * i for i in range(13, 26)], abs=3)
    tiles = [f.time_s for start, end in ((-math.inf, 1.3), (1.3, 2.7), (2.7, math.inf))
             for f in frames_between(clip, start, end)]
    assert tiles == [t for t, _ in serial]


def test_greedy_order_pairs_nearest_and_keeps_ties_in_place() -> None:
    assert greedy_order(np.array([[9.0, 1.0], [2.0, 8.0]])) == [1, 0]
    assert greedy_order(np.zeros((3, 3))) == [0, 1, 2]


def test_match_slots_finds_swapped_people_at_the_seam() -> None:
    previous = _sequence(np.arange(0, 2.0, 0.1), [(100, 100), (400, 300), None])
    part = _sequence(np.arange(1.5, 3.0, 0.1), [(402, 301), None, (99, 101)])
    order = match_slots(previous, part, start_s=1.95)
    assert order == [2, 0, 1]
    fixed = permute_slots(part, order)
    assert np.nanmean(fixed.image_xy_px[:, 0, :, 0]) == pytest.approx(np.nanmean(previous.image_xy_px[:, 0, :, 0]),
                                                                      abs=3)
    assert np.isnan(fixed.image_xy_px[:, 2]).all()


def test_stitch_keeps_every_frame_once_in_order_and_renumbers_slots() -> None:
    info = VideoInfo(640, 480, 10.0, 30, 3.0)
    first = _sequence(np.round(np.arange(0, 1.5, 0.1), 6), [(100, 100), (400, 300)])
    second = _sequence(np.round(np.arange(1.0, 3.0, 0.1), 6), [(400, 300), (100, 100)])
    jobs = [parallel.SegmentJob(0, Path("x"), LITE, info, -math.inf, -math.inf, 1.5, None, parallel.OverlayStyle()),
            parallel.SegmentJob(1, Path("x"), LITE, info, 1.0, 1.5, math.inf, None, parallel.OverlayStyle())]
    joined, permuted = parallel.stitch([first, second], jobs)
    assert permuted == [1]
    assert np.allclose(joined.time_s, np.arange(0, 3.0, 0.1))
    assert np.all(np.diff(joined.time_s) > 0)
    slot0_x = np.nanmean(joined.image_xy_px[:, 0, :, 0], axis=1)
    assert np.allclose(slot0_x, 105, atol=1)  # the person at x=100 stays in slot 0 after the seam


def test_concat_videos_joins_parts_in_order(tmp_path: Path) -> None:
    clip = _grey_clip(tmp_path / "grey.mp4", frames=30)
    from poselab.media.encode import H264Writer

    parts = []
    for k, (start, end) in enumerate(((-math.inf, 1.0), (1.0, 2.0), (2.0, math.inf))):
        parts.append(tmp_path / f"part{k}.mp4")
        with H264Writer(parts[-1], 64, 48, 10.0) as writer:
            for frame in frames_between(clip, start, end):
                writer.write(frame.image_rgb, frame.time_s)
    out = tmp_path / "joined.mp4"
    concat_videos(parts, out, VideoInfo(64, 48, 10.0, 30, 3.0))
    joined = [(f.time_s, f.image_rgb.mean()) for f in iter_frames(out)]
    assert [t for t, _ in joined] == pytest.approx([i / 10 for i in range(30)])
    assert [g for _, g in joined] == pytest.approx([5 * i for i in range(30)], abs=4)


def test_two_workers_match_a_serial_run(test_data: Path, model_dir: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "HEAD_START", False)  # a fixed split, however busy the machine is
    clip = test_data / "videos" / "dance_600x600.mp4"  # 5.1 s: two segments
    serial = analyze_clip(clip, LITE, video_out=tmp_path / "serial.mp4")
    done: list[int] = []
    split = analyze_clip(clip, LITE, video_out=tmp_path / "split.mp4", workers=2,
                         progress=lambda p: done.append(p.frames_done))
    assert split.meta["workers"] == 2
    assert done == sorted(done) and done[-1] == serial.num_frames  # warm-up frames are not counted
    assert np.array_equal(split.time_s, serial.time_s)
    gap_px = np.linalg.norm(split.image_xy_px - serial.image_xy_px, axis=-1)
    assert np.nanmedian(gap_px) < 5.0
    assert split.frames_with_pose() == pytest.approx(serial.frames_with_pose(), abs=2)
    video_times = [f.time_s for f in iter_frames(tmp_path / "split.mp4")]
    assert video_times == pytest.approx(list(serial.time_s), abs=1e-3)


def test_head_start_split_matches_a_serial_run(test_data: Path, model_dir: Path, tmp_path: Path) -> None:
    """The default path: the parent tracks while the helper starts, then hands it the later part."""
    from tests.test_bad_input import write_clip

    source = [f.image_rgb for f in iter_frames(test_data / "videos" / "dance_600x600.mp4")]
    frames = source + source[-2:0:-1]  # ping-pong: 10 s at 20 fps with no jump at the loop
    clip = write_clip(tmp_path / "loop.mp4", frames, fps=20.0)
    serial = analyze_clip(clip, LITE)
    cores = os.sched_getaffinity(0)
    split = analyze_clip(clip, LITE, workers=2)
    assert os.sched_getaffinity(0) == cores  # the parent kept to one core while it tracked, not after
    assert split.meta["workers"] == 2  # 10 s is far more than the parent tracks while the helper starts
    assert np.array_equal(split.time_s, serial.time_s)
    assert np.nanmedian(np.linalg.norm(split.image_xy_px - serial.image_xy_px, axis=-1)) < 5.0


def test_person_slots_agree_with_serial_across_seams(test_data: Path, model_dir: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segments, "MIN_SEGMENT_S", 0.3)  # the two-person clip lasts 1.7 s
    monkeypatch.setattr(segments, "OVERLAP_S", 0.3)
    monkeypatch.setattr(parallel, "HEAD_START", False)
    clip = test_data / "videos" / "lab_two_people_portrait_60fps.mp4"
    settings = InferenceSettings(model="lite", num_poses=2)
    serial = analyze_clip(clip, settings)
    split = analyze_clip(clip, settings, video_out=tmp_path / "split.mp4", workers=3)
    assert split.meta["workers"] == 3
    assert serial.people_seen() == 2
    assert np.array_equal(split.time_s, serial.time_s)
    for slot in range(2):
        gap_px = np.linalg.norm(split.image_xy_px[:, slot] - serial.image_xy_px[:, slot], axis=-1)
        assert np.nanmedian(gap_px) < 5.0, f"slot {slot} holds another person after a seam"
    assert len(list(iter_frames(tmp_path / "split.mp4"))) == serial.num_frames


def test_cancel_stops_every_worker(test_data: Path, model_dir: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        analyze_clip(test_data / "videos" / "dance_600x600.mp4", LITE, cancel=cancel, workers=2)
    assert multiprocessing.active_children() == []


def test_cli_takes_a_worker_count() -> None:
    from poselab.cli.commands import build_parser

    parser = build_parser()
    assert parser.parse_args(["analyze", "clip.mp4", "--out", "o", "--workers", "2"]).workers == 2
    assert parser.parse_args(["analyze", "clip.mp4", "--out", "o"]).workers == 1
    with pytest.raises(SystemExit):
        parser.parse_args(["analyze", "clip.mp4", "--out", "o", "--workers", "0"])


def test_analyze_page_offers_workers_and_passes_them_to_the_pipeline(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    import components.runner as runner
    from poselab.errors import InputError
    from tests.conftest import write_test_clip

    asked: list[int] = []

    def fake_analyze(*args: object, workers: int = 1, **kwargs: object) -> PoseSequence:
        asked.append(workers)
        raise InputError("stopped by the test")

    monkeypatch.setattr(runner, "analyze_isolated", fake_analyze)
    page = REPO / "pages" / "analyze.py"  # from the repository root, wherever this test file sits
    at = AppTest.from_file(str(page), default_timeout=60).run()
    control = at.sidebar.number_input(key="analyze.workers")
    assert control.value == 1
    control.set_value(2).run()
    clip = write_test_clip(tmp_path / "tiny.mp4")
    at.file_uploader(key="analyze.upload").set_value(("tiny.mp4", clip.read_bytes(), "video/mp4"))
    at.run()
    assert asked == [2]
    assert "stopped by the test" in at.error[0].value


def test_analyze_page_runs_again_for_another_worker_count_and_caches_each(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_dir: Path) -> None:
    from streamlit.testing.v1 import AppTest

    import components.runner as runner
    from tests.conftest import write_test_clip

    asked: list[int] = []
    real = runner.analyze_isolated

    def counted(*args: object, workers: int = 1, **kwargs: object) -> PoseSequence:
        asked.append(workers)
        return real(*args, workers=workers, **kwargs)

    monkeypatch.setattr(runner, "analyze_isolated", counted)
    page = REPO / "pages" / "analyze.py"
    at = AppTest.from_file(str(page), default_timeout=120).run()
    at.select_slider(key="analyze.model").set_value("lite").run()
    clip = write_test_clip(tmp_path / "tiny.mp4")
    at.file_uploader(key="analyze.upload").set_value(("tiny.mp4", clip.read_bytes(), "video/mp4"))
    at.run()
    at.sidebar.number_input(key="analyze.workers").set_value(2).run()
    at.sidebar.number_input(key="analyze.workers").set_value(1).run()
    at.sidebar.number_input(key="analyze.workers").set_value(2).run()
    assert not at.exception and not at.error
    assert asked == [1, 2]  # 2 workers is a run of its own; back at 1 and 2 each comes from the cache


def test_render_segment_redraws_exactly_its_frames_with_the_given_landmarks(tmp_path: Path) -> None:
    from poselab.parallel.videoparts import render_segment

    clip = _grey_clip(tmp_path / "grey.mp4", frames=30)
    times = np.array([f.time_s for f in iter_frames(clip)])
    sequence = _sequence(times, [(20.0, 15.0)])
    out = tmp_path / "redrawn.mp4"
    render_segment(clip, VideoInfo(64, 48, 10.0, 30, 3.0), parallel.OverlayStyle(), sequence, 1.0, 2.0, out)
    with av.open(str(out)) as container:  # raw stream times (iter_frames counts from the part's start)
        stamps = [float(frame.time) for frame in container.decode(video=0)]
    assert stamps == pytest.approx([t for t in times if 1.0 <= t < 2.0])
    drawn = list(iter_frames(out))
    for frame, index in zip(drawn, range(10, 20), strict=True):
        grey = 5 * index
        assert np.abs(frame.image_rgb[10:30, 15:35].astype(int) - grey).max() > 60  # the skeleton is there
        assert np.abs(frame.image_rgb[:, 50:].astype(int) - grey).max() < 8  # and nothing else


def test_a_failing_worker_reports_a_clean_error(tmp_path: Path, model_dir: Path) -> None:
    import queue

    from poselab.errors import InputError, PoseLabError

    info = VideoInfo(64, 48, 10.0, 30, 3.0)
    messages: queue.Queue = queue.Queue()
    missing = parallel.SegmentJob(1, tmp_path / "gone.mp4", LITE, info, 1.0, 1.5, math.inf, None,
                                  parallel.OverlayStyle())
    segment_run.child_main(missing, messages)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"gone\.mp4"):
        parallel._drain(messages, {}, lambda frames: None, block=False)  # type: ignore[arg-type]
    broken = parallel.SegmentJob(2, tmp_path / "gone.mp4", None, info, 1.0, 1.5, math.inf, None,  # type: ignore[arg-type]
                                 parallel.OverlayStyle())
    segment_run.child_main(broken, messages)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="worker 2 failed: AttributeError") as raised:
        parallel._drain(messages, {}, lambda frames: None, block=False)  # type: ignore[arg-type]
    assert not isinstance(raised.value, PoseLabError)


def test_a_helper_left_without_a_segment_says_ready_and_exits(model_dir: Path, tmp_path: Path) -> None:
    from poselab.parallel.helper_process import helper_entry
    from poselab.parallel.spawning import spawn_guard

    context = multiprocessing.get_context("spawn")
    inbox, messages = context.Queue(), context.Queue()
    cpu = max(os.sched_getaffinity(0))
    child = context.Process(target=helper_entry, args=(1, LITE, inbox, messages, cpu), daemon=True)
    with spawn_guard(tmp_path):
        child.start()
    try:
        # modules and model loaded, with stand-ins; the payload: the allocator policy is in force (issue 13)
        assert messages.get(timeout=120) == ("ready", 1, True)
        threads = list(Path(f"/proc/{child.pid}/task").iterdir())
        assert len(threads) > 1  # MediaPipe's graph threads are running by now ...
        for thread in threads:  # ... and kept to the helper's core, like the thread that started them
            with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
                assert os.sched_getaffinity(int(thread.name)) == {cpu}
        inbox.put(None)
        child.join(timeout=60)
        assert child.exitcode == 0
    finally:
        if child.is_alive():
            child.terminate()


def _die_at_start(*_args: object) -> None:
    os._exit(3)  # a helper killed while starting (out of memory, say): no message at all


def test_a_helper_dying_before_it_is_ready_gives_a_clean_error(test_data: Path, model_dir: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from poselab.errors import PoseLabError

    monkeypatch.setattr(parallel, "HEAD_START", False)  # the parent waits for its helper: it must not wait forever
    monkeypatch.setattr(parallel, "helper_entry", _die_at_start)
    with pytest.raises(PoseLabError, match="ended unexpectedly"):
        analyze_clip(test_data / "videos" / "dance_600x600.mp4", LITE, workers=2)
    assert multiprocessing.active_children() == []
