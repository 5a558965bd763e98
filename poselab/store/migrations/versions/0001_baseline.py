"""The library as it was before migrations: one ``analyses`` table (what ``library.db`` files made by
PoseLab's SQLite-only code hold; such files are stamped with this revision, not re-created).

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analyses",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("source_name", sa.Text, nullable=False, server_default=""),
        sa.Column("content_hash", sa.Text, nullable=False, server_default=""),
        sa.Column("settings_key", sa.Text, nullable=False, server_default=""),
        sa.Column("settings_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_s", sa.Float, nullable=False),
        sa.Column("summary_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        sa.Column("tags_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("kind", sa.Text, nullable=False, server_default="upload"),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("owner_pid", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("status IN ('pending', 'complete')", name="analyses_status"),
    )
    op.create_index("analyses_by_content", "analyses", ["content_hash", "settings_key", "status"])


def downgrade() -> None:
    op.drop_table("analyses")
