"""Alembic environment of the server schema: run by ``ddassess.server.db.init_db`` with a
connection in ``config.attributes["connection"]`` (never from an alembic.ini)."""

from __future__ import annotations

from alembic import context

from ddassess.server.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, version_table="server_schema_version")
with context.begin_transaction():
    context.run_migrations()
