"""The joint care plan as plain values (docs/care-plan.md), for the PDF and the editor.

The care plan *form* (forms/care_plan.yaml) is where practitioners enter it; services
turn a response of that form, plus the case's scores, flags and care team, into a
``CarePlan``. Everything here is what a printed, signed plan shows, nothing more.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field

ACTION_STATUSES = ("not started", "in progress", "achieved", "discontinued")
SIGNER_ROLES = ("service_user", "care_coordinator", "partner", "team_lead")
SIGNER_ROLE_LABELS = {
    "service_user": "Service user",
    "care_coordinator": "Care coordinator",
    "partner": "Partner-service practitioner",
    "team_lead": "Team lead (countersignature)",
}


@dataclass(frozen=True)
class Action:
    description: str
    responsible: str = ""
    agency: str = ""
    start: dt.date | None = None
    target: dt.date | None = None
    status: str = "not started"


@dataclass(frozen=True)
class Need:
    area: str  # mental health, substance use, physical health, housing, ...
    need: str
    goal: str  # in the person's own words
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class TeamMember:
    name: str
    role: str
    organisation: str
    contact: str = ""


@dataclass(frozen=True)
class ScoreSummary:
    instrument: str
    date: dt.date | None
    total: str  # "14 / 27", or "incomplete (7 of 9 answered)"
    band: str = ""


@dataclass(frozen=True)
class RiskFlag:
    label: str
    severity: str  # info / warning / high / urgent
    source: str = ""


@dataclass(frozen=True)
class SignatureBlock:
    """A place to sign. Filled when someone has signed: strokes drawn, or agreed verbally."""

    role: str
    name: str = ""
    job_title: str = ""
    agency: str = ""
    signed_on: dt.date | None = None
    strokes: tuple[tuple[tuple[float, float], ...], ...] = ()
    verbal_agreement: str = ""  # who witnessed and why the person could not sign

    @property
    def is_signed(self) -> bool:
        return bool(self.strokes) or bool(self.verbal_agreement)


@dataclass(frozen=True)
class PersonHeader:
    name: str
    nhs_number: str
    date_of_birth: dt.date | None
    case_ref: str
    # Printed on the plan's first page (migration 0006 details); "" when not recorded.
    preferred_name: str = ""
    pronouns: str = ""
    address: str = ""  # lines joined with "\n", the postcode on the last
    gp_practice: str = ""


# Details of the person added after plans were first signed: left out of the content hash
# while empty, so a plan of a person with none of them keeps the hash (and the signatures)
# it had; once recorded they are part of what the plan says.
LATER_PERSON_DETAILS = ("preferred_name", "pronouns", "address", "gp_practice")


@dataclass(frozen=True)
class CarePlan:
    person: PersonHeader
    plan_id: str
    version: int
    created: dt.date
    updated: dt.date
    replaces_version: int | None = None
    lead_agency: str = ""
    care_coordinator: str = ""
    partner_worker: str = ""
    quadrant: str = ""
    care_team: tuple[TeamMember, ...] = ()
    what_matters: str = ""
    needs: tuple[Need, ...] = ()
    scores: tuple[ScoreSummary, ...] = ()
    risk_flags: tuple[RiskFlag, ...] = ()
    risk_management: str = ""
    crisis_plan: dict[str, str] = field(default_factory=dict)  # heading -> text, in order
    medication: str = ""
    carer_needs: str = ""
    information_sharing: str = ""
    unmet_needs: str = ""
    next_review: dt.date | None = None
    copies_given_to: tuple[str, ...] = ()
    signatures: tuple[SignatureBlock, ...] = ()
    # Whose plan it is (settings): printed in the header, not part of what the plan says.
    organisation: str = ""
    logo: bytes = b""

    def content_hash(self) -> str:
        """SHA-256 of what the plan says, leaving out its version label and signatures.

        Two versions with the same hash say the same thing, so a signature given to one
        belongs to the other too; a different hash means the plan changed and must be
        agreed (and signed) again."""
        content = asdict(self)
        for key in ("version", "replaces_version", "updated", "signatures", "organisation", "logo"):
            content.pop(key, None)
        for key in LATER_PERSON_DETAILS:
            if not content["person"][key]:
                del content["person"][key]
        return hashlib.sha256(json.dumps(content, default=str, sort_keys=True).encode("utf-8")).hexdigest()

    def missing_for_signing(self) -> list[str]:
        """What the printed plan itself lacks before it can be signed, in plain words.

        The care plan form's own required answers are checked by the form engine (the
        services combine both); this covers what the plan gathers from elsewhere."""
        missing = []
        if not self.needs:
            missing.append("At least one need with a goal")
        for i, need in enumerate(self.needs, 1):
            if not need.goal.strip():
                missing.append(f"Need {i} ({need.area}): the goal")
            for j, action in enumerate(need.actions, 1):
                if not action.responsible.strip():
                    missing.append(f"Need {i} ({need.area}), action {j}: who is responsible")
        if not self.care_coordinator.strip():
            missing.append("The named care coordinator")
        if not self.partner_worker.strip():
            missing.append("The named partner-service worker")
        if not self.lead_agency.strip():
            missing.append("The lead agency")
        if not self.what_matters.strip():
            missing.append("What matters to me (in the person's own words)")
        if not self.risk_management.strip():
            missing.append("The risk management plan")
        if not self.crisis_plan:
            missing.append("The crisis and contingency plan")
        if not self.information_sharing.strip():
            missing.append("The information-sharing agreement")
        if self.next_review is None:
            missing.append("The next review date")
        return missing
