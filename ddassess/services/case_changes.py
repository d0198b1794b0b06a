"""Use cases on people, cases and form responses. Every change writes its audit event
in the same transaction, so a change and its record of who/when/what stand or fall
together.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ddassess.domain import limits
from ddassess.domain.models import Case, Person, PersonDetails, Response, search_key
from ddassess.domain.nhs import nhs_number_problem, normalise_nhs_number
from ddassess.domain.person import (
    email_problem,
    ethnicity_problem,
    normalise_postcode,
    phone_problem,
    postcode_problem,
    unshowable_problem,
)
from ddassess.errors import InvalidInputError, RecordNotFound
from ddassess.exchange.ids import new_case_ref
from ddassess.formengine.row_ids import with_row_ids
from ddassess.services import care_team
from ddassess.store import Store, case_facts
from ddassess.store.audit import append_event, diff
from ddassess.store.records import CaseRecord, PersonRecord, ResponseRecord, utcnow
from ddassess.store.replay import CASE_FIELDS, PERSON_FIELDS


def _person(r: PersonRecord) -> Person:
    return Person(r.id, r.uuid, r.given_name, r.family_name, r.date_of_birth, r.nhs_number)


def _case(r: CaseRecord) -> Case:
    return Case(r.id, r.uuid, r.ref, r.person_id, r.stage, r.status, r.opened_on)


def _response(r: ResponseRecord) -> Response:
    return Response(r.id, r.uuid, r.case_id, r.form_id, r.form_version, r.definition_hash, r.status,
                    json.loads(r.answers_json), r.updated_at, r.amends_id, r.amendment_reason)


def _get_response(session: Session, response_id: int) -> ResponseRecord:
    r = session.get(ResponseRecord, response_id)
    if r is None:
        raise RecordNotFound("That form is no longer in the store.")
    return r


# Each free-text detail of a person: (attribute, how a message names it, limit, several lines?)
PERSON_TEXT = (
    ("given_name", "The given name", limits.MAX_NAME, False),
    ("family_name", "The family name", limits.MAX_NAME, False),
    ("preferred_name", "The preferred name", limits.MAX_NAME, False),
    ("gender", "The gender", limits.MAX_DETAIL, False),
    ("phone", "The phone number", limits.MAX_DETAIL, False),
    ("email", "The email address", limits.MAX_DETAIL, False),
    ("address", "The address", limits.MAX_ADDRESS, True),
    ("postcode", "The postcode", limits.MAX_POSTCODE, False),
    ("gp_practice", "The GP practice", limits.MAX_DETAIL, False),
    ("next_of_kin_name", "The next of kin's name", limits.MAX_NAME, False),
    ("next_of_kin_relationship", "The next of kin's relationship", limits.MAX_DETAIL, False),
    ("next_of_kin_phone", "The next of kin's phone number", limits.MAX_DETAIL, False),
    ("ethnicity", "The ethnicity", limits.MAX_DETAIL, False),
    ("pronouns", "The pronouns", limits.MAX_PRONOUNS, False),
    ("communication_needs", "The communication needs", limits.MAX_COMMUNICATION, True),
)


def person_problems(d: PersonDetails) -> list[str]:
    """Everything wrong with ``d``, each in words that say what to do; [] when it can be stored."""
    problems = [p for attr, label, limit, lines in PERSON_TEXT
                if (p := limits.text_problem(getattr(d, attr), label, limit, lines=lines))]
    if not isinstance(d.nhs_number, str | None):
        problems.append("The NHS number must be text.")
    if problems:  # the rest would only trip over what is already wrong
        return problems
    problems += [p for attr, label, _limit, _lines in PERSON_TEXT
                 if (p := unshowable_problem(getattr(d, attr) or "", label))]
    if not d.given_name.strip() or not d.family_name.strip():
        problems.append("Enter both the given name and the family name.")
    problems += [p for p in (phone_problem(d.phone),
                             phone_problem(d.next_of_kin_phone, "The next of kin's phone number"),
                             email_problem(d.email), postcode_problem(d.postcode), ethnicity_problem(d.ethnicity)) if p]
    if d.nhs_number:
        p = nhs_number_problem(d.nhs_number)
        if p:
            problems.append(p)
    if d.date_of_birth and d.date_of_birth > dt.date.today():
        problems.append("The date of birth is in the future: check the year.")
    return problems


def _stored(details: PersonDetails) -> dict[str, Any]:
    """The columns of a person as they are kept: trimmed, the NHS number and postcode in one layout."""
    values: dict[str, Any] = {attr: (getattr(details, attr) or "").strip()
                              for attr, _label, _limit, _lines in PERSON_TEXT}
    values["address"] = "\n".join(line.strip() for line in details.address.strip().splitlines() if line.strip())
    values["phone"] = " ".join(details.phone.split())
    values["next_of_kin_phone"] = " ".join(details.next_of_kin_phone.split())
    values["postcode"] = normalise_postcode(details.postcode)
    values["date_of_birth"] = details.date_of_birth
    values["nhs_number"] = normalise_nhs_number(details.nhs_number) if details.nhs_number else None
    values["search_name"] = search_key(f"{details.given_name} {details.family_name}")
    return values


def _checked(details: PersonDetails) -> dict[str, Any]:
    problems = person_problems(details)
    if problems:
        raise InvalidInputError(" ".join(problems))
    return _stored(details)


def register_person(store: Store, details: PersonDetails) -> Person:
    record = PersonRecord(**_checked(details))
    try:
        with store.write() as s:
            s.add(record)
            s.flush()
            # Every field the replay of ``store check`` compares (store/replay.py).
            append_event(s, actor=store.owner_uuid, action="create", entity_type="person", entity_id=record.uuid,
                         changes={k: [None, getattr(record, k)] for k in PERSON_FIELDS})
    except IntegrityError:
        raise InvalidInputError(
            "A person with this NHS number is already recorded: open their record instead.") from None
    return _person(record)


def _details(r: PersonRecord) -> PersonDetails:
    return PersonDetails(**{f: getattr(r, f) for f in PERSON_FIELDS})


def person_details(store: Store, person_id: int) -> PersonDetails:
    """Everything recorded about a person, as the referral and the edit dialog show it."""
    with store.read() as s:
        r = s.get(PersonRecord, person_id)
        if r is None:
            raise RecordNotFound("That person is no longer in the store.")
        return _details(r)


def update_person(store: Store, person_id: int, details: PersonDetails) -> Person:
    """Change what is recorded about a person: checked as at registration; the audit event
    keeps each changed detail's old and new value (store check replays it). Nothing is
    written when nothing changed; a bad detail raises InvalidInputError and writes nothing."""
    values = _checked(details)
    try:
        with store.write() as s:
            r = s.get(PersonRecord, person_id)
            if r is None:
                raise RecordNotFound("That person is no longer in the store.")
            changes = {f: [getattr(r, f), values[f]] for f in PERSON_FIELDS if getattr(r, f) != values[f]}
            if changes:
                for name, value in values.items():
                    setattr(r, name, value)  # search_name too: the search index's trigger follows it
                append_event(s, actor=store.owner_uuid, action="update", entity_type="person", entity_id=r.uuid,
                             changes=changes)
            person = _person(r)
    except IntegrityError:
        raise InvalidInputError("Another person already has this NHS number: check the number, or open "
                                "that person's record instead.") from None
    return person


def find_person_by_nhs(store: Store, nhs_number: str) -> Person | None:
    with store.read() as s:
        r = s.scalars(select(PersonRecord).where(PersonRecord.nhs_number == normalise_nhs_number(nhs_number))).first()
        return _person(r) if r else None


def search_people(store: Store, text: str, limit: int = 50) -> list[Person]:
    """People whose name starts with the typed text (any word of it), newest first."""
    limits.check_text(text, "The search", limits.MAX_SEARCH)
    key = search_key(text)
    if not key:
        return []
    pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    with store.read() as s:
        stmt = (select(PersonRecord)
                .where((PersonRecord.search_name.like(f"{pattern}%", escape="\\"))
                       | (PersonRecord.search_name.like(f"% {pattern}%", escape="\\")))
                .order_by(PersonRecord.family_name, PersonRecord.given_name).limit(limit))
        return [_person(r) for r in s.scalars(stmt)]


def open_case(store: Store, person_id: int, opened_on: dt.date | None = None) -> Case:
    with store.write() as s:
        person = s.get(PersonRecord, person_id)
        if person is None:
            raise RecordNotFound("That person is no longer in the store.")
        opened = opened_on or dt.date.today()
        # The practitioner who opens a case coordinates it until the lead agency decision says otherwise.
        # The reference is random (exchange/ids.py), so two laptops never make the same one;
        # a clash with one already here is tried again.
        for attempt in range(8):
            record = CaseRecord(ref=new_case_ref(), person_id=person_id, opened_on=opened,
                                care_coordinator_id=_owner_id(s, store))
            try:
                with s.begin_nested():
                    s.add(record)
                    s.flush()
                break
            except IntegrityError:
                if attempt == 7:
                    raise
        append_event(s, actor=store.owner_uuid, action="create", entity_type="case", entity_id=record.uuid,
                     changes={"person": [None, person.uuid],
                              **{k: [None, getattr(record, k)] for k in CASE_FIELDS if k != "person"}})
        care_team.add_opener(s, record, store.owner_uuid)  # the opener is in the case's care team
    return _case(record)


def _when(at: dt.datetime | None) -> dt.datetime:
    """The time a change is recorded as made: now, or ``at`` when a caller builds a history
    (the demo store dates each form on its own day through these same services)."""
    return at if at is not None else utcnow()


def start_response(store: Store, case_id: int, form_id: str, form_version: int, definition_hash: str,
                   answers: dict[str, Any] | None = None, *, at: dt.datetime | None = None) -> Response:
    limits.check_answers(answers or {})
    answers = with_row_ids(answers or {})  # each row of a repeating group named for good
    with store.write() as s:
        if s.get(CaseRecord, case_id) is None:
            raise RecordNotFound("That case is no longer in the store.")
        record = ResponseRecord(case_id=case_id, form_id=form_id, form_version=form_version,
                                definition_hash=definition_hash, answers_json=json.dumps(answers or {}),
                                created_at=_when(at), updated_at=_when(at))
        s.add(record)
        s.flush()
        append_event(s, actor=store.owner_uuid, action="create", entity_type="response", entity_id=record.uuid,
                     changes={"form": [None, f"{form_id}@{form_version}"], "status": [None, record.status],
                              "answers": [None, answers or {}]})
    return _response(record)


def save_draft(store: Store, response_id: int, answers: dict[str, Any], *, at: dt.datetime | None = None) -> Response:
    """Replace a draft's answers; the audit event keeps each changed field's old and new value.
    Answers no form could hold (domain/limits.py) raise InvalidInputError and the draft stays as it was."""
    limits.check_answers(answers)
    with store.write() as s:
        r = _get_response(s, response_id)
        if r.status != "draft":
            raise InvalidInputError(
                "This form has been finalised and cannot be edited: amend it instead, giving a reason.")
        old = json.loads(r.answers_json)
        answers = with_row_ids(answers, previous=old)  # a row added gets its id; one sent without, its place's
        changes = diff(old, answers)
        if changes:
            r.answers_json = json.dumps(answers)
            r.updated_at = _when(at)
            append_event(s, actor=store.owner_uuid, action="update", entity_type="response", entity_id=r.uuid,
                         changes=changes)
    return _response(r)


def get_response(store: Store, response_id: int) -> Response:
    with store.read() as s:
        r = _get_response(s, response_id)
        return _response(r)


def finalise_response(store: Store, response_id: int, *, at: dt.datetime | None = None) -> Response:
    """Lock a draft: from now on it changes only by amendment. Records who and when.

    The caller (the form view) has already had the forms engine check every answer.
    """
    with store.write() as s:
        r = _get_response(s, response_id)
        if r.status != "draft":
            raise InvalidInputError("This form is already final.")
        if r.amends_id is not None:
            raise InvalidInputError("This is an amendment: save it with the reason for the change.")
        owner = _owner_id(s, store)
        r.status, r.finalised_at, r.finalised_by_id = "final", _when(at), owner
        append_event(s, actor=store.owner_uuid, action="finalise", entity_type="response", entity_id=r.uuid,
                     changes={"status": ["draft", "final"]})
        case_facts.refresh(s, r.case_id)  # the Team view's facts follow the final forms
    return _response(r)


NOT_CARRIED_OVER = frozenset({"signature"})  # a signature belongs to the words it signed


def start_amendment(store: Store, response_id: int, field_types: Mapping[str, str], *,
                    at: dt.datetime | None = None) -> Response:
    """Begin changing a final response: a DRAFT that amends it, starting from its answers.

    The draft is autosaved like any other, so an amendment in progress survives a lock,
    a crash or a closed tab; it replaces the final response only when
    ``finalise_amendment`` is given the reason. Answers of the types in NOT_CARRIED_OVER
    (``field_types`` maps field id to type, from the form's definition) are not copied:
    the signatures must be given again for the changed content. If an amendment of this
    response is already in progress, that one is returned: there is never a second.
    """
    with store.write() as s:
        old = _get_response(s, response_id)
        if old.status != "final":
            raise InvalidInputError("Only a final form is amended; a draft can simply be edited.")
        existing = s.scalars(select(ResponseRecord).where(ResponseRecord.amends_id == old.id,
                                                           ResponseRecord.status == "draft")).first()
        if existing is not None:
            return _response(existing)
        answers = {k: v for k, v in json.loads(old.answers_json).items()
                   if field_types.get(k) not in NOT_CARRIED_OVER}
        new = ResponseRecord(case_id=old.case_id, form_id=old.form_id, form_version=old.form_version,
                             definition_hash=old.definition_hash, answers_json=json.dumps(answers), status="draft",
                             author_id=_owner_id(s, store), amends_id=old.id, created_at=_when(at),
                             updated_at=_when(at))
        s.add(new)
        s.flush()
        append_event(s, actor=store.owner_uuid, action="create", entity_type="response", entity_id=new.uuid,
                     changes={"amends": [None, old.uuid], "form": [None, f"{new.form_id}@{new.form_version}"],
                              "status": [None, new.status], "answers": [None, answers]})
    return _response(new)


def finalise_amendment(store: Store, response_id: int, reason: str, *, at: dt.datetime | None = None) -> Response:
    """Make a draft amendment final: it replaces the response it amends (kept, marked
    superseded), with the reason and each changed field's old and new value audited."""
    limits.check_text(reason, "The reason for the change", limits.MAX_REASON, lines=True)
    reason = reason.strip()
    if not reason:
        raise InvalidInputError("Give a reason for changing a finalised form: it is kept with the change.")
    with store.write() as s:
        new = _get_response(s, response_id)
        if new.status != "draft" or new.amends_id is None:
            raise InvalidInputError("This form is not an amendment in progress.")
        old = _get_response(s, new.amends_id)
        if old.status != "final":
            raise InvalidInputError("The form this amends is no longer the final version: start the amendment "
                                    "again from the current one.")
        owner = _owner_id(s, store)
        new.status, new.finalised_at, new.finalised_by_id = "final", _when(at), owner
        new.amendment_reason, new.updated_at = reason, _when(at)
        old.status = "superseded"
        append_event(s, actor=store.owner_uuid, action="amend", entity_type="response", entity_id=new.uuid,
                     changes={"amends": [None, old.uuid],
                              **diff(json.loads(old.answers_json), json.loads(new.answers_json))},
                     reason=reason)
        case_facts.refresh(s, new.case_id)
    return _response(new)


def discard_amendment(store: Store, response_id: int) -> Response:
    """Cancel an amendment in progress: the draft goes, the final response stays as it was
    (the audit keeps that an amendment was started and dropped). Returns the final one."""
    with store.write() as s:
        draft = _get_response(s, response_id)
        if draft.status != "draft" or draft.amends_id is None:
            raise InvalidInputError("Only an amendment in progress can be cancelled.")
        old = _get_response(s, draft.amends_id)
        append_event(s, actor=store.owner_uuid, action="discard", entity_type="response", entity_id=draft.uuid,
                     changes={"amends": [old.uuid, None]}, reason="amendment cancelled")
        s.delete(draft)
    return _response(old)


def _owner_id(session: Session, store: Store) -> int | None:
    from ddassess.store.records import PractitionerRecord

    owner: int | None = session.scalar(select(PractitionerRecord.id).where(PractitionerRecord.uuid == store.owner_uuid))
    return owner
