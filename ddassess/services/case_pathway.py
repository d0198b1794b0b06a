"""A case and its forms, as the case view shows them; and the case's answers for latest().

The forms engine asks a ``CaseContext`` for ``latest('phq9', 'total')``: this one answers
from the newest response of that form in the case (final ones first), scoring it with the
definition it was saved with.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ddassess.domain import limits
from ddassess.domain.models import FORM_STAGE as FORM_STAGE  # the pathway step each form belongs to
from ddassess.domain.models import PATHWAY_STAGES, PersonDetails, Response
from ddassess.errors import CaseNotFoundError, RecordNotFound, UnknownFormError
from ddassess.exchange.ids import normalise_ref
from ddassess.formengine import Catalogue, Evaluation, evaluate
from ddassess.services.case_risk import refresh_case_risk
from ddassess.store import Store
from ddassess.store.audit import append_event
from ddassess.store.records import CaseRecord, PersonRecord, ResponseRecord
from ddassess.store.replay import PERSON_FIELDS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session



@dataclass(frozen=True)
class ResponseSummary:
    id: int
    form_id: str
    form_version: int
    definition_hash: str
    status: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class CaseDetail:
    case_id: int
    ref: str
    stage: str
    status: str
    lead_agency: str
    risk_level: str
    opened_on: dt.date
    next_review_due: dt.date | None
    person_name: str
    date_of_birth: dt.date | None
    nhs_number: str | None
    responses: tuple[ResponseSummary, ...]
    person_id: int = 0
    person: PersonDetails | None = None  # everything recorded about the person (the header's person line)


def case_and_person(s: Session, case_id: int) -> tuple[CaseRecord, PersonRecord]:
    """A case and the person it is about, or RecordNotFound saying which is missing."""
    c = s.get(CaseRecord, case_id)
    if c is None:
        raise RecordNotFound("That case is no longer in the store.")
    p = s.get(PersonRecord, c.person_id)
    if p is None:  # only an edited store lacks it (the foreign key keeps people with cases)
        raise RecordNotFound(f"The person of case {c.ref} is missing from the store.",
                             hint="Run `ddassess store check`, and restore the store from a backup.")
    return c, p


def case_detail(store: Store, case_id: int) -> CaseDetail:
    with store.read() as s:
        c, p = case_and_person(s, case_id)
        rows = s.scalars(select(ResponseRecord).where(ResponseRecord.case_id == case_id)
                         .order_by(ResponseRecord.updated_at.desc())).all()
        responses = tuple(ResponseSummary(r.id, r.form_id, r.form_version, r.definition_hash, r.status, r.updated_at)
                          for r in rows)
        return CaseDetail(c.id, c.ref, c.stage, c.status, c.lead_agency, c.risk_level, c.opened_on,
                          c.next_review_due, f"{p.given_name} {p.family_name}", p.date_of_birth, p.nhs_number,
                          responses, p.id, PersonDetails(**{f: getattr(p, f) for f in PERSON_FIELDS}))


def case_id_for_ref(store: Store, ref: str) -> int:
    limits.check_text(ref, "The case reference", limits.MAX_CASE_REF)
    with store.read() as s:
        case_id = s.scalar(select(CaseRecord.id).where(CaseRecord.ref == normalise_ref(ref)))
    if case_id is None:
        raise CaseNotFoundError(f"There is no case {ref} in this store.",
                                hint="Case references look like DD-K9Z3P-T5S04 (older ones DD-2026-00042); "
                                "`ddassess cases list` shows them.")
    return int(case_id)


def advance_stage(store: Store, case_id: int, form_id: str, on: dt.date | None = None) -> None:
    """Move the case along the pathway when a form of a later step is finalised (``on``: the
    day it was, today when not given)."""
    target = FORM_STAGE.get(form_id)
    if target is None:
        return
    with store.write() as s:
        c = s.get(CaseRecord, case_id)
        if c is None or PATHWAY_STAGES.index(target) <= PATHWAY_STAGES.index(c.stage):
            return
        changes: dict[str, list[Any]] = {"stage": [c.stage, target]}
        c.stage = target
        if target == "discharged":
            closed_on = on or dt.date.today()
            changes |= {"status": [c.status, "closed"], "closed_on": [c.closed_on, closed_on]}
            c.status, c.closed_on = "closed", closed_on
        append_event(s, actor=store.owner_uuid, action="update", entity_type="case", entity_id=c.uuid,
                     changes=changes)


def set_lead(store: Store, case_id: int, lead_agency: str, next_review_due: dt.date | None) -> None:
    """Record the agreed lead agency and the next joint review date on the case."""
    with store.write() as s:
        c = s.get(CaseRecord, case_id)
        if c is None:
            raise RecordNotFound("That case is no longer in the store.")
        changes = {k: [old, new] for k, old, new in (("lead_agency", c.lead_agency, lead_agency),
                                                       ("next_review_due", c.next_review_due, next_review_due))
                   if old != new}
        c.lead_agency, c.next_review_due = lead_agency, next_review_due
        if changes:
            append_event(s, actor=store.owner_uuid, action="update", entity_type="case", entity_id=c.uuid,
                         changes=changes)


# What a final form tells the case itself (the case list filters and sorts on these).
REVIEW_DATE_FIELDS = {"care_plan": "next_review", "joint_review": "next_review"}


def _update_case(store: Store, case_id: int, **values: Any) -> None:
    with store.write() as s:
        c = s.get(CaseRecord, case_id)
        if c is None:
            raise RecordNotFound("That case is no longer in the store.")
        changes = {k: [getattr(c, k), v] for k, v in values.items() if getattr(c, k) != v}
        for k, v in values.items():
            setattr(c, k, v)
        if changes:
            append_event(s, actor=store.owner_uuid, action="update", entity_type="case", entity_id=c.uuid,
                         changes=changes)


def _practitioner_id(store: Store, name: str) -> int | None:
    from ddassess.store.records import PractitionerRecord

    wanted = " ".join(name.split()).casefold()
    if not wanted:
        return None
    with store.read() as s:
        for pid, pname in s.execute(select(PractitionerRecord.id, PractitionerRecord.name)):
            if " ".join(pname.split()).casefold() == wanted:
                return int(pid)
    return None


def finalise_form(store: Store, catalogue: Catalogue, response_id: int,
                  reason: str | None = None, *, at: dt.datetime | None = None) -> Response:
    """Finalise a draft (or, with a reason, an amendment) and let the case follow it.

    One place, so the window, the CLI and the tests give the same result: the pathway
    moves on; the case's risk level is worked out again from its final forms
    (``case_risk``: an amendment that removes a flag lowers it); a lead agency decision sets the
    case's lead agency (and its care coordinator when the named one is a practitioner in
    this store); a care plan or joint review sets the next review date; a discharge clears
    it (a closed case has no review due). ``at``: when it was finalised (now by default).
    """
    from ddassess.services import case_changes

    draft = case_changes.get_response(store, response_id)
    if draft.amends_id is not None:
        response = case_changes.finalise_amendment(store, response_id, reason or "", at=at)
    else:
        response = case_changes.finalise_response(store, response_id, at=at)
    apply_final_response(store, catalogue, response, at=at)
    return response


def apply_final_response(store: Store, catalogue: Catalogue, response: Response,
                         at: dt.datetime | None = None) -> None:
    """What a final response says about its case (see ``finalise_form``)."""
    advance_stage(store, response.case_id, response.form_id, at.date() if at is not None else None)
    if response.form_id == "discharge":
        _update_case(store, response.case_id, next_review_due=None)
    refresh_case_risk(store, catalogue, response.case_id, response)
    try:
        spec = catalogue.get(response.form_id, response.form_version)
    except UnknownFormError:
        return
    answers = response.answers
    if response.form_id == "lead_agency" and answers.get("lead"):
        field = spec.fields.get("lead")
        labels = {c.value: c.label for c in field.choices} if field is not None else {}
        values: dict[str, Any] = {"lead_agency": labels.get(answers["lead"], str(answers["lead"]))}
        coordinator = _practitioner_id(store, str(answers.get("care_coordinator") or ""))
        if coordinator is not None:
            values["care_coordinator_id"] = coordinator
        _update_case(store, response.case_id, **values)
    review_field = REVIEW_DATE_FIELDS.get(response.form_id)
    if review_field and answers.get(review_field):
        try:
            due = dt.date.fromisoformat(str(answers[review_field])[:10])
        except ValueError:  # the engine checked it before finalising; an old response may not have been
            return
        _update_case(store, response.case_id, next_review_due=due)


class StoredCaseContext:
    """``latest(form, name)`` answered from the case's stored responses."""

    def __init__(self, store: Store, case_id: int, catalogue: Catalogue, exclude_response: int | None = None) -> None:
        self.store, self.case_id, self.catalogue, self.exclude = store, case_id, catalogue, exclude_response
        self._cache: dict[str, Any] = {}
        self._sources: dict[str, str] = {}  # form id -> "the PHQ-9 of 3 Nov 2026" (what latest() read)

    def lookup(self, form_id: str, name: str) -> Any:
        if form_id not in self._cache:
            self._cache[form_id] = self._evaluate_latest(form_id)
        ev = self._cache[form_id]
        if ev is None:
            return None
        if name in ev.scores:
            return ev.scores[name].value
        if name in ev.computed:
            return ev.computed[name]
        value = ev.answers.get(name, ev.values.get(name))
        return value

    def _evaluate_latest(self, form_id: str) -> Evaluation | None:
        with self.store.read() as s:
            stmt = (select(ResponseRecord).where(ResponseRecord.case_id == self.case_id,
                                                  ResponseRecord.form_id == form_id,
                                                  ResponseRecord.status != "superseded")
                    .order_by((ResponseRecord.status == "final").desc(), ResponseRecord.updated_at.desc()))
            if self.exclude is not None:
                stmt = stmt.where(ResponseRecord.id != self.exclude)
            r = s.scalars(stmt).first()
            if r is None:
                return None
            version, answers = r.form_version, json.loads(r.answers_json)
            status, on = r.status, (r.finalised_at or r.updated_at)
        try:
            spec = self.catalogue.get(form_id, version)
        except UnknownFormError:  # a form no longer in the catalogue has nothing to say
            return None
        draft = "" if status == "final" else "draft "
        self._sources[form_id] = f"the {draft}{short_title(spec.title)} of {on.astimezone():%-d %b %Y}"
        return evaluate(spec, answers, tables=self.catalogue.tables)

    def source(self, form_id: str) -> str:
        """Which response ``latest(form_id, ...)`` read, in words ("the PHQ-9 of 3 Nov 2026",
        "the draft AUDIT of 1 Nov 2026"); "" when the case has none."""
        self.lookup(form_id, "")
        return self._sources.get(form_id, "")


def short_title(title: str) -> str:
    """The name a form is known by: "Patient Health Questionnaire (PHQ-9)" -> "PHQ-9",
    "AUDIT-C (alcohol ...)" -> "AUDIT-C", "Joint care plan" -> "Joint care plan"."""
    first = title.split(" ", 1)[0]
    if re.fullmatch(r"[A-Z][A-Z0-9-]+", first):
        return first
    m = re.search(r"\(([A-Z][A-Z0-9-]+)\b", title)
    return m.group(1) if m else title
