"""Which columns of a shared record travel, and how (both directions).

Every column of a record class with ``__exchange__`` travels except its local ids, its uuid
(the operation names it), times and text the store works out itself (``updated_at``,
``search_name``) and a case's derived columns (``DERIVED_CASE``: stage, status, lead agency,
coordinator, review date, risk from flags and risk level are worked out from the merged
forms, so they converge without rules of their own). A foreign key ``x_id`` travels as
``x_uuid``. Dates and times travel as ISO text. Two columns groups travel as one field:

* a response's answers, one field per answer: ``answers.<field id>`` (None: removed); a
  repeating group's rows, one field per cell, ``answers.<group>.<row id>.<column>``, and one
  per row, ``answers.<group>.<row id>._row`` (``answer_fields``);
* a case's risk decision (``risk_override`` with its reason, who and when) as one field
  ``risk_override``: ``{"level", "reason", "by", "at"}`` or None, so a decision and its
  reason never come apart in a merge.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm.base import PASSIVE_NO_INITIALIZE

from ddassess.formengine.row_ids import ROW_KEY, has_row_ids, row_id
from ddassess.store.records import Base, CarePlanRecord, CaseRecord, UtcDateTime

SKIP = frozenset({"id", "uuid", "updated_at", "search_name"})
DERIVED_CASE = frozenset({"stage", "status", "lead_agency", "care_coordinator_id", "partner_worker_id",
                          "next_review_due", "closed_on", "risk_from_flags", "risk_level"})
RISK_COLUMNS = ("risk_override", "risk_override_reason", "risk_override_by", "risk_override_at")
ANSWERS = "answers."


def entity_of(obj: Any) -> str | None:
    name = getattr(type(obj), "__exchange__", None)
    return name if isinstance(name, str) else None


def _classes() -> dict[str, type[Any]]:
    return {str(getattr(m.local_table, "name", "")): m.class_ for m in Base.registry.mappers}


def travelling_columns(cls: type[Any]) -> list[tuple[str, str, type[Any] | None]]:
    """(column key, field name, class a foreign key points at) of each column that travels."""
    out: list[tuple[str, str, type[Any] | None]] = []
    tables = _classes()
    for col in inspect(cls).columns:
        key = col.key
        if key in SKIP or key == "answers_json" or (cls is CaseRecord and (key in DERIVED_CASE or key in RISK_COLUMNS)):
            continue
        fks = list(col.foreign_keys)
        if fks:
            target = tables[fks[0].column.table.name]
            out.append((key, key.removesuffix("_id") + "_uuid", target))
        else:
            out.append((key, key, None))
    return out


_COLUMNS: dict[type[Any], list[tuple[str, str, type[Any] | None]]] = {}


def columns_of(cls: type[Any]) -> list[tuple[str, str, type[Any] | None]]:
    if cls not in _COLUMNS:
        _COLUMNS[cls] = travelling_columns(cls)
    return _COLUMNS[cls]


def to_json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def raw(conn: Connection) -> Any:
    """The DB-API connection under ``conn``, in the same transaction. Capture runs with every
    save and applying asks thousands of lookups: a statement run here skips SQLAlchemy's
    work per statement (several times the cost of a small indexed read in SQLite)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    return driver


class Lookups:
    """uuid <-> local id of records, cached for one unit of work."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._uuids: dict[tuple[type[Any], int], str | None] = {}
        self._ids: dict[tuple[type[Any], str], int | None] = {}

    def uuid(self, cls: type[Any], record_id: int | None) -> str | None:
        if record_id is None:
            return None
        key = (cls, record_id)
        if key not in self._uuids:  # as written (no compiling): capture asks this with every save
            row = raw(self.conn).execute(f"SELECT uuid FROM {cls.__tablename__} WHERE id = ?", (record_id,)).fetchone()
            self._uuids[key] = row[0] if row else None
        return self._uuids[key]

    def id(self, cls: type[Any], uuid: str | None) -> int | None:
        if uuid is None:
            return None
        key = (cls, uuid)
        if key not in self._ids:
            row = raw(self.conn).execute(f"SELECT id FROM {cls.__tablename__} WHERE uuid = ?", (uuid,)).fetchone()
            self._ids[key] = row[0] if row else None
        return self._ids[key]

    def prime(self, cls: type[Any], uuids: Iterable[str]) -> None:
        """Look the local ids of many records up at once (in chunks), for ``id`` to answer
        from the cache: applying a bundle names thousands of parents."""
        wanted = sorted({u for u in uuids if (cls, u) not in self._ids})
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            rows = self.conn.execute(select(cls.uuid, cls.id).where(cls.uuid.in_(chunk))).all()
            found: dict[str, int] = dict(rows)
            for u in chunk:
                self._ids[(cls, u)] = found.get(u)
            for u, record_id in found.items():
                self._uuids[(cls, record_id)] = u

    def remember(self, cls: type[Any], uuid: str, record_id: int) -> None:
        """A record made in this unit of work (a later ``id`` must not answer the None cached before)."""
        self._ids[(cls, uuid)] = record_id
        self._uuids[(cls, record_id)] = uuid


def _old_and_new(state: Any, key: str, new: bool) -> tuple[Any, Any, bool]:
    """(old, new, changed) of one attribute, from SQLAlchemy's history (still there after a flush)."""
    if new:
        return None, state.attrs[key].value, True
    # What ``state.attrs[key].history`` gives, without building ``attrs`` (an object per
    # attribute of the record, made again for each record a save loads).
    hist = state.get_history(key, PASSIVE_NO_INITIALIZE)
    if not hist.has_changes():
        return None, None, False
    old = hist.deleted[0] if hist.deleted else None
    value = hist.added[0] if hist.added else None
    return old, value, old != value


def _risk(values: tuple[Any, ...]) -> dict[str, Any] | None:
    level, reason, by, at = values
    if level is None:
        return None
    return {"level": level, "reason": reason or "", "by": by or "", "at": to_json(at)}


def changed_fields(obj: Any, lookups: Lookups, *, new: bool) -> dict[str, Any]:
    """The fields of ``obj`` that a flush created or changed, as they travel."""
    state = inspect(obj)
    cls = type(obj)
    fields: dict[str, Any] = {}
    # Only the attributes set since the last flush can have changed (SQLAlchemy keeps their
    # values before in ``committed_state`` until the flush ends): a draft save sets two.
    touched = None if new else set(state.committed_state)
    for key, name, target in columns_of(cls):
        if touched is not None and key not in touched:
            continue
        old, value, changed = _old_and_new(state, key, new)
        if not changed:
            continue
        fields[name] = lookups.uuid(target, value) if target is not None else to_json(value)
    if "answers_json" in state.manager and (touched is None or "answers_json" in touched):
        old, value, changed = _old_and_new(state, "answers_json", new)
        if changed:
            before = json.loads(old) if isinstance(old, str) else {}
            after = json.loads(value) if isinstance(value, str) else {}
            for k in sorted(set(before) | set(after)):
                if new or before.get(k) != after.get(k) or (k in before) != (k in after):
                    fields.update(answer_fields(k, None if new else before.get(k), after.get(k)))
    if cls is CaseRecord:
        pairs = [_old_and_new(state, key, new) for key in RISK_COLUMNS]
        if any(changed for _o, _n, changed in pairs):
            now = tuple(n if changed else state.attrs[key].value
                        for (_o, n, changed), key in zip(pairs, RISK_COLUMNS, strict=True))
            fields["risk_override"] = _risk(now)
    return fields


KEPT_NONE = "kept_none"  # an operation's meta: its answer fields whose None is an answer kept empty


def kept_none(obj: Any, fields: dict[str, Any]) -> list[str]:
    """The answer fields among ``fields`` whose None is an answer kept with no value (the key
    is in the response's answers), not an answer removed: the two travel apart (meta
    ``kept_none``) so both laptops hold the same answers. Read only when a None travels."""
    nones = [n for n, v in fields.items() if v is None and n.startswith(ANSWERS) and split_row_field(n) is None]
    if not nones or not isinstance(getattr(obj, "answers_json", None), str):
        return []
    answers = json.loads(obj.answers_json)
    return [n for n in nones if n[len(ANSWERS):] in answers]


def row_field(group: str, rid: str, column: str) -> str:
    """The field of one cell of a repeating group's row (``column`` ROW_KEY: the row itself)."""
    return f"{ANSWERS}{group}.{rid}.{column}"


def split_row_field(name: str) -> tuple[str, str, str] | None:
    """(group, row id, column) of a row's field, or None for any other field."""
    if not name.startswith(ANSWERS):
        return None
    parts = name[len(ANSWERS):].split(".")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 and all(parts) else None


def answer_fields(key: str, old: Any, new: Any) -> dict[str, Any]:
    """The fields one changed answer travels as. A repeating group whose rows have ids
    travels row by row: a row added is its marker ``answers.<group>.<row>._row`` (``{"n": its
    place}``) and its cells; a row removed, its marker set to None (a tombstone); a row
    changed, only the cells that changed (``answers.<group>.<row>.<column>``). Any other
    answer (and a group stored before rows had ids) is one field, ``answers.<key>``."""
    empty: tuple[Any, ...] = (None, [])
    if (has_row_ids(old) or old in empty) and (has_row_ids(new) or new in empty) \
            and (has_row_ids(old) or has_row_ids(new)):
        before = {row_id(r): r for r in old or []}
        after = {row_id(r): r for r in new or []}
        out: dict[str, Any] = {}
        for n, row in enumerate(new or []):
            rid = str(row_id(row))
            was = before.get(rid)
            if was is None:
                out[row_field(key, rid, ROW_KEY)] = {"n": n}
            cells = {c for c in (*row, *(was or {})) if c != ROW_KEY}
            for c in sorted(cells):
                if (was or {}).get(c) != row.get(c) and not (was is None and row.get(c) is None):
                    out[row_field(key, rid, c)] = row.get(c)
        for gone in before:
            if gone not in after:
                out[row_field(key, str(gone), ROW_KEY)] = None
        return out
    return {ANSWERS + key: new}


def case_uuid_of(entity: str, obj: Any, fields: dict[str, Any], lookups: Lookups) -> str:
    """The case an operation is routed with ("" for a person: with each of their cases)."""
    if entity == "case":
        return str(obj.uuid)
    if entity == "person":
        return ""
    if isinstance(fields.get("case_uuid"), str):
        return str(fields["case_uuid"])
    case_id = getattr(obj, "case_id", None)
    if case_id is None and entity == "care_plan_version":
        case_id = lookups.conn.execute(select(CarePlanRecord.case_id)
                                       .where(CarePlanRecord.id == obj.care_plan_id)).scalar()
    return lookups.uuid(CaseRecord, case_id) or ""


_KINDS: dict[tuple[type[Any], str], str] = {}  # (class, column) -> "datetime" / "date" / ""


def _kind_of(cls: type[Any], key: str) -> str:
    found = _KINDS.get((cls, key))
    if found is None:
        col = inspect(cls).columns[key]
        try:
            python_type = col.type.python_type
        except NotImplementedError:
            python_type = None
        found = "datetime" if isinstance(col.type, UtcDateTime) else "date" if python_type is dt.date else ""
        _KINDS[(cls, key)] = found
    return found


def from_json(cls: type[Any], key: str, value: Any) -> Any:
    """A travelling value as the column keeps it (ISO text back to dates and times)."""
    if value is None:
        return None
    kind = _kind_of(cls, key)  # looked up once per column: applying a bundle converts tens of thousands
    if kind == "datetime":
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if kind == "date":
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    return value
