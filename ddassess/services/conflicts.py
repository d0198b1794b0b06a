"""Conflicts of shared cases, as a person sees and settles them; receiving operations.

``list_conflicts`` gives each open conflict in the form's own words: the case, the form's
title and the field's label, and each value with who set it, when and on which laptop (the
one shown first is the one the record shows meanwhile). ``resolve_conflict`` records a
person's choice, with their reason, as an operation: it travels like any change, is
audited, and settles the conflict on every laptop that receives it. A change made after a
form was finalised (kind "final") is not merged into the final form; resolving it records
that it was seen (amend the form if it matters).

``receive_operations`` applies operations received from another laptop in one transaction
(exchange/apply.py), with the forms catalogue so that the lead agency and the risk level
are worked out again from the merged forms in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ddassess.codes import Code
from ddassess.domain import limits
from ddassess.errors import InvalidInputError, UnknownFormError, UserFacingError
from ddassess.exchange import apply, capture
from ddassess.exchange.codec import ANSWERS, split_row_field
from ddassess.exchange.hlc import parse_hlc
from ddassess.exchange.ids import uuid7
from ddassess.exchange.operations import Operation
from ddassess.formengine import Catalogue
from ddassess.formengine.display import answer_text, row_title
from ddassess.formengine.row_ids import ROW_KEY, row_id
from ddassess.store import Store
from ddassess.store.audit import append_event
from ddassess.store.records import (
    CaseRecord,
    ConflictRecord,
    OperationRecord,
    PersonRecord,
    PractitionerRecord,
    ResponseRecord,
)


class ConflictNotOpenError(UserFacingError):
    """A conflict that is not open any more (settled here or on another laptop), or a choice it does not offer."""

    code = Code.OPLOG_002
    exit_code = 2


@dataclass(frozen=True)
class ConflictValue:
    value: Any
    text: str  # the value in the form's words
    author_uuid: str
    author: str  # the practitioner's name, or "a practitioner not in this store"
    at: dt.datetime
    device: str
    operation_id: str


@dataclass(frozen=True)
class ConflictView:
    uuid: str
    case_id: int | None
    case_ref: str
    entity: str
    entity_uuid: str
    field: str
    kind: str  # "field": two values; "final": a change made after the form was finalised; "row": a row
    # removed on one laptop and changed on another; "chain": two amendments of one final form
    form_title: str  # "" when the conflict is not in a form
    field_label: str
    values: tuple[ConflictValue, ...]  # the one the record shows first


_FIELD_WORDS = {"risk_override": "Risk level set by a practitioner", "given_name": "Given name",
                "family_name": "Family name", "date_of_birth": "Date of birth", "nhs_number": "NHS number"}
_catalogue: Catalogue | None = None


def _default_catalogue() -> Catalogue:
    global _catalogue
    if _catalogue is None:
        from ddassess.formengine import load_catalogue

        _catalogue = load_catalogue()
    return _catalogue


def _at(hlc: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(parse_hlc(hlc)[0] / 1000, dt.UTC)


def _words(catalogue: Catalogue, form_id: str, version: int, field: str, answers: dict[str, Any] | None = None,
           bodies: Iterable[dict[str, Any]] = ()) -> tuple[str, str, Any]:
    """(form title, field label, field spec or None) of a response's field. A row's cell is
    named by its row as the form heads it, then its column ("Need 2 — Housing: Goal"); a
    row itself by its heading (the spec returned is then the group's)."""
    try:
        spec = catalogue.get(form_id, version)
    except UnknownFormError:
        return form_id, field, None
    parts = split_row_field(field)
    if parts is not None and (group := spec.fields.get(parts[0])) is not None and group.type == "group":
        rows = [r for r in (answers or {}).get(parts[0]) or [] if isinstance(r, dict)]
        place = next((n for n, r in enumerate(rows, 1) if row_id(r) == parts[1]), None)
        if place is None:  # not in the form (added after it was finalised, or removed): its words from the changes
            row = {}
            for b in bodies:
                row.update({c: v for c, v in _row_cells(b, parts[0], parts[1]).items() if v is not None})
            heading = row_title(group, len(rows) + 1, row)
        else:
            heading = row_title(group, place, rows[place - 1])
        if parts[2] == ROW_KEY:
            return spec.title, heading, group
        col = next((c for c in group.fields if c.id == parts[2]), None)
        return spec.title, f"{heading}: {col.label if col is not None else parts[2]}", col
    key = field[len(ANSWERS):] if field.startswith(ANSWERS) else field
    f = spec.fields.get(key)
    return spec.title, (f.label if f is not None else key.replace("_", " ")), f


def _chain_view(s: Any, catalogue: Catalogue, c: ConflictRecord, case: CaseRecord | None, names: dict[str, str],
                amendment_uuids: list[str]) -> ConflictView:
    """A final form amended on two laptops: each amendment with who finalised it, when, why
    and what it changed, in the form's words."""
    from ddassess.services.answer_changes import change_sentences

    amended = s.scalar(select(ResponseRecord).where(ResponseRecord.uuid == c.entity_uuid))
    title = _words(catalogue, amended.form_id, amended.form_version, "")[0] if amended is not None else ""
    try:
        spec = catalogue.get(amended.form_id, amended.form_version) if amended is not None else None
    except UnknownFormError:
        spec = None
    before = json.loads(amended.answers_json) if amended is not None else {}
    values = []
    for u in amendment_uuids:
        a = s.scalar(select(ResponseRecord).where(ResponseRecord.uuid == u))
        if a is None:
            continue
        op = s.scalar(select(OperationRecord).where(OperationRecord.entity_uuid == u,
                                                    OperationRecord.action == "amend"))
        author = op.author if op is not None else (s.scalar(select(PractitionerRecord.uuid).where(
            PractitionerRecord.id == a.finalised_by_id)) or "")
        after = json.loads(a.answers_json)
        changed = [t for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)
                   for t in change_sentences(spec, title, k, before.get(k), after.get(k))]
        text = f"Reason: {a.amendment_reason or '(none given)'}\n" + ("\n".join(f"• {t}" for t in changed)
                                                                     or "• no answer changed")
        at = a.finalised_at or a.updated_at
        values.append(ConflictValue(u, text, author, names.get(author, "a practitioner not in this store"),
                                    at, op.device if op is not None else "", u))
    return ConflictView(c.uuid, case.id if case else None, case.ref if case else "", c.entity, c.entity_uuid,
                        c.field, c.kind, title, "Amended on two laptops: keep one amendment", tuple(values))


def _row_cells(body: dict[str, Any], group: str, rid: str) -> dict[str, Any]:
    """The cells of one row an operation sets, by column."""
    out: dict[str, Any] = {}
    for name, value in body["fields"].items():
        parts = split_row_field(name)
        if parts is not None and parts[:2] == (group, rid) and parts[2] != ROW_KEY:
            out[parts[2]] = value
    return out


def _row_value(group: Any, field: str, body: dict[str, Any]) -> tuple[Any, str]:
    """(value, words) of one side of a conflict about a whole row: its removal (None), or
    the row kept with what this side wrote in it."""
    parts = split_row_field(field)
    assert parts is not None
    if field in body["fields"] and body["fields"][field] is None:
        return None, "Remove this row"
    cells = _row_cells(body, parts[0], parts[1])
    cols = {c.id: c for c in getattr(group, "fields", ())}
    said = "; ".join(f"{cols[c].label if c in cols else c}: {answer_text(cols[c], v) if c in cols else v}"
                     for c, v in cells.items() if v is not None)
    return cells, "Keep this row" + (f", with {said}" if said else "")


def _text(spec_field: Any, value: Any) -> str:
    if value is None:
        return "(no answer)"
    if isinstance(value, dict) and "level" in value:
        return f"{value.get('level') or 'not raised'} — {value.get('reason', '')}"
    if spec_field is not None:
        return answer_text(spec_field, value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def list_conflicts(store: Store, case_id: int | None = None, *, catalogue: Catalogue | None = None
                   ) -> list[ConflictView]:
    """The open conflicts of one case, or of every case, oldest case first."""
    catalogue = catalogue or _default_catalogue()
    with store.read() as s:
        stmt = select(ConflictRecord).where(ConflictRecord.status == "open")
        if case_id is not None:  # the case's own conflicts, and those of its person's details
            case_uuid = s.scalar(select(CaseRecord.uuid).where(CaseRecord.id == case_id))
            person_uuid = s.scalar(select(PersonRecord.uuid).join(CaseRecord, CaseRecord.person_id == PersonRecord.id)
                                   .where(CaseRecord.id == case_id))
            of_person = (ConflictRecord.entity == "person") & (ConflictRecord.entity_uuid == (person_uuid or ""))
            stmt = stmt.where((ConflictRecord.case_uuid == (case_uuid or "")) | of_person)
        rows = s.scalars(stmt.order_by(ConflictRecord.case_uuid, ConflictRecord.entity_uuid,
                                       ConflictRecord.field)).all()
        names = {p.uuid: p.name for p in s.scalars(select(PractitionerRecord))}
        out = []
        for c in rows:
            if c.entity == "person":  # a person's details travel with each of their cases
                cases_of = select(CaseRecord).join(PersonRecord, CaseRecord.person_id == PersonRecord.id) \
                    .where(PersonRecord.uuid == c.entity_uuid).order_by(CaseRecord.id)
                if case_id is not None:
                    cases_of = cases_of.where(CaseRecord.id == case_id)
                case = s.scalar(cases_of)
            else:
                case = s.scalar(select(CaseRecord).where(CaseRecord.uuid == c.case_uuid))
            ids = json.loads(c.op_ids_json)
            if c.kind == "chain":  # two amendments of one final form: the amendments side by side
                out.append(_chain_view(s, catalogue, c, case, names, ids))
                continue
            bodies = {r.id: json.loads(r.body_json) for r in s.scalars(
                select(OperationRecord).where(OperationRecord.id.in_(ids)))}
            title, label, spec_field = "", _FIELD_WORDS.get(c.field, c.field.replace("_", " ")), None
            if c.entity == "response":
                r = s.scalar(select(ResponseRecord).where(ResponseRecord.uuid == c.entity_uuid))
                if r is not None:
                    title, label, spec_field = _words(catalogue, r.form_id, r.form_version, c.field,
                                                      json.loads(r.answers_json), bodies.values())
            elif c.entity == "person":
                title = "Person's details"
            row = split_row_field(c.field)
            whole_row = row is not None and row[2] == ROW_KEY
            values = []
            for i in (i for i in ids if i in bodies):
                b = bodies[i]
                value, text = _row_value(spec_field, c.field, b) if whole_row else (
                    b["fields"].get(c.field), _text(spec_field, b["fields"].get(c.field)))
                values.append(ConflictValue(value, text, b["author"], names.get(b["author"], "a practitioner not in "
                                                                                  "this store"),
                                            _at(b["hlc"]), b["device"], i))
            out.append(ConflictView(c.uuid, case.id if case else None, case.ref if case else "", c.entity,
                                    c.entity_uuid, c.field, c.kind, title, label, tuple(values)))
        return out


def resolve_conflict(store: Store, conflict_uuid: str, chosen: int | Any, reason: str, *,
                     catalogue: Catalogue | None = None) -> ConflictView:
    """Settle a conflict: ``chosen`` is the index of one of its values (as listed) or a value
    of its own (e.g. the two texts joined by hand). The reason is required and kept."""
    limits.check_text(reason, "The reason", limits.MAX_REASON, lines=True)
    reason = reason.strip()
    if not reason:
        raise InvalidInputError("Say why this value is kept: the reason is recorded with the choice.")
    listed = {c.uuid: c for c in list_conflicts(store, catalogue=catalogue)}
    view = listed.get(conflict_uuid)
    if view is None:
        raise ConflictNotOpenError("This conflict is not open any more: it was settled here or on another laptop.",
                                   hint="List the conflicts again to see what is still open.")
    if isinstance(chosen, int) and not isinstance(chosen, bool):
        if not 0 <= chosen < len(view.values):
            raise ConflictNotOpenError(f"Choose one of the {len(view.values)} values listed (1–{len(view.values)}).")
        value = view.values[chosen].value
    else:
        value = chosen
    with store.write() as s:
        conn = s.connection()
        ids = [v.operation_id for v in view.values]
        case_uuid = s.scalar(select(ConflictRecord.case_uuid).where(ConflictRecord.uuid == conflict_uuid)) or ""
        if view.kind == "final":
            fields: dict[str, Any] = {}
            base: dict[str, tuple[str, ...]] = {}
            meta = {"reason": reason, "conflict": conflict_uuid, "dismiss": ids}
        elif view.kind == "chain":  # the amendment kept stands; the other is superseded (derive.py)
            if not isinstance(chosen, int) or isinstance(chosen, bool):
                raise ConflictNotOpenError("Keep one of the amendments listed.")
            fields, base = {}, {}
            meta = {"reason": reason, "conflict": conflict_uuid, "chain": view.entity_uuid, "kept": value,
                    "seen": [v.value for v in view.values]}
        elif view.kind == "row":  # remove the row (based on every edit listed), or keep it as it is now
            if not isinstance(chosen, int) or isinstance(chosen, bool):
                raise ConflictNotOpenError("Keep one of the values listed: a row is removed or kept as it is.")
            removals = tuple(v.operation_id for v in view.values if v.value is None)
            if value is None:
                fields, base = {view.field: None}, {view.field: tuple(ids)}
            else:
                fields, base = {view.field: _row_marker(s, view.entity_uuid, view.field)}, {view.field: removals}
            meta = {"reason": reason, "conflict": conflict_uuid}
        else:
            fields, base = {view.field: value}, {view.field: tuple(ids)}
            meta = {"reason": reason, "conflict": conflict_uuid}
        op = Operation(id=uuid7(), case_uuid=case_uuid, entity=view.entity,
                       entity_uuid=str(value) if view.kind == "chain" else view.entity_uuid,
                       action="resolve", fields=fields, base=base,
                       hlc=capture.clock(conn, store.store_id).tick(), author=store.owner_uuid,
                       author_cert=str(s.info.get("author_cert", "")), device=store.store_id, meta=meta)
        append_event(s, actor=store.owner_uuid, action="resolve", entity_type="conflict", entity_id=conflict_uuid,
                     changes={"field": [None, view.field], "kept": [None, value],
                              **({"label": [None, view.field_label], "kept_words": [None, view.values[chosen].text]}
                                 if view.kind in ("row", "chain") or split_row_field(view.field) else {})},
                     reason=reason)
        apply.apply_local(s, op, note=f"conflict resolved: {reason}", catalogue=catalogue or _default_catalogue())
    return view


def _row_marker(s: Any, entity_uuid: str, field: str) -> Any:
    """The value that added a row (its place when added), to keep it where it was."""
    for body in s.scalars(select(OperationRecord.body_json).where(OperationRecord.entity_uuid == entity_uuid,
                                                                  OperationRecord.status == "applied")
                          .order_by(OperationRecord.hlc)):
        value = json.loads(body)["fields"].get(field)
        if value is not None:
            return value
    return {"n": 0}


def receive_operations(store: Store, ops: Iterable[Operation], *, received_from: str, via: str,
                       catalogue: Catalogue | None = None) -> apply.ApplyReport:
    """Apply received operations in one transaction: all of them, or none."""
    with store.write() as s:
        return apply.apply_operations(s, ops, received_from=received_from, via=via,
                                      catalogue=catalogue or _default_catalogue())


def case_operations(store: Store, case_ids: Iterable[int], after_seq: int = 0) -> list[Operation]:
    """The operations of these cases (and their people), in this store's order."""
    from ddassess.exchange.operations import operations_for_cases

    with store.read() as s:
        uuids = list(s.scalars(select(CaseRecord.uuid).where(CaseRecord.id.in_(list(case_ids)))))
        return [op for _seq, op in operations_for_cases(s, uuids, after_seq)]


def refused_operations(store: Store) -> list[tuple[str, str, str]]:
    """(operation id, entity, reason) of every received operation that could not be applied."""
    with store.read() as s:
        return [(r.id, r.entity, r.refusal) for r in s.scalars(select(OperationRecord)
                                                               .where(OperationRecord.status == "refused")
                                                               .order_by(OperationRecord.seq))]
