"""Two dashboard replicas behind HAProxy (deploy/haproxy.cfg) sharing one library, in a real Chromium.

Sessions stick to a replica by HAProxy's POSELAB_REPLICA cookie (a Streamlit session lives in one process);
what they store is shared, so a session on the other replica sees it, and stopping a replica loses nothing.
The library is PostgreSQL + S3 object storage (moto), the servers tests/conftest.py starts for the session.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy import s3
from deploy.postgres import PostgresServer
from deploy.s3 import S3Server
from deploy.services import Service, free_port, haproxy_binary, start_haproxy, streamlit_replica
from tests.e2e.conftest import CHROMIUM

pytestmark = pytest.mark.e2e
RESULTS_TIMEOUT_MS = 180_000


@dataclass
class Cluster:
    url: str
    replicas: dict[str, Service]  # cookie value (r1, r2) -> replica
    haproxy: Service
    env: dict[str, str]


@pytest.fixture(scope="module")
def library_env(postgres_server: PostgresServer, s3_server: S3Server) -> dict[str, str]:
    """The environment that points every replica at the shared library: a fresh database on the session's
    PostgreSQL and a fresh bucket on its moto S3 server (both from tests/conftest.py, stopped by PID)."""
    import boto3
    import psycopg

    name = f"replicas_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(host=postgres_server.host, port=postgres_server.port, user=postgres_server.user,
                         dbname="postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    boto3.client("s3", endpoint_url=s3_server.endpoint_url, aws_access_key_id=s3.CREDENTIALS["AWS_ACCESS_KEY_ID"],
                 aws_secret_access_key=s3.CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                 region_name=s3.CREDENTIALS["AWS_DEFAULT_REGION"]).create_bucket(Bucket=name.replace("_", "-"))
    return {"POSELAB_DATABASE_URL": postgres_server.url(name),
            "POSELAB_STORAGE_URL": f"s3://{name.replace('_', '-')}/library",
            "POSELAB_STORAGE_OPTIONS": json.dumps({"endpoint_url": s3_server.endpoint_url}), **s3.CREDENTIALS}


@pytest.fixture(scope="module")
def cluster(model_dir: Path, tmp_path_factory: pytest.TempPathFactory,
            library_env: dict[str, str]) -> Iterator[Cluster]:
    try:
        haproxy_binary()
    except FileNotFoundError as error:
        pytest.skip(str(error))
    if not CHROMIUM.is_file():
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium")
    work = tmp_path_factory.mktemp("replicas")
    env = {"POSELAB_MODEL_DIR": str(model_dir), "XDG_CACHE_HOME": str(work / "cache"), **library_env}
    started: list[Service] = []
    try:
        replicas = {}
        for number in (1, 2):
            # Each replica has a home of its own (its run cache, logs): only the library is shared.
            replica_env = {"POSELAB_HOME": str(work / f"home{number}"), **env}
            replica = streamlit_replica(free_port(), replica_env, work / f"replica{number}.log",
                                        name=f"replica{number}")
            started.append(replica)
            replicas[f"r{number}"] = replica
        haproxy = start_haproxy(free_port(), [int(r.url.rsplit(":", 1)[1]) for r in replicas.values()], work)
        started.append(haproxy)
        yield Cluster(url=haproxy.url, replicas=replicas, haproxy=haproxy, env=env)
    finally:
        for service in reversed(started):
            service.stop()


def _replica_of(context) -> str:
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    assert "POSELAB_REPLICA" in cookies, f"HAProxy set no stickiness cookie: {sorted(cookies)}"
    return cookies["POSELAB_REPLICA"]


def _open(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.goto(url)
    tab.get_by_role("heading", name="Analyze a clip").wait_for(timeout=60_000)
    return context, tab


def test_sessions_spread_share_one_library_and_survive_a_replica_stopping(
        cluster: Cluster, browser, test_data: Path, artifacts_dir: Path) -> None:
    context_a, tab_a = _open(browser, cluster.url)
    context_b, tab_b = _open(browser, cluster.url)
    replica_a, replica_b = _replica_of(context_a), _replica_of(context_b)
    assert {replica_a, replica_b} == {"r1", "r2"}, "the two sessions landed on the same replica"

    # A analyses a photo on its replica (saved to the shared library) ...
    tab_a.locator("input[type=file]").set_input_files(str(test_data / "mediapipe" / "pose.jpg"))
    tab_a.get_by_text("Saved in the Library").wait_for(timeout=RESULTS_TIMEOUT_MS)
    # ... and B, on the other replica, finds it in its Library.
    tab_b.get_by_role("link", name="Library").click()
    tab_b.get_by_text("1 of 1 analyses").wait_for(timeout=60_000)
    tab_b.screenshot(path=str(artifacts_dir / "replicas_library_b.png"), full_page=True)
    assert _replica_of(context_b) == replica_b  # still sticky after navigating

    # Stop A's replica: a new session goes to the other one, and the analysis is still there.
    cluster.replicas[replica_a].stop()
    context_c = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab_c = context_c.new_page()
    tab_c.set_default_timeout(30_000)
    # HAProxy notices the stopped replica within its health checks (inter 2 s, fall 2); until then a new
    # session may be tried there and redispatched: either way it must land on the live one.
    tab_c.goto(cluster.url + "/library")
    tab_c.get_by_text("1 of 1 analyses").wait_for(timeout=60_000)
    assert _replica_of(context_c) == replica_b
    # ... and whole: its files come back from object storage on the replica that did not write them.
    tab_c.get_by_role("button", name="Open results").click()
    tab_c.get_by_role("heading", name="pose.jpg").wait_for(timeout=60_000)
    tab_c.locator("[data-testid='stImage'] img").first.wait_for(timeout=60_000)
    # A's old tab, its cookie naming the stopped replica, is redispatched to the live one on reload.
    tab_a.goto(cluster.url + "/library")
    tab_a.get_by_text("1 of 1 analyses").wait_for(timeout=60_000)
    tab_a.screenshot(path=str(artifacts_dir / "replicas_after_stop.png"), full_page=True)
    for context in (context_a, context_b, context_c):
        context.close()
    live = cluster.replicas[replica_b]
    assert "Traceback" not in live.log_text(), live.log_text()[-3000:]
