"""The one engine factory: SQLCipher 4 through SQLAlchemy, keyed on every connection.

Each new DB-API connection is keyed and set up by ``cipher.prepare_connection`` (the
pragmas are listed there) before SQLAlchemy uses it.

The engine reads the key from a ``KeyHolder`` on each new connection rather than closing
over the key itself: ``Store.close`` empties the holder, so a pool that would reconnect
later (SQLAlchemy reconnects after ``dispose``) gets no key and refuses, instead of
decrypting again for whoever still holds the old object.
"""

from __future__ import annotations

from pathlib import Path

import sqlcipher3
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

from ddassess.store.cipher import KeyHolder, connect_target, prepare_connection


def make_engine(db_path: Path, holder: KeyHolder, *, read_only: bool = False) -> Engine:
    """An engine for an existing or new store file; the key is checked on first connect."""
    database, uri = connect_target(db_path, read_only)
    engine = create_engine(
        f"sqlite:///{database}&uri=true" if uri else f"sqlite:///{database}",
        module=sqlcipher3,
        poolclass=QueuePool,
        pool_size=2,
        max_overflow=2,
        pool_use_lifo=True,
        connect_args={"check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlcipher3.Connection, _record: ConnectionPoolEntry) -> None:
        # pysqlite's implicit BEGIN is turned off; SQLAlchemy emits BEGIN itself (below).
        dbapi_conn.isolation_level = None
        prepare_connection(dbapi_conn, holder.key)  # raises StoreClosedError once the store is closed

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front (no deadlock on upgrade from read to
        # write); readers use a deferred BEGIN so WAL lets them read while a save runs.
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
