"""Taught classifiers and class marks move into the database, with owners: files under one server's home
are not seen by its other replicas. The JSON files of a library from before are imported as the local
user's (the files stay where they were: nothing is lost if an older PoseLab opens the home again).

Revision ID: 0003
Revises: 0002
"""

import json
import re
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LOCAL_KEY = "local|local"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def upgrade() -> None:
    classifiers = op.create_table(
        "classifiers",
        sa.Column("owner_key", sa.Text, primary_key=True),
        sa.Column("stem", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("body_json", sa.Text, nullable=False),
        sa.Column("saved_s", sa.Float, nullable=False),
    )
    marks = op.create_table(
        "class_marks",
        sa.Column("owner_key", sa.Text, primary_key=True),
        sa.Column("body_json", sa.Text, nullable=False),
        sa.Column("saved_s", sa.Float, nullable=False),
    )
    home = context.config.attributes.get("home")
    folder = Path(home) / "classifiers" if home else None
    if folder is None or not folder.is_dir():
        return
    rows = []
    for path in sorted(folder.glob("*.json")):
        try:
            body = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue  # a damaged file was unusable before too; it stays on disk
        if path.name == "marks.json":
            if isinstance(body, list):
                op.bulk_insert(marks, [{"owner_key": LOCAL_KEY, "body_json": json.dumps(body),
                                        "saved_s": time.time()}])
        elif isinstance(body, dict):
            rows.append({"owner_key": LOCAL_KEY, "stem": path.stem, "name": str(body.get("name", path.stem)),
                         "body_json": json.dumps(body), "saved_s": path.stat().st_mtime})
    if rows:
        op.bulk_insert(classifiers, rows)


def downgrade() -> None:
    op.drop_table("class_marks")
    op.drop_table("classifiers")
