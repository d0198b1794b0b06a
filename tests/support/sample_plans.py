"""Fictional care plans for PDF tests and benchmarks (nobody here is real)."""

from __future__ import annotations

import datetime as dt
import math

from ddassess.domain.careplan import (
    Action,
    CarePlan,
    Need,
    PersonHeader,
    RiskFlag,
    ScoreSummary,
    SignatureBlock,
    TeamMember,
)

AREAS = ["Mental health", "Substance use", "Physical health", "Housing", "Finance", "Work and education",
         "Relationships and children", "Legal"]


def squiggle(seed: int = 1) -> tuple[tuple[tuple[float, float], ...], ...]:
    """A drawn-looking signature: two strokes in pad coordinates (y grows downwards)."""
    first = tuple((x * 4.0, 30 + 18 * math.sin(x / 2.0 + seed)) for x in range(40))
    second = tuple((60 + x * 3.0, 45 - x * 1.5) for x in range(15))
    return (first, second)


def sample_plan(needs: int = 3, actions_per_need: int = 2, signed: bool = False,
                name: str = "Łukasz Żółć") -> CarePlan:
    today = dt.date(2026, 11, 24)
    plan_needs = tuple(
        Need(
            area=AREAS[i % len(AREAS)],
            need=f"Need number {i + 1} described by the fictional practitioner",
            goal=f"I want to feel more settled by the spring (goal {i + 1})",
            actions=tuple(
                Action(description=f"Action {j + 1} for need {i + 1}: weekly appointment with key worker, "
                                   "with a reminder text the day before",
                       responsible="Siân O'Connor", agency="Fictional Substance Misuse Service",
                       start=today, target=today + dt.timedelta(days=90), status="in progress")
                for j in range(actions_per_need)),
        )
        for i in range(needs)
    )
    roles = [("service_user", name, "", ""), ("care_coordinator", "Casey Coordinator", "Care coordinator",
              "Fictional MH Trust"), ("partner", "Siân O'Connor", "Dual diagnosis lead", "Fictional SMS"),
             ("team_lead", "Lee Lead", "Team lead", "Fictional MH Trust")]
    signatures = tuple(
        SignatureBlock(role=r, name=n, job_title=t, agency=a, signed_on=today if signed else None,
                       strokes=squiggle(k) if signed else ())
        for k, (r, n, t, a) in enumerate(roles)
    )
    return CarePlan(
        person=PersonHeader(name=name, nhs_number="9990000018", date_of_birth=dt.date(1984, 3, 2),
                            case_ref="DD-2026-00042"),
        plan_id="CP-2026-0042", version=2, replaces_version=1, created=today - dt.timedelta(days=30), updated=today,
        lead_agency="Fictional Mental Health Trust", care_coordinator="Casey Coordinator",
        partner_worker="Siân O'Connor", quadrant="High mental illness / high substance misuse",
        care_team=(TeamMember("Casey Coordinator", "Care coordinator", "Fictional MH Trust", "01632 960001"),
                   TeamMember("Siân O'Connor", "Dual diagnosis lead", "Fictional SMS", "01632 960002")),
        what_matters="Keeping my flat, seeing my sister at weekends, and not ending up in hospital again.",
        needs=plan_needs,
        scores=(ScoreSummary("PHQ-9", today, "16 / 27", "Moderately severe"),
                ScoreSummary("AUDIT", today, "22 / 40", "Possible dependence (zone IV)")),
        risk_flags=(RiskFlag("Risk to self: PHQ-9 item 9 answered above 0", "urgent", "PHQ-9, 24 Nov 2026"),),
        risk_management="Daily contact for two weeks; safety plan agreed; naloxone kit supplied.",
        crisis_plan={"Early warning signs": "Not answering the phone; drinking in the morning.",
                     "What helps": "A call from Siân; a walk with the dog.",
                     "Contacts in hours": "Care coordinator 01632 960001",
                     "Out of hours": "Crisis team 01632 960999; in an emergency call 999"},
        medication="Methadone 40 mg daily, supervised at Fictional Pharmacy; sertraline 50 mg.",
        carer_needs="Sister offered a carer's assessment.",
        information_sharing="Shared between the two services and the GP; not with the employer.",
        unmet_needs="None recorded.",
        next_review=today + dt.timedelta(days=56),
        copies_given_to=(name, "GP"),
        signatures=signatures,
    )
