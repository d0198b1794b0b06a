"""Alembic environment: always given an open, keyed connection by ``store.schema``."""

from alembic import context

from ddassess.store.records import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
