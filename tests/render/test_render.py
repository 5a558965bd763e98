"""Renderers: the 2D overlay draws where the landmarks are; 3D figures are upright, equal-scaled, animated."""

from __future__ import annotations

import json

import numpy as np
import plotly.io as pio

from poselab.render.overlay import OverlayStyle, draw_pose
from poselab.render.plot3d import animation_figure, skeleton_figure, to_plot_xyz
from poselab.render.timeseries import landmark_timeseries
from poselab.sequence import PoseSequence, VideoInfo
from poselab.skeleton import LANDMARK_INDEX, NUM_LANDMARKS


def _standing_world(frames: int = 1) -> np.ndarray:
    """(T, 1, 33, 3) metres, MediaPipe axes (y down): head at -0.7, feet at +0.9."""
    world = np.zeros((frames, 1, NUM_LANDMARKS, 3), np.float32)
    world[..., 1] = np.linspace(-0.7, 0.9, NUM_LANDMARKS)
    world[..., 0] = np.linspace(-0.2, 0.2, NUM_LANDMARKS)
    return world


def test_overlay_draws_only_visible_landmarks() -> None:
    image = np.zeros((100, 100, 3), np.uint8)
    xy = np.full((1, NUM_LANDMARKS, 2), np.nan, np.float32)
    visibility = np.zeros((1, NUM_LANDMARKS), np.float32)
    knee, ankle = LANDMARK_INDEX["left_knee"], LANDMARK_INDEX["left_ankle"]
    xy[0, knee], xy[0, ankle] = (20, 20), (80, 80)
    visibility[0, knee] = 0.9
    visibility[0, ankle] = 0.2
    drawn = draw_pose(image, xy, visibility, style=OverlayStyle(visibility_threshold=0.5))
    assert drawn[20, 20].sum() > 0 and drawn[80, 80].sum() == 0 and drawn[50, 50].sum() == 0
    both = draw_pose(image, xy, visibility, style=OverlayStyle(visibility_threshold=0.1))
    assert both[50, 50].sum() > 0  # the knee-ankle bone now shows
    assert image.sum() == 0  # the input frame is left untouched


def test_overlay_tints_the_mask() -> None:
    image = np.zeros((40, 40, 3), np.uint8)
    mask = np.zeros((10, 10), np.uint8)
    mask[:, :5] = 255
    xy = np.full((1, NUM_LANDMARKS, 2), np.nan, np.float32)
    drawn = draw_pose(image, xy, np.zeros((1, NUM_LANDMARKS)), mask=mask)
    assert drawn[20, 5].sum() > 50 and drawn[20, 35].sum() == 0


def test_3d_frame_is_upright_with_equal_axes_and_a_floor() -> None:
    world = _standing_world()[0]
    figure = skeleton_figure(world, np.ones((1, NUM_LANDMARKS)))
    xyz = to_plot_xyz(world)
    assert xyz[0, 0, 2] > xyz[0, -1, 2]  # the nose is above the feet
    scene = figure.layout.scene
    spans = [np.diff(axis.range)[0] for axis in (scene.xaxis, scene.yaxis, scene.zaxis)]
    assert np.allclose(spans, spans[0]) and scene.aspectmode == "cube"
    assert any(trace.type == "surface" for trace in figure.data)
    assert any(trace.type == "scatter3d" for trace in figure.data)


def test_animation_has_play_button_slider_and_subsamples_long_clips() -> None:
    frames = 400
    world = _standing_world(frames)
    figure = animation_figure(np.arange(frames) / 30, world, np.ones((frames, 1, NUM_LANDMARKS)), max_frames=50)
    assert len(figure.frame_dicts) == 50
    assert figure.layout.updatemenus[0].buttons[0].method == "animate"
    assert len(figure.layout.sliders[0].steps) == 50
    sent = json.loads(pio.to_json(figure))  # what st.plotly_chart sends: frames included, valid JSON
    assert len(sent["frames"]) == 50 and sent["frames"][0]["traces"] == [0]
    assert len(sent["frames"][0]["data"][0]["x"]) == len(sent["data"][0]["x"])


def test_3d_hides_landmarks_below_the_threshold_and_their_bones() -> None:
    world = _standing_world()[0]
    visibility = np.ones((1, NUM_LANDMARKS))
    visibility[0, LANDMARK_INDEX["left_knee"]] = 0.2
    assert "left_knee" in _drawn_names(skeleton_figure(world, visibility))
    drawn = _drawn_names(skeleton_figure(world, visibility, threshold=0.5))
    assert "left_knee" not in drawn and "left_ankle" in drawn  # the ankle still has its foot bones


def _drawn_names(figure: object) -> set[str]:
    trace = figure.data[0]
    return {name for name, x in zip(trace.text, trace.x, strict=True) if x is not None and np.isfinite(x)}


def test_timeseries_has_a_trace_per_landmark_and_marks_the_time() -> None:
    frames = 5
    xy = np.random.default_rng(0).uniform(0, 100, (frames, 1, NUM_LANDMARKS, 2)).astype(np.float32)
    ones = np.ones((frames, 1, NUM_LANDMARKS), np.float32)
    sequence = PoseSequence(np.arange(frames) / 10, xy, ones, ones, ones, _standing_world(frames),
                            VideoInfo(100, 100, 10.0, frames, 0.5))
    figure = landmark_timeseries(sequence, ["left_knee", "right_knee"], "x (px)", marker_time_s=0.2)
    assert [trace.name for trace in figure.data] == ["left_knee", "right_knee"]
    np.testing.assert_allclose(figure.data[0].y, xy[:, 0, LANDMARK_INDEX["left_knee"], 0])
    assert figure.layout.shapes[0].x0 == 0.2


def test_world_y_chart_puts_up_upwards() -> None:
    frames = 5
    ones = np.ones((frames, 1, NUM_LANDMARKS), np.float32)
    xy = np.zeros((frames, 1, NUM_LANDMARKS, 2), np.float32)
    sequence = PoseSequence(np.arange(frames) / 10, xy, ones, ones, ones, _standing_world(frames),
                            VideoInfo(100, 100, 10.0, frames, 0.5))
    # MediaPipe's world y grows downwards (feet +0.9, head -0.7): a reversed axis draws the feet below the head
    assert landmark_timeseries(sequence, ["nose"], "world y (m)").layout.yaxis.autorange == "reversed"
    assert landmark_timeseries(sequence, ["nose"], "y (px)").layout.yaxis.autorange == "reversed"
    assert landmark_timeseries(sequence, ["nose"], "world x (m)").layout.yaxis.autorange != "reversed"


def test_people_have_colours_of_their_own_and_a_legend_in_3d() -> None:
    from poselab.render.colors import PERSON_RGB, SIDE_RGB, visibility_rgb

    sides = set(SIDE_RGB.values())
    dots = {tuple(int(c) for c in rgb) for rgb in visibility_rgb(np.linspace(0, 1, 11))}
    assert len(set(PERSON_RGB)) == len(PERSON_RGB)
    assert not (set(PERSON_RGB) & (sides | dots))
    world = np.concatenate([_standing_world(), _standing_world()], axis=1)[0]  # (2, 33, 3)
    figure = skeleton_figure(world, np.ones((2, NUM_LANDMARKS)))
    people = [trace for trace in figure.data if trace.type == "scatter3d"]
    assert [(t.name, t.showlegend) for t in people] == [("person 0", True), ("person 1", True)]
    single = skeleton_figure(world[:1], np.ones((1, NUM_LANDMARKS)))
    assert not any(t.showlegend for t in single.data if t.type == "scatter3d")


def test_two_people_are_drawn_in_person_colours_not_side_colours() -> None:
    from poselab.render.colors import SIDE_RGB, person_rgb

    image = np.zeros((600, 600, 3), np.uint8)
    xy = np.random.default_rng(1).uniform(20, 580, (2, NUM_LANDMARKS, 2)).astype(np.float32)  # long bones
    drawn = draw_pose(image, xy, np.ones((2, NUM_LANDMARKS)), style=OverlayStyle(colour_by_visibility=False))
    colours = {tuple(int(c) for c in px) for px in drawn.reshape(-1, 3)}
    assert person_rgb(0) in colours and person_rgb(1) in colours
    assert SIDE_RGB["left"] not in colours and SIDE_RGB["right"] not in colours
