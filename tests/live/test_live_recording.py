"""A webcam recording is one library entry, and it keeps the camera's own frames (the frame inspector's source)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from poselab.errors import PoseLabError
from poselab.live.processor import LiveProcessor
from poselab.media.decode import iter_frames
from poselab.settings import InferenceSettings
from poselab.store.library import Library


@pytest.fixture(scope="module")
def dance_frames(test_data: Path) -> list[np.ndarray]:
    frames = []
    for frame in iter_frames(test_data / "videos" / "dance_600x600.mp4"):
        frames.append(frame.image_rgb)
        if len(frames) == 25:
            return frames
    return frames


@pytest.fixture
def recording(model_dir: Path, dance_frames: list[np.ndarray], tmp_path: Path):
    processor = LiveProcessor(InferenceSettings(model="lite"))
    processor.start_recording(tmp_path / "rec")
    for index in range(5, 25):
        processor.process(dance_frames[index], index / 20)
    analysis = processor.stop_recording()
    processor.close()
    assert analysis is not None
    return analysis


def test_recording_keeps_the_cameras_frames_as_its_source_clip(recording, dance_frames: list[np.ndarray]) -> None:
    from components.analyze_views import overlay_image
    from components.settings import DisplaySettings

    source = recording.source_path
    assert source is not None and source.name == "source.mp4"
    with av.open(str(source)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(decoded) == 20
    gap = np.abs(decoded[0].astype(int) - dance_frames[5].astype(int)).mean()
    assert gap < 6  # the camera's frame, not the annotated one (its skeleton would differ far more)
    annotated = next(iter(av.open(str(recording.annotated_path)).decode(video=0))).to_ndarray(format="rgb24")
    assert np.abs(annotated.astype(int) - decoded[0].astype(int)).mean() > gap
    assert overlay_image(recording, 3, DisplaySettings()) is not None  # the frame inspector can draw it
    stored = Library().load(recording.extra["library_id"])
    assert stored.source_path is not None and stored.source_path.stat().st_size == source.stat().st_size


def test_a_recording_is_one_library_entry_and_the_panel_offers_no_second_save(recording) -> None:
    from streamlit.testing.v1 import AppTest

    entries = Library().list()
    assert [e.id for e in entries] == [recording.extra["library_id"]] and entries[0].kind == "live"

    def panel(folder: str, library_id: str) -> None:
        from components.settings import DisplaySettings
        from components.webcam import LiveHolder, recording_results
        from poselab.store.analysis import Analysis

        analysis = Analysis.load(__import__("pathlib").Path(folder))
        analysis.extra["library_id"] = library_id  # as Recording.finish leaves it
        recording_results(LiveHolder(analysis=analysis), DisplaySettings(), key="live")

    at = AppTest.from_function(panel, kwargs={"folder": str(recording.folder),
                                              "library_id": recording.extra["library_id"]},
                               default_timeout=60).run()
    assert not at.exception
    assert [b.label for b in at.button if b.label == "Save to library"] == []
    assert any("Saved in the library" in c.value for c in at.caption)
    assert len(Library().list()) == 1


def test_a_recording_goes_to_the_library_of_who_pressed_record(model_dir: Path, dance_frames: list[np.ndarray],
                                                               tmp_path: Path) -> None:
    from poselab.store.owners import Principal

    ann = Principal("https://login.example.org", "ann", email="ann@example.org")
    processor = LiveProcessor(InferenceSettings(model="lite"))
    processor.start_recording(tmp_path / "rec", owner=ann)  # taken on the page's thread, saved on another
    for index in range(5, 10):
        processor.process(dance_frames[index], index / 20)
    analysis = processor.stop_recording()
    processor.close()
    entry_id = analysis.extra["library_id"]
    assert Library(user=ann).get(entry_id).owner_key == ann.key
    with pytest.raises(PoseLabError, match="no analysis has"):
        Library(user=Principal("https://login.example.org", "bob")).get(entry_id)
