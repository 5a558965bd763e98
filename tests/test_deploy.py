"""deploy/: the HAProxy configuration the replica test and `make cluster-demo` run (rewritten to given ports),
checked by HAProxy itself, and the settings the deployment relies on still in it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from deploy.services import HAPROXY_CFG, haproxy_binary, haproxy_config


def test_the_shipped_file_keeps_stickiness_health_checks_and_the_tunnel_timeout() -> None:
    text = HAPROXY_CFG.read_text()
    for setting in ("cookie POSELAB_REPLICA insert", "option httpchk GET /_stcore/health", "timeout tunnel",
                    "option redispatch"):
        assert setting in text


def test_ports_are_rewritten_one_server_line_per_replica() -> None:
    text = haproxy_config(18080, [18501, 18502, 18503])
    assert "bind 127.0.0.1:18080" in text and "bind :8080" not in text
    servers = [line.strip() for line in text.splitlines() if line.strip().startswith("server ")]
    assert servers == [f"server replica{i} 127.0.0.1:{p} cookie r{i}" for i, p in
                       enumerate((18501, 18502, 18503), start=1)]
    with pytest.raises(ValueError, match="server replicaN"):
        haproxy_config(1, [2], base="frontend x\n    bind :8080\n")


@pytest.mark.parametrize("generated", [False, True])
def test_haproxy_accepts_the_configuration(generated: bool, tmp_path: Path) -> None:
    try:
        binary = haproxy_binary()
    except FileNotFoundError as error:
        pytest.skip(str(error))
    path = HAPROXY_CFG
    if generated:
        path = tmp_path / "haproxy.cfg"
        path.write_text(haproxy_config(18080, [18501, 18502]))
    check = subprocess.run([binary, "-c", "-f", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
