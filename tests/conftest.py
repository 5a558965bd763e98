"""Shared fixtures: where the shared models and clips are, and a private PoseLab home per test run.

Tests that need ../shared read it through POSELAB_TEST_DATA and POSELAB_MODEL_DIR (set by .ci/run);
without them they skip with a message saying which variable to set, never pass silently.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import psycopg
import pytest
from pytest_postgresql import factories

from deploy import postgres, s3
from deploy.postgres import PostgresServer
from deploy.s3 import S3Server

REPO = Path(__file__).resolve().parents[1]


def _env_dir(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value and Path(value).is_dir() else None


@pytest.fixture(scope="session")
def test_data() -> Path:
    """../shared/data, from POSELAB_TEST_DATA."""
    path = _env_dir("POSELAB_TEST_DATA")
    if path is None:
        pytest.skip("shared test data not found: set POSELAB_TEST_DATA to ../shared/data (as .ci/run does)")
    return path


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """../shared/models, from POSELAB_MODEL_DIR (also what poselab.engine.models reads)."""
    path = _env_dir("POSELAB_MODEL_DIR")
    if path is None or not (path / "pose_landmarker_full.task").is_file():
        pytest.skip("model bundles not found: set POSELAB_MODEL_DIR to ../shared/models (as .ci/run does)")
    return path


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from the user's ~/.poselab and ~/.cache."""
    home = tmp_path_factory.mktemp("poselab-home")
    monkeypatch.setenv("POSELAB_HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))


def write_test_clip(path: Path, frames: int = 10, size: tuple[int, int] = (64, 48), fps: float = 10.0,
                    codec: str = "libx264") -> Path:
    """A small synthetic clip whose frame i is filled with grey level 20*i (for order checks)."""
    width, height = size
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(frames):
            image = np.full((height, width, 3), (20 * index) % 256, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


# ---- PostgreSQL: one private server per test session, a fresh database per test (pytest-postgresql) ----

@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Debian's PostgreSQL started for this session (deploy/postgres.py), stopped by PID at the end."""
    reason = postgres.missing_reason()
    if reason is not None:
        if os.geteuid() == 0:
            pytest.fail(f"{reason}; as root, `make test` installs it")
        pytest.skip(reason)
    with postgres.running() as server:
        yield server


postgres_template = factories.postgresql_noproc(depends_on="postgres_server")
postgres_database = factories.postgresql("postgres_template")


@pytest.fixture
def postgres_url(postgres_database: psycopg.Connection, postgres_server: PostgresServer) -> Iterator[str]:
    """SQLAlchemy's URL of this test's fresh PostgreSQL database. Pooled connections are closed before
    pytest-postgresql drops the database (a database in use cannot be dropped)."""
    from poselab.store.database import dispose_all

    yield postgres_server.url(postgres_database.info.dbname)
    dispose_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def library_database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test once on the default SQLite library and once on PostgreSQL (POSELAB_DATABASE_URL)."""
    if request.param == "sqlite":
        monkeypatch.delenv("POSELAB_DATABASE_URL", raising=False)
        return "sqlite"
    url = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("POSELAB_DATABASE_URL", url)
    return url


# ---- object storage: one moto S3 server per test session, a fresh bucket per test ----

@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with s3.running() as server:
        yield server


@pytest.fixture
def s3_storage_url(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """``s3://<fresh bucket>/library`` on the session's moto server, with the environment that reaches it."""
    import uuid

    import boto3

    for name, value in s3.CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("POSELAB_STORAGE_OPTIONS", json.dumps({"endpoint_url": s3_server.endpoint_url}))
    bucket = f"poselab-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server.endpoint_url).create_bucket(Bucket=bucket)
    return f"s3://{bucket}/library"
