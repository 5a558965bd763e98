"""Alembic's entry point for the library's schema. Always run programmatically (``database.migrate``), on a
connection already inside the transaction that holds the migration lock: every revision commits or none."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
