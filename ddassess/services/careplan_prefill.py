"""A new care plan, pre-filled from what the assessment found.

What counts as a need, and in which area, is said by the forms themselves (forms/README.md,
"What a form tells the care plan"): a score's bands of ``concern`` and its ``need_area``, a
yes/no question or an option with a ``need``, a ``risk_plan`` answer for the plan's risk
management. Nothing here knows the questions of a particular form.

The needs are offered, not imposed: a new plan starts with no need rows, and the form
offers each distinct need the assessment found (``suggested_needs``) for one click to add
as a row with its area and words filled in. The practitioner adds the needs agreed with
the person and writes goal, action and who for those only; a suggestion nobody agreed to
is never a row that has to be filled in or deleted, and one need found by several forms
(or twice by one) is offered once. The information-sharing agreement is pre-filled from
the consent form, in its own labels, because the plan must say what the person agreed to.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ddassess.errors import RecordNotFound
from ddassess.formengine import Catalogue, evaluate
from ddassess.formengine.display import answer_text, date_text
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


def distinct_needs(needs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each need once, in the order first found: the same words in the same area (letter
    case and spacing aside) are one need, whichever forms offered it."""
    seen: set[tuple[str, str]] = set()
    out = []
    for n in needs:
        key = (n["area"], " ".join(str(n["need"]).casefold().split()))
        if key not in seen:
            seen.add(key)
            out.append(n)
    return out


def suggested_needs(store: Store, catalogue: Catalogue, case_id: int) -> list[dict[str, Any]]:
    """The distinct needs the assessment found, as rows of the care plan's needs (area, need,
    status "not started"; no goal: goals are written with the person)."""
    needs: list[dict[str, Any]] = assessment_prefill(store, catalogue, case_id).get("needs", [])
    return needs


def row_suggestions(store: Store, catalogue: Catalogue, case_id: int, form_id: str) -> dict[str, list[dict[str, Any]]]:
    """Rows a form offers to add with one click, by its repeating group: the care plan's needs."""
    return {"needs": suggested_needs(store, catalogue, case_id)} if form_id == "care_plan" else {}


def sharing_agreement(catalogue: Catalogue, consent: ResponseRecord | None) -> str:
    """The consent form's answers as the plan's information-sharing agreement, in the form's
    own words: with which agency what may be shared, what may not, until when; or that the
    person did not consent, and any basis for sharing without consent. "" with no consent form."""
    if consent is None:
        return ""
    spec = catalogue.get(consent.form_id, consent.form_version)
    a = json.loads(consent.answers_json)
    visible = evaluate(spec, a, tables=catalogue.tables).visible
    fields = spec.fields
    lines = []
    if a.get("consent_given") is True:
        columns = {c.id: c for c in fields["sharing"].fields} if "sharing" in fields else {}
        for row in a.get("sharing") or [] if "sharing" in visible else []:
            agency = answer_text(columns["agency"], row.get("agency")) if "agency" in columns else ""
            contact = f" ({row['contact']})" if row.get("contact") else ""
            shared = answer_text(columns["information"], row.get("information")) if "information" in columns else ""
            lines.append(f"{agency}{contact}: {shared or 'nothing ticked'}.")
        if a.get("exclusions") and "exclusions" in visible:
            lines.append(f"Not to be shared: {a['exclusions']}")
        if a.get("expires_on") and "expires_on" in visible:
            lines.append(f"Consent to be reviewed by {date_text(a['expires_on'])}.")
    elif a.get("consent_given") is False:
        lines.append("The person has not consented to their information being shared.")
    basis = a.get("basis")
    if basis and basis != "none" and "basis" in fields and "basis" in visible:
        lines.append(f"Shared without consent: {answer_text(fields['basis'], basis)}"
                     + (f" — {a['basis_details']}" if a.get("basis_details") else "") + ".")
    if lines:
        on = consent.finalised_at or consent.updated_at
        status = "" if consent.status == "final" else " (a draft)"
        lines.insert(0, f"From the consent form of {date_text(on.date())}{status}:")
    return "\n".join(lines)


def assessment_prefill(store: Store, catalogue: Catalogue, case_id: int) -> dict[str, Any]:
    """Answers for a new care plan from what the assessment found: the care team and lead
    agency, a need for each screening band of concern, each substance, each social
    difficulty and each risk present (each distinct need once), the risk management plans,
    and the information-sharing agreement from the consent form. Everything is editable."""
    with store.read() as s:
        lead = _latest(s, case_id, "lead_agency")
        risk = _latest(s, case_id, "risk")
        joint = _latest(s, case_id, "joint_assessment")
        profile = _latest(s, case_id, "substance_profile")
        consent = _latest(s, case_id, "consent")
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
    if profile is not None:  # one need per substance, however many rows name it (most days of use)
        days: dict[Any, Any] = {}
        for row in json.loads(profile.answers_json).get("substances") or []:
            d = row.get("days_last_28")
            known = days.get(row.get("substance"))
            days[row.get("substance")] = d if known is None or (isinstance(d, int) and d > known) else known
        for substance, d in days.items():
            label = _label(catalogue, "substance_profile", "substances", "substance", substance)
            needs.append(_need("substance_use", f"Use of {label.lower()}" + (
                f" ({d} days in the last 28)" if d is not None else "")))
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
    sharing = sharing_agreement(catalogue, consent)
    if sharing:
        answers["information_sharing"] = sharing
    answers["needs"] = distinct_needs(needs)
    if not answers["needs"]:
        del answers["needs"]
    return answers


def start_care_plan(store: Store, catalogue: Catalogue, case_id: int, *, at: dt.datetime | None = None) -> int:
    """A new care plan draft, pre-filled from the assessment; returns its response id."""
    from ddassess.services import case_changes

    spec = catalogue.get("care_plan")
    answers = assessment_prefill(store, catalogue, case_id)
    answers.pop("needs", None)  # offered by the form (row_suggestions), added with the person
    return case_changes.start_response(store, case_id, spec.id, spec.version, spec.content_hash, answers, at=at).id
