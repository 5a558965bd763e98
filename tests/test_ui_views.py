"""Issue 20's clarity items at the level of the views: what the pages show, without a browser.

Browser tests (tests/e2e/) show the same to a real user; these run in seconds (synthetic analyses, AppTest).
"""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from poselab.motion.reps import Rep
from poselab.render.colors import SIDE_RGB, css, person_rgb
from poselab.sequence import VideoInfo
from poselab.settings import InferenceSettings
from poselab.store.library import Library
from tests.conftest import REPO
from tests.store.test_library import make_analysis

# U+23xx holds the record and stop signs that once stood on the webcam's buttons
EMOJI = re.compile("[\U0001F000-\U0001FFFF\u2300-\u23FF\u2600-\u27BF\u2B00-\u2BFF\uFE0F]")


def test_dashboard_code_uses_material_icons_not_emoji() -> None:
    files = [REPO / "app.py", *sorted((REPO / "pages").glob("*.py")), *sorted((REPO / "components").glob("*.py"))]
    found = [f"{path.name}:{number}: {line.strip()}" for path in files
             for number, line in enumerate(path.read_text().splitlines(), 1) if EMOJI.search(line)]
    assert not found, found
    app = (REPO / "app.py").read_text()
    icons = re.findall(r'icon="([^"]*)"', app)
    assert len(icons) == 5 and all(icon.startswith(":material/") for icon in icons), icons
    # the favicon is a file of ours: a Material icon there is fetched from fonts.gstatic.com by every browser
    assert 'page_icon=str(Path(__file__).parent / "assets" / "poselab_icon.png")' in app
    assert (REPO / "assets" / "poselab_icon.png").is_file()


def test_legend_keys_sides_or_people_and_visibility() -> None:
    from components.legend import legend_html

    one = legend_html([0], several_slots=False)
    assert all(css(SIDE_RGB[side]) in one for side in ("left", "right", "centre"))
    assert "visibility" in one and "person" not in one
    two = legend_html([0, 1], several_slots=True)
    assert css(person_rgb(0)) in two and css(person_rgb(1)) in two and "person 1" in two
    assert css(SIDE_RGB["left"]) not in two


def test_reps_table_shows_hundredths_of_seconds_and_tenths_of_degrees() -> None:
    from components.motion_views import reps_table

    table = reps_table([Rep(0.123456, 1.987654, 95.55555, 170.04444)])
    assert table.loc[0, "start_s"] == 0.12 and table.loc[0, "end_s"] == 1.99 and table.loc[0, "duration_s"] == 1.86
    assert table.loc[0, "min_deg"] == 95.6 and table.loc[0, "max_deg"] == 170.0


def _save(library: Library, folder: Path, name: str, **settings) -> str:
    analysis = make_analysis(folder, name=name)
    analysis.settings = InferenceSettings(model="lite", **settings)
    analysis.save()
    return library.save(analysis).id


def test_library_tells_runs_of_one_clip_apart_by_their_settings(tmp_path: Path) -> None:
    from components.library_view import differing_settings, entry_label, library_table

    library = Library(tmp_path / "home")
    first = _save(library, tmp_path / "a", "squat.mp4")
    second = _save(library, tmp_path / "b", "squat.mp4", num_poses=2)
    third = _save(library, tmp_path / "c", "squat.mp4", num_poses=2, min_detection_confidence=0.8)
    entries = library.list()
    differs = differing_settings(entries)
    assert differs[first] == "people 1 · detection 0.5"
    assert differs[third] == "people 2 · detection 0.8"
    labels = {entry_label(e, differs[e.id]) for e in entries}
    assert len({label.split(" · 20")[0] for label in labels}) == 3  # distinct before the date
    table = library_table(entries).set_index("id")
    assert table.loc[second, "people"] == 2 and table.loc[third, "thresholds (det / pres / track)"] == "0.8 / 0.5 / 0.5"


def _sidebar_app() -> None:
    import streamlit as st

    from components.settings import settings_sidebar

    if st.session_state.get("page", "analyze") == "analyze":
        settings_sidebar("analyze")


def test_sidebar_settings_survive_a_visit_to_another_page() -> None:
    at = AppTest.from_function(_sidebar_app).run()
    at.sidebar.select_slider(key="analyze.model").set_value("heavy")
    at.sidebar.slider(key="analyze.det").set_value(0.8)
    at.sidebar.number_input(key="analyze.num_poses").set_value(3)
    at.sidebar.toggle(key="analyze.seg").set_value(True)
    at.run()
    at.session_state["page"] = "library"
    at.run()
    at.run()  # the widgets are gone: Streamlit has dropped their values
    assert "analyze.model" not in at.session_state
    at.session_state["page"] = "analyze"
    at.run()
    assert not at.exception
    assert at.sidebar.select_slider(key="analyze.model").value == "heavy"
    assert at.sidebar.slider(key="analyze.det").value == 0.8
    assert at.sidebar.number_input(key="analyze.num_poses").value == 3
    assert at.sidebar.toggle(key="analyze.seg").value is True


ANALYZE = str(REPO / "pages" / "analyze.py")
COMPARE = str(REPO / "pages" / "compare.py")


def test_nobody_found_says_so_and_suggests_a_lower_threshold(test_data: Path, model_dir: Path) -> None:
    at = AppTest.from_file(ANALYZE, default_timeout=180).run()
    at.sidebar.select_slider(key="analyze.model").set_value("lite")
    at.sidebar.slider(key="analyze.det").set_value(1.0)
    at.file_uploader(key="analyze.upload").set_value(
        ("pose.jpg", (test_data / "mediapipe" / "pose.jpg").read_bytes(), "image/jpeg"))
    at.run()
    assert not at.exception and not at.error
    warning = " ".join(w.value for w in at.warning)
    assert "Nobody was found in this photo" in warning and "Lower the detection threshold" in warning
    assert "1.00" in warning
    assert not at.dataframe and not at.get("plotly_chart")  # no tables or charts of nothing


def test_photo_angles_have_no_smoothing_or_speed(test_data: Path, model_dir: Path) -> None:
    at = AppTest.from_file(ANALYZE, default_timeout=180).run()
    at.sidebar.select_slider(key="analyze.model").set_value("lite")
    at.file_uploader(key="analyze.upload").set_value(
        ("pose.jpg", (test_data / "mediapipe" / "pose.jpg").read_bytes(), "image/jpeg"))
    at.run()
    assert not at.exception and not at.error
    columns = [list(frame.value.columns) for frame in at.dataframe]
    assert ["angle", "angle_deg"] in columns
    assert not any("speed_deg_s" in c or "range_deg" in c for c in columns)
    assert not [s for s in at.selectbox if s.label == "Landmark smoothing"]
    assert "analyze.show_raw" not in at.session_state


def _photo(folder: Path, library: Library) -> str:
    analysis = make_analysis(folder, name="photo.jpg", frames=1)
    analysis.sequence.video = VideoInfo(640, 480, 0.0, 1, 0.0, is_image=True)
    analysis.save()
    return library.save(analysis).id


def test_compare_every_angle_table_names_its_rows_and_a_photo_is_not_nobody(tmp_path: Path) -> None:
    library = Library()
    _save(library, tmp_path / "a", "week1.mp4")
    _save(library, tmp_path / "b", "week2.mp4")
    at = AppTest.from_file(COMPARE, default_timeout=60).run()
    assert not at.exception and not at.error
    every = at.dataframe[-1].value
    assert {"signal", "metric", "A", "B", "B - A"} <= set(every.columns)
    assert "left_knee_deg" in set(every["signal"]) and "reps" in set(every["metric"])

    _photo(tmp_path / "p", library)
    at.run()
    choice = at.selectbox(key="compare.a")
    choice.select_index(next(i for i, label in enumerate(choice.options) if label.startswith("photo.jpg"))).run()
    assert not at.exception and not at.error
    assert not any("nobody was found" in w.value for w in at.warning)
    assert any("A is a photo" in i.value for i in at.info)
    table = at.dataframe[-1].value
    knee = table.set_index("angle").loc["left knee (deg)"]
    assert knee["A"] != "–" and " – " in knee["B"]  # the photo's value beside the clip's range


def test_compare_opens_with_two_clips_when_a_photo_is_among_the_newest(tmp_path: Path) -> None:
    library = Library()
    _save(library, tmp_path / "a", "week1.mp4")
    _save(library, tmp_path / "b", "week2.mp4")
    _photo(tmp_path / "p", library)  # newest
    at = AppTest.from_file(COMPARE, default_timeout=60).run()
    assert not at.exception and not at.error
    names = {library.get(at.selectbox(key=k).value).name for k in ("compare.a", "compare.b")}
    assert names == {"week1.mp4", "week2.mp4"}
    assert not at.warning
