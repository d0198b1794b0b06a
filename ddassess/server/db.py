"""The server's state in PostgreSQL: migrate, push, pull and rosters.

Every function takes an ``Engine`` and runs one transaction of its own. A push takes the
sequence counter row first (``UPDATE ... RETURNING``, a row lock held to its commit): two
pushes at the same moment queue there, so sequence numbers are committed in order and a
reader that saw number N never later finds a new one below N. The same lock makes the
"already here?" look-up and the insert one step: a retried push finds its items and adds
nothing (the unique key on ``item_id`` stands behind it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, func, insert, select, text, update
from sqlalchemy.exc import OperationalError, ProgrammingError

from ddassess.codes import Code
from ddassess.errors import UserFacingError
from ddassess.server.schema import item_recipients, items, rosters, sequence_counter, server_generation

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "s0001"


class DatabaseProblem(UserFacingError):
    code = Code.SRV_009


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def init_db(engine: Engine) -> str:
    """Migrate the server schema to its newest revision; the revision now in force."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            found = conn.execute(text("SELECT version_num FROM server_schema_version")).scalar_one()
    except OperationalError as e:
        raise DatabaseProblem(f"The database cannot be reached ({type(e.orig).__name__}).",
                              hint="Check database_url in the configuration and that PostgreSQL is running.") from None
    return str(found)


def schema_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT version_num FROM server_schema_version")).scalar()
    except ProgrammingError:
        return None
    return str(found) if found is not None else None


@dataclass(frozen=True)
class Item:
    """One envelope or key wrap as the server keeps it: routing data and opaque bytes."""

    item_id: str
    kind: str  # envelope / wrap
    team: str
    routing: str
    device: str
    recipients: tuple[str, ...]
    data: bytes


@dataclass(frozen=True)
class PushResult:
    stored: int
    duplicates: int
    last_seq: int


def push(engine: Engine, batch: Sequence[Item]) -> PushResult:
    """Keep every item of ``batch`` not already kept, all or none, numbered in order."""
    wanted: dict[str, Item] = {}
    for it in batch:
        wanted.setdefault(it.item_id, it)
    with engine.begin() as conn:
        # The counter row lock first: pushes are numbered and committed one after another.
        last = conn.execute(update(sequence_counter).where(sequence_counter.c.id == 1)
                            .values(last=sequence_counter.c.last).returning(sequence_counter.c.last)).scalar_one()
        ids = list(wanted)
        held: set[str] = set()
        for i in range(0, len(ids), 1000):
            held.update(conn.execute(select(items.c.item_id).where(items.c.item_id.in_(ids[i:i + 1000]))).scalars())
        new = [it for it in wanted.values() if it.item_id not in held]
        if new:
            start = last + 1
            last = last + len(new)
            conn.execute(update(sequence_counter).where(sequence_counter.c.id == 1).values(last=last))
            conn.execute(insert(items), [
                {"seq": start + n, "item_id": it.item_id, "kind": it.kind, "team": it.team, "routing": it.routing,
                 "device": it.device, "size": len(it.data), "data": it.data} for n, it in enumerate(new)])
            rows = [{"key_id": k, "seq": start + n} for n, it in enumerate(new) for k in sorted(set(it.recipients))]
            if rows:
                conn.execute(insert(item_recipients), rows)
    return PushResult(stored=len(new), duplicates=len(batch) - len(new), last_seq=last)


@dataclass(frozen=True)
class Pulled:
    seq: int
    kind: str
    data: bytes


def pull(engine: Engine, key_ids: Iterable[str], *, since: int, limit: int) -> tuple[list[Pulled], bool]:
    """Items addressed to any of ``key_ids`` after ``since``, oldest first, at most
    ``limit``; and whether there are more."""
    keys = sorted(set(key_ids))
    if not keys:
        return [], False
    seqs = (select(item_recipients.c.seq).distinct()
            .where(item_recipients.c.key_id.in_(keys), item_recipients.c.seq > since)
            .order_by(item_recipients.c.seq).limit(limit + 1))
    with engine.connect() as conn:
        wanted = list(conn.execute(seqs).scalars())
        more = len(wanted) > limit
        wanted = wanted[:limit]
        rows = conn.execute(select(items.c.seq, items.c.kind, items.c.data).where(items.c.seq.in_(wanted))
                            .order_by(items.c.seq)).all() if wanted else []
    return [Pulled(int(r.seq), str(r.kind), bytes(r.data)) for r in rows], more


def generation(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(server_generation.c.generation)
                                .where(server_generation.c.id == 1)).scalar_one())


def new_generation(engine: Engine) -> str:
    """After a restore: a new generation, so every laptop pulls again from the start."""
    with engine.begin() as conn:
        value = str(conn.execute(text("SELECT gen_random_uuid()::text")).scalar_one())
        conn.execute(update(server_generation).where(server_generation.c.id == 1).values(generation=value))
    return value


def last_seq(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(sequence_counter.c.last).where(sequence_counter.c.id == 1)).scalar_one())


def newest_roster(engine: Engine, team: str) -> tuple[int, str] | None:
    with engine.connect() as conn:
        row = conn.execute(select(rosters.c.version, rosters.c.document).where(rosters.c.team == team)
                           .order_by(rosters.c.version.desc()).limit(1)).first()
    return (int(row.version), str(row.document)) if row is not None else None


def keep_roster(engine: Engine, team: str, version: int, document: str) -> tuple[bool, int]:
    """Keep a verified roster if it is newer than the one in force: (kept, version in force)."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:t))"), {"t": "ddassess roster " + team})
        held = conn.execute(select(func.max(rosters.c.version)).where(rosters.c.team == team)).scalar()
        if held is not None and held >= version:
            return False, int(held)
        conn.execute(insert(rosters).values(team=team, version=version, document=document))
    return True, version
