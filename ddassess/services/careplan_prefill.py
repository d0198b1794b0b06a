"""A new care plan, pre-filled from what the assessment found.

What counts as a need, and in which area, is said by the forms themselves (forms/README.md,
"What a form tells the care plan"): a score's bands of ``concern`` and its ``need_area``, a
yes/no question or an option with a ``need``, a ``risk_plan`` answer for the plan's risk
management. Nothing here knows the questions of a particular form.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ddassess.errors import RecordNotFound
from ddassess.formengine import Catalogue, evaluate
from ddassess.services.careplans import INSTRUMENTS, _label, _latest
from ddassess.store import Store
from ddassess.store.records import CaseRecord, ResponseRecord


def _need(area: str, need: str) -> dict[str, Any]:
    # Goals stay empty on purpose: they are written with the person, in their words.
    return {"area": area, "need": need, "status": "not_started"}


def score_needs(catalogue: Catalogue, response: ResponseRecord) -> list[dict[str, Any]]:
    """A need for each complete score of the response whose band is of concern."""
    spec = catalogue.get(response.form_id, response.form_version)
    meaning = catalogue.meaning_of(spec)
    ev = evaluate(spec, json.loads(response.answers_json), tables=catalogue.tables)
    needs = []
    for score in meaning.scores:
        result = ev.scores.get(score.id)
        concern = {b.label for b in score.bands if b.concern}
        if score.need_area and result is not None and result.complete and result.value is not None \
                and result.band in concern:
            needs.append(_need(score.need_area, f"{spec.title}: {result.value:g} ({result.band})"))
    return needs


def answer_needs(catalogue: Catalogue, response: ResponseRecord) -> tuple[list[dict[str, Any]], list[str]]:
    """The needs the response's answers offer (a yes to a question with a ``need``, a chosen
    option with one) and its ``risk_plan`` answers, each headed by its section's title.
    Only questions that are shown count: a hidden answer is stale."""
    spec = catalogue.get(response.form_id, response.form_version)
    meaning = catalogue.meaning_of(spec)
    answers = json.loads(response.answers_json)
    visible = evaluate(spec, answers, tables=catalogue.tables).visible
    needs, plans = [], []
    for f in (f for s in meaning.sections for f in s.fields if f.id in visible):
        value = answers.get(f.id)
        section = spec.section_of.get(f.id) or meaning.section_of[f.id]
        if f.need is not None and value is True:
            needs.append(_need(f.need.area, f.need.text or section.title))
        for v in value if isinstance(value, list) else [value]:
            option = f.choice(v)
            if option is not None and option.need is not None:
                needs.append(_need(option.need.area, option.need.text or section.title))
        if f.risk_plan and isinstance(value, str) and value.strip():
            plans.append(f"{section.title}: {value}")
    return needs, plans


def assessment_prefill(store: Store, catalogue: Catalogue, case_id: int) -> dict[str, Any]:
    """Answers for a new care plan from what the assessment found: the care team and lead
    agency, a need for each screening band of concern, each substance, each social
    difficulty and each risk present, and the risk management plans. Everything is editable."""
    with store.read() as s:
        lead = _latest(s, case_id, "lead_agency")
        risk = _latest(s, case_id, "risk")
        joint = _latest(s, case_id, "joint_assessment")
        profile = _latest(s, case_id, "substance_profile")
        screening = [r for fid in INSTRUMENTS if (r := _latest(s, case_id, fid, final_only=True))]
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
        for key, role in (("care_coordinator", "Care coordinator"),
                          ("link_worker", "Link worker / Dual Diagnosis Lead")):
            if la.get(key):
                team.append({"name": la[key], "role": role, "organisation": ""})
        answers["care_coordinator"] = la.get("care_coordinator", "")
        answers["partner_worker"] = la.get("link_worker", "")
    for r in screening:
        needs += score_needs(catalogue, r)
    if profile is not None:
        for row in json.loads(profile.answers_json).get("substances") or []:
            label = _label(catalogue, "substance_profile", "substances", "substance", row.get("substance"))
            needs.append(_need("substance_use", f"Use of {label.lower()}" + (
                f" ({row['days_last_28']} days in the last 28)" if row.get("days_last_28") is not None else "")))
    plans: list[str] = []
    for r in (joint, risk):
        if r is not None:
            found, planned = answer_needs(catalogue, r)
            needs += found
            plans += planned
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
