"""A case as plain values, read from the store by ``services/interchange.py``: what a FHIR
export says and what a whole-bundle import puts back. Ids are the records' UUIDs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ddassess.domain.careplan import CarePlan


@dataclass(frozen=True)
class PractitionerData:
    uuid: str
    name: str
    role: str = ""
    agency: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class PersonData:
    uuid: str
    details: dict[str, Any]  # every detail the store keeps (store/replay.PERSON_FIELDS), dates as dates


@dataclass(frozen=True)
class CaseData:
    uuid: str
    ref: str
    stage: str
    status: str
    lead_agency: str
    opened_on: dt.date
    closed_on: dt.date | None = None
    next_review_due: dt.date | None = None
    care_coordinator: str | None = None  # practitioner uuid
    partner_worker: str | None = None
    risk_level: str = ""
    risk_from_flags: str = ""
    risk_override: str | None = None
    risk_override_reason: str = ""
    risk_override_by: str = ""
    risk_override_at: dt.datetime | None = None


@dataclass(frozen=True)
class AcknowledgementData:
    """A practitioner saw a flag a response raised and said so."""

    uuid: str
    flag_id: str
    by_name: str  # as it was (cases are shared)
    at: dt.datetime
    reason: str
    by: str | None = None  # practitioner uuid, when the store has them


@dataclass(frozen=True)
class ResponseData:
    uuid: str
    form_id: str
    form_version: int
    definition_hash: str
    status: str  # draft / final / superseded (a final version an amendment replaced)
    answers: dict[str, Any]
    authored: dt.datetime  # final or superseded: when finalised; draft: when last saved
    author: str | None = None  # practitioner uuid
    amends: str | None = None  # the uuid of the response this amendment replaces (or will)
    amendment_reason: str = ""
    acknowledgements: tuple[AcknowledgementData, ...] = ()


@dataclass(frozen=True)
class PlanVersionData:
    """A version of the care plan: its number, when it was frozen (a draft: last recorded), its
    recorded content; its status (signed, superseded or draft), id and when it was begun."""

    version: int
    frozen_at: dt.datetime
    content_json: str
    status: str = "signed"
    uuid: str = ""
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class CaseSnapshot:
    person: PersonData
    case: CaseData
    practitioners: tuple[PractitionerData, ...] = ()
    responses: tuple[ResponseData, ...] = ()
    plan_uuid: str | None = None
    signed_versions: tuple[PlanVersionData, ...] = ()
    care_plan: CarePlan | None = None  # the plan as built from the care plan form now
    draft_version: PlanVersionData | None = None  # the newest version, while it is not signed
