"""Fixtures for browser tests: the dashboard started as a user starts it, and Chromium driving it.

Usage in a test module under tests/e2e/::

    import pytest

    pytestmark = pytest.mark.e2e

    def test_something(app_server, page, artifacts_dir):
        page.goto(app_server.url + "/library")     # or app_server.url for the Analyze page
        page.get_by_text("Library").first.wait_for()
        page.screenshot(path=str(artifacts_dir / "library.png"), full_page=True)
        assert_clean_log(app_server)                # no "Traceback" in the server's output

Fixtures:

- ``app_server`` (module scope): ``.venv/bin/streamlit run app.py --server.port <free port> --server.headless true``
  in the repo, with a private ``POSELAB_HOME`` (``app_server.home``) and ``POSELAB_MODEL_DIR`` passed through
  (skips when the models are missing). Waits for ``/_stcore/health``. ``.url``, ``.log_path`` (stdout+stderr),
  ``.log_text()``. Killed at the end of the module.
- ``browser`` (session scope) / ``page`` (function scope): headless Chromium from ``/usr/bin/chromium`` through Python
  Playwright (never ``playwright install``); skips with a message when Chromium is missing. ``page`` has a
  1400x1000 viewport and its console errors collected in ``page.console_errors``.
- ``artifacts_dir``: ``<repo>/test-artifacts/`` (gitignored) for screenshots.

``assert_clean_log(server)`` fails when the server log holds a traceback or an error line.
Run: ``POSELAB_MODEL_DIR=../shared/models POSELAB_TEST_DATA=../shared/data .venv/bin/pytest tests/e2e -m e2e``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.services import free_port, stop_process

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
STARTUP_TIMEOUT_S = 60.0
_BAD_MARKS = ("Traceback", " ERROR ", "missing ScriptRunContext")


@dataclass
class AppServer:
    """A running dashboard: where to browse and where its output goes."""

    url: str
    log_path: Path
    home: Path
    process: subprocess.Popen

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def assert_clean_log(server: AppServer) -> None:
    """No traceback, no error line and no Streamlit call outside a session in the server's stdout+stderr."""
    lines = server.log_text().splitlines()
    # "missing ScriptRunContext": Streamlit code ran outside any session (a page script in a child process).
    bad = [i for i, line in enumerate(lines) if any(mark in line for mark in _BAD_MARKS)]
    # The whole traceback, not only its first line: CI keeps nothing but this message.
    shown = "\n".join(lines[bad[0]:bad[0] + 40]) if bad else ""
    assert not bad, f"server log holds {len(bad)} error(s), the first:\n{shown}\n(full log: {server.log_path})"


def choose(page, label: str, option: str) -> None:
    """Picks ``option`` in the select box labelled ``label`` (a react-select: open it, click the option)."""
    page.get_by_label(label).click()
    page.get_by_role("option", name=option).first.click()


def _wait_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit not healthy after {STARTUP_TIMEOUT_S:.0f} s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def app_server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The dashboard on a free port with a private POSELAB_HOME; stopped when the module's tests end."""
    streamlit = Path(sys.executable).parent / "streamlit"
    if not streamlit.is_file():
        streamlit = REPO / ".venv" / "bin" / "streamlit"
    home = tmp_path_factory.mktemp("poselab-e2e-home")
    log_path = home / "server.log"
    port = free_port()
    env = os.environ | {
        "POSELAB_HOME": str(home),
        "POSELAB_MODEL_DIR": str(model_dir),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PYTHONUNBUFFERED": "1",
        # Only a sitecustomize that sends the WebRTC stack's INFO logs to the server log (failure reports).
        "PYTHONPATH": str(Path(__file__).parent / "server_logging"),
    }
    command = [str(streamlit), "run", "app.py", "--server.port", str(port), "--server.headless", "true",
               "--server.address", "127.0.0.1"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log_path)
        yield AppServer(url=url, log_path=log_path, home=home, process=process)
    finally:
        stop_process(process)  # its own process group: exactly that group, nothing else


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium through Python Playwright."""
    if not CHROMIUM.is_file():
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium: sudo apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright (requirements-dev)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def camera_browser(browser, test_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A second Chromium (same Playwright) whose camera plays the dance clip, permission granted."""
    from tests.e2e.test_live import write_y4m

    y4m = write_y4m(test_data / "videos" / "dance_600x600.mp4", tmp_path_factory.mktemp("camera") / "dance.y4m")
    fake = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={y4m}"]
    chromium = browser.browser_type.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS + fake)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh tab (own context) with console errors collected in ``page.console_errors``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.console_errors = []
    tab.on("console", lambda message: tab.console_errors.append(message.text) if message.type == "error" else None)
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


