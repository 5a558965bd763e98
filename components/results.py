"""Every result view of one finished analysis: the Analyze page, the Library and Live recordings call it.

Public API: ``show_results(analysis, display, key)``. Nothing here runs the model: views read the stored
``Analysis`` (sequence + source clip + annotated video), so display settings apply instantly.

Layout, for a person who would rather look than read:

    summary metrics (one row)
    [ annotated video            | 3D animation (play + slider) ]
    frame slider ---------------------------------------------------   <- a fragment: moving it reruns
    [ frame with 2D overlay      | 3D skeleton of that frame     ]       only the views below
    tabs: Time series | <extra tabs from RESULT_TABS> | Details

To add a tab (e.g. "Angles"): append ``("Angles", draw_fn)`` to ``RESULT_TABS``, where ``draw_fn(ctx:
ResultContext)`` draws into the current tab; ``ctx.frame_index`` / ``ctx.time_s`` is the inspected frame.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components.analyze_views import (
    details_view,
    display_width_px,
    overlay_image,
    people_world_xyz_m,
    timeseries_view,
)
from components.downloads import downloads_view
from components.events_view import events_view
from components.legend import show_legend
from components.page_scripts import camera_key, keep_3d_camera
from components.postures_view import postures_view
from components.result_context import ResultContext, frame_slider_key
from components.settings import DisplaySettings
from poselab.render.plot3d import animation_figure, skeleton_figure
from poselab.sequence import PoseSequence
from poselab.store.analysis import Analysis

ResultTab = tuple[str, Callable[[ResultContext], None]]

# Extra tabs between "Time series" and "Details"; other features register theirs here.
RESULT_TABS: list[ResultTab] = [(":material/warning: Events", events_view),
                                (":material/accessibility: Postures", postures_view)]


def show_results(analysis: Analysis, display: DisplaySettings, key: str) -> None:
    """Draws every view of ``analysis``; ``key`` keeps widgets of several result panels apart."""
    _summary_row(analysis)
    if analysis.summary()["frames_with_pose"] == 0:
        _nobody_found(analysis)
        return
    if analysis.sequence.video.is_image or analysis.sequence.num_frames < 2:
        _frame_views(ResultContext(analysis, display, key, 0))
        _tabs(ResultContext(analysis, display, key, 0))
        return
    _playback_row(analysis, display, key)
    _inspector(analysis, display, key)


def _summary_row(analysis: Analysis) -> None:
    facts = analysis.summary()
    _find_people_note(facts.get("find_people") or {})
    if analysis.sequence.video.is_image:
        cells = st.columns(5)
        cells[0].metric("Image", f"{facts['width']}×{facts['height']} px")
        elapsed_s = facts["elapsed_s"]
        cells[4].metric("Model time", f"{1000 * elapsed_s:.0f} ms" if elapsed_s else "–")
        _pose_metrics(facts, cells[1:4])
        return
    cells = st.columns(7)
    cells[0].metric("Frames", facts["frames"])
    cells[1].metric("Duration", f"{facts['duration_s']:.1f} s")
    cells[2].metric("Frame rate", f"{facts['fps']:.0f} fps" if facts["fps"] else "–")
    _pose_metrics(facts, cells[3:6])
    speed = facts["processing_fps"]
    cells[6].metric("Processing", f"{speed:.0f} fps" if speed else "–", help="Model speed on this server")


def _find_people_note(found: dict) -> None:
    """What the find-people mode added and what it cost, when it ran."""
    if found.get("mode", "off") == "off" or "extra_people" not in found:
        return
    people, searches = found["extra_people"], found["searches"]
    st.caption(f":material/group_add: **Find more people**: {people} extra {'person' if people == 1 else 'people'} "
               f"found by {searches} search{'' if searches == 1 else 'es'} (every {found['every_frames']} frames), "
               f"{found['extra_person_frames']} extra person-frames; cost "
               f"{found['extra_ms_per_frame']:.0f} ms per frame.")


def _nobody_found(analysis: Analysis) -> None:
    """No pose in any frame: say so and what to change, instead of views and tables of nothing."""
    settings = analysis.settings
    what = "photo" if analysis.sequence.video.is_image else "clip"
    st.warning(
        f"Nobody was found in this {what}. Lower the detection threshold (min_detection_confidence is "
        f"{settings.min_detection_confidence:.2f}; 0.5 is the default) or min_presence_confidence "
        f"({settings.min_presence_confidence:.2f}) in the sidebar, or try a heavier model than "
        f"**{settings.model}**. A person should be in full view.", icon=":material/person_off:")
    video = analysis.annotated_path
    if video is not None:
        info = analysis.sequence.video
        st.video(str(video), width=display_width_px(info.width, info.height) or "stretch")


def _pose_metrics(facts: dict, cells: list) -> None:
    cells[0].metric("People", facts["people_seen"], help="Person slots that held someone at least once")
    cells[1].metric("Detected", f"{100 * facts['detection_rate']:.0f} %", help="Frames with at least one pose")
    visibility = facts["mean_visibility"]
    cells[2].metric("Mean visibility", "–" if visibility is None else f"{visibility:.2f}",
                    help="Mean landmark visibility (0..1) over detected poses")


def _playback_row(analysis: Analysis, display: DisplaySettings, key: str) -> None:
    video_col, anim_col = st.columns(2, gap="medium")
    with video_col:
        st.subheader("Annotated video")
        video = analysis.annotated_path
        if video is not None:
            info = analysis.sequence.video
            st.video(str(video), width=display_width_px(info.width, info.height) or "stretch")
            st.caption("Skeleton drawn at visibility ≥ 0.5; the frame inspector below follows the sidebar.")
        else:
            st.info("No annotated video was stored for this analysis.")
    with anim_col:
        st.subheader("3D skeleton over the clip")
        figure = _animation(_cache_key(analysis), display.visibility_threshold, analysis.sequence)
        st.plotly_chart(figure, key=f"{key}.anim3d", config={"displaylogo": False})


@st.fragment
def _inspector(analysis: Analysis, display: DisplaySettings, key: str) -> None:
    """The frame slider and every view that follows it; a fragment so the video above is left alone."""
    sequence = analysis.sequence
    st.subheader("Frame inspector")
    # Numbered from 1 like the caption ("frame 1 of 65"); the exported tables count from 0 (documented there).
    number = st.slider("Frame", 1, sequence.num_frames, 1, key=frame_slider_key(key),
                       help="Pick a frame: the overlay, the 3D skeleton and the marker on the charts follow.")
    ctx = ResultContext(analysis, display, key, int(number) - 1)
    _frame_views(ctx)
    _tabs(ctx)


def _frame_views(ctx: ResultContext) -> None:
    sequence, index = ctx.sequence, ctx.frame_index
    image_col, skeleton_col = st.columns(2, gap="medium")
    with image_col:
        image_rgb = overlay_image(ctx.analysis, index, ctx.display)
        found = int(sequence.detected()[index].sum())
        caption = f"frame {index + 1} of {sequence.num_frames} · t = {ctx.time_s:.2f} s · {found} pose(s)"
        if image_rgb is None:
            st.warning("The source clip is not stored, so the frame cannot be shown.")
        else:
            height, width = image_rgb.shape[:2]
            st.image(image_rgb, caption=caption, width=display_width_px(width, height) or "stretch")
    with skeleton_col:
        world = people_world_xyz_m(sequence)[index]
        figure = skeleton_figure(world, sequence.visibility[index], ctx.display.visibility_threshold)
        with st.container(key=camera_key(f"{ctx.key}.frame3d")):
            st.plotly_chart(figure, key=f"{ctx.key}.frame3d", config={"displaylogo": False})
        keep_3d_camera()  # a new frame is a new chart for Streamlit: put the user's view back on it
        st.caption("Drag to rotate, scroll to zoom. Metres; the floor is under the lowest foot.")
    show_legend(sequence)


def _tabs(ctx: ResultContext) -> None:
    entries: list[ResultTab] = []
    if ctx.sequence.num_frames > 1:
        entries.append((":material/show_chart: Time series", timeseries_view))
    entries += RESULT_TABS
    entries.append((":material/download: Downloads", downloads_view))
    entries.append((":material/info: Details", details_view))
    for tab, (_, draw) in zip(st.tabs([title for title, _ in entries]), entries, strict=True):
        with tab:
            draw(ctx)


def _cache_key(analysis: Analysis) -> str:
    return f"{analysis.folder}|{analysis.content_hash}|{analysis.settings.key()}|{analysis.created_s}"


@st.cache_resource(max_entries=8, show_spinner=False)
def _animation(cache_key: str, threshold: float, _sequence: PoseSequence) -> object:
    """The animated 3D figure (about 0.7 s to build for 100 frames): built once per analysis and threshold.

    A resource, not data: shared read-only, so a rerun skips the 0.2 s copy cache_data would make.
    """
    world = people_world_xyz_m(_sequence)
    return animation_figure(_sequence.time_s, world, _sequence.visibility, threshold)


# Motion analysis (issue 5): angles, range of motion, reps and jitter, raw vs smoothed.
from components.motion_views import angles_view  # noqa: E402 - registers after RESULT_TABS exists

RESULT_TABS.append((":material/architecture: Angles", angles_view))

# Ergonomics (issue 15): RULA / REBA over time, breakdowns, worst moments, inputs and the HTML report.
from components.ergonomics_view import ergonomics_view  # noqa: E402 - registers after RESULT_TABS exists

RESULT_TABS.append((":material/health_and_safety: Ergonomics", ergonomics_view))
