"""Applying operations received from other laptops, inside the caller's transaction.

``apply_operations`` stores each operation it has not seen (its id is unique, so a repeat
changes nothing), then works out again, from *all* the operations of each record they
touch, what that record now is (``fold.py``), and writes the difference with an audit event
naming the author and "received from <name> (<via>)". The caller commits once per bundle,
so a failure leaves nothing half-applied. Applying writes no local operation (only the
conflicts table and the per-field state): capture is off while it runs.

Operations may come in any order: an operation for a record whose parent (the case of a
response, the person of a case) has not arrived yet is kept "waiting" and applied when it
does. An operation that can never be applied (an NHS number another person here already
has; a reference another case here already has; a record of another kind under the same
uuid) is kept "refused" with the reason, and listed in the report: never silently dropped.

After the records, what is derived from the forms is worked out again for each case touched
(``derive.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ddassess.domain.models import search_key
from ddassess.exchange import capture, codec, derive
from ddassess.exchange.collector import collector_paused
from ddassess.exchange.conflicts import set_conflicts
from ddassess.exchange.fold import Folded, fold
from ddassess.exchange.operations import Operation
from ddassess.store.audit import append_event, batched
from ddassess.store.records import (
    Base,
    CarePlanRecord,
    CarePlanVersionRecord,
    CaseRecord,
    ConflictRecord,
    FlagAcknowledgementRecord,
    OperationRecord,
    PersonRecord,
    PractitionerRecord,
    ResponseRecord,
    utcnow,
)

if TYPE_CHECKING:
    from ddassess.formengine import Catalogue

ORDER = {"person": 0, "case": 1, "care_plan": 2, "response": 3, "care_plan_version": 4, "flag_acknowledgement": 5}
PERSON_FIELDS = ("given_name", "family_name", "preferred_name", "date_of_birth", "nhs_number", "gender", "address",
                 "phone", "email", "postcode", "gp_practice", "next_of_kin_name", "next_of_kin_relationship",
                 "next_of_kin_phone", "ethnicity", "pronouns", "communication_needs")
CASE_AUDITED = ("ref", "stage", "status", "lead_agency", "care_coordinator_id", "partner_worker_id", "risk_level",
                "opened_on", "closed_on", "next_review_due", "risk_from_flags", "risk_override",
                "risk_override_reason", "risk_override_by", "risk_override_at")


@dataclass
class ApplyReport:
    applied: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # uuids of conflicts opened
    refused: list[tuple[str, str]] = field(default_factory=list)  # (operation id, reason)
    waiting: list[str] = field(default_factory=list)  # operations whose parent record has not arrived
    cases: set[str] = field(default_factory=set)  # uuids of the cases touched


def shared_classes() -> dict[str, type[Any]]:
    out = {}
    for m in Base.registry.mappers:
        name = getattr(m.class_, "__exchange__", None)
        if isinstance(name, str):
            out[name] = m.class_
    return out


class _Waiting(Exception):
    pass


class _Refused(Exception):
    pass


@dataclass
class _Context:
    session: Session
    lookups: codec.Lookups
    received_from: str
    via: str
    report: ApplyReport
    note: str = ""  # what the audit events say instead of "received from ..." (a local resolution)
    conflicted: set[str] = field(default_factory=set)  # records with conflicts (open or settled) before
    bodies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # decoded operations, by record

    @property
    def reason(self) -> str:
        return self.note or f"received from {self.received_from} ({self.via})"


def apply_operations(session: Session, ops: Iterable[Operation], *, received_from: str, via: str,
                     catalogue: Catalogue | None = None) -> ApplyReport:
    """Apply ``ops`` (see the module's notes); the caller commits. With the forms
    ``catalogue``, the lead agency and the risk from flags are worked out again too."""
    session.flush()
    session.info[capture.CAPTURE_OFF] = True
    try:
        # thousands of events: chained here, written in one statement
        with collector_paused(), batched(session):
            return _apply(session, list(ops), received_from, via, catalogue)
    finally:
        session.info.pop(capture.CAPTURE_OFF, None)


def apply_local(session: Session, op: Operation, *, note: str, catalogue: Catalogue | None = None) -> ApplyReport:
    """Record an operation made here that is applied like a received one (a resolution)."""
    session.flush()
    session.info[capture.CAPTURE_OFF] = True
    try:
        with batched(session):
            return _apply(session, [op], "", "", catalogue, origin="local", note=note)
    finally:
        session.info.pop(capture.CAPTURE_OFF, None)


def _known(session: Session, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        found.update(session.scalars(select(OperationRecord.id).where(OperationRecord.id.in_(ids[i:i + 500]))))
    return found


def _apply(session: Session, ops: list[Operation], received_from: str, via: str, catalogue: Catalogue | None,
           origin: str = "received", note: str = "") -> ApplyReport:
    report = ApplyReport()
    conn = session.connection()
    known = _known(session, [op.id for op in ops])
    store = session.info.get(capture.STORE_KEY)
    clk = capture.clock(conn, store.store_id) if store is not None else None
    seq = capture.next_seq(conn)
    classes = shared_classes()
    fresh: list[Operation] = []
    now = utcnow()
    kinds = _kinds_known(session, sorted({op.entity_uuid for op in ops if op.id not in known}))
    held_before = set(kinds)  # records with operations kept here before this batch
    creators = _instrument_creators(session, ops, catalogue)
    rows = []
    decoded: dict[str, dict[str, Any]] = {}  # bodies of operations read from JSON: theirs, not decoded again
    for op in ops:
        if op.id in known:
            report.duplicates.append(op.id)
            continue
        known.add(op.id)
        reason = _refusal(op, classes, kinds) or _not_the_author(op, creators)
        body = op.source
        rows.append(capture.operation_row(op, seq, origin=origin, received_from=received_from,
                                          received_at=now if origin == "received" else None,
                                          status="refused" if reason else "applied", refusal=reason, body=body))
        if body is not None and not reason:
            decoded[op.id] = body
        seq += 1
        if reason:
            report.refused.append((op.id, reason))
            continue
        kinds.setdefault(op.entity_uuid, op.entity)
        fresh.append(op)
        if clk is not None:
            clk.observe(op.hlc)
    capture.store_operations(conn, rows)
    todo = {op.entity_uuid: op.entity for op in fresh}
    waited = {e: k for e, k in session.execute(select(OperationRecord.entity_uuid, OperationRecord.entity)
                                               .where(OperationRecord.status == "waiting").distinct())}
    todo.update(waited)
    ctx = _Context(session, codec.Lookups(conn), received_from, via, report, note,
                   _with_conflicts(session, sorted(todo)))
    fresh_ids = {op.id for op in fresh}
    # A record no operation named before has none but those just kept (in this order): they
    # are read back from their rows' text, not from the store.
    new_here = {e for e in todo if e not in held_before and e not in waited}
    ctx.bodies = _all_bodies(session, sorted(set(todo) - new_here))
    fresh_text = {row[0]: row[-1] for row in rows}
    for op in fresh:
        if op.entity_uuid in new_here:
            body = decoded.get(op.id) or json.loads(fresh_text[op.id])
            ctx.bodies.setdefault(op.entity_uuid, []).append(body)
    del rows, fresh_text, decoded  # not held while the records are written
    progress = True
    while todo and progress:  # parents first; what waits for a parent that came later goes round again
        progress = False
        by_kind: dict[str, list[str]] = defaultdict(list)
        for entity_uuid, entity in todo.items():
            by_kind[entity].append(entity_uuid)
        for entity in sorted(by_kind, key=lambda k: (ORDER.get(k, 9), k)):
            for entity_uuid, outcome in _materialise_kind(ctx, classes[entity], entity, sorted(by_kind[entity]),
                                                          fresh_ids):
                if isinstance(outcome, _Waiting):
                    if entity_uuid not in waited:
                        _mark(session, entity_uuid, "waiting", "")
                        waited[entity_uuid] = entity
                    continue
                if isinstance(outcome, _Refused):
                    _mark(session, entity_uuid, "refused", str(outcome), only=fresh_ids)
                    report.refused += [(i, str(outcome)) for i in _ids_of(session, entity_uuid, "refused")
                                       if i in fresh_ids]
                elif entity_uuid in waited:
                    _mark(session, entity_uuid, "applied", "")
                del todo[entity_uuid]
                progress = True
    report.waiting = sorted(i for e in todo for i in _ids_of(session, e, "waiting") if i in fresh_ids)
    waiting_ids, refused_ids = set(report.waiting), {r[0] for r in report.refused}
    report.applied = [op.id for op in fresh if op.id not in waiting_ids and op.id not in refused_ids]
    ctx.bodies = {}  # the records are written: their operations are not needed for deriving
    cases = {op.case_uuid for op in fresh if op.case_uuid} | {op.entity_uuid for op in fresh if op.entity == "case"}
    report.cases |= derive.derive_cases(session, cases, actor="system", reason=ctx.reason, catalogue=catalogue)
    return report


def _ids_of(session: Session, entity_uuid: str, status: str) -> list[str]:
    return list(session.scalars(select(OperationRecord.id).where(OperationRecord.entity_uuid == entity_uuid,
                                                                 OperationRecord.status == status)))


def _mark(session: Session, entity_uuid: str, status: str, reason: str, only: set[str] | None = None) -> None:
    stmt = update(OperationRecord).where(OperationRecord.entity_uuid == entity_uuid,
                                         OperationRecord.status.in_(("applied", "waiting")))
    if only is not None:
        stmt = stmt.where(OperationRecord.id.in_(sorted(only)))
    session.execute(stmt.values(status=status, refusal=reason))


def _with_conflicts(session: Session, entity_uuids: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for i in range(0, len(entity_uuids), 500):
        out.update(session.scalars(select(ConflictRecord.entity_uuid)
                                   .where(ConflictRecord.entity_uuid.in_(entity_uuids[i:i + 500])).distinct()))
    return out


def _instrument_creators(session: Session, ops: Sequence[Operation], catalogue: Catalogue | None
                         ) -> dict[str, str]:
    """Author of each instrument response among ``ops`` (from its creation, here or in ``ops``)."""
    from ddassess.exchange.instruments import instrument_forms

    if not any(op.entity == "response" and op.action != "create" for op in ops):
        return {}
    forms = instrument_forms(catalogue)
    out = {op.entity_uuid: op.author for op in ops
           if op.entity == "response" and op.action == "create" and op.fields.get("form_id") in forms}
    wanted = sorted({op.entity_uuid for op in ops if op.entity == "response"} - set(out))
    for i in range(0, len(wanted), 500):
        rows = session.execute(select(OperationRecord.entity_uuid, OperationRecord.author, OperationRecord.body_json)
                               .where(OperationRecord.entity_uuid.in_(wanted[i:i + 500]),
                                      OperationRecord.action == "create"))
        for entity_uuid, author, body in rows:
            if json.loads(body)["fields"].get("form_id") in forms:
                out[entity_uuid] = author
    return out


def _not_the_author(op: Operation, creators: dict[str, str]) -> str:
    from ddassess.exchange.instruments import REFUSAL

    creator = creators.get(op.entity_uuid)
    if creator is not None and op.action in ("set", "finalise", "amend", "delete") and op.author != creator:
        return REFUSAL
    return ""


def _kinds_known(session: Session, entity_uuids: Sequence[str]) -> dict[str, str]:
    """The kind of record each uuid already names here (from its operations)."""
    out: dict[str, str] = {}
    for i in range(0, len(entity_uuids), 500):
        rows = session.execute(select(OperationRecord.entity_uuid, OperationRecord.entity)
                               .where(OperationRecord.entity_uuid.in_(entity_uuids[i:i + 500])).distinct())
        out.update({e: k for e, k in rows})
    return out


def _refusal(op: Operation, classes: dict[str, type[Any]], kinds: dict[str, str]) -> str:
    if op.entity not in classes:
        return f"this version of ddassess does not keep records of the kind '{op.entity}'"
    if kinds.get(op.entity_uuid, op.entity) != op.entity:
        return "it names a record of another kind under the same uuid"
    return ""


def _all_bodies(session: Session, entity_uuids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The operations (applied or waiting) of these records, decoded, in this store's order."""
    out: dict[str, list[dict[str, Any]]] = {e: [] for e in entity_uuids}
    for i in range(0, len(entity_uuids), 500):
        rows = session.execute(select(OperationRecord.entity_uuid, OperationRecord.body_json).where(
            OperationRecord.entity_uuid.in_(entity_uuids[i:i + 500]),
            OperationRecord.status.in_(("applied", "waiting"))).order_by(OperationRecord.seq))
        for entity_uuid, body in rows:
            out[entity_uuid].append(json.loads(body))
    return out


@dataclass
class _Pending:
    """One record of a batch: what its operations make of it, before and after it is written."""

    entity_uuid: str
    record: Any  # None: made by this batch
    values: dict[str, Any]
    folded: Folded
    actor: str
    case_uuid: str
    old: dict[str, Any] = field(default_factory=dict)
    changed: dict[str, Any] = field(default_factory=dict)
    old_answers: dict[str, Any] = field(default_factory=dict)
    new_answers: dict[str, Any] = field(default_factory=dict)
    old_status: str = ""
    created: bool = False
    unchanged: bool = False


def _records(ctx: _Context, cls: type[Any], entity_uuids: Sequence[str]) -> dict[str, Any]:
    """The records of these uuids held here, read 500 at a time."""
    out: dict[str, Any] = {}
    for i in range(0, len(entity_uuids), 500):
        out.update((r.uuid, r) for r in ctx.session.scalars(select(cls).where(cls.uuid.in_(entity_uuids[i:i + 500]))))
    return out


def _materialise_kind(ctx: _Context, cls: type[Any], entity: str, entity_uuids: Sequence[str], fresh: set[str]
                      ) -> list[tuple[str, Exception | None]]:
    """Write the records of one kind the operations touch, as a batch: their rows and parents
    read in a few queries, every new or changed row written in one flush. If that flush
    breaks a unique rule (an NHS number or reference held here already), the batch is undone
    and its records go one at a time (``_materialise``) to find which is refused.
    Returns (uuid, None | _Waiting | _Refused) per record."""
    s = ctx.session
    out: list[tuple[str, Exception | None]] = []
    records = _records(ctx, cls, entity_uuids)
    folds = {e: fold(ctx.bodies[e]) for e in entity_uuids}
    for _key, name, target in codec.columns_of(cls):
        if target is not None:
            ctx.lookups.prime(target, [v for f in folds.values() if isinstance(v := f.values.get(name), str)])
    pending: list[_Pending] = []
    for entity_uuid in entity_uuids:
        folded = folds[entity_uuid]
        if folded.deleted:  # rare: one at a time
            out.append((entity_uuid, _outcome(ctx, cls, entity, entity_uuid, fresh)))
            continue
        record = records.get(entity_uuid)
        if record is None and not folded.created:
            out.append((entity_uuid, _Waiting()))
            continue
        try:
            values = _columns(ctx, cls, folded)
        except _Waiting as exc:
            out.append((entity_uuid, exc))
            continue
        actor, case_uuid = _actor_and_case(ctx.bodies[entity_uuid], entity, entity_uuid)
        pending.append(_Pending(entity_uuid, record, values, folded, actor, case_uuid))
    if not pending:
        return out
    # New rows are written by one statement, not as ORM objects (a bundle brings thousands),
    # with their ids given here as SQLite would give them (the largest plus one: no table is
    # AUTOINCREMENT) and every default filled in, so what is audited is what was written.
    next_id = (s.scalar(select(func.max(cls.id))) or 0) + 1 if any(p.record is None for p in pending) else 0
    rows: list[dict[str, Any]] = []
    try:
        with s.begin_nested():
            for p in pending:
                if p.record is None:
                    rows.append(_new_row(ctx, cls, p, next_id))
                    next_id += 1
                else:
                    _put(ctx, cls, p)
            s.flush()
            if rows:
                s.connection().execute(cls.__table__.insert(), rows)
    except IntegrityError:  # the savepoint undid the batch (new rows expunged, changed ones expired)
        for p in pending:
            out.append((p.entity_uuid, _outcome(ctx, cls, entity, p.entity_uuid, fresh)))
        return out
    heads = []
    for p in pending:
        if p.created:
            ctx.lookups.remember(cls, p.entity_uuid, p.record.id)
            _audit_create(ctx, entity, p.record, p.actor)
        elif not p.unchanged:
            _audit_update(ctx, entity, p)
        heads.append((p.entity_uuid, entity, p.folded))
        _conflicts(ctx, entity, p.entity_uuid, p.case_uuid, p.folded, fresh)
        out.append((p.entity_uuid, None))
    capture.write_many_heads(s.connection(), [(e, k, f.heads) for e, k, f in heads])
    return out


def _outcome(ctx: _Context, cls: type[Any], entity: str, entity_uuid: str, fresh: set[str]) -> Exception | None:
    try:
        _materialise(ctx, cls, entity, entity_uuid, fresh)
    except (_Waiting, _Refused) as exc:
        return exc
    return None


def _actor_and_case(bodies: Sequence[dict[str, Any]], entity: str, entity_uuid: str) -> tuple[str, str]:
    newest = max(bodies, key=lambda b: (b["hlc"], b["id"]))
    case_uuid = next((b["case_uuid"] for b in bodies if b["case_uuid"]), entity_uuid if entity == "case" else "")
    return str(newest["author"]), case_uuid


class _Written(SimpleNamespace):
    """A record written by a statement (``_new_row``): its columns as attributes, as the
    audit reads them from an ORM object (a column not set reads None, as on a new one)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None


_DEFAULTS: dict[type[Any], list[tuple[str, Any]]] = {}


def _column_defaults(cls: type[Any]) -> list[tuple[str, Any]]:
    """Each column of ``cls``'s table with its default (None: none)."""
    if cls not in _DEFAULTS:
        _DEFAULTS[cls] = [(c.key, c.default) for c in cls.__table__.columns]
    return _DEFAULTS[cls]


def _new_row(ctx: _Context, cls: type[Any], p: _Pending, new_id: int) -> dict[str, Any]:
    """The row of a record made by this batch: what ``_new_record`` gives, every column
    filled (its default where the operations set none); ``p.record`` reads it."""
    record = _new_record(ctx, cls, p.entity_uuid, p.values, p.folded, p.actor, build=_Written)
    row: dict[str, Any] = {}
    for key, default in _column_defaults(cls):
        if key in vars(record):
            row[key] = vars(record)[key]
        elif default is None:
            row[key] = None
        elif default.is_callable:
            row[key] = default.arg(None)
        elif default.is_scalar:
            row[key] = default.arg
        else:  # not used by any shared record: a default the statement would have to work out
            raise AssertionError(f"{cls.__name__}.{key}: a default that is not a value or a function")
    row["id"] = new_id
    p.record, p.created = _Written(**row), True
    return row


def _put(ctx: _Context, cls: type[Any], p: _Pending) -> None:
    """Set what changed on the record held (inside the batch's savepoint)."""
    record = p.record
    p.old = {k: getattr(record, k) for k in p.values}
    p.changed = {k: v for k, v in p.values.items() if p.old[k] != v}
    if isinstance(record, ResponseRecord):
        p.old_answers = json.loads(record.answers_json)
        p.new_answers = _answers(p.old_answers, p.folded, ctx.bodies.get(p.entity_uuid, ()))
        p.old_status = record.status
    if not p.changed and p.old_answers == p.new_answers:
        p.unchanged = True
        return
    for k, v in p.changed.items():
        setattr(record, k, v)
    if isinstance(record, PersonRecord):
        record.search_name = search_key(f"{record.given_name} {record.family_name}")
    if isinstance(record, ResponseRecord) and p.old_answers != p.new_answers:
        record.answers_json = json.dumps(p.new_answers)
    if hasattr(record, "updated_at"):
        record.updated_at = max(record.updated_at, utcnow()) if record.updated_at else utcnow()


def _materialise(ctx: _Context, cls: type[Any], entity: str, entity_uuid: str, fresh: set[str]) -> None:
    """One record on its own (a deletion, or a batch that broke a unique rule)."""
    s = ctx.session
    bodies = ctx.bodies[entity_uuid]
    folded = fold(bodies)
    record = s.scalar(select(cls).where(cls.uuid == entity_uuid))
    actor, case_uuid = _actor_and_case(bodies, entity, entity_uuid)
    if folded.deleted:
        if record is not None:
            append_event(s, actor=actor, action="discard" if entity == "response" else "delete",
                         entity_type=_kind(entity), entity_id=entity_uuid, changes={}, reason=ctx.reason)
            s.delete(record)
            s.flush()
        _state(ctx, entity, entity_uuid, case_uuid, folded, fresh)
        return
    if record is None and not folded.created:
        raise _Waiting()
    values = _columns(ctx, cls, folded)
    if record is None:
        _create(ctx, cls, entity, entity_uuid, values, folded, actor)
    else:
        _update(ctx, entity, record, values, folded, actor)
    _state(ctx, entity, entity_uuid, case_uuid, folded, fresh)


def _state(ctx: _Context, entity: str, entity_uuid: str, case_uuid: str, folded: Folded, fresh: set[str]) -> None:
    conn = ctx.session.connection()
    capture.write_heads(conn, entity, entity_uuid, {k: list(v) for k, v in folded.heads.items()})
    _conflicts(ctx, entity, entity_uuid, case_uuid, folded, fresh)


def _conflicts(ctx: _Context, entity: str, entity_uuid: str, case_uuid: str, folded: Folded, fresh: set[str]) -> None:
    if folded.conflicts or entity_uuid in ctx.conflicted:
        ctx.report.conflicts += set_conflicts(ctx.session.connection(), entity, entity_uuid, case_uuid,
                                              folded.conflicts,
                                              fields=set(folded.heads) | set(folded.conflicts),  # not a chain's
                                              settled_by=sorted(fresh))
        ctx.conflicted.add(entity_uuid)


def _kind(entity: str) -> str:
    return {"flag_acknowledgement": "flag-acknowledgement", "care_plan": "care-plan",
            "care_plan_version": "care-plan", "care_team_member": "care-team-member"}.get(entity, entity)


def _columns(ctx: _Context, cls: type[Any], folded: Folded) -> dict[str, Any]:
    """Column values the merged fields give (foreign keys as local ids)."""
    out: dict[str, Any] = {}
    for key, name, target in codec.columns_of(cls):
        if name not in folded.values:
            continue
        value = folded.values[name]
        if target is not None:
            local = ctx.lookups.id(target, value)
            if value is not None and local is None and (target is not PractitionerRecord
                                                        or not cls.__table__.c[key].nullable):
                raise _Waiting()  # its parent, or the colleague it names (a roster not received yet)
            out[key] = local
        else:
            out[key] = codec.from_json(cls, key, value)
    if cls is CaseRecord and "risk_override" in folded.values:
        risk = folded.values["risk_override"]
        if isinstance(risk, dict):
            out.update(risk_override=risk.get("level"), risk_override_reason=str(risk.get("reason", "")),
                       risk_override_by=str(risk.get("by", "")),
                       risk_override_at=codec.from_json(CaseRecord, "risk_override_at", risk.get("at")))
        else:
            out.update(risk_override=None, risk_override_reason="", risk_override_by="", risk_override_at=None)
    if cls is ResponseRecord and out.get("status") == "superseded":
        out["status"] = "final"  # superseded is worked out from the final amendments (derive.py)
    return out


def _answers(current: dict[str, Any], folded: Folded, bodies: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The answers the merged fields give: a None removes the answer, unless the operation
    whose value is shown kept it empty (``codec.kept_none``)."""
    answers = dict(current)
    kept: dict[str, Any] | None = None
    for name, value in folded.values.items():
        if name.startswith(codec.ANSWERS):
            key = name[len(codec.ANSWERS):]
            if value is None:
                if kept is None:
                    kept = {b["id"]: b.get("meta", {}).get(codec.KEPT_NONE, ()) for b in bodies}
                shown = folded.heads.get(name, [])
                if shown and name in kept.get(shown[0], ()):
                    answers[key] = None
                else:
                    answers.pop(key, None)
            else:
                answers[key] = value
    return answers


def _new_record(ctx: _Context, cls: type[Any], entity_uuid: str, values: dict[str, Any], folded: Folded,
                actor: str, build: Any = None) -> Any:
    """The new record (``build``: made by ``_Written``, not the ORM class, for ``_new_row``)."""
    record = (build or cls)(uuid=entity_uuid, **values)
    if cls is PersonRecord:
        record.search_name = search_key(f"{record.given_name} {record.family_name}")
    if cls is ResponseRecord:
        answers = _answers({}, folded, ctx.bodies.get(entity_uuid, ()))
        record.answers_json = json.dumps(answers)
        record.updated_at = record.finalised_at or record.created_at or utcnow()
    if cls is CaseRecord:
        record.care_coordinator_id = ctx.lookups.id(PractitionerRecord, actor)
        record.risk_level = record.risk_override or ""
    return record


def _create(ctx: _Context, cls: type[Any], entity: str, entity_uuid: str, values: dict[str, Any], folded: Folded,
            actor: str) -> None:
    s = ctx.session
    if cls is FlagAcknowledgementRecord and _acknowledged_too(ctx, entity_uuid, values, actor):
        return
    record = _new_record(ctx, cls, entity_uuid, values, folded, actor)
    try:
        with s.begin_nested():
            s.add(record)
            s.flush()
    except IntegrityError:
        raise _Refused(_clash(entity)) from None
    ctx.lookups.remember(cls, entity_uuid, record.id)
    _audit_create(ctx, entity, record, actor)


def _acknowledged_too(ctx: _Context, entity_uuid: str, values: dict[str, Any], actor: str) -> bool:
    """The same flag acknowledged on two laptops before either heard of the other: both are
    kept, as one acknowledged flag. Its row is the earlier acknowledgement (time, then uuid),
    on every laptop; the other stays in its operation, shown beside it
    (``services/flag_acknowledgements.py``). True when ``entity_uuid`` is the later one (no
    row is written for it); False when it is to be written (the later one, held here, was
    let go: its operation stays)."""
    s = ctx.session
    held = s.scalar(select(FlagAcknowledgementRecord).where(
        FlagAcknowledgementRecord.response_uuid == values.get("response_uuid"),
        FlagAcknowledgementRecord.flag_id == values.get("flag_id"), FlagAcknowledgementRecord.uuid != entity_uuid))
    at = values.get("acknowledged_at")
    if held is None or not isinstance(at, dt.datetime):
        return False
    if (held.acknowledged_at, held.uuid) < (at, entity_uuid):
        append_event(s, actor=actor, action="acknowledge-too", entity_type="flag-acknowledgement",
                     entity_id=held.uuid, changes={"acknowledgement": [None, entity_uuid],
                                                   "by": [None, values.get("acknowledged_by")],
                                                   "at": [None, _iso(at)]},
                     reason=f"{values.get('reason', '')} ({ctx.reason})")
        return True
    append_event(s, actor=actor, action="delete", entity_type="flag-acknowledgement", entity_id=held.uuid,
                 changes={"kept_with": [None, entity_uuid]},
                 reason="the same flag was acknowledged earlier on another laptop: both acknowledgements are "
                        f"kept, shown as one ({ctx.reason})")
    s.delete(held)
    s.flush()
    return False


def _clash(entity: str) -> str:
    if entity == "person":
        return "another person in this store has the same NHS number: check both records (they may be one person)"
    if entity == "case":
        return "another case in this store has the same reference"
    return "a record in this store already holds what it would add"


def _iso(value: Any) -> Any:
    return codec.to_json(value)


def _audit_create(ctx: _Context, entity: str, record: Any, actor: str) -> None:
    s = ctx.session
    if entity == "person":
        append_event(s, actor=actor, action="create", entity_type="person", entity_id=record.uuid,
                     changes={k: [None, _iso(getattr(record, k))] for k in PERSON_FIELDS}, reason=ctx.reason)
    elif entity == "case":
        person = ctx.lookups.uuid(PersonRecord, record.person_id)
        append_event(s, actor=actor, action="create", entity_type="case", entity_id=record.uuid,
                     changes={"person": [None, person], **{k: [None, _iso(getattr(record, k))] for k in CASE_AUDITED}},
                     reason=ctx.reason)
    elif entity == "response":
        answers = json.loads(record.answers_json)
        amends = ctx.lookups.uuid(ResponseRecord, record.amends_id)
        changes: dict[str, Any] = {"form": [None, f"{record.form_id}@{record.form_version}"], "status": [None, "draft"],
                                   "answers": [None, answers]}
        if amends:
            changes["amends"] = [None, amends]
        append_event(s, actor=actor, action="create", entity_type="response", entity_id=record.uuid, changes=changes,
                     reason=ctx.reason)
        _audit_status(ctx, record, "draft", actor, amends)
    elif entity == "flag_acknowledgement":
        append_event(s, actor=actor, action="acknowledge", entity_type="flag-acknowledgement", entity_id=record.uuid,
                     changes={"case": [None, ctx.lookups.uuid(CaseRecord, record.case_id)],
                              "response": [None, record.response_uuid], "flag": [None, record.flag_id],
                              "received_from": [None, ctx.received_from]}, reason=record.reason)
    elif entity == "care_team_member":  # the shape services/care_team.py writes (store check replays it)
        append_event(s, actor=actor, action="create", entity_type="care-team-member", entity_id=record.uuid,
                     changes={"case": [None, ctx.lookups.uuid(CaseRecord, record.case_id)],
                              "practitioner": [None, ctx.lookups.uuid(PractitionerRecord, record.practitioner_id)],
                              "role": [None, record.role], "basis": [None, record.basis],
                              "received_from": [None, ctx.reason]}, reason=record.reason)
        if record.removed_at is not None:
            append_event(s, actor=actor, action="remove", entity_type="care-team-member", entity_id=record.uuid,
                         changes={"removed": [False, True]}, reason=ctx.reason)
    elif entity == "care_plan":
        append_event(s, actor=actor, action="create", entity_type="care-plan", entity_id=record.uuid,
                     reason=ctx.reason)
    elif entity == "care_plan_version":
        _audit_plan(ctx, record.care_plan_id, actor)
    else:
        append_event(s, actor=actor, action="create", entity_type=_kind(entity), entity_id=record.uuid,
                     reason=ctx.reason)


def _audit_status(ctx: _Context, record: ResponseRecord, old: str, actor: str, amends: str | None) -> None:
    if record.status == old or record.status != "final":
        return
    if amends:
        append_event(ctx.session, actor=actor, action="amend", entity_type="response", entity_id=record.uuid,
                     changes={"amends": [None, amends]}, reason=record.amendment_reason)
        append_event(ctx.session, actor=actor, action="receive", entity_type="response", entity_id=record.uuid,
                     reason=ctx.reason)
    else:
        append_event(ctx.session, actor=actor, action="finalise", entity_type="response", entity_id=record.uuid,
                     changes={"status": [old, "final"]}, reason=ctx.reason)


def _audit_plan(ctx: _Context, plan_id: int, actor: str) -> None:
    s = ctx.session
    plan = s.get(CarePlanRecord, plan_id)
    if plan is None:
        return
    newest = s.scalars(select(CarePlanVersionRecord).where(CarePlanVersionRecord.care_plan_id == plan_id)
                       .order_by(CarePlanVersionRecord.version.desc())).first()
    if newest is None:
        return
    append_event(s, actor=actor, action="export", entity_type="care-plan", entity_id=plan.uuid,
                 changes={"version": [None, newest.version], "signed": [None, newest.status == "signed"],
                          "content_sha256": [None, hashlib.sha256(newest.content_json.encode("utf-8")).hexdigest()]},
                 reason=ctx.reason)


def _update(ctx: _Context, entity: str, record: Any, values: dict[str, Any], folded: Folded, actor: str) -> None:
    s = ctx.session
    p = _Pending(record.uuid, record, values, folded, actor, "")
    try:
        with s.begin_nested():
            _put(ctx, type(record), p)
            if p.unchanged:
                return
            s.flush()
    except IntegrityError:
        raise _Refused(_clash(entity)) from None
    _audit_update(ctx, entity, p)


def _audit_update(ctx: _Context, entity: str, p: _Pending) -> None:
    s, record, actor, old, values, changed = ctx.session, p.record, p.actor, p.old, p.values, p.changed
    if entity == "person":
        diff = {k: [_iso(old[k]), _iso(values[k])] for k in PERSON_FIELDS if k in changed}
        if diff:
            append_event(s, actor=actor, action="update", entity_type="person", entity_id=record.uuid, changes=diff,
                         reason=ctx.reason)
    elif entity == "case":
        diff = {k: [_iso(old[k]), _iso(values[k])] for k in CASE_AUDITED if k in changed}
        if diff:
            append_event(s, actor=actor, action="update", entity_type="case", entity_id=record.uuid, changes=diff,
                         reason=ctx.reason)
    elif entity == "response":
        from ddassess.store.audit import diff as answers_diff

        changes = answers_diff(p.old_answers, p.new_answers)
        if changes:
            append_event(s, actor=actor, action="update", entity_type="response", entity_id=record.uuid,
                         changes=changes, reason=ctx.reason)
        _audit_status(ctx, record, p.old_status, actor, ctx.lookups.uuid(ResponseRecord, record.amends_id))
    elif entity == "care_plan_version":
        _audit_plan(ctx, record.care_plan_id, actor)
    elif entity == "care_team_member" and "removed_at" in changed and old["removed_at"] is None:
        append_event(s, actor=actor, action="remove", entity_type="care-team-member", entity_id=record.uuid,
                     changes={"removed": [False, True]}, reason=ctx.reason)
    elif changed:
        append_event(s, actor=actor, action="update", entity_type=_kind(entity), entity_id=record.uuid,
                     changes={k: [_iso(old[k]), _iso(values[k])] for k in changed}, reason=ctx.reason)
