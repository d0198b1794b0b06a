"""The server's tables (PostgreSQL), as SQLAlchemy Core: what ``init-db`` migrates to.

- ``sequence_counter``: one row, the last sequence number handed out. A push takes it
  with ``UPDATE ... RETURNING`` inside its own transaction, so the row lock orders pushes:
  a push that got higher numbers commits after every push that got lower ones, and a
  reader never sees a number appear below one it already read.
- ``server_generation``: a random id of this database's sequence. ``ddassess-server
  restored`` gives it a new one after a restore from a backup (whose counter is behind
  the laptops' cursors): a laptop that sees another generation pulls again from 0.
- ``items``: each envelope or case key wrap once (``item_id`` unique: a retried push
  never duplicates), its sequence number, kind, team, the case's random routing id, the
  sending laptop, its size and its bytes. Nothing in clear names a person or a case.
- ``item_recipients``: (encryption key id, sequence) for every recipient key of an item:
  the index pull reads, newest last.
- ``rosters``: each roster the team authority signed that reached the server; the
  highest version is in force.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    func,
)

metadata = MetaData()

sequence_counter = Table(
    "sequence_counter", metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("last", BigInteger, nullable=False),
)

server_generation = Table(
    "server_generation", metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("generation", String(36), nullable=False),
)

items = Table(
    "items", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("item_id", String(80), nullable=False, unique=True),
    Column("kind", String(8), nullable=False),
    Column("team", String(64), nullable=False),
    Column("routing", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

item_recipients = Table(
    "item_recipients", metadata,
    Column("key_id", String(64), primary_key=True),
    Column("seq", BigInteger, ForeignKey("items.seq", ondelete="CASCADE"), primary_key=True),
)

rosters = Table(
    "rosters", metadata,
    Column("team", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("document", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
