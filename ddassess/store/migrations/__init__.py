"""Alembic migrations of the case store, run in-process by ``store.schema``."""
