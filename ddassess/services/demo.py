"""The demo store: fictional people in every pathway stage, for a first look at ddassess.

It lives in its own folder (paths.store_dir(demo=True)) with a published passphrase, so
nobody mistakes it for real case data; every name is obviously invented and every NHS
number starts 999 (never issued to a person).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from ddassess.domain.models import PATHWAY_STAGES, PersonDetails
from ddassess.domain.nhs import fictional_nhs_numbers
from ddassess.formengine import Catalogue
from ddassess.keys import KdfParams
from ddassess.services import cases
from ddassess.services.casework import advance_stage, set_lead, set_risk_level
from ddassess.store import CreatedStore, Credentials, Store, create_store, open_store, store_exists

DEMO_PASSPHRASE = "demo store - fictional people only"
DEMO_PRACTITIONER = {"name": "Demo Practitioner", "role": "Substance misuse social worker",
                     "agency": "Fictional Substance Misuse Service"}
GIVEN = ["Testy", "Fictiona", "Examplia", "Madeup", "Sampla", "Placeholda", "Dummi", "Pretendia", "Notreal",
         "Imagina", "Inventa", "Storybook"]
FAMILY = ["McTestface", "Demoson", "Fakely", "Samplesworth", "Mockington", "Fictionalis", "Placeholder", "Trialby"]
STAGE_FORMS = {
    "referral": ["referral"],
    "consent": ["referral", "consent"],
    "screening": ["referral", "consent", "phq9", "audit"],
    "joint_assessment": ["referral", "consent", "phq9", "audit", "joint_assessment"],
    "lead_agency": ["referral", "consent", "phq9", "audit", "lead_agency"],
    "care_plan": ["referral", "consent", "phq9", "audit", "lead_agency", "care_plan"],
    "review": ["referral", "consent", "phq9", "audit", "lead_agency", "care_plan", "joint_review"],
    "discharged": ["referral", "consent", "phq9", "discharge"],
}


def _answers(form_id: str, rng: random.Random, high_risk: bool = False) -> dict:  # type: ignore[type-arg]
    if form_id == "phq9":  # item 9 (thoughts of self-harm) only for the high-risk cases
        return ({f"q{i}": rng.choice([0, 1, 2, 3]) for i in range(1, 9)}
                | {"q9": 2 if high_risk else 0, "difficulty": "somewhat"})
    if form_id == "audit":
        return {f"q{i}": rng.choice([0, 1, 2, 3, 4]) for i in range(1, 9)} | {"q9": rng.choice([0, 2, 4]),
                                                                             "q10": rng.choice([0, 2, 4])}
    if form_id == "referral":
        return {"received_on": "2026-10-01", "referrer_name": "Dr Fictional GP", "referrer_agency": "primary_care",
                "reason": "Low mood and heavy drinking (demo)", "mental_health_concern": True,
                "substance_concern": True, "urgency": "routine", "decision": "accepted_joint",
                "triaged_by": DEMO_PRACTITIONER["name"], "triaged_on": "2026-10-02"}
    return {}


def _demo_signature() -> dict:  # type: ignore[type-arg]
    """A made-up squiggle in the signature pad's box units (x 0–1000, y 0–333)."""
    points = [[60.0 + 8 * k, 200.0 - 60 * ((k % 6) / 5) + (k // 6) * 6] for k in range(90)]
    return {"strokes": [points], "signed_at": "2026-10-20T10:30:00+00:00", "signed_by": "(demo signature)"}


def _care_plan(store: Store, catalogue: Catalogue, case_id: int) -> int:
    """A care plan pre-filled from the assessment, as a practitioner starts one, with the
    person's own words and a drawn signature, so the demo shows a plan worth printing."""
    from ddassess.services.careplans import start_care_plan

    rid = start_care_plan(store, catalogue, case_id)
    answers = dict(cases.get_response(store, rid).answers)
    goals = ["Feel less low most days (demo)", "Drink within safer limits (demo)", "Keep the tenancy (demo)"]
    answers["needs"] = [{**need, "goal": goals[k % len(goals)], "action": "Weekly key-work session (demo)",
                         "responsible": DEMO_PRACTITIONER["name"], "status": "in_progress"}
                        for k, need in enumerate(answers.get("needs") or [])]
    answers.setdefault("care_team", [{"name": DEMO_PRACTITIONER["name"], "role": "Care coordinator",
                                      "organisation": DEMO_PRACTITIONER["agency"]}])
    answers.update({
        "care_coordinator": DEMO_PRACTITIONER["name"],
        "partner_worker": "Notreal Trialby (demo link worker)",
        "lead_agency": answers.get("lead_agency") or "Substance misuse service",
        "what_matters": "Keeping my flat and seeing my daughter at weekends (demo).",
        "risk_management": "Weekly contact; crisis numbers agreed; naloxone offered (demo).",
        "crisis_summary": "Call the crisis line out of hours; the care coordinator in hours (demo).",
        "information_sharing": "Agreed between both services and the GP (demo).",
        "next_review": "2026-12-15",
        "carer_involved": True,
        "carer_name": "Inventa (sister, demo)",
        "carer_assessment": "offered",
        "person_signed": _demo_signature(),
    })
    cases.save_draft(store, rid, answers)
    return rid


def populate(store: Store, catalogue: Catalogue, people: int = 24, seed: int = 7) -> None:
    rng = random.Random(seed)
    numbers = fictional_nhs_numbers(people, start=999_100_000)
    for i in range(people):
        person = cases.register_person(store, PersonDetails(
            given_name=rng.choice(GIVEN), family_name=f"{rng.choice(FAMILY)}",
            date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(18000)), nhs_number=numbers[i]))
        case = cases.open_case(store, person.id, opened_on=dt.date(2026, 9, 1) + dt.timedelta(days=i))
        stage = PATHWAY_STAGES[i % len(PATHWAY_STAGES)]
        high_risk = i % 5 == 0
        for form_id in STAGE_FORMS[stage]:
            if form_id == "care_plan":
                _care_plan(store, catalogue, case.id)
                advance_stage(store, case.id, form_id)
                continue
            spec = catalogue.get(form_id)
            r = cases.start_response(store, case.id, spec.id, spec.version, spec.content_hash,
                                     _answers(form_id, rng, high_risk))
            if form_id in ("referral", "phq9", "audit"):
                cases.finalise_response(store, r.id)
            advance_stage(store, case.id, form_id)
        if PATHWAY_STAGES.index(stage) >= PATHWAY_STAGES.index("lead_agency"):
            lead = "Mental health service" if i % 2 else "Substance misuse service"
            set_lead(store, case.id, lead, dt.date(2026, 11, 1) + dt.timedelta(days=7 * (i % 9)))
        if high_risk:
            set_risk_level(store, case.id, "urgent" if "phq9" in STAGE_FORMS[stage] else "high")


def open_or_create_demo(folder: Path, catalogue: Catalogue) -> Store:
    if store_exists(folder):
        return open_store(folder, Credentials(passphrase=DEMO_PASSPHRASE, use_keyring=False))
    created: CreatedStore = create_store(folder, DEMO_PASSPHRASE, practitioner=DEMO_PRACTITIONER,
                                         use_keyring=False, kdf=KdfParams())
    populate(created.store, catalogue)
    return created.store
