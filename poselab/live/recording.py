"""A webcam recording: the annotated frames and landmarks of a live stream, saved as an Analysis.

Used by ``poselab.live.processor.LiveProcessor`` on the media thread; the folder becomes an ordinary
Analysis (the camera's own frames as source.mp4, annotated.mp4 and the landmarks) and goes to the
library like any upload, once: ``finish`` saves it and records the entry's id in ``extra["library_id"]``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from poselab.engine.builder import SequenceBuilder
from poselab.engine.landmarker import FramePoses
from poselab.errors import StorageError
from poselab.media.encode import H264Writer
from poselab.sequence import VideoInfo
from poselab.settings import InferenceSettings
from poselab.store.analysis import ANNOTATED_FILE, Analysis, content_hash
from poselab.store.library import poselab_home, save_quietly
from poselab.store.owners import Principal

# The name Analysis.source_path finds (source.*), as for an upload.
SOURCE_FILE = "source.mp4"


@dataclass
class Recording:
    """A recording in progress; the video file is opened with the first frame (its size is known then)."""

    folder: Path
    settings: InferenceSettings
    builder: SequenceBuilder
    start_s: float
    writer: H264Writer | None = None
    source_writer: H264Writer | None = None  # the camera's frames: what the frame inspector draws on
    size: tuple[int, int] = (0, 0)
    frames: int = 0
    owner: Principal | None = None  # whose library it goes to: the signed-in person who pressed record

    @classmethod
    def start(cls, folder: Path, settings: InferenceSettings, start_s: float,
              owner: Principal | None = None) -> Recording:
        return cls(folder, settings, SequenceBuilder(settings.num_poses), start_s, owner=owner)

    def append(self, annotated_rgb: np.ndarray, poses: FramePoses, time_s: float,
               image_rgb: np.ndarray | None = None) -> None:
        """Adds one frame (``image_rgb``: the camera's own, kept as the source clip); ``time_s`` counts
        from the recording's start."""
        if self.writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            height, width = annotated_rgb.shape[:2]
            self.size = (width, height)
            self.writer = H264Writer(self.folder / ANNOTATED_FILE, width, height, fps=30.0)
            if image_rgb is not None:
                self.source_writer = H264Writer(self.folder / SOURCE_FILE, width, height, fps=30.0)
        self.writer.write(annotated_rgb, time_s)
        if self.source_writer is not None and image_rgb is not None:
            self.source_writer.write(image_rgb, time_s)
        self.builder.append(time_s, poses)
        self.frames += 1

    def finish(self) -> Analysis | None:
        """Closes the video and saves the landmarks beside it; None when no frame was recorded."""
        if self.writer is None:
            return None
        try:
            analysis = self._save()
        except OSError as error:
            raise StorageError(f"Could not save the recording in {self.folder}: {error}") from error
        entry_id = save_quietly(analysis, kind="live", user=self.owner)  # every recording goes to the library, once
        if entry_id is not None:
            analysis.extra["library_id"] = entry_id
        return analysis

    def _save(self) -> Analysis:
        self.writer.close()
        if self.source_writer is not None:
            self.source_writer.close()
        frames = self.writer.frames_written
        sequence = self.builder.build(VideoInfo(0, 0, 0.0, 0, 0.0))
        duration_s = float(sequence.time_s[-1]) if frames else 0.0
        fps = (frames - 1) / duration_s if duration_s > 0 else 0.0
        width, height = self.size
        video = VideoInfo(width, height, round(fps, 2), frames, duration_s, source_name="webcam")
        meta = {"settings": self.settings.to_dict(), "source": "live", "elapsed_s": round(duration_s, 3),
                "processing_fps": round(fps, 2)}  # live: processed as fast as it was recorded
        analysis = Analysis(
            folder=self.folder, sequence=replace(sequence, video=video, meta=meta), settings=self.settings,
            name=time.strftime("Webcam %Y-%m-%d %H:%M:%S"),
            content_hash=content_hash(self.folder / ANNOTATED_FILE), extra={"source": "live"},
        )
        analysis.save()
        return analysis


def recordings_dir() -> Path:
    """Where webcam recordings go: $POSELAB_HOME/recordings (default ~/.poselab/recordings)."""
    return poselab_home() / "recordings"


def new_recording_folder() -> Path:
    return recordings_dir() / time.strftime("live-%Y%m%d-%H%M%S")
