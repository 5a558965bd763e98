"""Sign-in and private libraries in a real Chromium, against a local OpenID Connect provider
(``oidc-provider-mock``, started here on 127.0.0.1 and stopped by PID) and a dashboard whose secrets.toml
(a temporary one, through ``--secrets.files``) has an ``[auth]`` section pointing at it.

Alice and Bob each analyse a photo (the same bytes: Bob's upload must not be answered from Alice's run);
each sees only their own; Bob is refused Alice's analysis by its id (a deep link) and so gets no download of
it; after Alice shares it with him he sees it read-only; signing out ends the session.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.services import Service, auth_secrets, free_port, start_oidc_provider, streamlit_replica
from poselab.store.library import Library
from tests.e2e.conftest import CHROMIUM

pytestmark = pytest.mark.e2e
RESULTS_TIMEOUT_MS = 180_000
USERS = [{"sub": "alice", "email": "alice@example.org", "name": "Alice Archer"},
         {"sub": "bob", "email": "bob@example.org", "name": "Bob Baker"}]


@pytest.fixture(scope="module")
def signed_app(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    if not CHROMIUM.is_file():
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium")
    pytest.importorskip("oidc_provider_mock", reason="the sign-in test needs oidc-provider-mock (requirements-dev)")
    work = tmp_path_factory.mktemp("sign-in")
    started: list[Service] = []
    try:
        provider = start_oidc_provider(free_port(), USERS, work / "oidc.log")
        started.append(provider)
        port = free_port()
        secrets_toml = auth_secrets(work / "secrets.toml", f"http://127.0.0.1:{port}", provider.url,
                                    secrets.token_hex(32))
        env = {"POSELAB_HOME": str(work / "home"), "POSELAB_MODEL_DIR": str(model_dir),
               "XDG_CACHE_HOME": str(work / "cache")}
        app = streamlit_replica(port, env, work / "app.log", secrets=secrets_toml, name="dashboard")
        started.append(app)
        app.extra["home"] = work / "home"
        yield app
    finally:
        for service in reversed(started):
            service.stop()


def _sign_in(browser, app: Service, who: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.goto(app.url)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(r".*/oauth2/authorize.*"))
    tab.get_by_role("button", name=who, exact=True).click()  # the provider's button for a predefined user
    tab.get_by_text("Signed in as").wait_for(timeout=60_000)
    return context, tab


def _analyse_photo(tab, photo: Path) -> None:
    tab.get_by_role("link", name="Analyze").click()
    tab.locator("input[type=file]").set_input_files(str(photo))
    tab.get_by_text("Saved in the Library").wait_for(timeout=RESULTS_TIMEOUT_MS)


def test_visitors_see_only_the_sign_in_screen(signed_app: Service, page) -> None:
    for path in ("", "/library", "/compare"):
        page.goto(signed_app.url + path)
        page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
        assert page.get_by_role("link", name="Library").count() == 0
        assert page.get_by_text("Analyze a clip").count() == 0


def test_private_libraries_sharing_and_sign_out(signed_app: Service, browser, test_data: Path, tmp_path: Path,
                                                artifacts_dir: Path) -> None:
    photo = test_data / "mediapipe" / "pose.jpg"
    alice_photo, bob_photo = tmp_path / "alice_pose.jpg", tmp_path / "bob_pose.jpg"  # the same bytes
    shutil.copyfile(photo, alice_photo)
    shutil.copyfile(photo, bob_photo)

    alice, alice_tab = _sign_in(browser, signed_app, "alice")
    assert "Alice Archer" in alice_tab.locator("[data-testid='stSidebar']").inner_text()
    _analyse_photo(alice_tab, alice_photo)
    bob, bob_tab = _sign_in(browser, signed_app, "bob")
    _analyse_photo(bob_tab, bob_photo)

    home = Path(signed_app.extra["home"])
    everything = Library(home).list()  # the administrator's view
    assert sorted(e.name for e in everything) == ["alice_pose.jpg", "bob_pose.jpg"]
    alice_id = next(e.id for e in everything if e.name == "alice_pose.jpg")
    owners = {e.name: e.owner_key.rsplit("|", 1)[1] for e in everything}
    assert owners == {"alice_pose.jpg": "alice", "bob_pose.jpg": "bob"}  # Bob's run was his own

    # Each sees their own only.
    for tab, mine, theirs in ((alice_tab, "alice_pose.jpg", "bob_pose.jpg"), (bob_tab, "bob_pose.jpg",
                                                                               "alice_pose.jpg")):
        tab.get_by_role("link", name="Library").click()
        tab.get_by_text("1 of 1 analyses").wait_for(timeout=60_000)
        # the table's cells (drawn on a canvas; its accessible copy is in the DOM, hidden)
        tab.get_by_role("gridcell", name=mine, exact=True, include_hidden=True).first.wait_for(state="attached")
        assert tab.get_by_role("gridcell", name=theirs, exact=True, include_hidden=True).count() == 0
        assert tab.get_by_text(theirs).count() == 0

    # Bob knows Alice's id: a deep link is "not found", with nothing of hers to open or download.
    bob_tab.goto(f"{signed_app.url}/library?open={alice_id}")
    bob_tab.get_by_text(f"no analysis has the id '{alice_id}'").wait_for(timeout=60_000)
    assert bob_tab.get_by_role("heading", name="alice_pose.jpg").count() == 0
    # The only downloads on his page are his own analysis's.
    bob_tab.get_by_role("tab", name="Downloads").first.click()
    with bob_tab.expect_download() as download:
        bob_tab.get_by_role("button", name="Everything (zip)").first.click()
    name = download.value.suggested_filename
    assert name.startswith("bob_pose") and "alice" not in name, name
    bob_tab.screenshot(path=str(artifacts_dir / "sign_in_bob_refused.png"), full_page=True)

    # Alice shares it with Bob (by name, from the people who signed in) ...
    alice_tab.goto(f"{signed_app.url}/library?open={alice_id}")
    alice_tab.get_by_role("tab", name="Sharing").click()
    alice_tab.get_by_role("combobox", name="Share with").click()
    alice_tab.get_by_role("option", name="Bob Baker (bob@example.org)").click()
    alice_tab.get_by_role("button", name="Share", exact=True).click()
    alice_tab.get_by_text("Shared with:").wait_for()
    alice_tab.get_by_text("Bob Baker (bob@example.org)").first.wait_for()
    # ... and Bob sees it, read-only: no delete, the edit form locked.
    bob_tab.goto(f"{signed_app.url}/library?open={alice_id}")
    bob_tab.get_by_text("2 of 2 analyses").wait_for(timeout=60_000)
    bob_tab.get_by_text("Shared with you by Alice Archer").wait_for()
    bob_tab.get_by_role("heading", name="alice_pose.jpg").wait_for(timeout=60_000)  # opened by the link
    assert bob_tab.get_by_role("button", name="Delete…").count() == 0
    assert bob_tab.get_by_role("textbox", name="Name", exact=True).is_disabled()
    bob_tab.screenshot(path=str(artifacts_dir / "sign_in_bob_shared.png"), full_page=True)

    # Alice takes it back: Bob's next visit is "not found" again.
    alice_tab.get_by_role("button", name="Stop sharing").click()
    alice_tab.get_by_text("Not shared: only you can see it.").wait_for()
    bob_tab.goto(f"{signed_app.url}/library?open={alice_id}")
    bob_tab.get_by_text(f"no analysis has the id '{alice_id}'").wait_for(timeout=60_000)

    # Signing out ends it: the next visit is the sign-in screen.
    bob_tab.get_by_role("button", name="Sign out").click()
    bob_tab.wait_for_timeout(1000)
    bob_tab.goto(signed_app.url + "/library")
    bob_tab.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    assert bob_tab.get_by_role("link", name="Library").count() == 0
    for context in (alice, bob):
        context.close()
    log = signed_app.log_text()
    assert "Traceback" not in log, log[-3000:]
