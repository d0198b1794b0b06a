"""A case as one FHIR R4 ``Bundle`` (type ``collection``), and such a bundle read back.

What each record becomes (docs/interchange.md has the whole table):

    person            Patient (NHS number under https://fhir.nhs.uk/Id/nhs-number)
    case              EpisodeOfCare (its reference, stage, review date, risk level)
    practitioners     Practitioner; with the person, a CareTeam
    form versions     Questionnaire (fhir_forms), each response a QuestionnaireResponse
    complete scores   Observation (LOINC where the form names one; band as interpretation)
    raised flags      Flag (those of the newest final response of each form)
    consent form      Consent, one per agency information may be shared with
    care plan         CarePlan with a Goal per need and an activity per action
    signed versions   Provenance and a DocumentReference to the signed PDF

Ids are the records' UUIDs; resources made from a record (an Observation of a response's
score) take a UUID derived from it (``uuid5``), so exporting twice gives the same ids and,
as nothing here reads the clock, the same bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import uuid
from collections.abc import Callable
from typing import Any

from ddassess.domain.careplan import SIGNER_ROLE_LABELS, CarePlan
from ddassess.formengine import Catalogue, Evaluation, evaluate
from ddassess.formengine.display import plain_text
from ddassess.formengine.spec import FormSpec
from ddassess.interchange.fhir_forms import canonical, questionnaire, questionnaire_id, response_items
from ddassess.interchange.snapshot import (
    AcknowledgementData,
    CaseData,
    CaseSnapshot,
    PersonData,
    PlanVersionData,
    PractitionerData,
    ResponseData,
)

FHIR_BASE = "https://ddassess.invalid/fhir"
EXT = "https://ddassess.invalid/fhir/StructureDefinition/"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
CASE_REF = "https://ddassess.invalid/fhir/case-ref"
ETHNIC_CATEGORY = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
ETHNIC_CATEGORY_CODES = "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"
ADMINISTRATIVE_GENDERS = ("male", "female", "other", "unknown")
ACTIVITY_STATUS = {"not started": "not-started", "in progress": "in-progress", "achieved": "completed",
                   "discontinued": "cancelled"}


def derived_id(record_uuid: str, what: str) -> str:
    """A stable id for a resource made from a record (the same record and ``what``, the same id)."""
    return str(uuid.uuid5(uuid.UUID(record_uuid), what))


def _ref(resource_type: str, rid: str) -> dict[str, str]:
    return {"reference": f"{resource_type}/{rid}"}


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _ext(name: str, kind: str, value: Any) -> dict[str, Any]:
    return {"url": EXT + name, kind: value}


def _exts(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource's extensions by url, each as its one value."""
    out = {}
    for e in resource.get("extension") or []:
        if isinstance(e, dict) and isinstance(e.get("url"), str):
            out[e["url"]] = next((v for k, v in e.items() if k.startswith("value")), None)
    return out


# --- Patient ----------------------------------------------------------------------------


def patient(p: PersonData) -> dict[str, Any]:
    d = p.details
    r: dict[str, Any] = {"resourceType": "Patient", "id": p.uuid}
    ext = []
    if d.get("ethnicity"):
        ext.append({"url": ETHNIC_CATEGORY, "valueCodeableConcept": {
            "coding": [{"system": ETHNIC_CATEGORY_CODES, "code": d["ethnicity"]}]}})
    for key, name in (("gender", "gender-as-recorded"), ("pronouns", "pronouns"),
                      ("communication_needs", "communication-needs")):
        if d.get(key):
            ext.append(_ext(name, "valueString", d[key]))
    if ext:
        r["extension"] = ext
    if d.get("nhs_number"):
        r["identifier"] = [{"system": NHS_NUMBER, "value": d["nhs_number"]}]
    names = [{"use": "official", "family": d["family_name"], "given": [d["given_name"]]}]
    if d.get("preferred_name"):
        names.append({"use": "usual", "given": [d["preferred_name"]]})
    r["name"] = names
    telecom = [{"system": s, "value": d[k]} for k, s in (("phone", "phone"), ("email", "email")) if d.get(k)]
    if telecom:
        r["telecom"] = telecom
    gender = (d.get("gender") or "").strip().lower()
    if gender:
        r["gender"] = gender if gender in ADMINISTRATIVE_GENDERS else "other"
    if d.get("date_of_birth"):
        r["birthDate"] = d["date_of_birth"].isoformat()
    if d.get("address") or d.get("postcode"):
        address: dict[str, Any] = {"use": "home"}
        if d.get("address"):
            address["line"] = d["address"].split("\n")
        if d.get("postcode"):
            address["postalCode"] = d["postcode"]
        r["address"] = [address]
    contact: dict[str, Any] = {}
    if d.get("next_of_kin_relationship"):
        contact["relationship"] = [{"text": d["next_of_kin_relationship"]}]
    if d.get("next_of_kin_name"):
        contact["name"] = {"text": d["next_of_kin_name"]}
    if d.get("next_of_kin_phone"):
        contact["telecom"] = [{"system": "phone", "value": d["next_of_kin_phone"]}]
    if contact:
        r["contact"] = [contact]
    if d.get("gp_practice"):
        r["generalPractitioner"] = [{"display": d["gp_practice"]}]
    return r


def read_patient(r: dict[str, Any]) -> PersonData:
    ext = _exts(r)
    names = r.get("name") or []
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    usual: dict[str, Any] = next((n for n in names if n.get("use") == "usual"), {})
    telecom = {t.get("system"): t.get("value", "") for t in r.get("telecom") or []}
    address = (r.get("address") or [{}])[0]
    contact = (r.get("contact") or [{}])[0]
    ethnic = ext.get(ETHNIC_CATEGORY) or {}
    details = {
        "given_name": " ".join(official.get("given") or []), "family_name": official.get("family", ""),
        "preferred_name": " ".join(usual.get("given") or []),
        "date_of_birth": dt.date.fromisoformat(r["birthDate"]) if r.get("birthDate") else None,
        "nhs_number": next((i.get("value") for i in r.get("identifier") or [] if i.get("system") == NHS_NUMBER),
                           None),
        "gender": ext.get(EXT + "gender-as-recorded") or "",
        "address": "\n".join(address.get("line") or []), "phone": telecom.get("phone", ""),
        "email": telecom.get("email", ""), "postcode": address.get("postalCode", ""),
        "gp_practice": ((r.get("generalPractitioner") or [{}])[0]).get("display", ""),
        "next_of_kin_name": (contact.get("name") or {}).get("text", ""),
        "next_of_kin_relationship": ((contact.get("relationship") or [{}])[0]).get("text", ""),
        "next_of_kin_phone": ((contact.get("telecom") or [{}])[0]).get("value", ""),
        "ethnicity": ((ethnic.get("coding") or [{}])[0]).get("code", ""),
        "pronouns": ext.get(EXT + "pronouns") or "", "communication_needs": ext.get(EXT + "communication-needs") or "",
    }
    return PersonData(str(r["id"]), details)


# --- the case, its practitioners and team ------------------------------------------------


def practitioner(p: PractitionerData) -> dict[str, Any]:
    r: dict[str, Any] = {"resourceType": "Practitioner", "id": p.uuid}
    ext = [_ext(k, "valueString", v) for k, v in (("role", p.role), ("agency", p.agency)) if v]
    if ext:
        r["extension"] = ext
    r["name"] = [{"text": p.name}]
    telecom = [{"system": s, "value": v} for s, v in (("phone", p.phone), ("email", p.email)) if v]
    if telecom:
        r["telecom"] = telecom
    return r


def read_practitioner(r: dict[str, Any]) -> PractitionerData:
    ext = _exts(r)
    telecom = {t.get("system"): t.get("value", "") for t in r.get("telecom") or []}
    return PractitionerData(str(r["id"]), ((r.get("name") or [{}])[0]).get("text", ""), ext.get(EXT + "role") or "",
                            ext.get(EXT + "agency") or "", telecom.get("email", ""), telecom.get("phone", ""))


_CASE_TEXT = ("stage", "risk_level", "risk_from_flags", "risk_override", "risk_override_reason", "risk_override_by")


def episode(c: CaseData, person_uuid: str) -> dict[str, Any]:
    ext = [_ext(k.replace("_", "-"), "valueString", getattr(c, k)) for k in _CASE_TEXT if getattr(c, k)]
    if c.next_review_due:
        ext.append(_ext("next-review-due", "valueDate", c.next_review_due.isoformat()))
    if c.risk_override_at:
        ext.append(_ext("risk-override-at", "valueDateTime", c.risk_override_at.isoformat()))
    if c.partner_worker:
        ext.append(_ext("partner-worker", "valueReference", _ref("Practitioner", c.partner_worker)))
    r: dict[str, Any] = {"resourceType": "EpisodeOfCare", "id": c.uuid}
    if ext:
        r["extension"] = ext
    r |= {"identifier": [{"system": CASE_REF, "value": c.ref}],
          "status": "finished" if c.status == "closed" else "active", "patient": _ref("Patient", person_uuid)}
    if c.lead_agency:
        r["managingOrganization"] = {"display": c.lead_agency}
    r["period"] = {"start": c.opened_on.isoformat()} | ({"end": c.closed_on.isoformat()} if c.closed_on else {})
    if c.care_coordinator:
        r["careManager"] = _ref("Practitioner", c.care_coordinator)
    r["team"] = [_ref("CareTeam", derived_id(c.uuid, "care-team"))]
    return r


def _ref_id(ref: Any) -> str | None:
    if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
        return str(ref["reference"]).rpartition("/")[2]
    return None


def read_episode(r: dict[str, Any]) -> CaseData:
    ext = _exts(r)
    text = {k: ext.get(EXT + k.replace("_", "-")) or "" for k in _CASE_TEXT}
    period = r.get("period") or {}
    at = ext.get(EXT + "risk-override-at")
    due = ext.get(EXT + "next-review-due")
    return CaseData(
        uuid=str(r["id"]), ref=str(((r.get("identifier") or [{}])[0]).get("value", "")), stage=text["stage"],
        status="closed" if r.get("status") == "finished" else "open",
        lead_agency=(r.get("managingOrganization") or {}).get("display", ""),
        opened_on=dt.date.fromisoformat(period["start"]),
        closed_on=dt.date.fromisoformat(period["end"]) if period.get("end") else None,
        next_review_due=dt.date.fromisoformat(due) if due else None,
        care_coordinator=_ref_id(r.get("careManager")), partner_worker=_ref_id(ext.get(EXT + "partner-worker")),
        risk_level=text["risk_level"], risk_from_flags=text["risk_from_flags"],
        risk_override=text["risk_override"] or None, risk_override_reason=text["risk_override_reason"],
        risk_override_by=text["risk_override_by"], risk_override_at=dt.datetime.fromisoformat(at) if at else None)


def care_team(snap: CaseSnapshot) -> dict[str, Any]:
    c = snap.case
    participants = [{"role": [{"text": role}], "member": _ref("Practitioner", who)}
                    for role, who in (("Care coordinator", c.care_coordinator), ("Partner worker", c.partner_worker))
                    if who]
    participants.append({"role": [{"text": "The person"}], "member": _ref("Patient", snap.person.uuid)})
    for m in snap.care_plan.care_team if snap.care_plan else ():
        row: dict[str, Any] = {"role": [{"text": m.role or "Member of the care team"}], "member": {"display": m.name}}
        if m.organisation:
            row["onBehalfOf"] = {"display": m.organisation}
        participants.append(row)
    return {"resourceType": "CareTeam", "id": derived_id(c.uuid, "care-team"), "status": "active",
            "name": f"Care team of case {c.ref}", "subject": _ref("Patient", snap.person.uuid),
            "participant": participants}


# --- responses, scores, flags, consent ------------------------------------------------------


QR_STATUS = {"final": "completed", "draft": "in-progress", "superseded": "amended"}


def _acknowledgement(a: AcknowledgementData) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"url": "id", "valueString": a.uuid}, {"url": "flag", "valueCode": a.flag_id},
             {"url": "by", "valueString": a.by_name}]
    if a.by:
        parts.append({"url": "practitioner", "valueReference": _ref("Practitioner", a.by)})
    parts += [{"url": "at", "valueDateTime": a.at.isoformat()}, {"url": "reason", "valueString": a.reason}]
    return {"url": EXT + "flag-acknowledgement", "extension": parts}


def read_acknowledgements(qr: dict[str, Any]) -> list[AcknowledgementData]:
    out = []
    for e in qr.get("extension") or []:
        if isinstance(e, dict) and e.get("url") == EXT + "flag-acknowledgement":
            parts = {p["url"]: next(v for k, v in p.items() if k.startswith("value")) for p in e["extension"]}
            out.append(AcknowledgementData(str(parts["id"]), str(parts["flag"]), str(parts["by"]),
                                           dt.datetime.fromisoformat(parts["at"]), str(parts["reason"]),
                                           _ref_id(parts.get("practitioner"))))
    return out


def questionnaire_response(spec: FormSpec, r: ResponseData, person_uuid: str, ev: Evaluation,
                           superseded_by: str | None = None) -> dict[str, Any]:
    """A response; an amendment names the response it replaces (and why), a superseded version
    (status ``amended``: completed, then changed by an amendment) the one that replaced it;
    acknowledgements of its flags as extensions."""
    qr: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "id": r.uuid}
    ext = []
    if r.amends:
        ext.append(_ext("amends", "valueReference", _ref("QuestionnaireResponse", r.amends)))
        if r.amendment_reason:
            ext.append(_ext("amendment-reason", "valueString", r.amendment_reason))
    if superseded_by:
        ext.append(_ext("superseded-by", "valueReference", _ref("QuestionnaireResponse", superseded_by)))
    ext += [_acknowledgement(a) for a in r.acknowledgements]
    if ext:
        qr["extension"] = ext
    qr |= {"questionnaire": f"{canonical(spec)}|{spec.version}", "status": QR_STATUS.get(r.status, "in-progress"),
           "subject": _ref("Patient", person_uuid), "authored": r.authored.isoformat()}
    if r.author:
        qr["author"] = _ref("Practitioner", r.author)
    qr["item"] = response_items(spec, r.answers, ev)
    return qr


def observations(spec: FormSpec, r: ResponseData, person_uuid: str, ev: Evaluation) -> list[dict[str, Any]]:
    """One Observation per complete score of a final response."""
    if r.status != "final":
        return []
    out = []
    for sc in spec.scores:
        res = ev.scores.get(sc.id)
        if res is None or not res.complete or res.value is None:
            continue
        codes = [{"system": c.system, "code": c.code, "display": c.display} for c in sc.codes] or \
            [{"system": f"{canonical(spec)}/scores", "code": sc.id, "display": sc.label}]
        value = res.value
        obs: dict[str, Any] = {
            "resourceType": "Observation", "id": derived_id(r.uuid, f"score:{sc.id}"), "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "survey", "display": "Survey"}]}],
            "code": {"coding": codes, "text": sc.label}, "subject": _ref("Patient", person_uuid),
            "effectiveDateTime": r.authored.isoformat(),
        }
        if isinstance(value, int) or float(value).is_integer():
            obs["valueInteger"] = int(value)
        else:
            obs["valueQuantity"] = {"value": value}
        if res.band:
            obs["interpretation"] = [{"text": res.band}]
        obs["derivedFrom"] = [_ref("QuestionnaireResponse", r.uuid)]
        out.append(obs)
    return out


def flags(spec: FormSpec, r: ResponseData, person_uuid: str, ev: Evaluation) -> list[dict[str, Any]]:
    out = []
    for f in ev.flags:
        ext = [_ext("flag-severity", "valueCode", f.severity)]
        out.append({"resourceType": "Flag", "id": derived_id(r.uuid, f"flag:{f.id}"), "extension": ext,
                    "status": "active",
                    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/flag-category",
                                              "code": "clinical", "display": "Clinical"}]}],
                    "code": {"text": f"{f.message} ({spec.title})"}, "subject": _ref("Patient", person_uuid),
                    "period": {"start": r.authored.isoformat()}})
    return out


def consents(spec: FormSpec, r: ResponseData, person_uuid: str) -> list[dict[str, Any]]:
    """The information-sharing decisions of a final consent form: one Consent per agency."""
    a = r.answers
    given = a.get("consent_given") is True
    basis_field = spec.fields.get("basis")
    basis = a.get("basis")
    chosen = basis_field.choice(basis) if basis_field is not None else None
    basis_text = plain_text(chosen.label) if chosen is not None else ""
    rule = "The person gave consent to share." if given else \
        (f"Shared without consent: {basis_text}." if basis_text else "The person did not consent to sharing.")
    rows = a.get("sharing") if given and isinstance(a.get("sharing"), list) else []
    group = spec.fields.get("sharing")
    cols = {c.id: c for c in group.fields} if group else {}
    out = []
    for i, row in enumerate(rows or [{}]):
        provision: dict[str, Any] = {"type": "permit" if given or basis_text else "deny"}
        if a.get("expires_on"):
            provision["period"] = {"end": a["expires_on"]}
        agency = row.get("agency") if isinstance(row, dict) else None
        if agency is not None and "agency" in cols:
            c = cols["agency"].choice(agency)
            who = plain_text(c.label) if c else str(agency)
            if row.get("contact"):
                who += f" ({row['contact']})"
            provision["actor"] = [{"role": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP",
                "display": "information recipient"}]}, "reference": {"display": who}}]
        kinds = row.get("information") if isinstance(row, dict) else None
        if isinstance(kinds, list) and "information" in cols:
            provision["class"] = [{"system": f"{canonical(spec)}/sharing.information", "code": str(k),
                                   "display": plain_text(c.label) if (c := cols["information"].choice(k)) else str(k)}
                                  for k in kinds]
        consent: dict[str, Any] = {
            "resourceType": "Consent", "id": derived_id(r.uuid, f"consent:{i}"), "status": "active",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "patient-privacy", "display": "Privacy Consent"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}],
            "patient": _ref("Patient", person_uuid)}
        if a.get("recorded_on"):
            consent["dateTime"] = a["recorded_on"]
        consent |= {"sourceReference": _ref("QuestionnaireResponse", r.uuid), "policyRule": {"text": rule},
                    "provision": provision}
        out.append(consent)
    return out


# --- the care plan ------------------------------------------------------------------------


def care_plan_resources(snap: CaseSnapshot, plan: CarePlan) -> list[dict[str, Any]]:
    c = snap.case
    plan_id = snap.plan_uuid or derived_id(c.uuid, "care-plan")
    goals, activities = [], []
    for i, need in enumerate(plan.needs):
        gid = derived_id(plan_id, f"goal:{i}")
        goal: dict[str, Any] = {"resourceType": "Goal", "id": gid, "lifecycleStatus": "active",
                                "category": [{"text": need.area}] if need.area else [],
                                "description": {"text": need.goal or need.need or need.area},
                                "subject": _ref("Patient", snap.person.uuid)}
        if not goal["category"]:
            del goal["category"]
        if need.need:
            goal["note"] = [{"text": f"Need: {need.need}"}]
        goals.append(goal)
        for a in need.actions:
            detail: dict[str, Any] = {"status": ACTIVITY_STATUS.get(a.status, "unknown"),
                                      "description": a.description}
            period = {k: v.isoformat() for k, v in (("start", a.start), ("end", a.target)) if v}
            if period:
                detail["scheduledPeriod"] = period
            who = ", ".join(x for x in (a.responsible, a.agency) if x)
            if who:
                detail["performer"] = [{"display": who}]
            activities.append({"outcomeReference": [], "detail": detail | {"goal": [_ref("Goal", gid)]}})
    for act in activities:
        del act["outcomeReference"]
    careplan: dict[str, Any] = {
        "resourceType": "CarePlan", "id": plan_id,
        "identifier": [{"system": f"{FHIR_BASE}/care-plan-id", "value": plan.plan_id}],
        "status": "active", "intent": "plan", "title": f"Joint care plan {plan.plan_id}",
    }
    if plan.what_matters:
        careplan["description"] = plan.what_matters
    careplan |= {"subject": _ref("Patient", snap.person.uuid), "careTeam": [_ref("CareTeam", derived_id(c.uuid,
                                                                                                       "care-team"))]}
    if plan.next_review:
        careplan["period"] = {"end": plan.next_review.isoformat()}
    if c.care_coordinator:
        careplan["author"] = _ref("Practitioner", c.care_coordinator)
    if goals:
        careplan["goal"] = [_ref("Goal", g["id"]) for g in goals]
    if activities:
        careplan["activity"] = activities
    notes = [f"{k}: {v}" for k, v in (("Risk management", plan.risk_management), ("Medication", plan.medication),
                                      ("Information sharing", plan.information_sharing),
                                      ("Unmet needs", plan.unmet_needs)) if v]
    notes += [f"Crisis plan, {k}: {v}" for k, v in plan.crisis_plan.items()]
    if notes:
        careplan["note"] = [{"text": n} for n in notes]
    return [*goals, careplan]


def signed_version_resources(snap: CaseSnapshot, v: PlanVersionData, newest: bool) -> list[dict[str, Any]]:
    plan_id = snap.plan_uuid or derived_id(snap.case.uuid, "care-plan")
    content = json.loads(v.content_json)
    doc_id = derived_id(plan_id, f"pdf:{v.version}")
    agents = []
    for s in content.get("signatures") or [] if isinstance(content, dict) else []:
        if s.get("strokes") or s.get("verbal_agreement") or s.get("signed_on"):
            agents.append({"type": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type", "code": "attester",
                "display": "Attester"}]}, "role": [{"text": SIGNER_ROLE_LABELS.get(s.get("role", ""), "Signer")}],
                "who": {"display": s.get("name") or SIGNER_ROLE_LABELS.get(s.get("role", ""), "Signer")}})
    if not agents:
        agents = [{"who": {"display": "Signed in ddassess"}}]
    provenance = {"resourceType": "Provenance", "id": derived_id(plan_id, f"provenance:{v.version}"),
                  "target": [_ref("CarePlan", plan_id), _ref("DocumentReference", doc_id)],
                  "recorded": v.frozen_at.isoformat(), "agent": agents}
    return [provenance, version_document(snap, v, newest)]


def version_document(snap: CaseSnapshot, v: PlanVersionData, newest: bool) -> dict[str, Any]:
    """A recorded version of the plan as a DocumentReference: a signed one points at its signed
    PDF (docStatus final), a draft at the draft printed (preliminary); either holds the plan's
    recorded content. Its status in ddassess, id and when it was begun are extensions and an
    identifier, so a whole-case import gives the same version back."""
    plan_id = snap.plan_uuid or derived_id(snap.case.uuid, "care-plan")
    content = json.loads(v.content_json)
    ref = content.get("plan_id", "") if isinstance(content, dict) else ""
    draft = v.status == "draft"
    encoded = base64.b64encode(v.content_json.encode("utf-8")).decode("ascii")
    ext = [_ext("care-plan-version", "valueInteger", v.version)]
    if v.status != "signed":
        ext.append(_ext("care-plan-version-status", "valueCode", v.status))
    if v.created_at is not None and v.created_at != v.frozen_at:
        ext.append(_ext("care-plan-version-begun", "valueDateTime", v.created_at.isoformat()))
    document: dict[str, Any] = {"resourceType": "DocumentReference", "id": derived_id(plan_id, f"pdf:{v.version}"),
                                "extension": ext}
    if v.uuid:
        document["identifier"] = [{"system": f"{FHIR_BASE}/care-plan-version-id", "value": v.uuid}]
    kind = "draft (not signed)" if draft else "signed"
    document |= {
        "status": "current" if newest else "superseded", "docStatus": "preliminary" if draft else "final",
        "type": {"text": f"Joint care plan, {'draft' if draft else 'signed'} PDF"},
        "subject": _ref("Patient", snap.person.uuid), "date": v.frozen_at.isoformat(),
        "description": f"{ref} version {v.version}, {kind}. The PDF is the file exported when it was "
                       f"{'printed' if draft else 'signed'}; it is not inside this bundle.",
        "content": [{"attachment": {"contentType": "application/pdf", "title": f"{ref} version {v.version} ({kind})",
                                    "creation": v.frozen_at.isoformat()}},
                    {"attachment": {"contentType": "application/json", "data": encoded,
                                    "title": "The plan as recorded when it was " +
                                             ("last printed" if draft else "signed")}}],
        "context": {"related": [_ref("CarePlan", plan_id)]},
    }
    return document


def read_signed_version(r: dict[str, Any]) -> PlanVersionData:
    """A version of the plan from its DocumentReference (signed unless it says otherwise)."""
    ext = _exts(r)
    data = next(c["attachment"]["data"] for c in r["content"] if c["attachment"].get("contentType") ==
                "application/json")
    status = str(ext.get(EXT + "care-plan-version-status") or "signed")
    if status not in ("signed", "superseded", "draft"):
        raise ValueError(f"a care plan version cannot be {status!r}")
    at = dt.datetime.fromisoformat(r["date"])
    begun = ext.get(EXT + "care-plan-version-begun")
    uuid_ = next((i.get("value") for i in r.get("identifier") or []
                  if i.get("system") == f"{FHIR_BASE}/care-plan-version-id"), "")
    return PlanVersionData(int(ext[EXT + "care-plan-version"]), at, base64.b64decode(data).decode("utf-8"), status,
                           str(uuid_ or ""), dt.datetime.fromisoformat(begun) if begun else at)


# --- the care plan as a document -----------------------------------------------------------

PLAN_OF_CARE = {"system": "http://loinc.org", "code": "18776-5", "display": "Plan of care note"}
LIST_EMPTY = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
XHTML = "http://www.w3.org/1999/xhtml"


def _narrative(lines: list[str]) -> dict[str, str]:
    body = "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in lines)
    return {"status": "generated", "div": f'<div xmlns="{XHTML}">{body}</div>'}


def _section(title: str, entries: list[dict[str, str]], lines: list[str] | None = None) -> dict[str, Any]:
    section: dict[str, Any] = {"title": title}
    if lines:
        section["text"] = _narrative(lines)
    if entries:
        section["entry"] = entries
    elif not lines:
        section["emptyReason"] = {"coding": [{"system": LIST_EMPTY, "code": "nilknown", "display": "Nil Known"}]}
    return section


def _document_id(snap: CaseSnapshot, resources: list[dict[str, Any]]) -> str:
    """A document's identifier: the same content, the same identifier; any change, a new one."""
    digest = hashlib.sha256(json.dumps(resources, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    return derived_id(snap.case.uuid, f"document:{digest.hexdigest()}")


def document_moment(snap: CaseSnapshot) -> dt.datetime:
    """When the document was assembled, as the record says (never the clock): the newest of the
    signatures and the responses, else the day the case was opened."""
    moments = [v.frozen_at for v in snap.signed_versions] + [r.authored for r in snap.responses]
    if moments:
        return max(moments)
    return dt.datetime.combine(snap.case.opened_on, dt.time(), dt.UTC)


def composition(snap: CaseSnapshot, resources: list[dict[str, Any]], at: dt.datetime) -> dict[str, Any]:
    """The care plan as the Composition a FHIR ``document`` Bundle starts with: the plan of care
    (LOINC 18776-5) of the person, by those who signed its newest signed version (the care
    coordinator while none is signed), its sections referencing the goals, the plan with its
    activities, the flags raised and the crisis plan."""
    plan = snap.care_plan
    if plan is None:
        raise ValueError("no care plan")
    c = snap.case
    plan_id = snap.plan_uuid or derived_id(c.uuid, "care-plan")
    by_name = {p.name.strip().casefold(): p.uuid for p in snap.practitioners}
    versions = sorted(snap.signed_versions, key=lambda v: v.version)
    authors: list[dict[str, str]] = []
    attesters: list[dict[str, Any]] = []
    if versions:
        content = json.loads(versions[-1].content_json)
        for sig in content.get("signatures") or [] if isinstance(content, dict) else []:
            if not (sig.get("strokes") or sig.get("verbal_agreement") or sig.get("signed_on")):
                continue
            name = str(sig.get("name") or SIGNER_ROLE_LABELS.get(sig.get("role", ""), "Signer"))
            if sig.get("role") == "service_user":
                attesters.append({"mode": "personal", "time": versions[-1].frozen_at.isoformat(),
                                  "party": _ref("Patient", snap.person.uuid)})
                continue
            who = by_name.get(name.strip().casefold())
            party = _ref("Practitioner", who) if who else {"display": name}
            if party not in authors:
                authors.append(party)
            attesters.append({"mode": "professional", "time": versions[-1].frozen_at.isoformat(), "party": party})
    if not authors:
        authors = [_ref("Practitioner", c.care_coordinator) if c.care_coordinator else
                   {"display": "Recorded in ddassess"}]

    def refs(kind: str) -> list[dict[str, str]]:
        return [_ref(kind, r["id"]) for r in resources if r["resourceType"] == kind]

    crisis = [f"{k}: {v}" for k, v in plan.crisis_plan.items()]
    risks = [f"Risk management: {plan.risk_management}"] if plan.risk_management else []
    doc: dict[str, Any] = {
        "resourceType": "Composition", "id": derived_id(plan_id, "composition"),
        "identifier": {"system": f"{FHIR_BASE}/care-plan-id", "value": plan.plan_id},
        "status": "final" if versions else "preliminary",
        "type": {"coding": [PLAN_OF_CARE], "text": "Joint care plan"},
        "subject": _ref("Patient", snap.person.uuid), "date": at.isoformat(), "author": authors,
        "title": f"Joint care plan {plan.plan_id}",
    }
    if attesters:
        doc["attester"] = attesters
    doc["section"] = [
        _section("Goals", refs("Goal")),
        _section("Activities", [_ref("CarePlan", plan_id)]),
        _section("Risks and flags", refs("Flag"), risks),
        _section("Crisis plan", [], crisis),
    ]
    return doc


# --- the bundle ---------------------------------------------------------------------------


def case_bundle(snap: CaseSnapshot, catalogue: Catalogue,
                spec_of: Callable[[ResponseData], FormSpec], *, document: bool = False) -> dict[str, Any]:
    """The whole case as a FHIR R4 Bundle; ``spec_of`` gives the definition a response was made with.
    ``document``: a ``document`` Bundle whose first entry is the care plan's Composition (the
    case must have a care plan), with the identifier and timestamp a document needs."""
    tables = catalogue.tables
    person = snap.person.uuid
    resources: list[dict[str, Any]] = [patient(snap.person), episode(snap.case, person)]
    resources += [practitioner(p) for p in sorted(snap.practitioners, key=lambda p: p.uuid)]
    resources.append(care_team(snap))
    responses = sorted(snap.responses, key=lambda r: (r.form_id, r.authored, r.uuid))
    specs = {r.uuid: spec_of(r) for r in responses}
    for key in sorted({(s.id, s.version) for s in specs.values()}):
        spec = next(s for s in specs.values() if (s.id, s.version) == key)
        resources.append(questionnaire(spec))
    newest_final: dict[str, ResponseData] = {}
    evs = {r.uuid: evaluate(specs[r.uuid], r.answers, tables=tables) for r in responses}
    superseded_by = {r.amends: r.uuid for r in responses if r.amends and r.status != "draft"}
    for r in responses:
        spec = specs[r.uuid]
        resources.append(questionnaire_response(spec, r, person, evs[r.uuid],
                                                superseded_by.get(r.uuid) if r.status == "superseded" else None))
        resources += observations(spec, r, person, evs[r.uuid])
        if r.status == "final":
            newest_final[r.form_id] = r
    for form_id in sorted(newest_final):
        r = newest_final[form_id]
        resources += flags(specs[r.uuid], r, person, evs[r.uuid])
    if "consent" in newest_final:
        resources += consents(specs[newest_final["consent"].uuid], newest_final["consent"], person)
    if snap.care_plan is not None:
        resources += care_plan_resources(snap, snap.care_plan)
    versions = sorted(snap.signed_versions, key=lambda v: v.version)
    for v in versions:
        resources += signed_version_resources(snap, v, v is versions[-1])
    if snap.draft_version is not None:
        resources.append(version_document(snap, snap.draft_version, newest=True))
    bundle: dict[str, Any] = {"resourceType": "Bundle", "id": derived_id(snap.case.uuid, "bundle"),
                              "type": "collection"}
    if document:
        at = document_moment(snap)
        resources.insert(0, composition(snap, resources, at))
        bundle = {"resourceType": "Bundle", "id": derived_id(snap.case.uuid, "document"),
                  "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{_document_id(snap, resources)}"},
                  "type": "document", "timestamp": at.isoformat()}
    return bundle | {"entry": [{"fullUrl": f"{FHIR_BASE}/{r['resourceType']}/{r['id']}", "resource": r}
                               for r in resources]}


__all__ = ["case_bundle", "questionnaire_id", "read_acknowledgements", "read_episode", "read_patient",
           "read_practitioner", "read_signed_version"]
