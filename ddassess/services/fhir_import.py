"""Importing FHIR: answers onto a case as drafts, or a whole exported case into a store.

The file is read within a size limit, parsed and checked whole (interchange/fhir_read.py,
then the forms engine) before anything is stored; then everything is stored in one
transaction with its audit events (each record's creation, as ``store check`` replays it,
and one ``import`` event saying who imported what, from where and why). Any problem stores
nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ddassess.codes import Code
from ddassess.domain import limits
from ddassess.domain.models import PersonDetails, search_key
from ddassess.errors import RecordNotFound
from ddassess.fileio import FileTooLarge, NotARegularFile, read_regular_file
from ddassess.formengine import Catalogue, check
from ddassess.formengine.row_ids import with_row_ids
from ddassess.formengine.spec import FormSpec
from ddassess.interchange.fhir_case import (
    EXT,
    derived_id,
    read_acknowledgements,
    read_episode,
    read_patient,
    read_practitioner,
    read_signed_version,
)
from ddassess.interchange.fhir_read import (
    MAX_FHIR_BYTES,
    FhirAnswersError,
    FhirFileError,
    FhirTargetError,
    answers_of,
    form_of,
    parse,
    read_responses,
    resources,
)
from ddassess.interchange.snapshot import CaseData, PersonData, PlanVersionData, PractitionerData
from ddassess.services.case_changes import person_problems
from ddassess.services.interchange import reason_given
from ddassess.store import Store, case_facts
from ddassess.store.audit import append_event
from ddassess.store.records import (
    CarePlanRecord,
    CarePlanVersionRecord,
    CaseRecord,
    FlagAcknowledgementRecord,
    PersonRecord,
    PractitionerRecord,
    ResponseRecord,
)
from ddassess.store.replay import CASE_FIELDS, PERSON_FIELDS, PRACTITIONER_FIELDS


def read_fhir_file(path: Path) -> dict[str, Any]:
    """The resource in the file at ``path`` (FhirFileError when it cannot be read or is not FHIR)."""
    try:
        data = read_regular_file(path, MAX_FHIR_BYTES)
    except FileTooLarge:
        raise FhirFileError(f"{path.name} is larger than {MAX_FHIR_BYTES // (1024 * 1024)} MB: ddassess does not "
                            "import FHIR files that large.",
                            hint="Export the responses to import on their own, or split the bundle.") from None
    except FileNotFoundError:
        raise FhirFileError(f"There is no file {path}.") from None
    except NotARegularFile as exc:
        raise FhirFileError(f"{path} is {exc.kind}, not a file.") from None
    except OSError as exc:
        raise FhirFileError(f"{path} cannot be read ({exc.strerror or exc.__class__.__name__}).") from None
    return parse(data, path.name)


def _audit_import(s: Session, store: Store, entity_type: str, entity_id: str, what: str, path: Path, reason: str,
                  count: int) -> None:
    append_event(s, actor=store.owner_uuid, action="import", entity_type=entity_type, entity_id=entity_id,
                 changes={"format": [None, what], "from": [None, str(path.expanduser().resolve())],
                          "records": [None, count]}, reason=reason)


def _answer_problems(spec: FormSpec, answers: dict[str, Any], catalogue: Catalogue, *, draft: bool) -> list[str]:
    limits.check_answers(answers)
    return [f"{spec.title}: {p.message}" for p in check(spec, answers, tables=catalogue.tables)
            if p.severity == "error" and not (draft and p.code == Code.ANS_001)]  # a draft may leave some unanswered


def import_responses(store: Store, catalogue: Catalogue, case_id: int, path: Path, reason: str) -> list[str]:
    """Each QuestionnaireResponse of the file becomes a draft response of the case, after the forms
    engine has checked it: all of them, or (any problem in any) none. Returns the new responses' uuids."""
    reason = reason_given(reason, "import")
    read = read_responses(read_fhir_file(path), catalogue)
    problems = [p for r in read for p in _answer_problems(r.spec, r.answers, catalogue, draft=True)]
    if problems:
        raise FhirAnswersError(f"{len(problems)} answer(s) do not fit their form: nothing was imported.", problems)
    made = []
    with store.write() as s:
        case = s.get(CaseRecord, case_id)
        if case is None:
            raise RecordNotFound("That case is no longer in the store.")
        for r in read:
            answers = with_row_ids(r.answers)  # each row of a repeating group named for good
            record = ResponseRecord(case_id=case_id, form_id=r.spec.id, form_version=r.spec.version,
                                    definition_hash=r.spec.content_hash, answers_json=json.dumps(answers))
            s.add(record)
            s.flush()
            append_event(s, actor=store.owner_uuid, action="create", entity_type="response", entity_id=record.uuid,
                         changes={"form": [None, r.spec.key], "status": [None, "draft"], "answers": [None, answers]},
                         reason=f"imported from {path.name}")
            made.append(record.uuid)
        _audit_import(s, store, "case", case.uuid, "FHIR QuestionnaireResponse", path, reason, len(made))
    return made


def _one(resource: dict[str, Any], kind: str) -> dict[str, Any]:
    found = resources(resource, kind)
    if len(found) != 1:
        raise FhirFileError(f"An exported case holds one {kind}; this file holds {len(found)}.",
                            hint="Give a bundle made by `ddassess export fhir`, or give --case to import answers only.")
    return found[0]


def _read(what: str, fn: Callable[[dict[str, Any]], Any], r: dict[str, Any]) -> Any:
    try:
        return fn(r)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise FhirFileError(f"The {what} {r.get('id', '')} cannot be read ({exc.__class__.__name__}: {exc}).",
                            hint="Give a bundle made by `ddassess export fhir`.") from None


RESPONSE_STATUS = {"completed": "final", "in-progress": "draft", "amended": "superseded"}


def _link_problems(qr: dict[str, Any], spec: FormSpec, ids: set[str]) -> list[str]:
    """What is wrong with a response's amendment link and flag acknowledgements (as exported)."""
    where = f"QuestionnaireResponse {qr.get('id', '')}"
    amends = _amends(qr)
    out = [f"{where} amends a response that is not in the file ({amends})."] if amends and amends not in ids else []
    try:
        acks = read_acknowledgements(qr)
    except (KeyError, TypeError, ValueError, AttributeError, StopIteration) as exc:
        return [*out, f"{where}: a flag acknowledgement cannot be read ({exc.__class__.__name__})."]
    flags = {f.id for f in spec.flags}
    out += [f"{where}: {spec.title} has no flag '{a.flag_id}' to acknowledge." for a in acks if a.flag_id not in flags]
    return out


def _amends(qr: dict[str, Any]) -> str | None:
    for e in qr.get("extension") or []:
        if isinstance(e, dict) and e.get("url") == EXT + "amends":
            ref = (e.get("valueReference") or {}).get("reference")
            return str(ref).rpartition("/")[2] if isinstance(ref, str) else ""
    return None


def _amendment_reason(qr: dict[str, Any]) -> str:
    return next((str(e.get("valueString", "")) for e in qr.get("extension") or []
                 if isinstance(e, dict) and e.get("url") == EXT + "amendment-reason"), "")


def import_case_bundle(store: Store, catalogue: Catalogue, path: Path, reason: str) -> str:
    """A whole case exported by ``export fhir`` stored again as the same case (same ids), in a
    store that does not already hold it or its person. Returns the case's reference."""
    reason = reason_given(reason, "import")
    bundle = read_fhir_file(path)
    if bundle["resourceType"] != "Bundle":
        raise FhirFileError(f"{path.name} holds one QuestionnaireResponse, not a whole case.",
                            hint="Name the case to add it to (--case).")
    person = _read("Patient", read_patient, _one(bundle, "Patient"))
    case = _read("EpisodeOfCare", read_episode, _one(bundle, "EpisodeOfCare"))
    practitioners = [_read("Practitioner", read_practitioner, r) for r in resources(bundle, "Practitioner")]
    versions = sorted((_read("DocumentReference", read_signed_version, r)
                       for r in resources(bundle, "DocumentReference")), key=lambda v: v.version)
    plans = resources(bundle, "CarePlan")
    plan_uuid = str(plans[0]["id"]) if plans else None
    responses, problems = [], []
    ids_in_bundle = {str(qr.get("id")) for qr in resources(bundle, "QuestionnaireResponse")}
    for qr in resources(bundle, "QuestionnaireResponse"):
        spec = form_of(qr, catalogue)
        try:
            answers = answers_of(qr, spec)
        except FhirAnswersError as exc:
            problems += exc.problems
            continue
        status = RESPONSE_STATUS.get(str(qr.get("status")))
        if status is None:
            raise FhirFileError(f"QuestionnaireResponse {qr.get('id', '')}: status {qr.get('status')!r} is not one "
                                "ddassess exports (completed, in-progress or amended).")
        problems += _answer_problems(spec, answers, catalogue, draft=status == "draft")
        problems += _link_problems(qr, spec, ids_in_bundle)
        responses.append((qr, spec, answers, status))
    if problems:
        raise FhirAnswersError(f"{len(problems)} answer(s) do not fit their form: nothing was imported.", problems)
    details = PersonDetails(**{f: person.details.get(f) for f in PERSON_FIELDS})
    wrong = person_problems(details)
    if wrong:
        raise FhirFileError("The person in the file cannot be stored: " + " ".join(wrong))
    try:
        return _store_case(store, path, reason, bundle, person, case, practitioners, responses, plan_uuid, versions)
    except IntegrityError:
        raise FhirTargetError("This store already holds records of this case (the same ids): nothing was imported.",
                              hint="Import it into a new, empty store.") from None


def _store_case(store: Store, path: Path, reason: str, bundle: dict[str, Any], person: PersonData, case: CaseData,
                practitioners: list[PractitionerData], responses: list[tuple[dict[str, Any], FormSpec,
                                                                             dict[str, Any], str]],
                plan_uuid: str | None, versions: list[PlanVersionData]) -> str:
    with store.write() as s:
        if s.scalar(select(CaseRecord.id).where((CaseRecord.uuid == case.uuid) | (CaseRecord.ref == case.ref))):
            raise FhirTargetError(f"This store already has case {case.ref}: a whole case is imported only into a "
                                  "store that does not hold it.", hint="Import it into a new, empty store.")
        if s.scalar(select(PersonRecord.id).where((PersonRecord.uuid == person.uuid) | (
                (PersonRecord.nhs_number == person.details["nhs_number"]) & PersonRecord.nhs_number.is_not(None)))):
            raise FhirTargetError("This store already has the person of this case (the same record or NHS "
                                  "number).", hint="Import it into a new, empty store.")
        ids: dict[str, int] = {}
        for p in practitioners:
            existing = s.scalars(select(PractitionerRecord).where(PractitionerRecord.uuid == p.uuid)).first()
            if existing is None:
                existing = PractitionerRecord(uuid=p.uuid, name=p.name, role=p.role, agency=p.agency, email=p.email,
                                              phone=p.phone)
                s.add(existing)
                s.flush()
                append_event(s, actor=store.owner_uuid, action="create", entity_type="practitioner",
                             entity_id=p.uuid, changes={k: [None, getattr(existing, k)] for k in PRACTITIONER_FIELDS},
                             reason=f"imported from {path.name}")
            ids[p.uuid] = existing.id
        values = dict(person.details)
        values["search_name"] = search_key(f"{values['given_name']} {values['family_name']}")
        p_rec = PersonRecord(uuid=person.uuid, **values)
        s.add(p_rec)
        s.flush()
        append_event(s, actor=store.owner_uuid, action="create", entity_type="person", entity_id=p_rec.uuid,
                     changes={k: [None, getattr(p_rec, k)] for k in PERSON_FIELDS}, reason=f"imported from {path.name}")
        c_rec = CaseRecord(uuid=case.uuid, ref=case.ref, person_id=p_rec.id, stage=case.stage or "referral",
                           status=case.status, lead_agency=case.lead_agency, opened_on=case.opened_on,
                           closed_on=case.closed_on, next_review_due=case.next_review_due,
                           care_coordinator_id=ids.get(case.care_coordinator or ""),
                           partner_worker_id=ids.get(case.partner_worker or ""), risk_level=case.risk_level,
                           risk_from_flags=case.risk_from_flags, risk_override=case.risk_override,
                           risk_override_reason=case.risk_override_reason, risk_override_by=case.risk_override_by,
                           risk_override_at=case.risk_override_at)
        s.add(c_rec)
        s.flush()
        append_event(s, actor=store.owner_uuid, action="create", entity_type="case", entity_id=c_rec.uuid,
                     changes={"person": [None, p_rec.uuid],
                              **{k: [None, getattr(c_rec, k)] for k in CASE_FIELDS if k != "person"}},
                     reason=f"imported from {path.name}")
        made: dict[str, ResponseRecord] = {}
        kept: dict[str, dict[str, Any]] = {}
        for qr, spec, read_answers, status in responses:
            answers = with_row_ids(read_answers, legacy_of=str(qr["id"]))  # the same ids from the same file
            kept[str(qr["id"])] = answers
            at = _when(qr)
            author = ids.get(str(qr.get("author", {}).get("reference", "")).rpartition("/")[2])
            done = status != "draft"
            r = ResponseRecord(uuid=str(qr["id"]), case_id=c_rec.id, form_id=spec.id, form_version=spec.version,
                               definition_hash=spec.content_hash, answers_json=json.dumps(answers),
                               status=status, author_id=author, created_at=at, updated_at=at,
                               finalised_at=at if done else None, finalised_by_id=author if done else None,
                               amendment_reason=_amendment_reason(qr))
            s.add(r)
            made[r.uuid] = r
        s.flush()
        for qr, spec, _read, _status in responses:
            r = made[str(qr["id"])]
            answers = kept[r.uuid]
            amends = _amends(qr)
            if amends:
                r.amends_id = made[amends].id
            changes = {"form": [None, spec.key], "status": [None, r.status], "answers": [None, answers]}
            if amends:
                changes["amends"] = [None, amends]
            append_event(s, actor=store.owner_uuid, action="create", entity_type="response", entity_id=r.uuid,
                         changes=changes, reason=f"imported from {path.name}")
        s.flush()
        for qr, _spec, _answers, _status in responses:
            for a in read_acknowledgements(qr):
                ack = FlagAcknowledgementRecord(uuid=a.uuid, case_id=c_rec.id, response_uuid=str(qr["id"]),
                                                flag_id=a.flag_id, acknowledged_by_id=ids.get(a.by or ""),
                                                acknowledged_by=a.by_name, acknowledged_at=a.at, reason=a.reason)
                s.add(ack)
                s.flush()
                append_event(s, actor=store.owner_uuid, action="acknowledge", entity_type="flag-acknowledgement",
                             entity_id=ack.uuid, changes={"case": [None, c_rec.uuid], "response": [None, qr["id"]],
                                                          "flag": [None, a.flag_id],
                                                          "imported_from": [None, path.name]}, reason=a.reason)
        if plan_uuid is not None and (versions or plan_uuid != derived_id(case.uuid, "care-plan")):
            plan = CarePlanRecord(uuid=plan_uuid, case_id=c_rec.id)
            s.add(plan)
            s.flush()
            previous = None
            for v in versions:
                draft = v.status == "draft"
                rec = CarePlanVersionRecord(care_plan_id=plan.id, version=v.version, status=v.status,
                                            content_json=v.content_json, frozen_at=None if draft else v.frozen_at,
                                            created_at=v.created_at or v.frozen_at, replaces_id=previous)
                if v.uuid:
                    rec.uuid = v.uuid
                s.add(rec)
                s.flush()
                previous = rec.id
            append_event(s, actor=store.owner_uuid, action="import", entity_type="care-plan", entity_id=plan.uuid,
                         changes={"signed_versions": [None, [v.version for v in versions if v.status != "draft"]],
                                  "draft_version": [None, next((v.version for v in versions if v.status == "draft"),
                                                               None)]},
                         reason=f"imported from {path.name}")
        case_facts.refresh(s, c_rec.id)  # its final forms and signed plan, in the team figures
        _audit_import(s, store, "case", c_rec.uuid, "FHIR R4 bundle (whole case)", path, reason,
                      len(bundle.get("entry") or []))
    return case.ref


def _when(qr: dict[str, Any]) -> dt.datetime:
    try:
        at = dt.datetime.fromisoformat(str(qr.get("authored")))
    except ValueError:
        raise FhirFileError(f"QuestionnaireResponse {qr.get('id', '')}: 'authored' is not a date and time.") from None
    if at.tzinfo is None:
        raise FhirFileError(f"QuestionnaireResponse {qr.get('id', '')}: 'authored' has no time zone.")
    return at
