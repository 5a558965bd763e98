"""The library's tables as SQLAlchemy Core sees them (the migrations under ``migrations/`` create them).

    analyses  one row per analysis: metadata, its status (pending while written), its owner
    users     who has signed in (key = issuer|subject), for sharing by e-mail and the admin's listing
    shares    read-only access of one user to one analysis
    classifiers, class_marks   taught classifiers and the frames marked to teach them, per owner
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Integer, MetaData, String, Table, Text

metadata = MetaData()

analyses = Table(
    "analyses", metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("source_name", Text, nullable=False, server_default=""),
    Column("content_hash", Text, nullable=False, server_default=""),
    Column("settings_key", Text, nullable=False, server_default=""),
    Column("settings_json", Text, nullable=False, server_default="{}"),
    Column("created_s", Float, nullable=False),
    Column("summary_json", Text, nullable=False, server_default="{}"),
    Column("notes", Text, nullable=False, server_default=""),
    Column("tags_json", Text, nullable=False, server_default="[]"),
    Column("kind", Text, nullable=False, server_default="upload"),
    Column("status", Text, nullable=False),
    Column("owner_pid", Integer, nullable=False, server_default="0"),
    Column("writer_host", Text, nullable=False, server_default=""),
    Column("owner_key", Text, nullable=False),
)

users = Table(
    "users", metadata,
    Column("key", Text, primary_key=True),
    Column("issuer", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("email", String, nullable=False, server_default=""),
    Column("name", Text, nullable=False, server_default=""),
    Column("last_seen_s", Float, nullable=False),
)

shares = Table(
    "shares", metadata,
    Column("entry_id", Text, ForeignKey("analyses.id", ondelete="CASCADE"), primary_key=True),
    Column("user_key", Text, primary_key=True),
    Column("created_s", Float, nullable=False),
)

classifiers = Table(
    "classifiers", metadata,
    Column("owner_key", Text, primary_key=True),
    Column("stem", Text, primary_key=True),  # the name made safe for a file name: what users type
    Column("name", Text, nullable=False),
    Column("body_json", Text, nullable=False),  # the export format (PoseClassifier.to_dict)
    Column("saved_s", Float, nullable=False),
)

class_marks = Table(
    "class_marks", metadata,
    Column("owner_key", Text, primary_key=True),
    Column("body_json", Text, nullable=False),
    Column("saved_s", Float, nullable=False),
)
