"""Owners and sharing: every analysis belongs to a user (rows from before belong to the local user), the
users who signed in, read-only shares; and the host of a pending row's writer, so one replica's recovery
never takes another machine's live writer for dead (a pid means nothing across hosts).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LOCAL_KEY = "local|local"  # poselab.store.owners.LOCAL_USER.key, frozen here as migrations must be


def upgrade() -> None:
    with op.batch_alter_table("analyses") as batch:
        batch.add_column(sa.Column("owner_key", sa.Text, nullable=False, server_default=LOCAL_KEY))
        batch.add_column(sa.Column("writer_host", sa.Text, nullable=False, server_default=""))
    op.create_index("analyses_by_owner", "analyses", ["owner_key", "status", "created_s"])
    op.create_table(
        "users",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("issuer", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False, server_default=""),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("last_seen_s", sa.Float, nullable=False),
    )
    op.create_index("users_by_email", "users", ["email"])
    op.create_table(
        "shares",
        sa.Column("entry_id", sa.Text, sa.ForeignKey("analyses.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_key", sa.Text, primary_key=True),
        sa.Column("created_s", sa.Float, nullable=False),
    )
    op.create_index("shares_by_user", "shares", ["user_key"])


def downgrade() -> None:
    op.drop_table("shares")
    op.drop_table("users")
    op.drop_index("analyses_by_owner", "analyses")
    with op.batch_alter_table("analyses") as batch:
        batch.drop_column("writer_host")
        batch.drop_column("owner_key")
