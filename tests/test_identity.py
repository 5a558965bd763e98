"""Sign-in and ownership in the pages, without a browser: app.py through AppTest with and without an
``[auth]`` section, the principal taken from the identity token's claims, and the Library page as one user.

The real sign-in (an OpenID Connect provider, Streamlit's /auth routes and cookie) is tests/e2e/test_sign_in.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components.identity import principal_from_claims
from poselab.errors import PoseLabError
from poselab.store.library import Library
from poselab.store.owners import LOCAL_USER, Principal
from tests.store.test_library import make_analysis

REPO = Path(__file__).resolve().parents[1]
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "poselab",
        "client_secret": "s", "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


def test_the_principal_is_the_issuer_and_subject_of_the_token() -> None:
    person = principal_from_claims({"iss": "https://login.example.org", "sub": "42", "email": "a@example.org",
                                    "name": "Ann"})
    assert person == Principal("https://login.example.org", "42", email="a@example.org", name="Ann")
    assert person.key == "https://login.example.org|42"
    with pytest.raises(PoseLabError, match="issuer or subject"):
        principal_from_claims({"email": "a@example.org"})  # an e-mail alone names nobody for good


def _sidebar_text(at: AppTest) -> str:
    return " ".join(str(c.value) for c in at.sidebar.caption)


def test_without_auth_the_dashboard_is_single_user_and_says_so() -> None:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert "Single-user mode" in _sidebar_text(at)
    assert any("Analyze a clip" in t.value for t in at.title)
    assert not [b for b in at.button if b.label == "Sign in"]


def test_with_auth_a_visitor_sees_the_sign_in_screen_and_nothing_else() -> None:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.secrets["auth"] = AUTH
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not any("Analyze a clip" in t.value for t in at.title)
    assert "Single-user mode" not in _sidebar_text(at)


def test_a_page_run_without_app_py_still_asks_for_sign_in() -> None:
    """Streamlit can run a page script bare (a deep link as a server's first request): the library is only
    reached through current_user(), which stops a visitor there."""
    at = AppTest.from_file(str(REPO / "pages" / "library.py"), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe


def test_the_library_page_of_the_local_user_holds_only_theirs(tmp_path: Path) -> None:
    other = Principal("https://login.example.org", "someone-else", email="o@example.org")
    Library(user=LOCAL_USER).save(make_analysis(tmp_path / "a", name="mine"))
    theirs = Library(user=other).save(make_analysis(tmp_path / "b", name="not mine"))
    at = AppTest.from_file(str(REPO / "pages" / "library.py"), default_timeout=60)
    at.query_params["open"] = theirs.id  # a link to someone else's analysis
    at.run()
    assert not at.exception
    assert any(f"no analysis has the id '{theirs.id}'" in e.value for e in at.error)
    assert any("1 of 1 analyses" in c.value for c in at.caption)
    assert list(at.dataframe[0].value["name"]) == ["mine"]


def test_a_large_library_is_shown_a_page_at_a_time_and_a_link_turns_to_its_page(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import components.library_view as library_view

    monkeypatch.setattr(library_view, "PAGE_SIZE", 5)
    library = Library(user=LOCAL_USER)
    template = make_analysis(tmp_path / "a", name="x")
    ids = []
    for index in range(12):
        template.name = f"session {index:02d}"
        template.created_s = 1_000_000 + index  # newest first: session 11 on page 1, session 00 on page 3
        ids.append(library.save(template).id)
    at = AppTest.from_file(str(REPO / "pages" / "library.py"), default_timeout=60).run()
    assert any("12 of 12 analyses" in c.value for c in at.caption)
    assert list(at.dataframe[0].value["name"]) == [f"session {i:02d}" for i in (11, 10, 9, 8, 7)]
    assert len(at.selectbox[1].options) == 5  # the picker (after Sort): this page only
    at.number_input(key="library.page").set_value(3).run()
    assert list(at.dataframe[0].value["name"]) == ["session 01", "session 00"]

    linked = AppTest.from_file(str(REPO / "pages" / "library.py"), default_timeout=60)
    linked.query_params["open"] = ids[6]  # session 06: page 2
    linked.run()
    assert linked.number_input(key="library.page").value == 2
    assert "session 06" in list(linked.dataframe[0].value["name"])
