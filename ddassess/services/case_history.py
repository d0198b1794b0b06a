"""The audit trail of one case in words: who (by name), when (local time), what, in the
form's words ("changed 'How often do you have a drink containing alcohol?' in AUDIT from
'Monthly or less' to 'Weekly'"), and "received from <name>" for a change made on a
colleague's laptop.

The events are those of the case, its person, its forms (amendments and cancelled
amendments included), its care plans and its flag acknowledgements, found by their uuids
(``audit_events.entity_id``). Nothing is inferred: every sentence is one recorded change.
Autosave writes a draft every second while someone types; the saves one person made to one
answer of one draft in a row (nobody else changing that form in between, no pause of more
than ``RUN_GAP``) read as one change, from the answer before the first save to the answer
after the last, so a paragraph typed in a minute is one line, not sixty.

``case_history`` returns one page, newest first; the dialog and ``ddassess cases history``
show it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ddassess.errors import FormDefinitionError, InvalidInputError, RecordNotFound, UnknownFormError
from ddassess.formengine import Catalogue, FormSpec
from ddassess.formengine.display import date_text, plain_text
from ddassess.services.answer_changes import answer_key, change_sentences, quoted, value_text
from ddassess.services.audit_reading import (
    SYSTEM_NAME,
    Event,
    events_of,
    name_of,
    own_reason,
    pair,
    practitioner_names,
    received_from,
)
from ddassess.services.case_header import STAGE_TITLES
from ddassess.services.settings import get_setting
from ddassess.store import Store
from ddassess.store.records import CarePlanRecord, CaseRecord, FlagAcknowledgementRecord, PersonRecord, ResponseRecord

PAGE = 200
MAX_PAGE = 5000
RUN_GAP = dt.timedelta(minutes=30)
CASE_ONLY = ""  # the filter "the case and the person", as a form id
# (table, kind of record) of records that belong to a case by ``case_id`` and are audited by uuid.
ACTION_WORDS = {"create": "added", "update": "changed", "delete": "removed"}

PERSON_WORDS = {
    "given_name": "given name", "family_name": "family name", "preferred_name": "preferred name",
    "date_of_birth": "date of birth", "nhs_number": "NHS number", "gender": "gender", "address": "address",
    "phone": "phone number", "email": "email address", "postcode": "postcode", "gp_practice": "GP practice",
    "next_of_kin_name": "next of kin's name", "next_of_kin_relationship": "next of kin's relationship",
    "next_of_kin_phone": "next of kin's phone number", "ethnicity": "ethnicity", "pronouns": "pronouns",
    "communication_needs": "communication needs",
}
# Fields of the case said elsewhere (the reason says why; the override says the level).
CASE_QUIET = frozenset({"risk_override_reason", "risk_override_by", "risk_override_at", "ref", "person",
                        "opened_on"})


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    at: dt.datetime
    who: str
    what: str  # after the name: "finalised Patient Health Questionnaire (PHQ-9)"
    form_id: str = CASE_ONLY  # the form it is about ("" for the case or the person)
    received_from: str = ""  # the colleague whose laptop it came from ("" when made here)
    after: int = 0  # 1: found just after event ``seq`` (a conflict), not one of its changes

    def when(self, date_format: str) -> str:
        local = self.at.astimezone()
        return f"{local.strftime(date_format)} {local:%H:%M}"

    def sentence(self, date_format: str) -> str:
        tail = f" (received from {self.received_from})" if self.received_from else ""
        return f"{self.when(date_format)} — {self.who} {self.what}{tail}"


@dataclass(frozen=True)
class CaseHistory:
    ref: str
    entries: tuple[HistoryEntry, ...]  # this page, newest first
    total: int  # entries matching the filter, on every page
    offset: int
    forms: tuple[tuple[str, str], ...]  # (form id, title) of the case's forms, for a filter
    date_format: str

    def lines(self) -> list[str]:
        return [e.sentence(self.date_format) for e in self.entries]

    @property
    def has_older(self) -> bool:
        return self.offset + len(self.entries) < self.total


@dataclass
class _Target:
    kind: str  # case, person, response, care-plan, flag-acknowledgement
    form_id: str = CASE_ONLY
    spec: FormSpec | None = None
    title: str = ""
    amendment: bool = False  # a response that amends another
    extra: dict[str, Any] = field(default_factory=dict)


def definition_of(catalogue: Catalogue, form_id: str, version: int, definition_hash: str) -> FormSpec | None:
    try:
        return catalogue.definition_for(form_id, version, definition_hash)
    except (FormDefinitionError, UnknownFormError):
        try:
            return catalogue.get(form_id)
        except UnknownFormError:
            return None


def _targets(s: Session, catalogue: Catalogue, case_id: int) -> tuple[CaseRecord, dict[str, _Target]]:
    c = s.get(CaseRecord, case_id)
    if c is None:
        raise RecordNotFound("That case is no longer in the store.")
    person = s.get(PersonRecord, c.person_id)
    targets: dict[str, _Target] = {c.uuid: _Target("case")}
    if person is not None:
        targets[person.uuid] = _Target("person")
    by_id: dict[int, ResponseRecord] = {r.id: r for r in s.scalars(
        select(ResponseRecord).where(ResponseRecord.case_id == case_id))}
    for r in by_id.values():
        spec = definition_of(catalogue, r.form_id, r.form_version, r.definition_hash)
        targets[r.uuid] = _Target("response", r.form_id, spec, plain_text(spec.title) if spec else r.form_id,
                                  r.amends_id is not None)
    for (plan_uuid,) in s.execute(select(CarePlanRecord.uuid).where(CarePlanRecord.case_id == case_id)):
        targets[plan_uuid] = _Target("care-plan", "care_plan", title="the care plan")
    for ack in s.scalars(select(FlagAcknowledgementRecord).where(FlagAcknowledgementRecord.case_id == case_id)):
        of = targets.get(ack.response_uuid)
        message = next((f.message for f in (of.spec.flags if of and of.spec else ()) if f.id == ack.flag_id),
                       ack.flag_id)
        targets[ack.uuid] = _Target("flag-acknowledgement", of.form_id if of else CASE_ONLY,
                                    of.spec if of else None, of.title if of else "a form no longer in the case",
                                    extra={"message": message})
    if _has_table(s, "care_team_members"):  # who the case is shared with (migration 0011)
        for uuid, member in s.execute(text("SELECT m.uuid, p.uuid FROM care_team_members m JOIN practitioners p "
                                           "ON p.id = m.practitioner_id WHERE m.case_id = :case"), {"case": case_id}):
            targets[str(uuid)] = _Target("care-team-member", extra={"practitioner": str(member)})
    if _has_table(s, "conflicts"):  # shared cases (migration 0009): conflicts and their resolutions
        rows = s.execute(text("SELECT uuid, entity_uuid, field, kind, op_ids_json, status, created_at "
                              "FROM conflicts WHERE case_uuid = :case"), {"case": c.uuid}).all()
        for uuid, entity_uuid, fld, kind, op_ids, status, created in rows:
            of = targets.get(entity_uuid)
            targets[uuid] = _Target("conflict", of.form_id if of else CASE_ONLY, of.spec if of else None,
                                    of.title if of else "", extra={"field": fld, "kind": kind, "status": status,
                                                                   "created": created, "ops": _ops(s, op_ids)})
    return c, targets


def _ops(s: Session, op_ids_json: str) -> list[dict[str, Any]]:
    """The bodies of the operations a conflict holds (the values in conflict, who gave each)."""
    try:
        ids = [str(i) for i in json.loads(op_ids_json)]
    except (ValueError, TypeError):
        return []
    marks = ", ".join(f":o{n}" for n in range(len(ids)))
    bodies = {}
    if ids:
        for oid, body in s.execute(text(f"SELECT id, body_json FROM operations WHERE id IN ({marks})"),
                                   {f"o{n}": v for n, v in enumerate(ids)}):
            try:
                bodies[oid] = json.loads(body)
            except ValueError:
                continue
    return [bodies[i] for i in ids if isinstance(bodies.get(i), dict)]


def _has_table(s: Session, name: str) -> bool:
    return s.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": name}).first() \
        is not None


def _cancelled_drafts(s: Session, targets: dict[str, _Target]) -> dict[str, _Target]:
    """Amendments started and cancelled: the draft is gone from the table, its events are
    not. Its creation names the response it amended (``amends``)."""
    found: dict[str, _Target] = {}
    rows = s.execute(text("SELECT entity_id, changes_json FROM audit_events WHERE entity_type = 'response' "
                          "AND action = 'discard'")).all()
    for eid, changes_json in rows:
        if eid in targets:
            continue
        try:
            amends = json.loads(changes_json).get("amends")
        except (ValueError, AttributeError):
            continue
        old = targets.get(amends[0]) if isinstance(amends, list) and amends and isinstance(amends[0], str) else None
        if old is not None and old.kind == "response":
            found[str(eid)] = _Target("response", old.form_id, old.spec, old.title, True)
    return found


def _case_sentences(e: Event, names: dict[str, str], coordinators: dict[int, str]) -> Iterator[str]:
    ch = e.changes
    if e.action == "create":
        yield "opened the case" + (f" {ch['ref'][1]}" if pair(ch, "ref") and isinstance(ch["ref"][1], str) else "")
        return
    if e.action == "export":
        yield "printed the care plan" if "printed" in e.reason else f"exported the case ({own_reason(e.reason)})"
        return
    said_first = ("risk_override", "status", "stage")  # what was decided before what follows from it
    keys = sorted(ch, key=lambda k: (said_first.index(k) if k in said_first else len(said_first), k))
    for key, (old, new) in ((k, ch[k]) for k in keys if isinstance(ch[k], list) and len(ch[k]) == 2):
        if key in CASE_QUIET:
            continue
        if key == "stage":
            yield f"moved the case to the step {quoted(STAGE_TITLES.get(str(new), str(new)))}"
        elif key == "status":
            yield "closed the case" if new == "closed" else "reopened the case"
        elif key == "closed_on":
            continue  # said with the status
        elif key == "lead_agency":
            yield f"set the lead agency to {quoted(new)}" if new else "cleared the lead agency"
        elif key == "next_review_due":
            yield f"set the next review to {date_text(new)}" if new else "cleared the next review date"
        elif key == "risk_level":
            yield f"changed the case's risk level from {_level(old)} to {_level(new)}"
        elif key == "risk_from_flags":
            way = "raised" if _rank(new) > _rank(old) else "lowered"
            yield (f"{way} the risk level the final forms' flags give to {_level(new)} (was {_level(old)}), "
                   "by finalising a form")
        elif key == "risk_override":
            yield (f"set the risk level by hand to {_level(new)}" if new is not None
                   else "removed the risk level set by hand (the forms' flags set it again)")
        elif key in ("care_coordinator_id", "partner_worker_id"):
            role = "care coordinator" if key == "care_coordinator_id" else "partner-service worker"
            who = coordinators.get(new) if isinstance(new, int) else None
            yield f"made {who} the {role}" if who else f"cleared the {role}"
        else:
            yield f"changed the case's {key.replace('_', ' ')} from {quoted(old)} to {quoted(new)}"


def _rank(value: Any) -> int:
    return {"high": 1, "urgent": 2}.get(str(value or ""), 0)


def _level(value: Any) -> str:
    return str(value).upper() if value else "NOT RAISED"


def _person_sentences(e: Event) -> Iterator[str]:
    if e.action == "create":
        given, family = pair(e.changes, "given_name"), pair(e.changes, "family_name")
        name = " ".join(str(p[1]) for p in (given, family) if p and p[1])
        yield f"registered the person{' ' + quoted(name) if name else ''}"
        return
    for key, (old, new) in ((k, v) for k, v in e.changes.items() if isinstance(v, list) and len(v) == 2):
        what = PERSON_WORDS.get(key, key.replace("_", " "))
        a, b = date_text(old) if old else "", date_text(new) if new else ""
        if not a:
            yield f"recorded the person's {what}: {quoted(b)}"
        elif not b:
            yield f"cleared the person's {what} (was {quoted(a)})"
        else:
            yield f"changed the person's {what} from {quoted(a)} to {quoted(b)}"


def _response_sentences(e: Event, t: _Target) -> Iterator[str]:
    form = t.title
    reason = own_reason(e.reason)
    if e.action == "create":
        if t.amendment or pair(e.changes, "amends"):
            yield f"started an amendment of {form}"
            return
        yield f"started {form}"
        answers = pair(e.changes, "answers")
        if answers and isinstance(answers[1], dict):
            given = answers[1]
            for key in _in_form_order(t.spec, given):
                yield from change_sentences(t.spec, form, key, None, given[key])
    elif e.action == "update":
        pairs = dict(_answer_pairs(e.changes))
        for key in _in_form_order(t.spec, pairs):
            yield from change_sentences(t.spec, form, key, *pairs[key])
    elif e.action == "finalise":
        yield f"finalised {form}"
    elif e.action == "amend":
        changed = [quoted(_label(t, key)) for key in _in_form_order(t.spec, dict(_answer_pairs(e.changes)))]
        yield (f"saved an amendment of {form}" + (f", changing {', '.join(changed)}" if changed else "")
               + (f", giving the reason {quoted(reason)}" if reason else ""))
    elif e.action == "discard":
        yield f"cancelled an amendment of {form}"
    elif e.action == "receive":  # the amendment came from another laptop (it was saved there, just before)
        yield f"amended {form} on another laptop"
    else:
        yield f"{e.action.replace('-', ' ')} {form}" + (f" ({reason})" if reason else "")


def _in_form_order(spec: FormSpec | None, keys: Iterable[str]) -> list[str]:
    """Answers in the order the form asks them (the trail keeps them sorted by id: q10 before q2)."""
    order = {fid: i for i, fid in enumerate(spec.fields)} if spec is not None else {}
    return sorted(keys, key=lambda k: (order.get(k, len(order)), k))


def _label(t: _Target, key: str) -> str:
    parts = key.split(".")
    if len(parts) == 3 and t.spec is not None and (group := t.spec.fields.get(parts[0])) is not None:
        col = _spec_of(t, key)  # a row's cell ("group.row id.column"): named by its group, never its id
        return f"{plain_text(group.label)}, a row" + (f": {plain_text(col.label)}" if col is not None else "")
    f = t.spec.fields.get(key) if t.spec is not None else None
    return plain_text(f.label) if f is not None else key


def _spec_of(t: _Target, key: str) -> Any:
    """The question (or a row's column) an answer key names, or None."""
    if t.spec is None:
        return None
    parts = key.split(".")
    if len(parts) == 3 and (group := t.spec.fields.get(parts[0])) is not None:
        return next((c for c in group.fields if c.id == parts[2]), None)
    return t.spec.fields.get(key)


def _answer_pairs(changes: dict[str, Any]) -> list[tuple[str, tuple[Any, Any]]]:
    """The answers an event changed: {field: [old, new]} (or 'answers.field'), not the form's own keys."""
    out = []
    for key, value in changes.items():
        if key in ("form", "status", "amends", "answers") or not (isinstance(value, list) and len(value) == 2):
            continue
        out.append((answer_key(key), (value[0], value[1])))
    return out


def _other_sentences(e: Event, t: _Target, names: dict[str, str]) -> Iterator[str]:
    reason = own_reason(e.reason)
    if t.kind == "care-plan":
        version, signed = pair(e.changes, "version"), pair(e.changes, "signed")
        what = "a signed PDF" if signed and signed[1] else "a PDF"
        yield f"wrote the care plan{f' version {version[1]}' if version else ''} as {what}"
    elif t.kind == "conflict":
        fld = answer_key(str(t.extra.get("field", "")))
        kept = pair(e.changes, "kept")
        label = quoted(_label(t, fld)) if t.spec is not None else quoted(fld.replace("_", " "))
        where = f" in {t.title}" if t.title else ""
        words = value_text(_spec_of(t, fld), kept[1]) if kept else ""
        listed, kept_words = pair(e.changes, "label"), pair(e.changes, "kept_words")
        if listed:  # a row's cell, a row, or an amendment: named as the conflict listed it (never by its ids)
            label, words = quoted(str(listed[1])), str(kept_words[1]) if kept_words else ""
        yield (f"resolved the conflict over {label}{where}" + (f", keeping {quoted(words)}" if words else "")
               + (f", giving the reason {quoted(reason)}" if reason else ""))
    elif t.kind == "care-team-member" and e.action in ("create", "remove"):
        member = name_of(names, str(t.extra.get("practitioner", "")))
        role = pair(e.changes, "role")
        as_role = f" as {str(role[1]).replace('_', ' ')}" if role and role[1] else ""
        if e.action == "create" and t.extra.get("practitioner") == e.actor:
            yield f"joined the care team{as_role}" + (f" ({reason})" if reason else "")
        elif e.action == "create":
            yield f"added {member} to the care team{as_role}" + (f" ({reason})" if reason else "")
        else:
            yield f"removed {member} from the care team" + (f", giving the reason {quoted(reason)}" if reason else "")
    elif t.kind == "flag-acknowledgement":
        yield (f"acknowledged the flag {quoted(t.extra.get('message', ''))} of {t.title}"
               + (f", giving the reason {quoted(reason)}" if reason else ""))
    else:
        what = e.entity_type.replace("-", " ")
        verb = ACTION_WORDS.get(e.action)
        said = f"{verb} a {what}" if verb else f"{e.action.replace('-', ' ')} {what}"
        yield said + (f" ({reason})" if reason else "")


@dataclass
class _Run:
    """Consecutive saves of one draft by one person: one change per answer, first old to last new."""

    first: Event
    last: Event
    answers: dict[str, list[Any]]


def _runs(events: list[Event], targets: dict[str, _Target]) -> Iterator[Event]:
    """The events, with each run of saves to a draft folded into one event (its last one's
    seq and time, each answer's first old and last new value)."""
    open_runs: dict[str, _Run] = {}

    def close(eid: str) -> Event | None:
        run = open_runs.pop(eid, None)
        if run is None:
            return None
        return Event(run.last.seq, run.last.at, run.last.actor, "update", run.last.entity_type, eid,
                     {k: v for k, v in run.answers.items() if v[0] != v[1]}, run.last.reason)

    pending: list[Event] = []
    for e in events:
        t = targets.get(e.entity_id)
        if t is not None and t.kind == "response" and e.action == "update":
            run = open_runs.get(e.entity_id)
            if run is not None and (run.last.actor != e.actor or run.last.reason != e.reason
                                    or e.at - run.last.at > RUN_GAP):
                done = close(e.entity_id)
                if done is not None:
                    pending.append(done)
                run = None
            if run is None:
                open_runs[e.entity_id] = _Run(e, e, {})
                run = open_runs[e.entity_id]
            run.last = e
            for key, (old, new) in _answer_pairs(e.changes):
                if key in run.answers:
                    run.answers[key][1] = new
                else:
                    run.answers[key] = [old, new]
            continue
        done = close(e.entity_id)
        if done is not None:
            pending.append(done)
        pending.append(e)
    pending.extend(x for x in (close(eid) for eid in list(open_runs)) if x is not None)
    pending.sort(key=lambda x: x.seq)
    yield from pending


def _conflicts_found(targets: dict[str, _Target], events: list[Event], names: dict[str, str]) -> Iterator[HistoryEntry]:
    """A conflict as it was found: the values each author gave, and whether it is still open.
    Placed after the last event recorded before it (the changes that brought it)."""
    from ddassess.store.audit import parse_time

    for t in targets.values():
        if t.kind != "conflict":
            continue
        at = parse_time(t.extra.get("created"))
        if at is None:
            continue
        anchor = max((e.seq for e in events if e.at <= at), default=0)
        fld = answer_key(str(t.extra.get("field", "")))
        f = _spec_of(t, fld)
        label = quoted(_label(t, fld)) if t.spec is not None else quoted(fld.replace("_", " "))
        where = f" in {t.title}" if t.title else ""
        if t.extra.get("kind") in ("row", "chain"):
            what = (f"found {label}{where} removed on one laptop while it was changed on another"
                    if t.extra.get("kind") == "row" else f"found {t.title or 'a form'} amended on two laptops")
            yield HistoryEntry(anchor, at, SYSTEM_NAME, f"{what} ({_state(t)})", t.form_id, after=1)
            continue
        gave = [f"{name_of(names, str(b.get('author', '')))} gave "
                f"{quoted(value_text(f, (b.get('fields') or {}).get(str(t.extra.get('field')))) or 'no answer')}"
                for b in t.extra.get("ops", [])]
        state = _state(t)
        what = (f"found a conflict over {label}{where}: {'; '.join(gave)} ({state})" if t.extra.get("kind") != "final"
                else f"found a change to {label}{where} made after the form was finalised ({state})")
        yield HistoryEntry(anchor, at, SYSTEM_NAME, what, t.form_id, after=1)


def _state(t: _Target) -> str:
    return {"open": "still open", "resolved": "since resolved"}.get(str(t.extra.get("status")), "since settled")


def _all_entries(store: Store, catalogue: Catalogue, case_id: int) -> tuple[str, list[HistoryEntry],
                                                                              dict[str, str]]:
    with store.read() as s:
        c, targets = _targets(s, catalogue, case_id)
        targets |= _cancelled_drafts(s, targets)
        events = events_of(s, targets)
        names = practitioner_names(s)
        coordinators = {int(pid): str(name) for pid, name in s.execute(text("SELECT id, name FROM practitioners"))}
    entries: list[HistoryEntry] = []
    forms: dict[str, str] = {}
    for e in _runs(events, targets):
        t = targets[e.entity_id]
        if t.kind == "case":
            words = list(_case_sentences(e, names, coordinators))
            reason = own_reason(e.reason)
            if words and reason and e.action == "update":  # a risk level set by hand says why
                words[0] += f", giving the reason {quoted(reason)}"
        elif t.kind == "person":
            words = list(_person_sentences(e))
        elif t.kind == "response":
            words = list(_response_sentences(e, t))
        else:
            words = list(_other_sentences(e, t, names))
        if t.form_id and t.kind == "response":
            forms[t.form_id] = t.title
        elif t.form_id:
            forms.setdefault(t.form_id, t.title)
        who, sender = name_of(names, e.actor), received_from(e.reason)
        entries += [HistoryEntry(e.seq, e.at, who, what, t.form_id, sender) for what in words]
    entries += _conflicts_found(targets, events, names)
    return c.ref, entries, forms


def case_history(store: Store, catalogue: Catalogue, case_id: int, *, form_id: str | None = None,
                 offset: int = 0, limit: int = PAGE) -> CaseHistory:
    """One page of the case's history, newest first. ``form_id``: only that form's entries
    (``CASE_ONLY``: only the case's and the person's); None: everything."""
    if not (isinstance(offset, int) and isinstance(limit, int)) or offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise InvalidInputError(f"A page of the history starts at 0 or later and holds 1 to {MAX_PAGE} entries.")
    ref, entries, forms = _all_entries(store, catalogue, case_id)
    if form_id is not None:
        entries = [e for e in entries if e.form_id == form_id]
    entries.sort(key=lambda e: (-e.seq, -e.after))  # newest first; one event's changes in the order it lists them
    page = tuple(entries[offset:offset + limit])
    titles = tuple(sorted(forms.items(), key=lambda kv: kv[1].lower()))
    return CaseHistory(ref, page, len(entries), offset, titles, get_setting(store, "date_format") or "%d %b %Y")
