"""Capture: every unit of work that changes a shared record writes its operations, in the
same transaction (an outbox), so no service can forget and no change can leave without them.

``install()`` hooks SQLAlchemy's ``after_flush`` on every ``Session``; it acts only on
sessions of a ``Store.write()`` (``session.info["ddassess_store"]``), and not while received
operations are being applied (``CAPTURE_OFF``). A record class is shared when it has
``__exchange__ = "<entity>"``; its columns travel as fields (``codec.py``), foreign keys as
``<name>_uuid``. A response's answers travel one per answer (``answers.<field id>``), so two
people answering different questions never conflict; a repeating group travels row by row
(``codec.answer_fields``), so two people changing different rows never conflict either.

Each field's ``base`` is the operation(s) whose value this laptop had (``operation_heads``);
a field in conflict is based on the value shown only, so editing it never settles the
conflict silently: only ``resolve_conflict`` does. A finalisation's base also names, under
``"*"``, every current operation of the response: what the finaliser saw (``apply.py``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ddassess.exchange import codec
from ddassess.exchange.codec import raw
from ddassess.exchange.hlc import Clock, parse_hlc
from ddassess.exchange.ids import uuid7
from ddassess.exchange.operations import Operation, canonical_json
from ddassess.formengine.row_ids import ROW_KEY
from ddassess.store.records import OperationRecord, ResponseRecord

STORE_KEY = "ddassess_store"
CAPTURE_OFF = "ddassess_capture_off"
_CLOCKS: dict[str, Clock] = {}
_installed = False


def install() -> None:
    """Hook capture into every session (once)."""
    global _installed
    if not _installed:
        event.listen(Session, "after_flush", _after_flush)
        _installed = True


def clock(conn: Connection, store_id: str) -> Clock:
    """This store's hybrid logical clock, started from the newest operation it holds."""
    c = _CLOCKS.get(store_id)
    if c is None:
        newest = raw(conn).execute("SELECT max(hlc) FROM operations").fetchone()[0]
        c = Clock(*parse_hlc(newest)) if newest else Clock()
        _CLOCKS[store_id] = c
    return c


def next_seq(conn: Connection) -> int:
    return int(raw(conn).execute("SELECT max(seq) FROM operations").fetchone()[0] or 0) + 1


# Statements run as written, on the DB-API connection (``raw``): capture runs with every save.
_HEADS_SQL = "SELECT heads_json FROM operation_heads WHERE entity_uuid = ?"
_UPSERT_HEADS_SQL = ("INSERT INTO operation_heads (entity_uuid, entity, heads_json) VALUES (?, ?, ?) "
                     "ON CONFLICT (entity_uuid) DO UPDATE SET heads_json = excluded.heads_json")
_INSERT_SQL = ("INSERT INTO operations (id, seq, case_uuid, entity, entity_uuid, action, hlc, author, device, origin, "
               "received_from, received_at, status, refusal, body_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")


_HEADS_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def _heads_text(heads: dict[str, list[str]]) -> str:
    return _HEADS_JSON.encode(heads)


def read_heads(conn: Connection, entity_uuid: str) -> dict[str, list[str]]:
    row = raw(conn).execute(_HEADS_SQL, (entity_uuid,)).fetchone()
    heads: dict[str, list[str]] = json.loads(row[0]) if row and row[0] else {}
    return heads


def write_heads(conn: Connection, entity: str, entity_uuid: str, heads: dict[str, list[str]]) -> None:
    raw(conn).execute(_UPSERT_HEADS_SQL, (entity_uuid, entity, _heads_text(heads)))


def write_many_heads(conn: Connection, rows: list[tuple[str, str, dict[str, list[str]]]]) -> None:
    """``write_heads`` for many records (entity uuid, entity, heads) in one statement."""
    if rows:
        raw(conn).executemany(_UPSERT_HEADS_SQL, [(e, k, _heads_text(h)) for e, k, h in rows])


@functools.lru_cache(maxsize=4)
def _iso(at: dt.datetime) -> str:  # a batch's operations share one time
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def operation_row(op: Operation, seq: int, *, origin: str = "local", received_from: str = "",
                  received_at: Any = None, status: str = "applied", refusal: str = "",
                  body: dict[str, Any] | None = None) -> tuple[Any, ...]:
    """The row of ``op`` (``body``: its ``op.body()``, when the caller has it already). An
    operation received keeps its JSON as its author wrote it (``Operation.text``)."""
    at = _iso(received_at) if received_at is not None else None
    return (op.id, seq, op.case_uuid, op.entity, op.entity_uuid, op.action, op.hlc, op.author, op.device, origin,
            received_from, at, status, refusal, op.text or canonical_json(op.body() if body is None else body))


def store_operations(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        raw(conn).executemany(_INSERT_SQL, rows)


def _action(kind: str, entity: str, fields: dict[str, Any], obj: Any) -> str:
    if kind != "set":
        return kind
    if entity == "response" and fields.get("status") == "final":
        return "amend" if getattr(obj, "amends_id", None) is not None else "finalise"
    return "set"


def _after_flush(session: Session, _context: Any) -> None:
    store = session.info.get(STORE_KEY)
    if store is None or session.info.get(CAPTURE_OFF):
        return
    found = [("create", o) for o in session.new if codec.entity_of(o)]
    found += [("set", o) for o in session.dirty if codec.entity_of(o)]  # unchanged ones write no fields
    found += [("delete", o) for o in session.deleted if codec.entity_of(o)]
    if not found:
        return
    conn = session.connection()
    lookups = codec.Lookups(conn)
    clk = clock(conn, store.store_id)
    seq, all_heads = _seq_and_heads(conn, [obj.uuid for _kind, obj in found])
    for kind, obj in found:
        entity = codec.entity_of(obj)
        assert entity is not None
        fields = {"_deleted": True} if kind == "delete" else codec.changed_fields(obj, lookups, new=kind == "create")
        if not fields:
            continue
        entity_uuid = obj.uuid
        heads = all_heads.get(entity_uuid, {})
        base: dict[str, tuple[str, ...]] = {}
        conflicted = []
        for name in fields:
            current = heads.get(name, [])
            if len(current) > 1:  # in conflict: this change replaces this laptop's side only
                base[name] = tuple(_made_here(conn, current, store.store_id))
                conflicted.append(name)
            else:
                base[name] = tuple(current)
        if entity == "response":
            _rows_removed(fields, heads, base)
        action = _action(kind, entity, fields, obj)
        if entity == "response" and kind == "set":
            _check_instrument_author(conn, obj, store)
        if action in ("finalise", "amend"):
            base["*"] = tuple(sorted({i for ids in heads.values() for i in ids}))
        meta: dict[str, Any] = {}
        if entity == "response" and (nones := codec.kept_none(obj, fields)):
            meta[codec.KEPT_NONE] = nones
        if "risk_override" in fields:  # the final forms this decision was made on (derive.py)
            meta["finals_seen"] = sorted(conn.execute(select(ResponseRecord.uuid).where(
                ResponseRecord.case_id == obj.id, ResponseRecord.status.in_(("final", "superseded")))).scalars())
        op = Operation(id=uuid7(), case_uuid=_case_uuid(store.store_id, entity, obj, fields, lookups), entity=entity,
                       entity_uuid=entity_uuid, action=action, fields=fields, base=base, hlc=clk.tick(),
                       author=store.owner_uuid, author_cert=str(session.info.get("author_cert", "")),
                       device=store.store_id, meta=meta)
        store_operations(conn, [operation_row(op, seq)])
        seq += 1
        for name in fields:
            heads[name] = [op.id] + [h for h in heads.get(name, []) if h not in base[name]]
        write_heads(conn, entity, entity_uuid, heads)
        if conflicted:
            from ddassess.exchange.conflicts import refresh_fields

            refresh_fields(conn, op.entity, entity_uuid, op.case_uuid, {n: heads[n] for n in conflicted})


def _seq_and_heads(conn: Connection, entity_uuids: list[str]) -> tuple[int, dict[str, dict[str, list[str]]]]:
    """(the next seq, the heads of these records), in one statement: capture runs with every save."""
    heads: dict[str, dict[str, list[str]]] = {}
    top = None
    for i in range(0, max(len(entity_uuids), 1), 500):
        chunk = entity_uuids[i:i + 500]
        sql = f"SELECT entity_uuid, heads_json FROM operation_heads WHERE entity_uuid IN ({','.join('?' * len(chunk))})"
        if i == 0:
            sql += " UNION ALL SELECT NULL, max(seq) FROM operations"
        for e, h in raw(conn).execute(sql, tuple(chunk)).fetchall():
            if e is None:
                top = h
            else:
                heads[e] = json.loads(h)
    return int(top or 0) + 1, heads


# The case of a record other than a person or a case never changes: asked with every save.
_CASES: dict[tuple[str, str], str] = {}


def _case_uuid(store_id: str, entity: str, obj: Any, fields: dict[str, Any], lookups: codec.Lookups) -> str:
    if entity in ("person", "case") or "case_uuid" in fields:
        return codec.case_uuid_of(entity, obj, fields, lookups)
    key = (store_id, obj.uuid)
    found = _CASES.get(key)
    if not found:
        found = codec.case_uuid_of(entity, obj, fields, lookups)
        if found:
            _CASES[key] = found
    return found


# Who made each response (its "create" operation, which never changes once kept): asked with
# every save of a form, and a draft saved at each answer gathers hundreds of operations.
_CREATORS: dict[tuple[str, str], str] = {}


def _creator(conn: Connection, store_id: str, response_uuid: str) -> str | None:
    key = (store_id, response_uuid)
    found = _CREATORS.get(key)
    if found is None:
        row = raw(conn).execute("SELECT author FROM operations WHERE entity_uuid = ? AND action = 'create'",
                                (response_uuid,)).fetchone()
        found = row[0] if row else None
        if found is not None:
            _CREATORS[key] = found
    return found


def _rows_removed(fields: dict[str, Any], heads: dict[str, list[str]], base: dict[str, tuple[str, ...]]) -> None:
    """A row removed is based on all of the row this laptop had (its cells' current
    operations too), so an edit of the row made elsewhere meanwhile is seen as concurrent
    with the removal: the row is kept and the two listed (``fold.py``)."""
    for name, value in fields.items():
        parts = codec.split_row_field(name)
        if value is not None or parts is None or parts[2] != ROW_KEY:
            continue
        prefix = name[: -len(ROW_KEY)]
        had = {i for n, ids in heads.items() if n.startswith(prefix) or n == codec.ANSWERS + parts[0] for i in ids}
        base[name] = tuple(sorted(set(base[name]) | had))


def _check_instrument_author(conn: Connection, response: Any, store: Any) -> None:
    from ddassess.exchange.instruments import instrument_forms, refuse_other_author

    creator = _creator(conn, store.store_id, response.uuid)
    # Whose form it is first (one indexed lookup): the forms are read only for a colleague's.
    if creator is not None and creator != store.owner_uuid and response.form_id in instrument_forms():
        row = raw(conn).execute("SELECT name FROM practitioners WHERE uuid = ?", (creator,)).fetchone()
        name = row[0] if row else None
        raise refuse_other_author(response.form_id, name or "another practitioner")


def _made_here(conn: Connection, ids: list[str], device: str) -> list[str]:
    return sorted(conn.execute(select(OperationRecord.id).where(OperationRecord.id.in_(ids),
                                                                OperationRecord.device == device)).scalars())


def snapshot_case(session: Session, case_uuid: str) -> int:
    """Write a "create" operation for each record of a case (the case, its person, forms,
    acknowledgements, care plans) that has none: records made before operations were
    recorded (schema 0009), so that sharing the case sends them whole. Returns how many."""
    from ddassess.store.records import (
        CarePlanRecord,
        CarePlanVersionRecord,
        CaseRecord,
        FlagAcknowledgementRecord,
        PersonRecord,
    )

    store = session.info.get(STORE_KEY)
    case = session.scalars(select(CaseRecord).where(CaseRecord.uuid == case_uuid)).first()
    if store is None or case is None:
        return 0
    records: list[Any] = [session.get(PersonRecord, case.person_id), case]
    records += list(session.scalars(select(ResponseRecord).where(ResponseRecord.case_id == case.id)
                                    .order_by(ResponseRecord.id)))
    records += list(session.scalars(select(FlagAcknowledgementRecord)
                                    .where(FlagAcknowledgementRecord.case_id == case.id)))
    plans = list(session.scalars(select(CarePlanRecord).where(CarePlanRecord.case_id == case.id)))
    records += plans
    for plan in plans:
        records += list(session.scalars(select(CarePlanVersionRecord)
                                        .where(CarePlanVersionRecord.care_plan_id == plan.id)
                                        .order_by(CarePlanVersionRecord.version)))
    session.flush()
    conn = session.connection()
    lookups = codec.Lookups(conn)
    clk = clock(conn, store.store_id)
    seq = next_seq(conn)
    written = 0
    for obj in records:
        entity = codec.entity_of(obj) if obj is not None else None
        if entity is None or conn.exec_driver_sql("SELECT 1 FROM operations WHERE entity_uuid = ? LIMIT 1",
                                                  (obj.uuid,)).first() is not None:
            continue
        fields = codec.changed_fields(obj, lookups, new=True)
        meta: dict[str, Any] = {"snapshot": True}
        if entity == "response" and (nones := codec.kept_none(obj, fields)):
            meta[codec.KEPT_NONE] = nones
        op = Operation(id=uuid7(), case_uuid=codec.case_uuid_of(entity, obj, fields, lookups), entity=entity,
                       entity_uuid=obj.uuid, action="create", fields=fields, base={}, hlc=clk.tick(),
                       author=store.owner_uuid, author_cert=str(session.info.get("author_cert", "")),
                       device=store.store_id, meta=meta)
        store_operations(conn, [operation_row(op, seq)])
        write_heads(conn, entity, obj.uuid, {name: [op.id] for name in fields})
        seq += 1
        written += 1
    return written
