"""Video pieces for parallel tracking: decode from a time on, redraw a stretch, join H.264 parts.

Parts are joined by remuxing their packets (no re-encode): every part comes from the same encoder
settings, so their H.264 parameter sets agree; when they do not, the parts are re-encoded instead.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from poselab.errors import PoseLabError
from poselab.media.decode import DECODE_THREADS, Frame, sniff_kind, to_upright_rgb, upright_shape
from poselab.media.encode import H264Writer
from poselab.media.framepool import FramePool
from poselab.render.overlay import OverlayStyle
from poselab.sequence import PoseSequence, VideoInfo

_OPEN_OPTIONS = {"protocol_whitelist": "file"}  # as poselab.media.decode: no playlist may pull other files in


def frames_between(path: Path, from_s: float, to_s: float, pool: FramePool | None = None) -> Iterator[Frame]:
    """Frames with ``from_s <= time_s < to_s``, times as ``iter_frames`` gives them.

    Seeks to the keyframe before ``from_s``; decodes from the start if the seek overshot. With a
    ``pool``, pixels are converted into its buffers (on first use); give them back with ``Frame.release``.
    """
    seek_s = from_s
    while True:
        late = False
        with contextlib.closing(_decode_from(path, seek_s, pool)) as decoded:  # closes the file on an early stop
            for frame in decoded:
                if frame.index == 0 and frame.time_s > from_s + 1e-6 and seek_s > 0:
                    late = True
                    break
                if frame.time_s >= to_s:
                    return
                if frame.time_s >= from_s:
                    yield frame
        if not late:
            return
        seek_s = 0.0


def _decode_from(path: Path, seek_s: float, pool: FramePool | None = None) -> Iterator[Frame]:
    """Frames from the keyframe at or before ``seek_s``; ``index`` counts from there.

    ``image_rgb`` converts lazily: warm-up skipping costs a decode but not an RGB conversion.
    """
    with av.open(str(path), format=sniff_kind(path), options=_OPEN_OPTIONS) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.thread_count = DECODE_THREADS  # see poselab.media.decode
        base = stream.time_base
        origin_s = float(stream.start_time * base) if stream.start_time else 0.0
        if seek_s > 0:
            container.seek(int((seek_s + origin_s) / base), stream=stream, backward=True, any_frame=False)
        for index, frame in enumerate(container.decode(stream)):
            if frame.time is None:
                raise PoseLabError(f"{path.name} has frames without timestamps: analyse it with 1 worker")
            yield _LazyFrame(index, float(frame.time - origin_s), frame, pool)


class _LazyFrame(Frame):
    """A Frame whose RGB pixels are made on first access."""

    def __init__(self, index: int, time_s: float, frame: av.VideoFrame, pool: FramePool | None = None) -> None:
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "time_s", time_s)
        object.__setattr__(self, "_frame", frame)
        object.__setattr__(self, "pool", pool)

    @functools.cached_property
    def image_rgb(self) -> np.ndarray:  # type: ignore[override]
        if self.pool is None:
            return to_upright_rgb(self._frame)
        if upright_shape(self._frame) != self.pool.shape:
            raise PoseLabError("the clip changes orientation mid-clip: re-encode it upright")
        return to_upright_rgb(self._frame, self.pool.acquire())

    def release(self) -> None:
        if self.pool is not None and "image_rgb" in self.__dict__:  # never converted: nothing to give back
            self.pool.release(self.__dict__["image_rgb"])


def render_segment(path: Path, info: VideoInfo, style: OverlayStyle, sequence: PoseSequence,
                   start_s: float, end_s: float, out: Path) -> None:
    """Draws the frames in [start_s, end_s) of ``path`` with the (stitched) landmarks of ``sequence``."""
    from poselab.engine.pipeline import OverlayWriter, frame_pool

    with OverlayWriter(out, info, style) as writer:
        for frame in frames_between(path, start_s, end_s, frame_pool(info)):
            index = int(np.searchsorted(sequence.time_s, frame.time_s))
            if index >= sequence.num_frames or sequence.time_s[index] != frame.time_s:
                continue  # not in the sequence (cannot happen when both come from the same clip); never converted
            mask = sequence.segmentation[index] if sequence.segmentation is not None else None
            frame.image_rgb  # noqa: B018 - converted into the pool before the writer's thread sees it
            writer.put(frame, _overlay_row(sequence, index), mask)


def _overlay_row(sequence: PoseSequence, index: int) -> np.ndarray:
    """The (P, 33, 8) row layout OverlayWriter draws from (x, y at 0:2, visibility at 3)."""
    row = np.full((sequence.num_slots, sequence.image_xy_px.shape[2], 8), np.nan, np.float32)
    row[..., 0:2] = sequence.image_xy_px[index]
    row[..., 3] = sequence.visibility[index]
    return row


def concat_videos(parts: list[Path], out: Path, info: VideoInfo) -> None:
    """Joins H.264 MP4 parts in order into ``out`` (+faststart)."""
    if _same_parameters(parts):
        try:
            _remux(parts, out)
            return
        except (av.FFmpegError, PoseLabError):
            pass  # timestamps the muxer refuses: fall through to a re-encode
    _reencode(parts, out, info)


def _same_parameters(parts: list[Path]) -> bool:
    extradata = set()
    for part in parts:
        with av.open(str(part)) as container:
            extradata.add(bytes(container.streams.video[0].codec_context.extradata or b""))
    return len(extradata) == 1


def _remux(parts: list[Path], out: Path) -> None:
    with av.open(str(out), "w", options={"movflags": "+faststart"}) as output:
        target = None
        last_dts = None
        for part in parts:
            with av.open(str(part)) as source:
                stream = source.streams.video[0]
                if target is None:
                    target = output.add_stream_from_template(stream)
                for packet in source.demux(stream):
                    if packet.dts is None:
                        continue  # the demuxer's end-of-stream flush packet
                    if last_dts is not None and packet.dts <= last_dts:
                        raise PoseLabError("parts overlap in time")
                    last_dts = packet.dts
                    packet.stream = target
                    output.mux(packet)


def _reencode(parts: list[Path], out: Path, info: VideoInfo) -> None:
    with H264Writer(out, info.width, info.height, info.fps) as writer:
        for part in parts:
            with av.open(str(part)) as source:
                for frame in source.decode(video=0):
                    writer.write(frame.to_ndarray(format="rgb24"), float(frame.time or 0.0))
