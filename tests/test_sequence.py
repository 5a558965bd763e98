"""PoseSequence: shape checks, detection bookkeeping, exact round trip; the slot tracker; the builder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from poselab.engine.builder import SequenceBuilder
from poselab.engine.landmarker import FramePoses
from poselab.engine.tracking import SlotTracker
from poselab.sequence import PoseSequence, VideoInfo, concat_frames
from poselab.skeleton import CONNECTIONS, LANDMARK_INDEX, LANDMARK_NAMES, NUM_LANDMARKS
from poselab.store.tables import LANDMARK_COLUMNS, landmarks_frame, summary

VIDEO = VideoInfo(width=100, height=80, fps=10.0, frame_count=3, duration_s=0.3, source_name="t.mp4")


def poses_at(*centres: tuple[float, float]) -> FramePoses:
    """Synthetic poses: every landmark of person k sits around centres[k]."""
    count = len(centres)
    xy = np.array([np.tile(c, (NUM_LANDMARKS, 1)) for c in centres], np.float32).reshape(count, NUM_LANDMARKS, 2)
    xy += np.linspace(0, 1, NUM_LANDMARKS, dtype=np.float32)[None, :, None]
    ones = np.ones((count, NUM_LANDMARKS), np.float32)
    world = np.zeros((count, NUM_LANDMARKS, 3), np.float32) + np.arange(count, dtype=np.float32)[:, None, None]
    return FramePoses(xy, ones * 0.1, ones * 0.9, ones * 0.8, world)


def test_skeleton_is_consistent() -> None:
    assert len(LANDMARK_NAMES) == 33 and LANDMARK_INDEX["left_knee"] == 25
    assert all(0 <= a < 33 and 0 <= b < 33 and a != b for a, b in CONNECTIONS)
    assert len(set(CONNECTIONS)) == len(CONNECTIONS) == 35


def test_builder_fills_slots_and_nan_elsewhere() -> None:
    builder = SequenceBuilder(num_slots=2)
    builder.append(0.0, poses_at((10, 10)))
    builder.append(0.1, FramePoses.none())
    builder.append(0.2, poses_at((10, 12), (80, 60)))
    sequence = builder.build(VIDEO)
    assert sequence.image_xy_px.shape == (3, 2, 33, 2)
    assert sequence.detected().tolist() == [[True, False], [False, False], [True, True]]
    assert np.isnan(sequence.world_xyz_m[1]).all()
    assert sequence.frames_with_pose() == 2 and sequence.people_seen() == 2
    assert sequence.visibility[0, 0, 0] == pytest.approx(0.9)


def test_tracker_keeps_people_in_their_slots_when_the_model_swaps_order() -> None:
    tracker = SlotTracker(2)
    assert tracker.assign(np.array([[10.0, 10.0], [90.0, 50.0]])) == [0, 1]
    assert tracker.assign(np.array([[88.0, 52.0], [12.0, 11.0]])) == [1, 0]
    assert tracker.assign(np.array([[89.0, 53.0]])) == [1]
    assert tracker.assign(np.array([[13.0, 11.0], [90.0, 54.0]])) == [0, 1]


def test_shapes_are_checked() -> None:
    sequence = SequenceBuilder(1).build(VIDEO)
    with pytest.raises(ValueError, match="visibility"):
        PoseSequence(sequence.time_s, sequence.image_xy_px, sequence.image_z, np.zeros((1, 1, 33)),
                     sequence.presence, sequence.world_xyz_m, VIDEO)


def test_npz_round_trip_is_exact(tmp_path: Path) -> None:
    builder = SequenceBuilder(num_slots=2, mask_of_size=(100, 80))
    builder.append(0.0, poses_at((10, 10)))
    builder.append(0.1, poses_at((20, 10), (50, 50)))
    sequence = builder.build(VIDEO, meta={"settings": {"model": "lite"}})
    sequence.save_npz(tmp_path / "s.npz")
    loaded = PoseSequence.load_npz(tmp_path / "s.npz")
    for name in ("time_s", "image_xy_px", "image_z", "visibility", "presence", "world_xyz_m", "segmentation"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(sequence, name))
    assert loaded.video == VIDEO and loaded.meta == {"settings": {"model": "lite"}}
    assert loaded.segmentation.shape == (2, 80, 100)


def test_concat_and_slice_are_inverse() -> None:
    builder = SequenceBuilder(1)
    for index in range(4):
        builder.append(index / 10, poses_at((index, index)))
    sequence = builder.build(VIDEO)
    joined = concat_frames([sequence.slice_frames(0, 1), sequence.slice_frames(1, 4)])
    np.testing.assert_array_equal(joined.image_xy_px, sequence.image_xy_px)
    np.testing.assert_array_equal(joined.time_s, sequence.time_s)


def test_landmarks_table_has_one_row_per_detected_person_and_landmark() -> None:
    builder = SequenceBuilder(2)
    builder.append(0.0, poses_at((10, 10)))
    builder.append(0.1, FramePoses.none())
    builder.append(0.2, poses_at((10, 10), (60, 60)))
    sequence = builder.build(VIDEO, meta={"settings": {"model": "full", "num_poses": 2}})
    table = landmarks_frame(sequence)
    assert tuple(table.columns) == LANDMARK_COLUMNS
    assert len(table) == 3 * 33
    assert table.groupby(["frame", "person"]).size().to_dict() == {(0, 0): 33, (2, 0): 33, (2, 1): 33}
    first = table.iloc[0]
    assert (first.landmark, first.x_px, first.visibility) == ("nose", 10.0, pytest.approx(0.9))
    figures = summary(sequence)
    assert (figures["frames"], figures["frames_with_pose"], figures["people_seen"]) == (3, 2, 2)
    assert figures["detection_rate"] == pytest.approx(2 / 3, abs=1e-3)
