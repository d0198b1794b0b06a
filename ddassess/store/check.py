"""``ddassess store check``: is the store whole, and is its audit trail untouched?

Checks, in order: every page's HMAC (``PRAGMA cipher_integrity_check``, which catches
bytes changed on disk), SQLite's own ``integrity_check``, foreign keys, the schema
version and whether the tables are that version's, the log of operations of shared cases
(each readable and the operation its row says; every operation the per-field state and
the open conflicts name still there: docs/exchange.md), the audit chain
(``audit.verify_chain``: unbroken, anchored, time moving forwards, every event readable)
and the records against the trail (``replay.py``: each audited record is what its events
say). The report speaks of pages, tables, kinds of record, their ids and event numbers,
never of case data. docs/store-check.md says what each check can and cannot see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlcipher3
from sqlalchemy.exc import DBAPIError

from ddassess.errors import CorruptStoreError
from ddassess.store import audit, replay, schema
from ddassess.store.store import Store


@dataclass
class CheckReport:
    passed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        return [f"ok: {p}" for p in self.passed] + [f"PROBLEM: {p}" for p in self.problems]


def _cipher(conn: sqlcipher3.Connection, report: CheckReport) -> None:
    bad = [r[0] for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
    if bad:
        report.problems.append(f"{len(bad)} encrypted page(s) fail their integrity check (changed on disk): "
                               + "; ".join(bad[:5]))
    else:
        report.passed.append("every encrypted page is intact")


def _structure(conn: sqlcipher3.Connection, report: CheckReport) -> None:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    if rows == ["ok"]:
        report.passed.append("database structure is sound")
    else:
        report.problems.append("database structure: " + "; ".join(rows[:5]))


def _references(conn: sqlcipher3.Connection, report: CheckReport) -> None:
    fk = conn.execute("PRAGMA foreign_key_check").fetchall()
    if fk:
        tables = sorted({row[0] for row in fk})
        report.problems.append(f"{len(fk)} record(s) refer to missing records in: {', '.join(tables)}")
    else:
        report.passed.append("every reference between records resolves")


def _schema(conn: sqlcipher3.Connection, report: CheckReport) -> None:
    rev = schema.current_revision(conn)
    if rev == schema.HEAD_REVISION:
        report.passed.append(f"schema version {rev} (current)")
    else:
        report.problems.append(f"schema version {rev}, expected {schema.HEAD_REVISION}")
    if rev in schema.known_revisions():
        try:
            schema.check_label(conn, rev)  # the label against the tables, indexes and triggers
        except CorruptStoreError as exc:
            report.problems.append(exc.message)
        else:
            report.passed.append(f"tables, indexes and triggers are those of schema version {rev}")


def _audit(store: Store, report: CheckReport) -> None:
    with store.read() as session:
        count, problems = audit.verify_chain(session, store_id=store.store_id, anchor=store.key_file.anchor())
    if problems:
        report.problems.extend(f"audit event {p.seq} {p.message}" if p.seq else f"audit trail: {p.message}"
                               for p in problems)
        if len(problems) >= audit.MAX_PROBLEMS:
            report.problems.append(f"audit trail: listing stopped after {audit.MAX_PROBLEMS} problems; "
                                   "there may be more")
    else:
        report.passed.append(f"audit trail of {count} events is unbroken")


def _records(store: Store, report: CheckReport) -> None:
    with store.read() as session:
        count, problems = replay.replay_records(session)
    if problems:
        report.problems.extend(problems)
        if len(problems) >= audit.MAX_PROBLEMS:
            report.problems.append(f"records: listing stopped after {audit.MAX_PROBLEMS} problems; there may be more")
    else:
        report.passed.append(f"each of {count} audited records is what its audit events say")


_OPERATION_COLUMNS = ("id", "case_uuid", "entity", "entity_uuid", "action", "hlc")


def _operations(conn: sqlcipher3.Connection, report: CheckReport) -> None:
    """The op log: every body readable and the same operation as its row, statuses known,
    and the operations the per-field state and the open conflicts name all present."""
    problems: list[str] = []
    count = 0
    rows = conn.execute("SELECT id, case_uuid, entity, entity_uuid, action, hlc, status, body_json FROM operations")
    for row in rows:
        count += 1
        op_id = replay.shown_id(str(row[0]))
        try:
            body = json.loads(row[7])
        except (TypeError, ValueError):
            body = None
        if not isinstance(body, dict) or any(body.get(c) != row[i] for i, c in enumerate(_OPERATION_COLUMNS)):
            problems.append(f"operation {op_id} cannot be read, or is not the operation its row says")
        if row[6] not in ("applied", "waiting", "refused"):
            problems.append(f"operation {op_id} has a status ddassess does not write")
        if len(problems) >= audit.MAX_PROBLEMS:
            break
    known = {r[0] for r in conn.execute("SELECT id FROM operations")}
    for entity_uuid, heads_json in conn.execute("SELECT entity_uuid, heads_json FROM operation_heads"):
        try:
            heads = json.loads(heads_json)
            missing = [i for ids in heads.values() for i in ids if i not in known]
        except (TypeError, ValueError, AttributeError):
            missing = ["?"]
        if missing:
            problems.append(f"the state of record {replay.shown_id(str(entity_uuid))} names operations that are "
                            "not in the log")
    for conflict, ids_json in conn.execute("SELECT uuid, op_ids_json FROM conflicts WHERE status = 'open'"):
        try:
            ids = json.loads(ids_json)
            missing = [i for i in ids if i not in known]
        except (TypeError, ValueError):
            missing = ["?"]
        if missing:
            problems.append(f"conflict {replay.shown_id(str(conflict))} names operations that are not in the log")
    if problems:
        report.problems.extend(problems[:audit.MAX_PROBLEMS])
    else:
        report.passed.append(f"each of {count} operations of shared cases is whole")


def check_store(store: Store) -> CheckReport:
    """Run every check; a check that cannot even run (damaged pages) is itself a problem."""
    report = CheckReport()
    conn = store.raw_connection()
    try:
        for name, step in (("page check", _cipher), ("structure check", _structure),
                           ("reference check", _references), ("schema check", _schema),
                           ("operations check", _operations)):
            try:
                step(conn, report)
            except sqlcipher3.DatabaseError as exc:
                report.problems.append(f"the {name} could not finish: {exc}")
    finally:
        conn.close()
    try:
        _audit(store, report)
    except (sqlcipher3.DatabaseError, DBAPIError) as exc:
        report.problems.append(f"the audit trail could not be read: {getattr(exc, 'orig', exc)}")
    try:
        _records(store, report)
    except (sqlcipher3.DatabaseError, DBAPIError) as exc:
        report.problems.append(f"the records could not be compared with the audit trail: {getattr(exc, 'orig', exc)}")
    return report
