"""The joint care plan of a case: gathered from its forms, versioned, exported as PDF.

The plan's content comes from the case's newest care plan and crisis plan responses, its
screening scores (newest final response of each instrument), the alerts those raise, and
the case's lead agency. Each export snapshots the plan as a version; a signed version is
frozen, and a later change becomes the next version, which says what it replaces.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ddassess.domain.careplan import (
    ACTION_STATUSES,
    Action,
    CarePlan,
    Need,
    PersonHeader,
    RiskFlag,
    ScoreSummary,
    SignatureBlock,
    TeamMember,
)
from ddassess.errors import InvalidInputError, NoCarePlanError, RecordNotFound
from ddassess.fileio import atomic_write
from ddassess.formengine import Catalogue, evaluate
from ddassess.formengine.validate import score_range
from ddassess.store import Store
from ddassess.store.audit import append_event
from ddassess.store.records import (
    CarePlanRecord,
    CarePlanVersionRecord,
    CaseRecord,
    PersonRecord,
    PractitionerRecord,
    ResponseRecord,
    utcnow,
)

QUADRANT_NAMES = {
    "high_mh_high_sm": "High mental illness / high substance misuse",
    "high_mh_low_sm": "High mental illness / low substance misuse",
    "low_mh_high_sm": "Low mental illness / high substance misuse",
    "low_mh_low_sm": "Low mental illness / low substance misuse",
}
INSTRUMENTS = ("phq9", "gad7", "audit", "audit_c", "fast", "dast10", "sadq", "sds")


def _latest(session, case_id: int, form_id: str, final_only: bool = False) -> ResponseRecord | None:  # type: ignore[no-untyped-def]
    stmt = (select(ResponseRecord).where(ResponseRecord.case_id == case_id, ResponseRecord.form_id == form_id,
                                         ResponseRecord.status != "superseded")
            .order_by((ResponseRecord.status == "final").desc(), ResponseRecord.updated_at.desc()))
    if final_only:
        stmt = stmt.where(ResponseRecord.status == "final")
    return session.scalars(stmt).first()


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _label(catalogue: Catalogue, form_id: str, field: str, column: str, value: Any) -> str:
    spec = catalogue.get(form_id)
    col = {c.id: c for c in spec.fields[field].fields}.get(column)
    choice = col.choice(value) if col else None
    return choice.label if choice else str(value or "")


RISK_FORMS = INSTRUMENTS + ("risk",)  # forms whose high and urgent flags the plan's risk summary shows
# Drawn signatures of the form, by signature block: each belongs to the content it was given for.
DRAWN = {"service_user": "person_signed", "care_coordinator": "coordinator_signed", "partner": "partner_signed"}


def _content_key(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, default=str, sort_keys=True).encode("utf-8")).hexdigest()


def _version_meta(record: CarePlanVersionRecord) -> dict[str, Any]:
    """What a stored version says about itself: its content hash and whose agreement it bound."""
    try:
        stored = json.loads(record.content_json or "{}")
    except ValueError:
        stored = {}
    meta = stored.get("_meta") if isinstance(stored, dict) else None
    return meta if isinstance(meta, dict) else {}


def _signed_day(sig: dict[str, Any], fallback: dt.date) -> dt.date:
    """The day a drawn signature was made: its own ``signed_at`` when the pad recorded it."""
    at = sig.get("signed_at")
    if isinstance(at, str):
        try:
            return dt.datetime.fromisoformat(at).date()
        except ValueError:
            pass
    return fallback


def build_care_plan(store: Store, catalogue: Catalogue, case_id: int) -> CarePlan:
    with store.read() as s:
        case = s.get(CaseRecord, case_id)
        if case is None:
            raise RecordNotFound("That case is no longer in the store.")
        person = s.get(PersonRecord, case.person_id)
        plan_resp = _latest(s, case_id, "care_plan")
        crisis_resp = _latest(s, case_id, "crisis_plan")
        screening = [(fid, r) for fid in RISK_FORMS if (r := _latest(s, case_id, fid, final_only=True))]
        plan_record = s.scalars(select(CarePlanRecord).where(CarePlanRecord.case_id == case_id)).first()
        lead_resp = _latest(s, case_id, "lead_agency")
        versions = [(v.version, v.status, _version_meta(v), (v.frozen_at or v.created_at).date())
                    for v in plan_record.versions] if plan_record else []
        profiles = {p.name.strip().casefold(): (p.role, p.agency)
                    for p in s.scalars(select(PractitionerRecord).where(PractitionerRecord.active.is_(True)))}
    if plan_resp is None:
        raise NoCarePlanError("This case has no joint care plan yet: start the care plan form first.")
    a = json.loads(plan_resp.answers_json)
    needs: dict[tuple[str, str, str], list[Action]] = {}
    for row in a.get("needs") or []:
        key = (_label(catalogue, "care_plan", "needs", "area", row.get("area")), row.get("need", ""),
               row.get("goal", ""))
        status = _label(catalogue, "care_plan", "needs", "status", row.get("status")).lower()
        needs.setdefault(key, []).append(Action(
            description=row.get("action", ""), responsible=row.get("responsible", ""), agency=row.get("agency", ""),
            start=_date(row.get("start")), target=_date(row.get("target")),
            status=status if status in ACTION_STATUSES else "not started"))
    scores, flags = [], []
    for fid, r in screening:
        spec = catalogue.get(fid, r.form_version)
        ev = evaluate(spec, json.loads(r.answers_json), tables=catalogue.tables)
        for sc in ev.scores.values():
            if sc.needed and sc.id == "total":
                rng = score_range(spec, sc.id)
                total = f"{sc.value:g}" + (f" / {rng[1]:g}" if rng else "") if sc.complete else \
                    f"incomplete ({sc.answered} of {sc.needed} answered)"
                scores.append(ScoreSummary(spec.title, r.finalised_at.date() if r.finalised_at else None, total,
                                           sc.band))
        day = r.finalised_at.strftime("%d %b %Y") if r.finalised_at else ""
        flags += [RiskFlag(f.message, f.severity, f"{spec.title}, {day}") for f in ev.flags
                  if f.severity in ("high", "urgent")]
    crisis: dict[str, str] = {}
    if crisis_resp is not None:
        c = json.loads(crisis_resp.answers_json)
        for key, heading in (("early_warning_signs", "Early warning signs"), ("triggers", "Triggers"),
                             ("what_helps", "What helps"), ("what_does_not_help", "What does not help"),
                             ("naloxone_plan", "Naloxone"), ("withdrawal_plan", "Withdrawal")):
            if c.get(key):
                crisis[heading] = c[key]
        contacts = "; ".join(f"{x.get('name', '')} {x.get('phone', '')} ({str(x.get('when', '')).replace('_', ' ')})"
                             for x in c.get("contacts") or [])
        if contacts:
            crisis["Contacts"] = contacts
    if not crisis and a.get("crisis_summary"):
        crisis["Crisis and contingency"] = a["crisis_summary"]
    quadrant = ""
    if lead_resp is not None:
        lead_ev = evaluate(catalogue.get("lead_agency", lead_resp.form_version), json.loads(lead_resp.answers_json),
                           tables=catalogue.tables)
        quadrant = QUADRANT_NAMES.get(lead_ev.computed.get("quadrant") or "", "")
    plan = CarePlan(
        person=PersonHeader(f"{person.given_name} {person.family_name}", person.nhs_number or "",
                            person.date_of_birth, case.ref),
        plan_id=f"CP-{case.ref}", version=1, created=plan_resp.created_at.date(),
        updated=plan_resp.updated_at.date(), lead_agency=a.get("lead_agency") or case.lead_agency,
        quadrant=quadrant,
        care_coordinator=a.get("care_coordinator", ""), partner_worker=a.get("partner_worker", ""),
        care_team=tuple(TeamMember(m.get("name", ""), m.get("role", ""), m.get("organisation", ""),
                                   m.get("contact", "")) for m in a.get("care_team") or []),
        what_matters=a.get("what_matters", ""),
        needs=tuple(Need(area, need, goal, tuple(actions)) for (area, need, goal), actions in needs.items()),
        scores=tuple(scores), risk_flags=tuple(flags), risk_management=a.get("risk_management", ""),
        crisis_plan=crisis, medication=a.get("medication", ""), carer_needs=_carers(catalogue, a),
        information_sharing=a.get("information_sharing", ""), unmet_needs=a.get("unmet_needs", ""),
        next_review=_date(a.get("next_review")),
        copies_given_to=tuple(_choice_label(catalogue, "care_plan", "copy_given", v) for v in a.get("copy_given") or ()),
    )
    content = plan.content_hash()
    # A version is a change of content: the same content keeps its version number (re-exporting
    # a signed plan is not a new version); a draft version changes until it is signed.
    signed = [v for v, st, _m, _d in versions if st == "signed"]
    last = versions[-1] if versions else None
    if last is None:
        version, replaces = 1, None
    elif last[1] == "draft" or last[2].get("content_hash") == content:
        version = last[0]
        replaces = max((v for v in signed if v < version), default=None)
    else:
        version, replaces = last[0] + 1, max(signed) if signed else None
    blocks = _signature_blocks(a, person, content, versions, profiles, plan_resp.updated_at.date())
    return replace(plan, version=version, replaces_version=replaces, signatures=blocks)


def _choice_label(catalogue: Catalogue, form_id: str, field: str, value: Any) -> str:
    spec = catalogue.get(form_id)
    f = spec.fields.get(field)
    choice = f.choice(value) if f is not None else None
    return choice.label if choice else str(value)


def _carers(catalogue: Catalogue, a: dict[str, Any]) -> str:
    """The carer's involvement and needs as one paragraph (docs/care-plan.md, sign-off)."""
    parts = []
    if a.get("carer_involved") is True:
        parts.append("A carer is involved" + (f": {a['carer_name']}" if a.get("carer_name") else "") + ".")
        offered = a.get("carer_assessment")
        if offered:
            parts.append(f"Carer's assessment: {_choice_label(catalogue, 'care_plan', 'carer_assessment', offered)}.")
    elif a.get("carer_involved") is False:
        parts.append("No carer is involved.")
    if a.get("carer_needs"):
        parts.append(str(a["carer_needs"]))
    return " ".join(parts)


def _agreement_key(sig: dict[str, Any], verbal: str = "") -> str:
    strokes = sig.get("strokes") or []
    if not strokes and not verbal:
        return ""
    return _content_key({"strokes": strokes, "signed_at": sig.get("signed_at"), "verbal": verbal})


def agreements(a: dict[str, Any], content: str, versions: list) -> dict[str, dict[str, str]]:  # type: ignore[type-arg]
    """For each drawn signature (or verbal agreement) in the answers: its key and the content
    hash it was given for — the content of the first version that carried it."""
    out = {}
    for role, field in DRAWN.items():
        sig = a.get(field) or {}
        key = _agreement_key(sig if isinstance(sig, dict) else {}, a.get("verbal_agreement", "") if role ==
                             "service_user" else "")
        if not key:
            continue
        bound = next((m["agreements"][role]["for"] for _v, _st, m, _d in versions
                      if m.get("agreements", {}).get(role, {}).get("key") == key), content)
        first_day = next((d for _v, _st, m, d in versions
                          if m.get("agreements", {}).get(role, {}).get("key") == key), None)
        out[role] = {"key": key, "for": bound, "first_day": first_day.isoformat() if first_day else ""}
    return out


def _signature_blocks(a: dict[str, Any], person: PersonRecord, content: str, versions: list,  # type: ignore[type-arg]
                      profiles: dict[str, tuple[str, str]], saved_on: dt.date) -> tuple[SignatureBlock, ...]:
    """The four blocks. A drawn signature appears only on the content it was given for, dated
    when it was made (the pad's ``signed_at``, else the first version that carried it, else
    the day its answer was saved) — never today's date for an earlier signature."""
    bound = agreements(a, content, versions)
    names = {"service_user": f"{person.given_name} {person.family_name}",
             "care_coordinator": a.get("care_coordinator", ""), "partner": a.get("partner_worker", ""),
             "team_lead": ""}
    blocks = []
    for role in ("service_user", "care_coordinator", "partner", "team_lead"):
        name = names[role]
        job, agency = profiles.get(name.strip().casefold(), ("", "")) if role != "service_user" else ("", "")
        block = SignatureBlock(role, name, job_title=job, agency=agency)
        agreed = bound.get(role)
        if agreed and agreed["for"] == content:
            sig = a.get(DRAWN[role]) or {}
            fallback = dt.date.fromisoformat(agreed["first_day"]) if agreed["first_day"] else saved_on
            strokes = tuple(tuple((float(p[0]), float(p[1])) for p in st) for st in sig.get("strokes") or [])
            verbal = a.get("verbal_agreement", "") if role == "service_user" and not strokes else ""
            block = replace(block, strokes=strokes, verbal_agreement=verbal, signed_on=_signed_day(sig, fallback))
        blocks.append(block)
    return tuple(blocks)


def signing_problems(catalogue: Catalogue, store: Store, case_id: int, plan: CarePlan) -> list[str]:
    """Everything that stops the plan being signed, in plain words: the care plan form's own
    problems (the engine is the one source of its required answers) and what the plan lacks."""
    with store.read() as s:
        resp = _latest(s, case_id, "care_plan")
        answers = json.loads(resp.answers_json) if resp is not None else {}
        version = resp.form_version if resp is not None else None
    spec = catalogue.get("care_plan", version)
    from ddassess.formengine import check

    found = [p.message for p in check(spec, answers, tables=catalogue.tables) if p.severity == "error"]
    return found or [f"{line}." for line in plan.missing_for_signing()]


def check_writable(out: Path) -> None:
    """Fail before any work when the PDF could not be written there."""
    folder = out.expanduser().resolve().parent
    if not folder.is_dir():
        raise InvalidInputError(f"The folder {folder} does not exist.", hint="Choose a folder that exists.")
    if not os.access(folder, os.W_OK):
        raise InvalidInputError(f"ddassess cannot write in {folder}.", hint="Choose a folder you can save to.")
    if out.is_dir():
        raise InvalidInputError(f"{out} is a folder: give a file name ending in .pdf.")


def export_care_plan(store: Store, catalogue: Catalogue, case_id: int, out: Path, identity: Any = None,
                     signer_role: str = "care_coordinator") -> CarePlan:
    """Render (and sign, given an identity) the case's plan, write it atomically, record it."""
    from ddassess.pdf.careplan import prepare_for_signing, render_care_plan
    from ddassess.pdf.signing import sign_pdf

    check_writable(out)
    plan = build_care_plan(store, catalogue, case_id)
    if identity is not None:
        missing = signing_problems(catalogue, store, case_id, plan)
        if missing:
            raise InvalidInputError("The plan cannot be signed yet. Missing: " + " ".join(missing),
                                    hint="Complete these in the care plan form, then sign.")
        plan = with_signer(plan, identity, signer_role)
    pdf = prepare_for_signing(render_care_plan(plan))
    if identity is not None:
        pdf = sign_pdf(pdf, identity, field_name=signer_role, reason="Joint care plan agreed")
    atomic_write(out, pdf, mode=0o600)
    _record_version(store, case_id, plan, signed=identity is not None, out=out,
                    meta={"content_hash": plan.content_hash(), "agreements": _agreements_of(store, case_id, plan)})
    return plan


def with_signer(plan: CarePlan, identity: Any, role: str) -> CarePlan:
    """The block of ``role`` shows who actually signs: the certificate's holder (not the name typed
    in the form), their role and agency from the certificate (or the block's own, from their
    profile), and today — the day of this signature."""
    from ddassess.pdf.certs import role_and_agency

    job, agency = role_and_agency(identity.certificate)
    return replace(plan, signatures=tuple(
        replace(b, name=identity.common_name, job_title=job or b.job_title, agency=agency or b.agency,
                signed_on=dt.date.today()) if b.role == role else b for b in plan.signatures))


def _agreements_of(store: Store, case_id: int, plan: CarePlan) -> dict[str, dict[str, str]]:
    with store.read() as s:
        resp = _latest(s, case_id, "care_plan")
        record = s.scalars(select(CarePlanRecord).where(CarePlanRecord.case_id == case_id)).first()
        versions = [(v.version, v.status, _version_meta(v), (v.frozen_at or v.created_at).date())
                    for v in record.versions] if record else []
        answers = json.loads(resp.answers_json) if resp is not None else {}
    found = agreements(answers, plan.content_hash(), versions)
    return {role: {"key": a["key"], "for": a["for"]} for role, a in found.items()}


def countersign(store: Store, path: Path, identity: Any, role: str, out: Path | None = None) -> Path:
    """Add a signature to a plan PDF already signed by others, incrementally: in place, or to
    ``out`` (the received file is then left as it came). Returns the file written.

    Refuses a copy whose earlier signatures do not all check out: nobody should put their
    name to a plan that was changed after the others signed it."""
    from ddassess.pdf.signing import sign_pdf, verify_pdf
    from ddassess.services.signing import trusted_roots

    target = out or path
    check_writable(target)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"{path} cannot be read ({exc.strerror or exc.__class__.__name__}).") from None
    bad = [r for r in verify_pdf(data, trusted_roots(store)) if not r.ok]
    if bad:
        raise InvalidInputError(f"This plan's signature by {bad[0].signer} does not check out, so it was not signed.",
                                hint="Ask for the original; run `ddassess pdf verify` to see why.")
    atomic_write(target, sign_pdf(data, identity, field_name=role, reason="Joint care plan agreed"), mode=0o600)
    with store.write() as s:
        append_event(s, actor=store.owner_uuid, action="export", entity_type="care-plan-file",
                     entity_id=target.name, changes={"signed_as": [None, role]}, reason="countersigned")
    return target


def render_for_print(store: Store, catalogue: Catalogue, case_id: int):  # type: ignore[no-untyped-def]
    """The plan's pages as images for a printer, rendered in memory (no file is written)."""
    from ddassess.pdf.careplan import render_care_plan
    from ddassess.pdf.raster import rasterise

    pdf = render_care_plan(build_care_plan(store, catalogue, case_id)).pdf
    with store.write() as s:
        case = s.get(CaseRecord, case_id)
        append_event(s, actor=store.owner_uuid, action="export", entity_type="case", entity_id=case.uuid,
                     reason="care plan printed")
    return rasterise(pdf)


def _record_version(store: Store, case_id: int, plan: CarePlan, *, signed: bool, out: Path,
                    meta: dict[str, Any]) -> None:
    """Record an export: the draft version changes until it is signed; a signed version is
    frozen, and only different content makes the next version (the same content exported
    again, signed or not, stays the version it is)."""
    content = asdict(plan) | {"_meta": meta}
    with store.write() as s:
        record = s.scalars(select(CarePlanRecord).where(CarePlanRecord.case_id == case_id)).first()
        if record is None:
            record = CarePlanRecord(case_id=case_id)
            s.add(record)
            s.flush()
        previous = record.versions[-1] if record.versions else None
        if previous is not None and previous.status == "signed" and \
                _version_meta(previous).get("content_hash") == meta["content_hash"]:
            version = previous  # unchanged: the frozen version stays as it was signed
        else:
            if previous is not None and previous.status == "draft":
                version = previous  # the draft version changes until it is signed
            else:
                version = CarePlanVersionRecord(care_plan_id=record.id, version=plan.version,
                                                replaces_id=previous.id if previous else None)
                s.add(version)
            version.content_json = json.dumps(content, default=str, sort_keys=True)
            version.status = "signed" if signed else "draft"
            version.frozen_at = utcnow() if signed else None
        s.flush()
        # The newest version's content as a fingerprint: ``store check`` compares it (store/replay.py).
        content_sha256 = hashlib.sha256(version.content_json.encode("utf-8")).hexdigest()
        append_event(s, actor=store.owner_uuid, action="export", entity_type="care-plan", entity_id=record.uuid,
                     changes={"version": [None, plan.version], "signed": [None, signed],
                              "content_sha256": [None, content_sha256]},
                     reason=f"PDF written to {out.name}")


# --- a new plan, pre-filled from the assessment ------------------------------------------

RISK_AREAS = {"self": "mental_health", "others": "legal", "from_others": "relationships_children",
              "self_neglect": "physical_health", "overdose": "substance_use", "injecting": "substance_use",
              "children": "relationships_children", "adults": "relationships_children",
              "disengagement": "mental_health"}
BAND_NEEDS = ("Moderate", "Moderately severe", "Severe", "Higher risk (zone III)", "Possible dependence (zone IV)",
              "Moderate dependence", "Severe dependence", "Moderate level", "Substantial level", "Severe level")


def _need(area: str, need: str) -> dict[str, Any]:
    # Goals stay empty on purpose: they are written with the person, in their words.
    return {"area": area, "need": need, "status": "not_started"}


def assessment_prefill(store: Store, catalogue: Catalogue, case_id: int) -> dict[str, Any]:
    """Answers for a new care plan from what the assessment found: the care team and lead
    agency, a need for each risk present, each screening band of concern, each substance
    and each social difficulty, and the risk management plans. Everything is editable."""
    with store.read() as s:
        lead = _latest(s, case_id, "lead_agency")
        risk = _latest(s, case_id, "risk")
        joint = _latest(s, case_id, "joint_assessment")
        profile = _latest(s, case_id, "substance_profile")
        screening = [(fid, r) for fid in INSTRUMENTS if (r := _latest(s, case_id, fid, final_only=True))]
        case = s.get(CaseRecord, case_id)
        if case is None:
            raise RecordNotFound("That case is no longer in the store.")
    answers: dict[str, Any] = {"needs": []}
    needs = answers["needs"]
    team = []
    if lead is not None:
        la = json.loads(lead.answers_json)
        spec = catalogue.get("lead_agency", lead.form_version)
        choice = spec.fields["lead"].choice(la.get("lead"))
        answers["lead_agency"] = choice.label if choice else case.lead_agency
        for key, role in (("care_coordinator", "Care coordinator"), ("link_worker", "Link worker / Dual Diagnosis Lead")):
            if la.get(key):
                team.append({"name": la[key], "role": role, "organisation": ""})
        answers["care_coordinator"] = la.get("care_coordinator", "")
        answers["partner_worker"] = la.get("link_worker", "")
    for fid, r in screening:
        spec = catalogue.get(fid, r.form_version)
        total = evaluate(spec, json.loads(r.answers_json), tables=catalogue.tables).scores.get("total")
        if total is not None and total.complete and total.band in BAND_NEEDS:
            area = "substance_use" if fid in ("audit", "audit_c", "fast", "dast10", "sadq", "sds") else "mental_health"
            needs.append(_need(area, f"{spec.title}: {total.value:g} ({total.band})"))
    if profile is not None:
        for row in json.loads(profile.answers_json).get("substances") or []:
            label = _label(catalogue, "substance_profile", "substances", "substance", row.get("substance"))
            needs.append(_need("substance_use", f"Use of {label.lower()}" + (
                f" ({row['days_last_28']} days in the last 28)" if row.get("days_last_28") is not None else "")))
    if joint is not None:
        ja = json.loads(joint.answers_json)
        if ja.get("housing") in ("at_risk", "temporary", "homeless"):
            needs.append(_need("housing", f"Housing: {str(ja['housing']).replace('_', ' ')}"))
        if ja.get("occupation") in ("unemployed", "unable"):
            needs.append(_need("work_education", "Work, education or training"))
        if ja.get("cj_involvement"):
            needs.append(_need("legal", "Criminal justice involvement"))
    if risk is not None:
        ra = json.loads(risk.answers_json)
        spec = catalogue.get("risk", risk.form_version)
        titles = {sec.id: sec.title for sec in spec.sections}
        plans = []
        for domain, area in RISK_AREAS.items():
            if ra.get(f"{domain}_present"):
                needs.append(_need(area, titles.get(domain, domain)))
                if ra.get(f"{domain}_plan"):
                    plans.append(f"{titles.get(domain, domain)}: {ra[f'{domain}_plan']}")
        if plans:
            answers["risk_management"] = "\n".join(plans)
    if team:
        answers["care_team"] = team
    if not needs:
        del answers["needs"]
    return answers


def start_care_plan(store: Store, catalogue: Catalogue, case_id: int, *, at: dt.datetime | None = None) -> int:
    """A new care plan draft, pre-filled from the assessment; returns its response id."""
    from ddassess.services import cases

    spec = catalogue.get("care_plan")
    answers = assessment_prefill(store, catalogue, case_id)
    return cases.start_response(store, case_id, spec.id, spec.version, spec.content_hash, answers, at=at).id
