"""A real S3-compatible server for the tests and benchmarks: moto's server (``moto[server]`` from PyPI) in its
own process on 127.0.0.1 at a free port, stopped by its PID. It keeps objects in memory: one per session."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from deploy.services import free_port

# moto accepts any credentials; boto refuses to sign without some, so the tests set these.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "poselab-test", "AWS_SECRET_ACCESS_KEY": "poselab-test",
               "AWS_DEFAULT_REGION": "us-east-1"}


@dataclass
class S3Server:
    endpoint_url: str
    process: subprocess.Popen

    @property
    def pid(self) -> int:
        return self.process.pid


def start() -> S3Server:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = S3Server(endpoint_url=f"http://127.0.0.1:{port}", process=process)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{server.endpoint_url}/moto-api/", timeout=2):
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if process.poll() is not None or time.monotonic() > deadline:
                stop(server)
                raise RuntimeError("moto's S3 server did not start") from None
            time.sleep(0.2)


def stop(server: S3Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextlib.contextmanager
def running() -> Iterator[S3Server]:
    server = start()
    try:
        yield server
    finally:
        stop(server)
