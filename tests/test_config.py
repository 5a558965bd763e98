"""The server configuration in .streamlit/config.toml: each safety setting present, deliberate and commented."""

from __future__ import annotations

import tomllib

import pytest

from tests.conftest import REPO

CONFIG = REPO / ".streamlit" / "config.toml"


@pytest.fixture(scope="module")
def config() -> dict:
    return tomllib.loads(CONFIG.read_text())


@pytest.mark.parametrize(("section", "key", "expected"), [
    ("server", "headless", True),  # a server has no display
    ("server", "enableXsrfProtection", True),  # uploads from strangers: forged cross-site posts refused
    ("server", "runOnSave", False),
    ("server", "fileWatcherType", "none"),  # a running server never reloads itself
    ("browser", "gatherUsageStats", False),  # nothing about users leaves the server
    ("client", "showErrorDetails", "none"),  # users get friendly messages, tracebacks go to the log only
])
def test_safety_settings(config: dict, section: str, key: str, expected: object) -> None:
    assert config[section][key] == expected


def test_upload_limit_is_set_and_sane(config: dict) -> None:
    limit_mb = config["server"]["maxUploadSize"]
    assert isinstance(limit_mb, int) and 50 <= limit_mb <= 2000  # Streamlit's default is 200 MB


def test_every_setting_has_a_comment_above_it() -> None:
    """Deliberate settings say why: each key line follows a comment line or a key of the same commented group."""
    lines = CONFIG.read_text().splitlines()
    uncommented = []
    for number, line in enumerate(lines):
        if "=" not in line or line.lstrip().startswith("#"):
            continue
        above = [text.strip() for text in lines[max(number - 3, 0):number]]
        if not any(text.startswith("#") for text in above):
            uncommented.append(line)
    # the theme's colours speak for themselves; every server, browser and client setting must explain itself
    section_of = _sections(lines)
    uncommented = [line for line in uncommented if section_of[line] not in ("theme",)]
    assert not uncommented, uncommented


def _sections(lines: list[str]) -> dict[str, str]:
    section, owner = "", {}
    for line in lines:
        if line.startswith("["):
            section = line.strip("[] ")
        elif "=" in line:
            owner[line] = section
    return owner


def test_streamlit_reads_the_file() -> None:
    """Streamlit's own parser loads these values (a typo in a key would silently be ignored otherwise)."""
    from streamlit import config as st_config

    st_config.get_config_options(force_reparse=True, options_from_flags={})
    try:
        assert st_config.get_option("server.enableXsrfProtection") is True
        assert st_config.get_option("browser.gatherUsageStats") is False
        assert st_config.get_option("client.showErrorDetails") == "none"
        assert st_config.get_option("server.maxUploadSize") == tomllib.loads(CONFIG.read_text())["server"][
            "maxUploadSize"]
    finally:
        st_config.get_config_options(force_reparse=True)
