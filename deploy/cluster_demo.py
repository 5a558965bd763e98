"""`make cluster-demo`: PoseLab's team deployment on one machine, to try it out (docs/deploy.md).

Starts a private PostgreSQL (Debian's binaries, a data folder under /tmp; as root initdb and pg_ctl run as
`postgres`), an S3-compatible server (moto's, in memory), two dashboard replicas sharing that library, and
HAProxy in front of them with deploy/haproxy.cfg, then prints the address. Ctrl-C stops everything it started,
each by its PID, and removes the temporary folders.

    .venv/bin/python deploy/cluster_demo.py [--port 8080] [--replicas 2] [--secrets .streamlit/secrets.toml]

With ``--secrets`` naming a secrets.toml that has an ``[auth]`` section (its redirect_uri must be
http://localhost:PORT/oauth2callback), every replica requires sign-in; without it they are single-user.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from deploy import postgres, s3  # noqa: E402
from deploy.services import free_port, start_haproxy, streamlit_replica  # noqa: E402

BUCKET = "poselab-demo"


def library_environment(stack: contextlib.ExitStack, work: Path) -> dict[str, str]:
    """PostgreSQL + moto S3 started (stopped when ``stack`` closes); the environment every replica needs."""
    reason = postgres.missing_reason()
    if reason:
        raise SystemExit(f"cluster-demo: {reason}")
    print("starting PostgreSQL ...", flush=True)
    database = postgres.start(durable=True)
    stack.callback(postgres.stop, database)
    print(f"  {database.url()} (pid {database.pid}, data {database.data_dir})", flush=True)
    print("starting the S3 server (moto) ...", flush=True)
    storage = s3.start()
    stack.callback(s3.stop, storage)
    print(f"  {storage.endpoint_url} (pid {storage.pid}), bucket {BUCKET}", flush=True)
    import boto3

    boto3.client("s3", endpoint_url=storage.endpoint_url, **_boto_credentials()).create_bucket(Bucket=BUCKET)
    return {"POSELAB_DATABASE_URL": database.url(), "POSELAB_STORAGE_URL": f"s3://{BUCKET}/library",
            "POSELAB_STORAGE_OPTIONS": json.dumps({"endpoint_url": storage.endpoint_url}), **s3.CREDENTIALS}


def _boto_credentials() -> dict[str, str]:
    return {"aws_access_key_id": s3.CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": s3.CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            "region_name": s3.CREDENTIALS["AWS_DEFAULT_REGION"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080, help="HAProxy's port (default 8080)")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--secrets", type=Path, help="a secrets.toml with [auth] to require sign-in")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="poselab-cluster-demo-"))
    stopping = threading.Event()
    # Ctrl-C and SIGTERM alike: finish starting (or waiting), then stop everything in reverse order.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, work, True)
        try:
            env = library_environment(stack, work)
            if os.environ.get("POSELAB_MODEL_DIR"):
                env["POSELAB_MODEL_DIR"] = os.environ["POSELAB_MODEL_DIR"]
            ports = []
            for number in range(1, args.replicas + 1):
                port = free_port()
                print(f"starting replica {number} on 127.0.0.1:{port} ...", flush=True)
                replica = streamlit_replica(port, {**env, "POSELAB_HOME": str(work / f"home{number}")},
                                            work / f"replica{number}.log", secrets=args.secrets,
                                            name=f"replica{number}")
                stack.callback(replica.stop)
                ports.append(port)
            print(f"starting HAProxy on port {args.port} ...", flush=True)
            haproxy = start_haproxy(args.port, ports, work)
            stack.callback(haproxy.stop)
        except (RuntimeError, FileNotFoundError, OSError) as error:
            raise SystemExit(f"cluster-demo: {error}") from None
        print(f"\nPoseLab ({args.replicas} replicas, PostgreSQL, S3) at http://localhost:{args.port}\n"
              f"logs in {work}; Ctrl-C stops everything.", flush=True)
        while not stopping.wait(1.0):
            pass
        print("\nstopping ...", flush=True)


if __name__ == "__main__":
    main()
