"""What the demo's fictional practitioners write in each form, on a given day.

Plain answers, each complete enough for the forms engine's ``check`` (a demo form that is
final is one a practitioner could have finalised). Dates in the answers are the day the
form was filled, so a form never says it was decided on a day other than the one it is
stored under. Every text ends "(demo)"; every person is invented.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

PRACTITIONER = "Demo Practitioner"  # the demo store's owner: the care coordinator of every case
PARTNER = "Notreal Trialby (demo link worker)"
REVIEW_AFTER = dt.timedelta(weeks=12)  # a care plan or joint review sets the next review this far on


def _signature(day: dt.date) -> dict[str, Any]:
    """A made-up squiggle in the signature pad's box units (x 0–1000, y 0–333), drawn on ``day``."""
    points = [[60.0 + 8 * k, 200.0 - 60 * ((k % 6) / 5) + (k // 6) * 6] for k in range(90)]
    return {"strokes": [points], "signed_at": f"{day.isoformat()}T11:00:00+00:00", "signed_by": "(demo signature)"}


def referral(rng: random.Random, day: dt.date, high_risk: bool) -> dict[str, Any]:
    return {"received_on": day.isoformat(), "referrer_name": "Dr Fictional GP", "referrer_agency": "primary_care",
            "reason": "Low mood and heavy drinking (demo)", "mental_health_concern": True,
            "substance_concern": True, "urgency": "urgent" if high_risk else "routine",
            "decision": "accepted_joint", "triaged_by": PRACTITIONER, "triaged_on": day.isoformat()}


def consent(rng: random.Random, day: dt.date, high_risk: bool) -> dict[str, Any]:
    return {"has_capacity": "yes", "consent_given": True,
            "sharing": [{"agency": "mental_health", "information": ["assessment", "care_plan", "risk"]},
                        {"agency": "primary_care", "information": ["care_plan", "medication"]}],
            "expires_on": (day + dt.timedelta(days=365)).isoformat(), "basis": "none",
            "recorded_by": PRACTITIONER, "recorded_on": day.isoformat()}


def phq9(rng: random.Random, day: dt.date, high_risk: bool) -> dict[str, Any]:
    # Item 9 (thoughts of self-harm) only for the high-risk cases: it raises the urgent flag.
    return ({f"q{i}": rng.choice([0, 1, 2, 3]) for i in range(1, 9)}
            | {"q9": 2 if high_risk else 0, "difficulty": "somewhat"})


def audit(rng: random.Random, day: dt.date, high_risk: bool) -> dict[str, Any]:
    return ({f"q{i}": rng.choice([0, 1, 2, 3, 4]) for i in range(1, 9)}
            | {"q9": rng.choice([0, 2, 4]), "q10": rng.choice([0, 2, 4])})


def substance_profile(rng: random.Random, day: dt.date, high_risk: bool) -> dict[str, Any]:
    """Alcohol first for most (the joint assessment's story is drinking and low mood), else
    cannabis or cocaine; some use a second substance. No opioid or injected use, so the
    demo's flags stay those of its screens and risk forms. Drawn from the day, not ``rng``,
    so that the rest of the demo is drawn as it was before profiles were added."""
    own = random.Random(day.toordinal())
    first = own.choice(["alcohol", "alcohol", "alcohol", "cannabis", "cocaine"])
    rows = [{"substance": first, "amount": {"alcohol": "12 units", "cannabis": "2 joints",
                                            "cocaine": "1 g"}[first],
             "days_last_28": own.randrange(8, 29), "route": {"alcohol": "oral", "cannabis": "smoked",
                                                             "cocaine": "snorted"}[first]}]
    if own.random() < 0.4 and first != "cannabis":
        rows.append({"substance": "cannabis", "amount": "1 joint", "days_last_28": own.randrange(1, 10),
                     "route": "smoked"})
    return {"substances": rows}


def joint_assessment(rng: random.Random, day: dt.date, high_risk: bool) -> dict[str, Any]:
    return {
        "assessed_on": day.isoformat(), "mh_practitioner": PARTNER, "sm_practitioner": PRACTITIONER,
        "presentation": "Engaged, tired, tearful at times (demo).", "intoxicated": False,
        "mh_history": "Two episodes of depression treated by the GP (demo).",
        "mental_state": "Low mood, no psychotic features (demo).",
        "mh_treatment_need": True, "mh_in_treatment": not high_risk,
        "substance_summary": "Drinks most days, more when low (demo).", "functioning_level": True,
        "interaction_pattern": ["use_worsens_mh"], "treating_use_first": "improve",
        "formulation": "Drinking and low mood keep each other going (demo).",
        "readiness_mh": "contemplation", "readiness_sm": rng.choice(["contemplation", "preparation"]),
        "physical_health": "No known conditions (demo).", "bbv_tested": "offered",
        "housing": rng.choice(["settled", "at_risk"]), "occupation": rng.choice(["employed", "unemployed"]),
        "cj_involvement": False, "children_in_household": False, "pregnant": False, "capacity_concerns": False,
        "wishes": "To feel better and keep the flat (demo).",
    }


def lead_agency(rng: random.Random, day: dt.date, high_risk: bool, lead: str) -> dict[str, Any]:
    mental = lead == "mental_health"
    return {"mh_severity": "high" if mental else "low", "sm_severity": "low" if mental else "high",
            "lead": lead, "care_coordinator": PRACTITIONER, "link_worker": PARTNER,
            "rationale": "Agreed at the joint assessment (demo).", "decided_on": day.isoformat()}


def care_plan(prefill: dict[str, Any], day: dt.date) -> dict[str, Any]:
    """The care plan as its practitioner completes the pre-filled draft on ``day``: goals and
    actions for each need, the person's own words, a drawn signature, and the review date."""
    goals = ["Feel less low most days (demo)", "Drink within safer limits (demo)", "Keep the tenancy (demo)"]
    answers = dict(prefill)
    needs = answers.get("needs") or [{"area": "mental_health", "need": "Low mood (demo)"}]
    answers["needs"] = [{**need, "goal": goals[k % len(goals)], "action": "Weekly key-work session (demo)",
                         "responsible": PRACTITIONER, "start": day.isoformat(), "status": "in_progress"}
                        for k, need in enumerate(needs)]
    organisations = {PRACTITIONER: "Fictional Substance Misuse Service", PARTNER: "Fictional Mental Health Trust"}
    team = answers.get("care_team") or [{"name": PRACTITIONER, "role": "Care coordinator"}]
    answers["care_team"] = [{**m, "organisation": m.get("organisation") or organisations.get(m.get("name"), "")}
                            for m in team]
    answers.update({
        "care_coordinator": answers.get("care_coordinator") or PRACTITIONER,
        "partner_worker": answers.get("partner_worker") or PARTNER,
        "what_matters": "Keeping my flat and seeing my daughter at weekends (demo).",
        "risk_management": answers.get("risk_management") or "Weekly contact; crisis numbers agreed (demo).",
        "crisis_summary": "Call the crisis line out of hours; the care coordinator in hours (demo).",
        "information_sharing": "Agreed between both services and the GP (demo).",
        "next_review": (day + REVIEW_AFTER).isoformat(),
        "carer_involved": True, "carer_name": "Inventa (sister, demo)", "carer_assessment": "offered",
        "person_signed": _signature(day),
    })
    return answers


def joint_review(rng: random.Random, day: dt.date, high_risk: bool) -> dict[str, Any]:
    return {"review_date": day.isoformat(), "trigger": "scheduled",
            "attendees": [{"name": PRACTITIONER, "service": "substance_misuse"},
                          {"name": PARTNER, "service": "mental_health"}],
            "person_attended": True, "progress": "Drinking less; mood a little better (demo).",
            "next_review": (day + REVIEW_AFTER).isoformat()}


def discharge(rng: random.Random, day: dt.date, high_risk: bool) -> dict[str, Any]:
    return {"discharge_date": day.isoformat(), "planned": "planned", "reason": "goals_met",
            "follow_up": "GP review in a month (demo).", "summary": "Goals of the joint care plan met (demo)."}


FORMS = {"referral": referral, "consent": consent, "phq9": phq9, "audit": audit, "substance_profile": substance_profile,
         "joint_assessment": joint_assessment, "joint_review": joint_review, "discharge": discharge}
