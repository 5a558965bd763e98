"""Local services for the browser tests and `make cluster-demo`: dashboard replicas, HAProxy in front of them,
and a local OpenID Connect provider. Each is started as a process group of its own and stopped by its PID
(never by name: other people's servers may run on the same machine).

The HAProxy configuration is deploy/haproxy.cfg itself with its `bind` and `server` lines moved to the ports
given, so what the tests check is the file an operator deploys.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HAPROXY_CFG = REPO / "deploy" / "haproxy.cfg"
STARTUP_TIMEOUT_S = 60.0


@dataclass
class Service:
    """A started process (its own process group) and where its output goes."""

    name: str
    process: subprocess.Popen
    log_path: Path
    url: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.is_file() else ""

    def stop(self) -> None:
        stop_process(self.process)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """SIGTERM to the process's own group (started with start_new_session), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):  # a group that ended meanwhile is fine
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout_s)


def start(name: str, command: list[str], log_path: Path, env: dict[str, str] | None = None,
          cwd: Path = REPO) -> Service:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    return Service(name=name, process=process, log_path=log_path)


def wait_http(service: Service, url: str, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    """Until ``url`` answers 200 (or the process dies, or time runs out: RuntimeError with the log's tail)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited with {service.process.returncode}:\n"
                               f"{service.log_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{service.name} not answering {url} after {timeout_s:.0f} s:\n{service.log_text()[-3000:]}")


def streamlit_replica(port: int, env: dict[str, str], log_path: Path, secrets: Path | None = None,
                      name: str = "replica") -> Service:
    """``streamlit run app.py`` on 127.0.0.1:``port`` (``env`` holds POSELAB_HOME, the database and storage)."""
    streamlit = Path(sys.executable).parent / "streamlit"
    command = [str(streamlit), "run", "app.py", "--server.port", str(port), "--server.headless", "true",
               "--server.address", "127.0.0.1"]
    if secrets is not None:
        command += ["--secrets.files", str(secrets)]
    service = start(name, command, log_path, env={**os.environ, "PYTHONUNBUFFERED": "1", **env})
    service.url = f"http://127.0.0.1:{port}"
    wait_http(service, service.url + "/_stcore/health")
    return service


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").is_file() else None)
    if found is None:
        raise FileNotFoundError("HAProxy is not installed: `sudo apt-get install haproxy` (make test does it as root)")
    return found


def haproxy_config(bind_port: int, replica_ports: list[int], base: str | None = None) -> str:
    """deploy/haproxy.cfg with its frontend on 127.0.0.1:``bind_port`` and one server line per replica port
    (cookies r1, r2, ... as in the file), faster health checks kept as they are."""
    text = base if base is not None else HAPROXY_CFG.read_text()
    text = re.sub(r"(?m)^(\s*)bind :\d+$", rf"\g<1>bind 127.0.0.1:{bind_port}", text, count=1)
    servers = re.findall(r"(?m)^(\s*)server replica\d+ \S+ cookie r\d+$", text)
    if not servers:
        raise ValueError("deploy/haproxy.cfg has no `server replicaN HOST:PORT cookie rN` line")
    indent = servers[0]
    lines = "\n".join(f"{indent}server replica{i} 127.0.0.1:{port} cookie r{i}"
                      for i, port in enumerate(replica_ports, start=1))
    text = re.sub(r"(?m)^\s*server replica\d+ \S+ cookie r\d+\n?", "", text)
    return text.rstrip("\n") + "\n" + lines + "\n"


def start_haproxy(bind_port: int, replica_ports: list[int], workdir: Path) -> Service:
    """HAProxy in the foreground (-db) with the generated configuration; waits until it serves a replica."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "haproxy.cfg"
    config.write_text(haproxy_config(bind_port, replica_ports))
    binary = haproxy_binary()
    check = subprocess.run([binary, "-c", "-q", "-f", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"HAProxy refused {config}:\n{check.stdout}{check.stderr}")
    service = start("haproxy", [binary, "-db", "-f", str(config)], workdir / "haproxy.log")
    service.url = f"http://127.0.0.1:{bind_port}"
    wait_http(service, service.url + "/_stcore/health")
    return service


def start_oidc_provider(port: int, users: list[dict[str, str]], log_path: Path) -> Service:
    """``oidc-provider-mock`` on 127.0.0.1:``port`` with these users (each a claims dict with "sub")."""
    command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    for claims in users:
        command += ["--user-claims", json.dumps(claims)]
    service = start("oidc-provider-mock", command, log_path)
    service.url = f"http://127.0.0.1:{port}"
    wait_http(service, service.url + "/.well-known/openid-configuration")
    return service


def auth_secrets(path: Path, app_url: str, issuer_url: str, cookie_secret: str) -> Path:
    """A secrets.toml whose [auth] signs in through ``issuer_url`` and comes back to ``app_url``."""
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "{app_url}/oauth2callback"\n'
        f'cookie_secret = "{cookie_secret}"\n'
        'client_id = "poselab"\n'
        'client_secret = "poselab-test-secret"\n'
        f'server_metadata_url = "{issuer_url}/.well-known/openid-configuration"\n')
    return path
