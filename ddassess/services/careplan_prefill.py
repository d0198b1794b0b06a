"""A new care plan, pre-filled from what the assessment found."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ddassess.errors import RecordNotFound
from ddassess.formengine import Catalogue, evaluate
from ddassess.services.careplans import INSTRUMENTS, _label, _latest
from ddassess.store import Store
from ddassess.store.records import CaseRecord

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
    from ddassess.services import case_changes

    spec = catalogue.get("care_plan")
    answers = assessment_prefill(store, catalogue, case_id)
    return case_changes.start_response(store, case_id, spec.id, spec.version, spec.content_hash, answers, at=at).id
