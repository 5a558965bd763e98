"""Reading clips and images: sniff the container, probe it, stream upright RGB frames.

Only containers we support are opened, and always with an explicit demuxer and a file-only
protocol whitelist: a playlist (HLS, ffconcat) renamed ``.mp4`` is refused before FFmpeg could
follow what it refers to. Frames stream one at a time; a clip is never held whole in memory.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageOps

from poselab.errors import InputError
from poselab.media.framepool import FramePool
from poselab.sequence import VideoInfo

SUPPORTED_TYPES = ("mp4", "mov", "m4v", "webm", "avi", "mkv", "jpg", "jpeg", "png")
_SUPPORTED_TEXT = "mp4, mov, m4v, webm, avi, mkv, jpg or png"
_ISO_BOX_TYPES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_OPEN_OPTIONS = {"protocol_whitelist": "file"}
# FFmpeg's own choice is one decoding thread per core plus one, each holding frames of its own: at 1080x1920 that
# was about 40 MB of a heavy analysis's peak on 2 cores (issue 13: the 600 MB per process target), and more on
# bigger machines. Two threads decode 1080p H.264 far faster than any model runs.
DECODE_THREADS = 2


@dataclass(frozen=True)
class Limits:
    """What one analysis may ask of the server; each refusal names the limit it hit."""

    max_duration_s: float = 600.0
    max_frames: int = 36_000
    max_side_px: int = 4096
    min_side_px: int = 16

    @classmethod
    def from_env(cls) -> Limits:
        """The server's configured limits: POSELAB_MAX_DURATION_S, POSELAB_MAX_FRAMES, POSELAB_MAX_SIDE_PX."""
        base = cls()
        try:
            return cls(
                max_duration_s=float(os.environ.get("POSELAB_MAX_DURATION_S") or base.max_duration_s),
                max_frames=int(os.environ.get("POSELAB_MAX_FRAMES") or base.max_frames),
                max_side_px=int(os.environ.get("POSELAB_MAX_SIDE_PX") or base.max_side_px),
            )
        except ValueError as error:
            raise InputError(f"a POSELAB_MAX_* limit is not a number ({error})") from None


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its 0-based index, stream time and upright C-contiguous RGB pixels.

    ``pool``: the FramePool ``image_rgb`` belongs to, if any; whoever uses the frame last calls
    ``release`` (after drawing and encoding it, or right after detection when nothing is drawn).
    """

    index: int
    time_s: float
    image_rgb: np.ndarray
    pool: FramePool | None = None

    def release(self) -> None:
        """Gives the pixels back to their pool (no-op for a frame without one)."""
        if self.pool is not None:
            self.pool.release(self.image_rgb)


def sniff_kind(path: Path) -> str:
    """The demuxer to use ('mov', 'matroska', 'avi') or 'image'; raises InputError otherwise."""
    if not path.is_file():
        raise InputError(f"no such file: {path.name}")
    with open(path, "rb") as handle:
        head = handle.read(16)
    if not head:
        raise InputError(f"{path.name} is empty")
    if head[4:8] in _ISO_BOX_TYPES:
        return "mov"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "matroska"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image"
    raise InputError(f"{path.name} is not a supported video or image ({_SUPPORTED_TEXT})")


def probe(path: Path, limits: Limits = Limits()) -> VideoInfo:
    """Size, frame rate and length of a clip or image, checked against ``limits``."""
    kind = sniff_kind(path)
    try:
        info = _probe_image(path, limits) if kind == "image" else _probe_video(path, kind)
    except av.FFmpegError as error:  # found by fuzzing: a damaged file can fail the seek back to its start
        raise InputError(f"{path.name} is damaged: {_ffmpeg_reason(error)}") from None
    _check_limits(info, limits)
    return info


def iter_frames(path: Path, limits: Limits = Limits(), pool: FramePool | None = None) -> Iterator[Frame]:
    """Upright RGB frames in display order with stream timestamps (variable frame rate kept).

    With a ``pool`` (of the clip's upright shape) frames are decoded into its buffers: ``Frame.release`` them.
    """
    kind = sniff_kind(path)
    if kind == "image":
        yield Frame(0, 0.0, _read_image(path, limits))
        return
    with _open(path, kind) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.thread_count = DECODE_THREADS
        rate_fps = _frame_rate(stream)
        origin_s = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
        last_time_s = -math.inf
        index = 0
        first_size: tuple[int, int] | None = None
        try:
            for frame in container.decode(stream):
                if index >= limits.max_frames:
                    raise InputError(f"{path.name} has more than {limits.max_frames} frames (the limit)")
                first_size = first_size or (frame.width, frame.height)
                time_s = _frame_time_s(frame, index, rate_fps, origin_s, last_time_s)
                _check_frame(path.name, frame, first_size, time_s, limits)
                last_time_s = time_s
                yield Frame(index, time_s, to_upright_rgb(frame, pool and _acquire_for(path.name, frame, pool)), pool)
                index += 1
        except av.FFmpegError as error:
            raise InputError(f"{path.name} is damaged near frame {index}: {_ffmpeg_reason(error)}") from None
    if index == 0:
        raise InputError(f"{path.name} holds no decodable video frame")


def read_frame_at(path: Path, time_s: float) -> np.ndarray:
    """The upright RGB frame shown at ``time_s`` (seeks to the keyframe before it, then decodes)."""
    kind = sniff_kind(path)
    if kind == "image":
        return _read_image(path)
    with _open(path, kind) as container:
        stream = container.streams.video[0]
        # time_s counts from the stream start, as iter_frames does; frame.time counts from zero.
        shown_s = time_s + (float(stream.start_time * stream.time_base) if stream.start_time else 0.0)
        target = int(shown_s / stream.time_base) if stream.time_base else 0
        chosen = None
        try:
            container.seek(max(target, 0), stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                if chosen is not None and frame.time is not None and frame.time > shown_s + 1e-6:
                    break
                chosen = frame
        except av.FFmpegError as error:
            raise InputError(f"{path.name} is damaged near {time_s:.2f} s: {_ffmpeg_reason(error)}") from None
        if chosen is None:
            raise InputError(f"{path.name} has no frame at {time_s:.3f} s")
        return to_upright_rgb(chosen)


def to_upright_rgb(frame: av.VideoFrame, out: np.ndarray | None = None) -> np.ndarray:
    """RGB uint8, rotated by the display matrix, C-contiguous (MediaPipe finds nothing otherwise).

    ``out``: an upright-shaped C-contiguous buffer to convert into (a FramePool's) instead of a new array.
    """
    quarter_turns = round((frame.rotation or 0) / 90) % 4
    if out is None:
        image_rgb = frame.to_ndarray(format="rgb24")
        if quarter_turns:
            image_rgb = np.rot90(image_rgb, k=quarter_turns)
        return np.ascontiguousarray(image_rgb)
    # The same conversion as to_ndarray (swscale), read through the padded plane without a numpy copy.
    # PyAV cannot scale into a given frame, so its output is still allocated per frame; it is freed here,
    # on the thread that allocated it, and the allocator policy (allocator.py) gives it straight back.
    plane = frame.reformat(format="rgb24").planes[0]
    rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
    image_rgb = rows[:, : plane.width * 3].reshape(plane.height, plane.width, 3)
    np.copyto(out, np.rot90(image_rgb, k=quarter_turns) if quarter_turns else image_rgb)
    return out


def upright_shape(frame: av.VideoFrame) -> tuple[int, int, int]:
    """(height, width, 3) of the frame once turned upright."""
    turned = round((frame.rotation or 0) / 90) % 2
    return (frame.width, frame.height, 3) if turned else (frame.height, frame.width, 3)


def _acquire_for(name: str, frame: av.VideoFrame, pool: FramePool) -> np.ndarray:
    if upright_shape(frame) != pool.shape:
        raise InputError(f"{name} changes orientation mid-clip; re-encode it upright")
    return pool.acquire()


def _open(path: Path, kind: str) -> av.container.InputContainer:
    try:
        container = av.open(str(path), format=kind, options=_OPEN_OPTIONS)
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as error:
        raise InputError(f"{path.name} cannot be read as a video: {_ffmpeg_reason(error)}") from None
    if not container.streams.video:
        container.close()
        raise InputError(f"{path.name} has no video track (audio only?)")
    if container.streams.video[0].codec_context is None:  # found by fuzzing: a track of an unknown codec
        container.close()
        raise InputError(f"{path.name} has a video track in a format we cannot decode")
    return container


def _probe_video(path: Path, kind: str) -> VideoInfo:
    with _open(path, kind) as container:
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        rotation = _stream_rotation(container, stream)
        if rotation % 180:
            width, height = height, width
        fps = _frame_rate(stream)
        duration_s = _duration_s(container, stream)
        frames = stream.frames or (round(duration_s * fps) if fps else 0)
    return VideoInfo(
        width=int(width),
        height=int(height),
        fps=fps,
        frame_count=int(frames),
        duration_s=duration_s,
        rotation_deg=rotation,
        source_name=path.name,
    )


def _stream_rotation(container: av.container.InputContainer, stream: av.VideoStream) -> int:
    """Rotation of the first frame (where PyAV exposes the display matrix); 0 when unreadable."""
    try:
        frame = next(container.decode(stream))
    except (StopIteration, av.FFmpegError):
        return 0
    finally:
        container.seek(0)
    return int(frame.rotation or 0)


def _probe_image(path: Path, limits: Limits) -> VideoInfo:
    image_rgb = _read_image(path, limits)
    height, width = image_rgb.shape[:2]
    return VideoInfo(width, height, 0.0, 1, 0.0, 0, path.name, is_image=True)


def _read_image(path: Path, limits: Limits | None = None) -> np.ndarray:
    # Pillow rather than FFmpeg for stills: it applies the EXIF orientation phones write.
    try:
        with warnings.catch_warnings():  # Pillow's bomb warning: our own size limit below is stricter
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
        with image:
            if limits is not None:  # before decoding: a header may claim any size
                width, height = image.size
                _check_limits(VideoInfo(width, height, 0.0, 1, 0.0, 0, path.name, is_image=True), limits)
            upright = ImageOps.exif_transpose(image).convert("RGB")
            return np.ascontiguousarray(np.asarray(upright))
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise InputError(f"{path.name} cannot be read as an image: {error}") from None


def _frame_rate(stream: av.VideoStream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else 0.0


def _duration_s(container: av.container.InputContainer, stream: av.VideoStream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return 0.0


def _frame_time_s(frame: av.VideoFrame, index: int, rate_fps: float, origin_s: float, last_s: float) -> float:
    """Stream time of the frame from the stream start; a missing or repeated stamp uses the nominal rate."""
    if frame.time is not None and frame.time - origin_s > last_s:
        return float(frame.time - origin_s)
    step_s = 1 / (rate_fps or 30.0)
    return index * step_s if last_s == -math.inf else max(index * step_s, last_s + step_s)


def _check_frame(name: str, frame: av.VideoFrame, first_size: tuple[int, int], time_s: float,
                 limits: Limits) -> None:
    """Limits again while decoding: container headers may understate a crafted stream."""
    if (frame.width, frame.height) != first_size:
        raise InputError(f"{name} changes frame size mid-clip ({first_size[0]}x{first_size[1]} to "
                         f"{frame.width}x{frame.height}); re-encode it at one size")
    if time_s > limits.max_duration_s:
        raise InputError(f"{name} runs longer than {limits.max_duration_s:.0f} s (the duration limit)")


def _check_limits(info: VideoInfo, limits: Limits) -> None:
    name = info.source_name
    if min(info.width, info.height) < limits.min_side_px:
        raise InputError(f"{name} is {info.width}x{info.height} px; the minimum is {limits.min_side_px} px a side")
    if max(info.width, info.height) > limits.max_side_px:
        raise InputError(
            f"{name} is {info.width}x{info.height} px; the limit is {limits.max_side_px} px on the longer side"
        )
    if info.duration_s > limits.max_duration_s:
        raise InputError(f"{name} lasts {info.duration_s:.0f} s; the limit is {limits.max_duration_s:.0f} s")
    if info.frame_count > limits.max_frames:
        raise InputError(f"{name} has {info.frame_count} frames; the limit is {limits.max_frames}")


def _ffmpeg_reason(error: Exception) -> str:
    text = getattr(error, "strerror", None) or str(error)
    return text.split(":")[-1].strip() or "unreadable data"


def fraction_rate(fps: float) -> Fraction:
    """A frame rate as the exact fraction an encoder wants (29.97 -> 30000/1001)."""
    return Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(30)
