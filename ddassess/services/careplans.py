"""The joint care plan of a case, gathered from its forms (its files: ``careplan_files``;
a new plan pre-filled from the assessment: ``careplan_prefill``).

The plan's content comes from the case's newest care plan and crisis plan responses, its
screening scores (newest final response of each instrument), the alerts those raise, and
the case's lead agency. Each export snapshots the plan as a version; a signed version is
frozen, and a later change becomes the next version, which says what it replaces.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

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
from ddassess.errors import NoCarePlanError
from ddassess.formengine import Catalogue, evaluate
from ddassess.formengine.display import answer_text
from ddassess.formengine.validate import score_range
from ddassess.pdf.logo import logo_bytes
from ddassess.services.case_pathway import case_and_person
from ddassess.services.settings import get_setting
from ddassess.store import Store
from ddassess.store.records import (
    CarePlanRecord,
    CarePlanVersionRecord,
    PersonRecord,
    PractitionerRecord,
    ResponseRecord,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

INSTRUMENTS = ("phq9", "gad7", "audit", "audit_c", "fast", "dast10", "sadq", "sds")
# A recorded version of the plan: its number, status, meta (content hash, agreements) and day.
VersionRow = tuple[int, str, dict[str, Any], dt.date]


def _latest(session: Session, case_id: int, form_id: str, final_only: bool = False) -> ResponseRecord | None:
    stmt = (select(ResponseRecord).where(ResponseRecord.case_id == case_id, ResponseRecord.form_id == form_id,
                                         ResponseRecord.status != "superseded")
            .order_by((ResponseRecord.status == "final").desc(), ResponseRecord.updated_at.desc()))
    if final_only:
        stmt = stmt.where(ResponseRecord.status == "final")
    return session.scalars(stmt).first()


def _latest_of_each(session: Session, case_id: int, form_ids: tuple[str, ...]
                    ) -> tuple[dict[str, ResponseRecord], dict[str, ResponseRecord]]:
    """What ``_latest`` gives for each form (any status, and final only), read in one query."""
    stmt = (select(ResponseRecord).where(ResponseRecord.case_id == case_id, ResponseRecord.form_id.in_(form_ids),
                                         ResponseRecord.status != "superseded")
            .order_by((ResponseRecord.status == "final").desc(), ResponseRecord.updated_at.desc(), ResponseRecord.id))
    latest: dict[str, ResponseRecord] = {}
    final: dict[str, ResponseRecord] = {}
    for r in session.scalars(stmt):
        latest.setdefault(r.form_id, r)
        if r.status == "final":
            final.setdefault(r.form_id, r)
    return latest, final


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _label(catalogue: Catalogue, form_id: str, field: str, column: str, value: Any) -> str:
    spec = catalogue.get(form_id)
    col = {c.id: c for c in spec.fields[field].fields}.get(column)
    return answer_text(col, value) if col else str(value or "")


RISK_FORMS = INSTRUMENTS + ("risk",)  # forms whose high and urgent flags the plan's risk summary shows


def drawn_signatures(catalogue: Catalogue, version: int | None = None) -> dict[str, str]:
    """The care plan form's drawn signatures, by signature block (its ``signer:`` keys), as the
    definition of ``version`` says (the current one when that version is not kept): each
    drawn signature belongs to the content it was given for."""
    spec = catalogue.all_versions.get(("care_plan", version)) if version is not None else None
    spec = catalogue.meaning_of(spec or catalogue.get("care_plan"))
    return {f.signer: f.id for f in spec.fields.values() if f.type == "signature" and f.signer}


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


def build_care_plan(store: Store, catalogue: Catalogue, case_id: int, *, for_print: bool = True) -> CarePlan:
    """The case's joint care plan. ``for_print=False``: what the plan says only, without what
    printing it adds (the organisation's name and logo, the version number, the signature
    blocks): the FHIR export, which reads the signed versions themselves, needs no more."""
    with store.read() as s:
        case, person = case_and_person(s, case_id)
        latest, latest_final = _latest_of_each(s, case_id, ("care_plan", "crisis_plan", "lead_agency", *RISK_FORMS))
        plan_resp = latest.get("care_plan")
        crisis_resp = latest.get("crisis_plan")
        screening = [(fid, r) for fid in RISK_FORMS if (r := latest_final.get(fid))]
        plan_record = s.scalars(select(CarePlanRecord).where(CarePlanRecord.case_id == case_id)).first()
        lead_resp = latest.get("lead_agency")
        versions = [(v.version, v.status, _version_meta(v), (v.frozen_at or v.created_at).date())
                    for v in plan_record.versions] if plan_record else []
        profiles = {p.name.strip().casefold(): (p.role, p.agency)
                    for p in s.scalars(select(PractitionerRecord).where(PractitionerRecord.active.is_(True)))}
    if plan_resp is None:
        raise NoCarePlanError("This case has no joint care plan yet: start the care plan form first.")
    a = json.loads(plan_resp.answers_json)
    needs: dict[tuple[str, str, str], list[Action]] = {}
    for row in a.get("needs") or []:
        need_key = (_label(catalogue, "care_plan", "needs", "area", row.get("area")), row.get("need", ""),
                    row.get("goal", ""))
        status = _label(catalogue, "care_plan", "needs", "status", row.get("status")).lower()
        needs.setdefault(need_key, []).append(Action(
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
        flags += [RiskFlag(f.message, f.severity, f"{spec.title}, {day}" + (", form not finished" if f.partial else ""))
                  for f in ev.flags if f.severity in ("high", "urgent")]
    crisis: dict[str, str] = {}
    if crisis_resp is not None:
        c = json.loads(crisis_resp.answers_json)
        for field, heading in (("early_warning_signs", "Early warning signs"), ("triggers", "Triggers"),
                               ("what_helps", "What helps"), ("what_does_not_help", "What does not help"),
                               ("naloxone_plan", "Naloxone"), ("withdrawal_plan", "Withdrawal")):
            if c.get(field):
                crisis[heading] = c[field]
        contacts = "; ".join(f"{x.get('name', '')} {x.get('phone', '')} "
                             f"({_label(catalogue, 'crisis_plan', 'contacts', 'when', x.get('when'))})"
                             for x in c.get("contacts") or [])
        if contacts:
            crisis["Contacts"] = contacts
    if not crisis and a.get("crisis_summary"):
        crisis["Crisis and contingency"] = a["crisis_summary"]
    quadrant = ""
    if lead_resp is not None:
        lead_ev = evaluate(catalogue.get("lead_agency", lead_resp.form_version), json.loads(lead_resp.answers_json),
                           tables=catalogue.tables)
        quadrant = _words(catalogue, "lead_agency", "quadrant", lead_ev.computed.get("quadrant"))
    address = "\n".join(line.strip() for line in person.address.splitlines() if line.strip())
    if person.postcode:
        address = f"{address}\n{person.postcode}" if address else person.postcode
    plan = CarePlan(
        person=PersonHeader(f"{person.given_name} {person.family_name}", person.nhs_number or "",
                            person.date_of_birth, case.ref, preferred_name=person.preferred_name,
                            pronouns=person.pronouns, address=address, gp_practice=person.gp_practice),
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
        copies_given_to=tuple(_choice_label(catalogue, "care_plan", "copy_given", v)
                              for v in a.get("copy_given") or ()),
    )
    if not for_print:
        return plan
    plan = replace(plan, organisation=get_setting(store, "organisation_name").strip(),
                   logo=logo_bytes(get_setting(store, "organisation_logo")))
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
    blocks = _signature_blocks(a, person, content, versions, _with_team(profiles, plan),
                               plan_resp.updated_at.date(), drawn_signatures(catalogue, plan_resp.form_version))
    return replace(plan, version=version, replaces_version=replaces, signatures=blocks)


def _with_team(profiles: dict[str, tuple[str, str]], plan: CarePlan) -> dict[str, tuple[str, str]]:
    """Each practitioner's role and agency for the signature blocks, by name (case folded): their
    profile in this store; else, for a practitioner of another service (a shared case), the
    plan's care team row of that name; the care coordinator's agency is at least the lead
    agency (the coordinator works for it). A blank line on a signed plan was the old result."""
    out = dict(profiles)
    for m in plan.care_team:
        key = m.name.strip().casefold()
        have = out.get(key, ("", ""))
        out[key] = (have[0] or m.role.strip(), have[1] or m.organisation.strip())
    coordinator = plan.care_coordinator.strip().casefold()
    if coordinator:
        role, agency = out.get(coordinator, ("", ""))
        out[coordinator] = (role, agency or plan.lead_agency.strip())
    return out


def _words(catalogue: Catalogue, form_id: str, field: str, value: Any) -> str:
    """An answer in the words of the form's current version (the labels of a field do not
    change its meaning, so an older response reads in today's words): ``answer_text``."""
    f = catalogue.get(form_id).fields.get(field)
    return answer_text(f, value) if f is not None else ("" if value is None else str(value))


def _choice_label(catalogue: Catalogue, form_id: str, field: str, value: Any) -> str:
    return _words(catalogue, form_id, field, value)


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


def agreements(a: dict[str, Any], content: str, versions: list[VersionRow], drawn: dict[str, str]
               ) -> dict[str, dict[str, str]]:
    """For each drawn signature (or verbal agreement) in the answers: its key and the content
    hash it was given for — the content of the first version that carried it. ``drawn`` maps
    each signature block to its field (``drawn_signatures``)."""
    out = {}
    for role, field in drawn.items():
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


def _signature_blocks(a: dict[str, Any], person: PersonRecord, content: str, versions: list[VersionRow],
                      profiles: dict[str, tuple[str, str]], saved_on: dt.date,
                      drawn: dict[str, str]) -> tuple[SignatureBlock, ...]:
    """The four blocks. A drawn signature appears only on the content it was given for, dated
    when it was made (the pad's ``signed_at``, else the first version that carried it, else
    the day its answer was saved) — never today's date for an earlier signature."""
    bound = agreements(a, content, versions, drawn)
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
            sig = a.get(drawn[role]) or {}
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
