"""Capture: every unit of work that changes a shared record writes its operations, in the
same transaction (an outbox), so no service can forget and no change can leave without them.

``install()`` hooks SQLAlchemy's ``after_flush`` on every ``Session``; it acts only on
sessions of a ``Store.write()`` (``session.info["ddassess_store"]``), and not while received
operations are being applied (``CAPTURE_OFF``). A record class is shared when it has
``__exchange__ = "<entity>"``; its columns travel as fields (``codec.py``), foreign keys as
``<name>_uuid``. A response's answers travel one per answer (``answers.<field id>``), so two
people answering different questions never conflict; a repeating group is one answer.

Each field's ``base`` is the operation(s) whose value this laptop had (``operation_heads``);
a field in conflict is based on the value shown only, so editing it never settles the
conflict silently: only ``resolve_conflict`` does. A finalisation's base also names, under
``"*"``, every current operation of the response: what the finaliser saw (``apply.py``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ddassess.exchange import codec
from ddassess.exchange.hlc import Clock, parse_hlc
from ddassess.exchange.ids import uuid7
from ddassess.exchange.operations import Operation, canonical_json
from ddassess.store.records import OperationHeadsRecord, OperationRecord

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
        newest = conn.execute(select(func.max(OperationRecord.hlc))).scalar()
        c = Clock(*parse_hlc(newest)) if newest else Clock()
        _CLOCKS[store_id] = c
    return c


def next_seq(conn: Connection) -> int:
    return int(conn.execute(select(func.max(OperationRecord.seq))).scalar() or 0) + 1


def read_heads(conn: Connection, entity_uuid: str) -> dict[str, list[str]]:
    raw = conn.execute(select(OperationHeadsRecord.heads_json)
                       .where(OperationHeadsRecord.entity_uuid == entity_uuid)).scalar()
    heads: dict[str, list[str]] = json.loads(raw) if raw else {}
    return heads


def write_heads(conn: Connection, entity: str, entity_uuid: str, heads: dict[str, list[str]], *, exists: bool) -> None:
    text = json.dumps(heads, sort_keys=True, separators=(",", ":"))
    if exists:
        conn.execute(update(OperationHeadsRecord).where(OperationHeadsRecord.entity_uuid == entity_uuid)
                     .values(heads_json=text))
    else:
        conn.execute(insert(OperationHeadsRecord).values(entity_uuid=entity_uuid, entity=entity, heads_json=text))


def store_operation(conn: Connection, op: Operation, seq: int, *, origin: str = "local", received_from: str = "",
                    received_at: Any = None, status: str = "applied", refusal: str = "") -> None:
    conn.execute(insert(OperationRecord).values(
        id=op.id, seq=seq, case_uuid=op.case_uuid, entity=op.entity, entity_uuid=op.entity_uuid, action=op.action,
        hlc=op.hlc, author=op.author, device=op.device, origin=origin, received_from=received_from,
        received_at=received_at, status=status, refusal=refusal, body_json=canonical_json(op.body())))


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
    found += [("set", o) for o in session.dirty if codec.entity_of(o) and session.is_modified(o)]
    found += [("delete", o) for o in session.deleted if codec.entity_of(o)]
    if not found:
        return
    conn = session.connection()
    lookups = codec.Lookups(conn)
    clk = clock(conn, store.store_id)
    seq = next_seq(conn)
    for kind, obj in found:
        entity = codec.entity_of(obj)
        assert entity is not None
        fields = {"_deleted": True} if kind == "delete" else codec.changed_fields(obj, lookups, new=kind == "create")
        if not fields:
            continue
        entity_uuid = obj.uuid
        heads = read_heads(conn, entity_uuid)
        had_heads = bool(heads) or conn.execute(select(OperationHeadsRecord.entity_uuid).where(
            OperationHeadsRecord.entity_uuid == entity_uuid)).first() is not None
        base: dict[str, tuple[str, ...]] = {}
        conflicted = []
        for name in fields:
            current = heads.get(name, [])
            base[name] = tuple(current[:1]) if len(current) > 1 else tuple(current)
            if len(current) > 1:
                conflicted.append(name)
        action = _action(kind, entity, fields, obj)
        if action in ("finalise", "amend"):
            base["*"] = tuple(sorted({i for ids in heads.values() for i in ids}))
        op = Operation(id=uuid7(), case_uuid=codec.case_uuid_of(entity, obj, fields, lookups), entity=entity,
                       entity_uuid=entity_uuid, action=action, fields=fields, base=base, hlc=clk.tick(),
                       author=store.owner_uuid, author_cert=str(session.info.get("author_cert", "")),
                       device=store.store_id)
        store_operation(conn, op, seq)
        seq += 1
        for name in fields:
            heads[name] = [op.id] + [h for h in heads.get(name, []) if h not in base[name]]
        write_heads(conn, entity, entity_uuid, heads, exists=had_heads)
        if conflicted:
            from ddassess.exchange.conflicts import refresh_fields

            refresh_fields(conn, op.entity, entity_uuid, op.case_uuid, {n: heads[n] for n in conflicted})
