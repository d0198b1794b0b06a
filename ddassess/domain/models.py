"""Plain values the services hand to the UI and the PDF layer (no ORM objects leak out)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any

PATHWAY_STAGES: tuple[str, ...] = (
    "referral",
    "consent",
    "screening",
    "joint_assessment",
    "lead_agency",
    "care_plan",
    "review",
    "discharged",
)

# The pathway step each form belongs to: finalising it moves a case on to that step.
FORM_STAGE: dict[str, str] = {
    "referral": "referral", "consent": "consent", "phq9": "screening", "gad7": "screening", "audit": "screening",
    "audit_c": "screening", "fast": "screening", "dast10": "screening", "sadq": "screening", "sds": "screening",
    "substance_profile": "joint_assessment", "joint_assessment": "joint_assessment", "risk": "joint_assessment",
    "lead_agency": "lead_agency", "care_plan": "care_plan", "crisis_plan": "care_plan", "joint_review": "review",
    "complex_case_review": "review", "discharge": "discharged",
}

RESPONSE_STATUSES = ("draft", "final", "superseded")


def search_key(text: str) -> str:
    """Lower-case, accents removed, spaces folded: 'Siân  O'Connor' -> "sian o'connor"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    replacements = {"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "ß": "ss", "đ": "d", "Đ": "d"}
    stripped = "".join(replacements.get(ch, ch) for ch in stripped)
    return " ".join(stripped.casefold().split())


@dataclass(frozen=True)
class PersonDetails:
    given_name: str
    family_name: str
    date_of_birth: dt.date | None = None
    nhs_number: str | None = None
    preferred_name: str = ""
    gender: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    # Migration 0006: where to reach the person and whom to call, and what helps to talk with them.
    postcode: str = ""
    gp_practice: str = ""
    next_of_kin_name: str = ""
    next_of_kin_relationship: str = ""
    next_of_kin_phone: str = ""
    ethnicity: str = ""  # a code of domain/person.ETHNIC_CATEGORIES, or "" when not recorded
    pronouns: str = ""
    communication_needs: str = ""

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(frozen=True)
class Person:
    id: int
    uuid: str
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    nhs_number: str | None

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(frozen=True)
class Case:
    id: int
    uuid: str
    ref: str
    person_id: int
    stage: str
    status: str
    opened_on: dt.date


@dataclass(frozen=True)
class Response:
    id: int
    uuid: str
    case_id: int
    form_id: str
    form_version: int
    definition_hash: str
    status: str
    answers: dict[str, Any] = field(default_factory=dict)
    updated_at: dt.datetime | None = None
    amends_id: int | None = None
    amendment_reason: str = ""
