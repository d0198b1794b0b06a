"""The server's state in PostgreSQL: migrate, push, pull and rosters.

Every function takes an ``Engine`` and runs one transaction of its own. A push is one SQL
statement committed on its own: it leaves out the items already kept, takes the sequence
counter row (``UPDATE ... RETURNING``, a row lock held to its commit), advances it by as
many as it keeps and inserts them numbered from it. Two pushes at the same moment queue at
the counter row, so sequence numbers are committed in order and a reader that saw number N
never later finds a new one below N; the lock is held only while PostgreSQL inserts and
commits, never across a round trip to the server process. A retried push finds its items
and adds nothing (the unique key on ``item_id`` stands behind it: two pushes of the same
item at the same moment make one of them run again, and it finds the item kept).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from ddassess.codes import Code
from ddassess.errors import UserFacingError
from ddassess.server.schema import rosters, sequence_counter, server_generation

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "s0001"


class DatabaseProblem(UserFacingError):
    code = Code.SRV_009


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


@contextmanager
def single_statement(engine: Engine) -> Iterator[Connection]:
    """A pooled connection in autocommit: each statement is its own transaction, so a
    one-statement request costs the pool's liveness check and the statement, without the
    BEGIN and the ROLLBACK a transaction adds (two round trips a request)."""
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


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
        with single_statement(engine) as conn:
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


# One statement, run on its own (autocommit): the new items, the counter and the recipients.
# ``new`` leaves out what is already kept; the counter row is taken (``UPDATE``, its row lock)
# and advanced by exactly that many; the items and their recipients are numbered from it.
# PostgreSQL commits the statement before it answers, so the lock is held for the inserts and
# the commit only, never across a round trip to this process. A waiting push re-reads the
# counter once the one before it committed (READ COMMITTED), so numbers are committed in order.
_PUSH = text("""
WITH new AS (
    SELECT t.n, t.item_id, t.kind, t.team, t.routing, t.device, t.data,
           row_number() OVER (ORDER BY t.n) AS k, count(*) OVER () AS total
    FROM unnest(CAST(:ids AS text[]), CAST(:kinds AS text[]), CAST(:teams AS text[]),
                CAST(:routings AS text[]), CAST(:devices AS text[]), CAST(:data AS bytea[]))
         WITH ORDINALITY AS t(item_id, kind, team, routing, device, data, n)
    WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.item_id = t.item_id)
), counter AS (
    UPDATE sequence_counter SET last = last + (SELECT count(*) FROM new) WHERE id = 1 RETURNING last
), kept AS (
    INSERT INTO items (seq, item_id, kind, team, routing, device, size, data)
    SELECT c.last - new.total + new.k, new.item_id, new.kind, new.team, new.routing, new.device,
           octet_length(new.data), new.data
    FROM new CROSS JOIN counter c
    RETURNING seq
), addressed AS (
    INSERT INTO item_recipients (key_id, seq)
    SELECT r.key_id, c.last - new.total + new.k
    FROM unnest(CAST(:r_items AS bigint[]), CAST(:r_keys AS text[])) AS r(n, key_id)
         JOIN new ON new.n = r.n CROSS JOIN counter c
    RETURNING seq
)
SELECT (SELECT count(*) FROM kept) AS stored, (SELECT last FROM counter) AS last,
       (SELECT count(*) FROM addressed) AS addressed
""")


def push(engine: Engine, batch: Sequence[Item]) -> PushResult:
    """Keep every item of ``batch`` not already kept, all or none, numbered in order."""
    wanted: dict[str, Item] = {}
    for it in batch:
        wanted.setdefault(it.item_id, it)
    new = list(wanted.values())
    r_items = [n for n, it in enumerate(new, start=1) for _k in sorted(set(it.recipients))]
    r_keys = [k for it in new for k in sorted(set(it.recipients))]
    params = {"ids": [it.item_id for it in new], "kinds": [it.kind for it in new], "teams": [it.team for it in new],
              "routings": [it.routing for it in new], "devices": [it.device for it in new],
              "data": [it.data for it in new], "r_items": r_items, "r_keys": r_keys}
    for attempt in range(5):
        try:
            with single_statement(engine) as conn:  # one statement, committed on its own
                row = conn.execute(_PUSH, params).one()
            break
        except IntegrityError:
            # The same item pushed at the same moment by another request (a retry racing its
            # first attempt): this statement saw it missing; run again, it is found kept now.
            if attempt == 4:
                raise
    stored = int(row.stored)
    return PushResult(stored=stored, duplicates=len(batch) - stored, last_seq=int(row.last))


@dataclass(frozen=True)
class Pulled:
    seq: int
    kind: str
    data: bytes


# One round trip: the sequence numbers come from the (key_id, seq) primary key index of
# ``item_recipients`` (one more than asked, to learn whether there are more); only the
# items of the page are read from ``items`` (the one more is joined to nothing).
PULL = text("""
WITH wanted AS (
    SELECT DISTINCT seq FROM item_recipients
    WHERE key_id = ANY(CAST(:keys AS text[])) AND seq > :since
    ORDER BY seq LIMIT :limit + 1
), numbered AS (
    SELECT seq, row_number() OVER (ORDER BY seq) AS k FROM wanted
)
SELECT numbered.seq, items.kind, items.data
FROM numbered LEFT JOIN items ON items.seq = numbered.seq AND numbered.k <= :limit
ORDER BY numbered.seq
""")


def pull(engine: Engine, key_ids: Iterable[str], *, since: int, limit: int) -> tuple[list[Pulled], bool]:
    """Items addressed to any of ``key_ids`` after ``since``, oldest first, at most
    ``limit``; and whether there are more."""
    keys = sorted(set(key_ids))
    if not keys:
        return [], False
    with single_statement(engine) as conn:
        rows = conn.execute(PULL, {"keys": keys, "since": since, "limit": limit}).all()
    more = len(rows) > limit
    return [Pulled(int(r.seq), str(r.kind), bytes(r.data)) for r in rows[:limit]], more


def generation(engine: Engine) -> str:
    with single_statement(engine) as conn:
        return str(conn.execute(select(server_generation.c.generation)
                                .where(server_generation.c.id == 1)).scalar_one())


def new_generation(engine: Engine) -> str:
    """After a restore: a new generation, so every laptop pulls again from the start."""
    with engine.begin() as conn:
        value = str(conn.execute(text("SELECT gen_random_uuid()::text")).scalar_one())
        conn.execute(update(server_generation).where(server_generation.c.id == 1).values(generation=value))
    return value


def last_seq(engine: Engine) -> int:
    with single_statement(engine) as conn:
        return int(conn.execute(select(sequence_counter.c.last).where(sequence_counter.c.id == 1)).scalar_one())


def newest_roster(engine: Engine, team: str) -> tuple[int, str] | None:
    with single_statement(engine) as conn:
        row = conn.execute(select(rosters.c.version, rosters.c.document).where(rosters.c.team == team)
                           .order_by(rosters.c.version.desc()).limit(1)).first()
    return (int(row.version), str(row.document)) if row is not None else None


def newest_roster_version(engine: Engine, team: str) -> int | None:
    """The version of the roster in force (its document is read only when it changed)."""
    with single_statement(engine) as conn:
        found = conn.execute(select(func.max(rosters.c.version)).where(rosters.c.team == team)).scalar()
    return int(found) if found is not None else None


def keep_roster(engine: Engine, team: str, version: int, document: str) -> tuple[bool, int]:
    """Keep a verified roster if it is newer than the one in force: (kept, version in force)."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:t))"), {"t": "ddassess roster " + team})
        held = conn.execute(select(func.max(rosters.c.version)).where(rosters.c.team == team)).scalar()
        if held is not None and held >= version:
            return False, int(held)
        conn.execute(insert(rosters).values(team=team, version=version, document=document))
    return True, version
