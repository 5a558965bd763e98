"""The Live webcam panel: the browser's camera over WebRTC, the live figures, and recording.

The media thread belongs to streamlit-webrtc and runs ``poselab.live.processor.LiveProcessor`` (one per
connection, with its own landmarker). This module never waits on it: each rerun hands it the
sidebar's settings, and fragments on a timer read its locked snapshot.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from components.ergonomics_view import live_rula_panel
from components.identity import current_user
from components.library_store import user_library
from components.live_events import live_events_panel
from components.motion_views import live_reps_panel
from components.settings import DisplaySettings
from poselab.engine.models import ensure_model
from poselab.errors import PoseLabError
from poselab.live import encoders
from poselab.live.ice import ICE_ENV, parse_ice_servers
from poselab.live.processor import HISTORY_S, LiveProcessor, LiveSnapshot, LiveStats
from poselab.live.recording import new_recording_folder
from poselab.render.overlay import OverlayStyle
from poselab.render.plot3d import skeleton_figure, to_plot_xyz
from poselab.render.timeseries import COORDINATES, landmark_timeseries
from poselab.sequence import PoseSequence
from poselab.settings import InferenceSettings
from poselab.skeleton import LANDMARK_NAMES
from poselab.store.analysis import Analysis

# How often the timed fragments rerun. Each rerun runs in the server process that also runs the video (the
# WebRTC loop, the codecs and the model share its interpreter lock) and makes the browser redraw the panel, on
# the same cores as the video (issue 13): 4.2 reruns a second, down from 9.2. The metrics and the fall alert
# (one fragment) twice a second; the chart, the rep count and RULA (one fragment) once a second: the reps are
# counted from every frame of the history either way.
PANEL_EVERY_S = 0.5
SLOW_PANEL_EVERY_S = 1.0
encoders.install()  # each annotated frame encoded and sent once, VP8 cheaper: see poselab/live/encoders.py
# The 3D snapshot. Each refresh makes the browser redraw the WebGL scene: without a GPU (software WebGL) that
# measured about 1.2 s of CPU in Chromium's GPU process per refresh, 0.6 of a core at one every 2 s, taken
# from the video on a 2-core machine (bench/live_browser_bench.py, issue 13). Rotating it is easier too.
SKELETON_EVERY_S = 5.0
CAMERA_CONSTRAINTS = {"video": {"width": {"ideal": 640}, "height": {"ideal": 480}}, "audio": False}
TRANSLATIONS = {
    "start": "START",
    "stop": "STOP",
    "media_api_not_available": "This browser cannot use a camera here. Open PoseLab over HTTPS or on localhost.",
    "device_ask_permission": "Allow PoseLab to use your camera when the browser asks.",
    "device_not_available": "No camera found. Connect a webcam (or close apps holding it) and press START again.",
    "device_access_denied": "Camera access was denied. Allow the camera for this site in the browser's address "
                            "bar, then press START again.",
}

CAMERA_HELP = (
    "**Camera trouble?**  \n"
    "**NotAllowedError**: camera access was denied. Allow the camera for this site (icon in the address bar), "
    "then press START again.  \n"
    "**NotFoundError** or **NotReadableError**: no usable camera. Connect one or close the apps using it, then "
    "press START again.  \n"
    "**No START button or camera list**: browsers give the camera only to `https://` pages and localhost.  \n"
    "**START keeps spinning**: the video cannot reach the server; a remote deployment needs STUN/TURN servers "
    "(`POSELAB_ICE_SERVERS`, see docs/live.md)."
)


@dataclass
class LiveHolder:
    """Per browser session: the processors streamlit-webrtc made, and the recording shown below."""

    settings: InferenceSettings = field(default_factory=InferenceSettings)
    style: OverlayStyle = field(default_factory=OverlayStyle)
    processor: LiveProcessor | None = None
    analysis: Analysis | None = None

    def make_processor(self) -> LiveProcessor:
        # Called by streamlit-webrtc for each new connection, possibly off the script thread.
        self.processor = LiveProcessor(self.settings, self.style)
        return self.processor


def ice_servers() -> list[dict]:
    """POSELAB_ICE_SERVERS (JSON) first, then ``ice_servers`` in Streamlit secrets, else none (LAN)."""
    text = os.environ.get(ICE_ENV)
    if not text:
        try:
            secret = st.secrets.get("ice_servers")
        except (FileNotFoundError, KeyError, OSError):  # no secrets.toml at all
            secret = None
        if secret is not None:
            text = secret if isinstance(secret, str) else json.dumps([dict(s) for s in secret])
    return parse_ice_servers(text)


def webcam_panel(settings: InferenceSettings, display: DisplaySettings, key: str = "live") -> None:
    """The whole Live page below the sidebar."""
    holder: LiveHolder = st.session_state.setdefault(f"{key}.holder", LiveHolder())
    ready = _model_ready(settings)
    if ready:
        holder.settings = settings
    holder.style = OverlayStyle(visibility_threshold=display.visibility_threshold, show_mask=display.show_mask)
    try:
        servers = ice_servers()
    except PoseLabError as error:
        st.error(f"{error}. Using no ICE servers (fine on localhost and a LAN).")
        servers = []
    # Each timed fragment sits in its own container: its reruns then write into a block whose place
    # never shifts when the rest of the page changes (else the browser fails with "setIn ... ElementNode").
    with st.container():
        live_status(holder, key)
    video_col, live_col = st.columns([3, 2], gap="medium")
    with video_col:
        ctx = webrtc_streamer(
            key=f"{key}.webrtc", mode=WebRtcMode.SENDRECV, rtc_configuration={"iceServers": servers},
            media_stream_constraints=CAMERA_CONSTRAINTS, video_processor_factory=holder.make_processor,
            async_processing=True, translations=TRANSLATIONS,
        )
        st.caption("Press START and allow the camera. Settings in the sidebar apply while the stream runs.")
    playing = bool(ctx.state.playing)
    if not playing:
        # The browser's camera errors appear inside the video box under their DOM names: decode them here.
        video_col.info(CAMERA_HELP)
    processor = ctx.video_processor or holder.processor
    if ctx.video_processor is not None and ready:
        ctx.video_processor.configure(holder.settings, holder.style)
    with live_col:
        with st.container():
            live_chart(holder, key)
        with st.container():
            skeleton_snapshot(holder, key)
    with st.container():
        live_reps_and_rula(holder, key)
    _record_controls(holder, processor, playing, key)
    recording_results(holder, display, key)


def _snapshot(holder: LiveHolder, history: bool = True) -> LiveSnapshot:
    return holder.processor.snapshot(history) if holder.processor is not None else LiveSnapshot(LiveStats())


def _model_ready(settings: InferenceSettings) -> bool:
    """Fetches a missing model here, so a download never stalls the video on the media thread."""
    try:
        with st.spinner(f"Getting the {settings.model} model…"):
            ensure_model(settings.model)
    except PoseLabError as error:
        st.error(str(error))
        return False
    return True


@st.fragment(run_every=PANEL_EVERY_S)
def live_status(holder: LiveHolder, key: str) -> None:
    """The metrics, then the fall alert within about a second of the impact, the session's falls, the posture."""
    snapshot = _snapshot(holder)
    live_metrics(snapshot.stats)
    live_events_panel(snapshot.history, key)


def live_metrics(stats: LiveStats) -> None:
    """FPS, latency and poses detected (frames with a pose since the stream started)."""
    cells = st.columns(4)
    cells[0].metric("FPS", f"{stats.fps:.1f}", help="Frames processed per second over the last 2 s")
    cells[1].metric("Latency (ms)", f"{stats.latency_ms:.0f}",
                    help=f"From a frame's arrival to its annotated copy; the model itself: {stats.inference_ms:.0f} ms")
    cells[2].metric("Poses detected", stats.frames_with_pose, help="Frames with a pose since the stream started")
    dropped = stats.frames_dropped / stats.frames_received if stats.frames_received else 0.0
    cells[3].metric("Dropped", f"{100 * dropped:.0f} %", help="Stale frames skipped to stay real-time")
    if stats.frames_received:
        st.caption(received_caption(stats))
    if stats.recording:
        st.caption(f":material/fiber_manual_record: Recording: {stats.recorded_frames} frames")
    if stats.error:
        st.error(stats.error)


def received_caption(stats: LiveStats) -> str:
    """The video as the server receives it (browsers lower it when they struggle) and the frame counters."""
    width, height = stats.frame_size
    return (f"Video received: {width}×{height} · {stats.frames_received:,} frames received, "
            f"{stats.frames_dropped:,} dropped")


@st.fragment(run_every=SLOW_PANEL_EVERY_S)
def live_chart(holder: LiveHolder, key: str) -> None:
    """A rolling chart of one landmark coordinate over the last seconds."""
    pick_col, coord_col = st.columns(2)
    landmark = pick_col.selectbox("Landmark", LANDMARK_NAMES, index=LANDMARK_NAMES.index("left_wrist"),
                                  key=f"{key}.landmark")
    coordinate = coord_col.selectbox("Coordinate", list(COORDINATES), index=1, key=f"{key}.coordinate")
    history = _snapshot(holder).history
    if history is None or history.num_frames < 2:
        st.info(f"The chart of the last {HISTORY_S:.0f} s starts with the stream.")
        return
    figure = landmark_timeseries(history, [landmark], coordinate,
                                 visibility_threshold=holder.style.visibility_threshold)
    figure.update_layout(height=260)
    st.plotly_chart(figure, key=f"{key}.rolling", config={"displaylogo": False})


@st.fragment(run_every=SLOW_PANEL_EVERY_S)
def live_reps_and_rula(holder: LiveHolder, key: str) -> None:
    """Repetitions counted as they happen (from every frame since the last refresh: none is missed while the
    refresh is shorter than the history), and the current RULA score (issue 15). One fragment, one rerun."""
    history = _snapshot(holder).history
    live_reps_panel(history, key)
    live_rula_panel(history)


@st.fragment(run_every=SKELETON_EVERY_S)
def skeleton_snapshot(holder: LiveHolder, key: str) -> None:
    """The newest 3D skeleton; rotate it with the mouse (the view is kept between refreshes)."""
    history = _snapshot(holder).history
    if history is None:
        return
    figure = live_skeleton_figure(history, holder.style.visibility_threshold)
    figure.update_layout(height=360)
    st.plotly_chart(figure, key=f"{key}.skeleton3d", config={"displaylogo": False})


def live_skeleton_figure(history: PoseSequence, threshold: float) -> go.Figure:
    """The newest skeleton in a box and over a floor that stay put between refreshes.

    Fitted to each new frame, the axis ranges and the floor changed on every refresh and the skeleton jumped as
    the axes rescaled. Here they come from the rolling history, rounded, so they rarely change. (It does not
    make a refresh cheaper for the browser: measured, each still costs about 1.2 s of CPU in software WebGL.)
    World coordinates are centred between the hips, so a box centred on 0 holds the person."""
    figure = skeleton_figure(history.world_xyz_m[-1], history.visibility[-1], threshold)
    xyz = to_plot_xyz(history.world_xyz_m)
    finite = xyz[np.isfinite(xyz).all(axis=-1)]
    if not finite.size:
        return figure
    half = max(1.0, math.ceil(float(np.abs(finite[:, :2]).max()) * 1.1 / 0.25) * 0.25)
    floor = math.floor(float(finite[:, 2].min()) / 0.1) * 0.1
    half = max(half, math.ceil((float(finite[:, 2].max()) - floor) / 2 / 0.25) * 0.25)
    ranges = [[-half, half], [-half, half], [floor - 0.05, floor - 0.05 + 2 * half]]
    figure.update_layout(scene={"xaxis": {"range": ranges[0]}, "yaxis": {"range": ranges[1]},
                                "zaxis": {"range": ranges[2]}})
    figure.update_traces({"x": [[-half, half], [-half, half]], "y": [[-half, -half], [half, half]],
                          "z": [[floor, floor], [floor, floor]]}, selector={"name": "floor"})
    return figure


def _record_controls(holder: LiveHolder, processor: LiveProcessor | None, playing: bool, key: str) -> None:
    recording = processor is not None and processor.snapshot(history=False).stats.recording
    if processor is not None and processor.finished:  # the stream stopped while recording
        holder.analysis = processor.finished.pop()
    if recording:
        if st.button("Stop recording", icon=":material/stop_circle:", key=f"{key}.stop", type="primary"):
            try:
                holder.analysis = processor.stop_recording()
            except PoseLabError as error:
                st.error(str(error))
            st.rerun()
        return
    if st.button("Start recording", icon=":material/fiber_manual_record:", key=f"{key}.start",
                 disabled=not playing or processor is None,
                 help="Records the annotated video and the landmarks; stop to open them as an analysis."):
        processor.start_recording(new_recording_folder(), owner=current_user())
        st.rerun()


def recording_results(holder: LiveHolder, display: DisplaySettings, key: str) -> None:
    analysis = holder.analysis
    if analysis is None:
        return
    st.divider()
    st.subheader(f"Recording: {analysis.name}")
    if analysis.sequence.num_frames == 0:
        st.warning("The recording holds no frames.")
        return
    if analysis.extra.get("library_id"):  # saved when the recording stopped: a second entry would be a copy
        st.caption("Saved in the library (Library page): rename it, add notes or delete it there.")
    elif st.button("Save to library", key=f"{key}.save", help="The automatic save failed: try again"):
        _save_to_library(analysis)
    try:
        from components.results import show_results
    except ImportError:  # the Analyze views not there yet: the video alone
        st.video(str(analysis.annotated_path))
        return
    show_results(analysis, display, key=f"{key}.results.{int(analysis.created_s * 1000)}")


def _save_to_library(analysis: Analysis) -> None:
    try:
        entry = user_library().save(analysis, kind="live")
    except PoseLabError as error:
        st.error(str(error))
    else:
        analysis.extra["library_id"] = entry.id
        st.success(f"Saved to the library as “{entry.name}”.")
