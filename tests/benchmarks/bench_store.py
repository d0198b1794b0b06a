"""Store benchmark: the encrypted store against plain SQLite, same schema, same run.

    python tests/benchmarks/bench_store.py [--people 10000 --responses 50000]

Both stores get the same schema (the Alembic migrations), the same pragmas (WAL,
synchronous=FULL, foreign keys, temp_store=MEMORY) and the same rows, and every
operation runs through the same service functions; the only difference is SQLCipher.
Prints absolute times (median, p95) and the encrypted/plain ratio of the medians, and
"met" or "MISSED" for each target.

Targets (issue 2): ratio ≤ 1.3 for single-row work; draft save p95 ≤ 10 ms; open +
first query ≤ 300 ms (p95) including unlocking through the keyring (the keyring secret
unwraps the database key: no argon2 on this path) and the clean close.

``store check`` is timed on the same rows, each with the creation event the services
write (``add_trail``), against a plain SQLite read of those rows and events: the chain
and the replay of the trail against the records (no target; the figure shows what the
hashing, JSON parsing and comparing cost over reading the data).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

import keyring  # noqa: E402
from bulk import GIVEN, nhs_numbers, populate  # noqa: E402
from memory_keyring import InMemoryKeyring  # noqa: E402
from sqlalchemy import create_engine, event, select, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from ddassess.domain.models import PersonDetails  # noqa: E402
from ddassess.services import case_changes  # noqa: E402
from ddassess.store import Credentials, create_store, open_store, schema  # noqa: E402
from ddassess.store.audit import GENESIS, canonical, event_hash, verify_chain  # noqa: E402
from ddassess.store.check import check_store  # noqa: E402
from ddassess.store.records import CaseRecord  # noqa: E402
from ddassess.store.replay import CASE_FIELDS, PERSON_FIELDS, replay_records  # noqa: E402

PASSPHRASE = "benchmark passphrase, not secret"


class PlainStore:
    """The baseline: the same services over plain SQLite with the same pragmas."""

    owner_uuid = "benchmark"

    def __init__(self, path: Path) -> None:
        self.engine = create_engine(f"sqlite:///{path}", module=sqlite3)

        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None
            for pragma in ("temp_store = MEMORY", "foreign_keys = ON", "busy_timeout = 5000", "synchronous = FULL"):
                dbapi_conn.execute(f"PRAGMA {pragma}")
            dbapi_conn.execute("SELECT count(*) FROM sqlite_master").fetchone()

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")

        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self.engine.execution_options(immediate=True), expire_on_commit=False)

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        with self._writer.begin() as s:
            yield s

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as s, s.begin():
            yield s

    def close(self) -> None:
        self.engine.dispose()


def add_trail(conn, actor: str) -> None:  # type: ignore[no-untyped-def]
    """The creation event of every bulk row, chained after the trail's head, as the
    services would have written them (so that store check replays them to the rows)."""
    last = conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = last if last else (0, GENESIS)
    at = dt.datetime.now(dt.UTC)
    stamp = at.isoformat(timespec="microseconds")
    events = []

    def add(entity_type: str, entity_id: str, changes: dict) -> None:  # type: ignore[type-arg]
        nonlocal seq, prev
        seq += 1
        changes_json = canonical(changes)
        h = event_hash(prev, seq, at, actor, "create", entity_type, entity_id, changes_json, "")
        events.append((seq, stamp, actor, "create", entity_type, entity_id, changes_json, "", prev, h))
        prev = h

    case_fields = ", ".join(f"c.{f}" for f in CASE_FIELDS if f != "person")
    for uuid, *values in conn.execute(f"SELECT uuid, {', '.join(PERSON_FIELDS)} FROM people").fetchall():
        add("person", uuid, {f: [None, v] for f, v in zip(PERSON_FIELDS, values, strict=True)})
    for uuid, person, *values in conn.execute(f"SELECT c.uuid, p.uuid, {case_fields} FROM cases AS c "
                                              "JOIN people AS p ON p.id = c.person_id").fetchall():
        add("case", uuid, {"person": [None, person]} | {f: [None, v] for f, v in
                                                        zip([f for f in CASE_FIELDS if f != "person"], values,
                                                            strict=True)})
    for uuid, form, version, status, answers in conn.execute(
            "SELECT uuid, form_id, form_version, status, answers_json FROM form_responses").fetchall():
        add("response", uuid, {"form": [None, f"{form}@{version}"], "status": [None, status],
                               "answers": [None, json.loads(answers)]})
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", events)
    conn.execute("INSERT OR REPLACE INTO store_meta VALUES ('audit_head', ?)", (f"{seq}:{prev}",))
    conn.execute("COMMIT")


def time_check(enc, plain_path: Path) -> None:  # type: ignore[no-untyped-def]
    """store check (and its two audit steps) against reading the same rows from plain SQLite."""
    tables = ("people", "cases", "form_responses", "audit_events")

    def plain_read() -> int:
        conn = sqlite3.connect(plain_path)
        n = sum(sum(1 for _ in conn.execute(f"SELECT * FROM {t}")) for t in tables)
        conn.close()
        return n

    def chain() -> None:
        with enc.read() as s:
            count, problems = verify_chain(s, store_id=enc.store_id)
        assert not problems, problems[:3]

    def replay() -> None:
        with enc.read() as s:
            _count, problems = replay_records(s)
        assert not problems, problems[:3]

    def whole() -> None:
        report = check_store(enc)
        assert report.ok, report.problems[:3]

    rows = plain_read()
    base = statistics.median(timed(lambda _i: plain_read(), 3))
    print(f"store check on {rows} rows and events (people, cases, responses, audit events):")
    for name, fn in (("audit chain", chain), ("replay against records", replay), ("whole store check", whole)):
        med = statistics.median(timed(lambda _i, f=fn: f(), 3))  # type: ignore[misc]
        print(f"  {name:26} {med:9.0f} ms   plain SQLite read {base:7.0f} ms   ratio {med / base:6.1f}")


def timed(fn: Callable[[int], object], reps: int) -> list[float]:
    out = []
    for i in range(reps):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(len(xs) * 0.95) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--responses", type=int, default=50_000)
    ap.add_argument("--reps", type=int, default=300)
    args = ap.parse_args()
    from ddassess.keys import trust_keyring_backend_for_tests

    trust_keyring_backend_for_tests(InMemoryKeyring)  # a stand-in: the product trusts only OS keyrings
    keyring.set_keyring(InMemoryKeyring())
    tmp = Path(tempfile.mkdtemp(prefix="ddassess-bench-"))

    created = create_store(tmp / "enc", PASSPHRASE, practitioner={"name": "Bench Worker"})
    enc = created.store
    conn = enc.raw_connection()
    populate(conn, args.people, args.responses)
    add_trail(conn, enc.owner_uuid)
    conn.close()

    plain_path = tmp / "plain.db"
    pconn = sqlite3.connect(plain_path, isolation_level=None)
    pconn.execute("PRAGMA journal_mode = WAL")
    schema.upgrade(pconn)
    pconn.execute("INSERT INTO store_meta VALUES ('store_id', 'plain')")
    populate(pconn, args.people, args.responses)
    add_trail(pconn, "benchmark")
    pconn.close()
    plain = PlainStore(plain_path)

    numbers = nhs_numbers(args.people)
    rng = random.Random(3)
    lookups = [rng.choice(numbers) for _ in range(args.reps)]
    prefixes = [rng.choice(GIVEN)[:3] for _ in range(args.reps)]
    results: dict[str, dict[str, list[float]]] = {}

    def run(name: str, fn_for: Callable[[object], Callable[[int], object]], reps: int) -> None:
        results[name] = {}
        for label, st in (("plain", plain), ("encrypted", enc)):
            fn = fn_for(st)
            fn(0)  # warm
            results[name][label] = timed(fn, reps)

    run("insert person (+audit)", lambda st: lambda i: case_changes.register_person(
        st, PersonDetails(f"Bench{i}", "Insert", dt.date(1980, 1, 1))), args.reps)

    def draft_saver(st):  # type: ignore[no-untyped-def]
        return lambda i: case_changes.save_draft(st, 1000 + (i % 500),
                                                 {"q1": i % 4, "q2": (i + 1) % 4, "notes": f"edit {i}"})

    run("save draft (+audit)", draft_saver, args.reps)
    run("lookup by NHS number", lambda st: lambda i: case_changes.find_person_by_nhs(st, lookups[i % len(lookups)]),
        args.reps)
    run("name search (prefix)", lambda st: lambda i: case_changes.search_people(st, prefixes[i % len(prefixes)]),
        args.reps)

    time_check(enc, plain_path)
    enc.close()
    plain.close()

    def open_plain(_i: int) -> None:
        s = PlainStore(plain_path)
        with s.read() as session:
            session.scalar(select(CaseRecord.ref).order_by(CaseRecord.id).limit(1))
            session.execute(text("SELECT count(*) FROM cases")).scalar()
        s.close()

    def open_enc(_i: int) -> None:
        s = open_store(tmp / "enc", Credentials())  # keyring path
        assert s.unlocked_by == "keyring"
        with s.read() as session:
            session.scalar(select(CaseRecord.ref).order_by(CaseRecord.id).limit(1))
            session.execute(text("SELECT count(*) FROM cases")).scalar()
        s.close()

    results["open + first query"] = {"plain": timed(open_plain, 20), "encrypted": timed(open_enc, 20)}

    print(f"ddassess store benchmark: {args.people} people, {args.responses} responses, {args.reps} reps")
    print(f"{'operation':28} {'plain med':>10} {'enc med':>10} {'enc p95':>10} {'ratio':>7}  target")
    single_row = {"insert person (+audit)", "save draft (+audit)", "lookup by NHS number"}
    verdicts = []
    for name, r in results.items():
        pm, em = statistics.median(r["plain"]), statistics.median(r["encrypted"])
        target = ""
        if name in single_row:
            ok = em / pm <= 1.3
            verdicts.append(ok)
            target = f"ratio ≤ 1.3: {'met' if ok else 'MISSED'}"
        print(f"{name:28} {pm:9.2f}ms {em:9.2f}ms {p95(r['encrypted']):9.2f}ms {em / pm:7.2f}  {target}")
    save_p95 = p95(results["save draft (+audit)"]["encrypted"])
    open_p95 = p95(results["open + first query"]["encrypted"])
    open_med = statistics.median(results["open + first query"]["encrypted"])
    for label, value, limit in (("draft save p95", save_p95, 10.0), ("open + first query p95", open_p95, 300.0)):
        ok = value <= limit
        verdicts.append(ok)
        print(f"target: {label} {value:.2f} ms (≤ {limit:g} ms): {'met' if ok else 'MISSED'}")
    print(f"(open + first query median {open_med:.1f} ms)")
    print(f"{sum(verdicts)} of {len(verdicts)} targets met")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
