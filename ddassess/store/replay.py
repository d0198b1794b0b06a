"""Replaying the audit trail record by record and comparing it with the tables.

The chain (``audit.verify_chain``) proves the trail was not edited; this proves the
records were not edited *beside* it. For each audited kind of record the events are
streamed ordered by (kind, record id, seq) and the table's rows ordered by the same id,
and the two sorted streams are merged: each record's events are replayed into the state
they say it has (the last value each field was set to, deleted or not) and compared with
its row. Memory holds one record's events at a time (plus the ids of amended responses);
SQLite sorts the events itself, spilling to its (encrypted) temporary store when large.

A field is compared once any event has set it. Stores created by this version say so in
their creation event (``audit.AUDIT_FORMAT``): there every record must have events. In a
store made by an earlier version, whose releases did not audit every record under its
uuid, a row without events and events naming no id the app now writes are not reported,
and fields no event mentions stay unchecked (docs/store-check.md). The problems name the
kind, the record's id and the fields, never a value.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ddassess.store.audit import AUDIT_FORMAT_KEY, MAX_PROBLEMS, canonical, parse_changes
from ddassess.store.records import SESSION_SETTINGS

DELETING = frozenset({"delete", "discard"})


# The ids ddassess gives records: a uuid, a SHA-256 fingerprint, or "<uuid>/<setting key>".
_SAFE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(/[a-z0-9_]{1,64})?|[0-9a-f]{64}")


def shown_id(rid: str) -> str:
    """A record's id as a report may show it; anything else might be case data."""
    return rid if _SAFE_ID.fullmatch(rid) else "(with an id ddassess does not write)"


def _same(a: Any, b: Any) -> bool:
    """Equal as the trail stores values (dates as ISO text, JSON numbers); most values are
    equal as they are, so the JSON round trip is only for the rest."""
    return bool(a == b) or bool(json.loads(canonical(a)) == json.loads(canonical(b)))


@dataclass
class Replayed:
    """One record as its events say it is."""

    fields: dict[str, Any]
    answers: dict[str, Any]
    answers_complete: bool = False
    deleted: bool = False


Apply = Callable[[Replayed, str, dict[str, list[Any]], str], None]


def _apply_fields(names: tuple[str, ...], actions: frozenset[str] = frozenset({"create", "update"})) -> Apply:
    def apply(state: Replayed, action: str, changes: dict[str, list[Any]], reason: str) -> None:
        if action in actions:
            state.fields.update((k, v[1]) for k, v in changes.items() if k in names)
    return apply


RESPONSE_META = frozenset({"form", "amends", "answers", "status"})


def _apply_response(state: Replayed, action: str, changes: dict[str, list[Any]], reason: str) -> None:
    """create: form, amends, (since format 2) the first answers and status; update: answer
    diffs only; finalise: status; supersede: superseded; amend: the amendment is final, with its reason, and
    answer diffs against the response it amends (their new values are its answers)."""
    if action == "create":
        state.fields["status"] = changes.get("status", [None, "draft"])[1]
        state.fields.update((k, changes[k][1]) for k in ("form", "amends") if k in changes)
        if isinstance(changes.get("answers", [None, None])[1], dict):
            state.answers, state.answers_complete = dict(changes["answers"][1]), True
    elif action == "update":
        state.answers.update((k, v[1]) for k, v in changes.items())
    elif action == "finalise":
        state.fields["status"] = changes.get("status", [None, "final"])[1]
    elif action == "supersede":  # by a final amendment of it, or by the other amendment a person kept
        state.fields["status"] = "superseded"
    elif action == "amend":
        state.fields.update(status="final", amendment_reason=reason)
        if "amends" in changes:
            state.fields["amends"] = changes["amends"][1]
        if isinstance(changes.get("answers", [None, None])[1], dict):
            state.answers, state.answers_complete = dict(changes["answers"][1]), True
        state.answers.update((k, v[1]) for k, v in changes.items() if k not in RESPONSE_META)


ACK_FIELDS = ("case", "response", "flag", "reason")


def _apply_acknowledgement(state: Replayed, action: str, changes: dict[str, list[Any]], reason: str) -> None:
    """acknowledge: the case, response and flag acknowledged, and the reason given."""
    if action == "acknowledge":
        state.fields.update((k, v[1]) for k, v in changes.items() if k in ACK_FIELDS)
        state.fields["reason"] = reason


CARE_TEAM_FIELDS = ("case", "practitioner", "role", "basis", "reason", "removed")


def _apply_care_team(state: Replayed, action: str, changes: dict[str, list[Any]], reason: str) -> None:
    """create: the case, practitioner, role and basis, and the reason given; remove: removed."""
    if action == "create":
        state.fields.update((k, v[1]) for k, v in changes.items() if k in CARE_TEAM_FIELDS)
        state.fields.update(reason=reason, removed=False)
    elif action == "remove":
        state.fields["removed"] = True


@dataclass(frozen=True)
class Kind:
    entity_type: str
    label: str
    rows_sql: str  # first column the record's id, in the order the events are sorted
    fields: tuple[str, ...]
    apply: Apply


PERSON_FIELDS = ("given_name", "family_name", "preferred_name", "date_of_birth", "nhs_number", "gender", "address",
                 "phone", "email", "postcode", "gp_practice", "next_of_kin_name", "next_of_kin_relationship",
                 "next_of_kin_phone", "ethnicity", "pronouns", "communication_needs")
CASE_FIELDS = ("ref", "person", "stage", "status", "lead_agency", "care_coordinator_id", "partner_worker_id",
               "risk_level", "opened_on", "closed_on", "next_review_due", "risk_from_flags", "risk_override",
               "risk_override_reason", "risk_override_by", "risk_override_at")
PRACTITIONER_FIELDS = ("name", "role", "agency", "email", "phone")

KINDS = (
    Kind("care-plan", "care plan",
         "SELECT p.uuid, v.version, v.status = 'signed' AS signed, v.content_json AS content_sha256 "
         "FROM care_plans AS p LEFT JOIN care_plan_versions AS v ON v.care_plan_id = p.id AND v.version = "
         "(SELECT max(version) FROM care_plan_versions WHERE care_plan_id = p.id) ORDER BY p.uuid",
         ("version", "signed", "content_sha256"), _apply_fields(("version", "signed", "content_sha256"),
                                                                frozenset({"export"}))),
    Kind("case", "case",
         "SELECT c.uuid, c.ref, p.uuid AS person, c.stage, c.status, c.lead_agency, c.care_coordinator_id, "
         "c.partner_worker_id, c.risk_level, c.opened_on, c.closed_on, c.next_review_due, c.risk_from_flags, "
         "c.risk_override, c.risk_override_reason, c.risk_override_by, c.risk_override_at "
         "FROM cases AS c LEFT JOIN people AS p ON p.id = c.person_id ORDER BY c.uuid",
         CASE_FIELDS, _apply_fields(CASE_FIELDS)),
    Kind("care-team-member", "care team member",
         "SELECT m.uuid, c.uuid AS \"case\", p.uuid AS practitioner, m.role, m.basis, m.reason, "
         "m.removed_at IS NOT NULL AS removed FROM care_team_members AS m LEFT JOIN cases AS c ON c.id = m.case_id "
         "LEFT JOIN practitioners AS p ON p.id = m.practitioner_id ORDER BY m.uuid",
         CARE_TEAM_FIELDS, _apply_care_team),
    Kind("flag-acknowledgement", "flag acknowledgement",
         "SELECT a.uuid, c.uuid AS \"case\", a.response_uuid AS response, a.flag_id AS flag, a.reason "
         "FROM flag_acknowledgements AS a LEFT JOIN cases AS c ON c.id = a.case_id ORDER BY a.uuid",
         ACK_FIELDS, _apply_acknowledgement),
    Kind("person", "person", f"SELECT uuid, {', '.join(PERSON_FIELDS)} FROM people ORDER BY uuid",
         PERSON_FIELDS, _apply_fields(PERSON_FIELDS)),
    Kind("practitioner", "practitioner",
         f"SELECT uuid, {', '.join(PRACTITIONER_FIELDS)} FROM practitioners ORDER BY uuid",
         PRACTITIONER_FIELDS, _apply_fields(PRACTITIONER_FIELDS)),
    Kind("response", "response",
         "SELECT r.uuid, r.form_id || '@' || r.form_version AS form, r.status, a.uuid AS amends, "
         "r.amendment_reason, r.answers_json AS answers FROM form_responses AS r "
         "LEFT JOIN form_responses AS a ON a.id = r.amends_id ORDER BY r.uuid",
         ("form", "status", "amends", "amendment_reason"), _apply_response),
    Kind("setting", "setting",
         "SELECT p.uuid || '/' || s.key AS id, s.value_json AS value FROM practitioner_settings AS s "
         "JOIN practitioners AS p ON p.id = s.practitioner_id "
         f"WHERE s.key NOT IN ({', '.join(repr(k) for k in SESSION_SETTINGS)}) ORDER BY 1",
         ("value",), _apply_fields(("value",))),
    Kind("signing-authority", "signing authority",
         "SELECT fingerprint, name FROM signing_authorities ORDER BY fingerprint", ("name",), _apply_fields(("name",))),
    Kind("signing-identity", "signing identity",
         "SELECT i.fingerprint, p.uuid AS practitioner, i.source FROM signing_identities AS i "
         "LEFT JOIN practitioners AS p ON p.id = i.practitioner_id ORDER BY i.fingerprint",
         ("practitioner", "source"), _apply_fields(("practitioner", "source"))),
)
_EVENTS_SQL = text(
    "SELECT seq, action, entity_type, entity_id, changes_json, reason FROM audit_events "
    f"WHERE entity_type IN ({', '.join(repr(k.entity_type) for k in KINDS)}) AND typeof(entity_id) = 'text' "
    "ORDER BY entity_type, entity_id, seq")


def _row_value(kind: Kind, name: str, value: Any) -> Any:
    if kind.entity_type == "setting" and name == "value":
        try:
            return json.loads(value)
        except (TypeError, ValueError):
            return value  # not JSON: it cannot equal what an event set
    if name == "content_sha256":
        return None if value is None else hashlib.sha256(str(value).encode("utf-8")).hexdigest()
    if name in ("signed", "removed"):
        return None if value is None else bool(value)
    return value


class Replay:
    """The merge of one session's events and rows; ``problems`` in words, no case data."""

    def __init__(self, session: Session, batch: int = 2000) -> None:
        self.session, self.batch = session, batch
        self.problems: list[str] = []
        self.records = 0
        self.strict = self._strict()
        self.amended = self._amended()

    def _strict(self) -> bool:
        raw = self.session.execute(text("SELECT changes_json FROM audit_events WHERE seq = 1")).scalar()
        changes = parse_changes(raw) or {}
        return AUDIT_FORMAT_KEY in changes

    def _amended(self) -> set[str]:
        """Responses a finalised amendment replaced: they are superseded by that event."""
        out = set()
        rows = self.session.execute(text("SELECT changes_json FROM audit_events WHERE action = 'amend' "
                                         "AND entity_type = 'response'"), execution_options={"yield_per": self.batch})
        for (raw,) in rows:
            amends = (parse_changes(raw, pairs=True) or {}).get("amends", [None, None])[1]
            if isinstance(amends, str):
                out.add(amends)
        return out

    def _events(self) -> Iterator[tuple[str, str, list[Any]]]:
        rows = self.session.execute(_EVENTS_SQL, execution_options={"yield_per": self.batch})
        for (etype, eid), group in itertools.groupby(rows, key=lambda r: (r.entity_type, r.entity_id)):
            yield etype, eid, list(group)

    def _rows(self, kind: Kind) -> Iterator[Any]:
        return iter(self.session.execute(text(kind.rows_sql), execution_options={"yield_per": self.batch}))

    def run(self) -> list[str]:
        by_type = {k.entity_type: k for k in KINDS}
        events = self._events()
        current = next(events, None)
        for etype in sorted(by_type):
            kind = by_type[etype]
            rows = self._rows(kind)
            row = next(rows, None)
            while current is not None and current[0] == etype or row is not None:
                if len(self.problems) >= MAX_PROBLEMS:
                    return self.problems
                eid = current[1] if current is not None and current[0] == etype else None
                rid = row[0] if row is not None else None
                if current is not None and eid is not None and (rid is None or eid <= rid):
                    self._record(kind, eid, current[2], row if eid == rid else None)
                    if eid == rid:
                        row = next(rows, None)
                    current = next(events, None)
                else:  # a row no event comes before: the loop's test says there is one (ids are NOT NULL)
                    self._record(kind, str(rid), [], row)
                    row = next(rows, None)
        return self.problems

    def _replay(self, kind: Kind, rid: str, events: list[Any]) -> Replayed | None:
        state = Replayed({}, {})
        for ev in events:
            changes = parse_changes(ev.changes_json, pairs=True)
            if changes is None or not isinstance(ev.action, str):
                self.problems.append(f"{kind.label} {shown_id(rid)}: audit event {ev.seq} cannot be read (its action "
                                     "or its [old, new] changes), so the record cannot be checked against it")
                return None
            if ev.action in DELETING:
                state.deleted = True
                continue
            state.deleted = False
            kind.apply(state, ev.action, changes, ev.reason if isinstance(ev.reason, str) else "")
        return state

    def _record(self, kind: Kind, rid: str, events: list[Any], row: Any) -> None:
        self.records += 1
        what = f"{kind.label} {shown_id(rid)}"
        if not events:
            if self.strict:
                self.problems.append(f"{what} has no audit events: it was added outside ddassess")
            return
        state = self._replay(kind, rid, events)
        if state is None:
            return
        if row is None:
            if not state.deleted and (self.strict or _SAFE_ID.fullmatch(rid)):
                self.problems.append(f"{what} is gone, but its audit events do not record its deletion "
                                     "(it was deleted outside ddassess)")
            return
        if state.deleted:
            self.problems.append(f"{what} is deleted according to its audit events, but is still in the store")
            return
        values = row._mapping
        if kind.entity_type == "response" and state.fields.get("status") == "final" and values["uuid"] in self.amended:
            state.fields["status"] = "superseded"  # a finalised amendment of it says so
        differ = [name for name in kind.fields if name in state.fields
                  and not _same(state.fields[name], _row_value(kind, name, values[name]))]
        if kind.entity_type == "response":
            differ = self._response(values, state, differ)
        if differ:
            verb = "differs" if len(differ) == 1 else "differ"
            self.problems.append(f"{what}: {', '.join(differ)} {verb} from what its audit events last set "
                                 "(changed outside ddassess)")

    def _response(self, values: Any, state: Replayed, differ: list[str]) -> list[str]:
        try:
            answers = json.loads(values["answers"])
        except (TypeError, ValueError):
            return [*differ, "answers (not readable)"]
        if not isinstance(answers, dict):
            return [*differ, "answers (not readable)"]
        keys = set(state.answers) | (set(answers) if state.answers_complete else set())
        changed = sorted(k for k in keys if not _same(state.answers.get(k), answers.get(k)))
        if changed:
            shown = ", ".join(changed[:8]) + (f" and {len(changed) - 8} more" if len(changed) > 8 else "")
            differ.append(f"answers ({shown})")
        return differ


def replay_records(session: Session) -> tuple[int, list[str]]:
    """(records compared, problems) for every audited kind of record."""
    replay = Replay(session)
    problems = replay.run()
    return replay.records, problems
