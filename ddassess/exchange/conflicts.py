"""The conflicts table: kept in step with the merged state of each record.

A conflict is open while a field's current operations (``fold.py``) hold different values
(kind "field"), or while changes made to a form concurrently with its finalisation are
waiting to be seen (kind "final"). Its uuid is worked out from the record, the field, the
kind and the operations in conflict, so two laptops holding the same operations list the
same conflicts under the same uuids. A conflict stops being open only when an operation
settles it: a resolution (``resolve_conflict`` in services) or a change made by someone who
saw both values; it is then kept as "settled", with the ids of what settled it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from ddassess.store.records import ConflictRecord, OperationRecord, utcnow

_NAMESPACE = uuid.UUID("6f1c4f0e-2a53-4b0e-9d3c-7d8b1c0a4e21")


def conflict_uuid(entity_uuid: str, field: str, kind: str, op_ids: Sequence[str]) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{entity_uuid}|{field}|{kind}|{','.join(sorted(op_ids))}"))


Current = Mapping[str, tuple[str, Sequence[str]]]  # field -> (kind, op ids, the one shown first)


def set_conflicts(conn: Connection, entity: str, entity_uuid: str, case_uuid: str, current: Current,
                  fields: set[str] | None = None, settled_by: Sequence[str] = ()) -> list[str]:
    """Make the open conflicts of a record (of ``fields``, or all) be ``current``; returns
    the uuids of conflicts opened now."""
    rows = conn.execute(select(ConflictRecord.uuid, ConflictRecord.field, ConflictRecord.status)
                        .where(ConflictRecord.entity_uuid == entity_uuid)).all()
    wanted = {conflict_uuid(entity_uuid, f, kind, ids): (f, kind, ids) for f, (kind, ids) in current.items()}
    opened: list[str] = []
    have = {r.uuid: r for r in rows}
    for r in rows:
        if r.status == "open" and r.uuid not in wanted and (fields is None or r.field in fields):
            conn.execute(update(ConflictRecord).where(ConflictRecord.uuid == r.uuid).values(
                status="settled", settled_by=",".join(settled_by), settled_at=utcnow()))
    for cid, (f, kind, ids) in wanted.items():
        if cid not in have:
            conn.execute(insert(ConflictRecord).values(
                uuid=cid, case_uuid=case_uuid, entity=entity, entity_uuid=entity_uuid, field=f, kind=kind,
                op_ids_json=json.dumps(list(ids)), status="open", settled_by="", created_at=utcnow()))
            opened.append(cid)
        elif have[cid].status != "open":
            conn.execute(update(ConflictRecord).where(ConflictRecord.uuid == cid).values(
                status="open", settled_by="", settled_at=None))
            opened.append(cid)
    return opened


def refresh_fields(conn: Connection, entity: str, entity_uuid: str, case_uuid: str,
                   heads: Mapping[str, Sequence[str]]) -> None:
    """After a local change to fields that were in conflict: the conflicts of those fields as
    their current operations now say (the local change replaced the value shown)."""
    from ddassess.exchange.fold import shown_first, value_key

    ids = sorted({i for v in heads.values() for i in v})
    bodies = {r.id: json.loads(r.body_json) for r in conn.execute(
        select(OperationRecord.id, OperationRecord.body_json).where(OperationRecord.id.in_(ids)))}
    current: dict[str, tuple[str, Sequence[str]]] = {}
    for f, hs in heads.items():
        known = [h for h in hs if h in bodies]
        if len({value_key(bodies[h]["fields"].get(f)) for h in known}) > 1:
            current[f] = ("field", shown_first(f, [(bodies[h]["hlc"], h, bodies[h]["fields"].get(f)) for h in known]))
    set_conflicts(conn, entity, entity_uuid, case_uuid, current, fields=set(heads), settled_by=[])
