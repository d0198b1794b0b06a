"""The tables of a case store, as SQLAlchemy 2 typed ORM classes (``*Record``).

Times are stored as timezone-aware UTC ISO strings by ``UtcDateTime`` so that a store
reads the same on every platform; calendar dates (date of birth, review due) are plain
``Date`` columns. Answers and plan content are JSON text: the forms engine owns their
meaning, the store only keeps them with the form id, version and definition hash they
were made with.

The schema is created and changed only by Alembic migrations (``store/migrations``);
``Base.metadata`` is what the latest migration must produce (a test compares them).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ddassess.store.case_facts import INDEXES as FACTS_INDEXES
from ddassess.store.case_facts import PARTIAL as FACTS_PARTIAL


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime kept as an ISO 8601 UTC string (sorts as text)."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass an aware UTC datetime")
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")

    def process_result_value(self, value: Any | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else dt.datetime.fromisoformat(value)


class Base(DeclarativeBase):
    pass


class MetaRecord(Base):
    """Facts about the store itself: its id (matches the key file), creation, app version."""

    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class PractitionerRecord(Base):
    __tablename__ = "practitioners"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    agency: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


# The full-text index of people (migration 0004): an FTS5 table the ORM does not map.
PEOPLE_SEARCH_TABLE = "people_search"


class PersonRecord(Base):
    """A person who uses services. ``search_name`` is the lower-cased, accent-folded name,
    indexed for prefix search in ``people_search`` by triggers."""

    __tablename__ = "people"
    # Records with ``__exchange__`` are shared: each change writes an operation (exchange/capture.py).
    __exchange__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    preferred_name: Mapped[str] = mapped_column(String(200), default="")
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    nhs_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    gender: Mapped[str] = mapped_column(String(64), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    # Migration 0006 (person details); "" when not recorded.
    postcode: Mapped[str] = mapped_column(String(16), default="")
    gp_practice: Mapped[str] = mapped_column(String(200), default="")
    next_of_kin_name: Mapped[str] = mapped_column(String(200), default="")
    next_of_kin_relationship: Mapped[str] = mapped_column(String(200), default="")
    next_of_kin_phone: Mapped[str] = mapped_column(String(64), default="")
    ethnicity: Mapped[str] = mapped_column(String(2), default="")  # NHS ethnic category code
    pronouns: Mapped[str] = mapped_column(String(64), default="")
    communication_needs: Mapped[str] = mapped_column(Text, default="")
    search_name: Mapped[str] = mapped_column(String(420), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    cases: Mapped[list[CaseRecord]] = relationship(back_populates="person")

    __table_args__ = (
        Index("ix_people_search_name", "search_name"),
        Index("ix_people_family_name", "family_name"),
        Index("ix_people_date_of_birth", "date_of_birth"),
    )


class CaseRecord(Base):
    """An episode of joint care for one person, moving along the pathway."""

    __tablename__ = "cases"
    __exchange__ = "case"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    stage: Mapped[str] = mapped_column(String(32), default="referral")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / closed
    lead_agency: Mapped[str] = mapped_column(String(200), default="")
    care_coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    partner_worker_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    # What the list, banner and filters show: always services.case_risk.effective_level of
    # the two below (migration 0007 says why).
    risk_level: Mapped[str] = mapped_column(String(16), default="")
    risk_from_flags: Mapped[str] = mapped_column(String(16), default="")
    risk_override: Mapped[str | None] = mapped_column(String(16))  # a practitioner's level; None: none set
    risk_override_reason: Mapped[str] = mapped_column(Text, default="")
    risk_override_by: Mapped[str] = mapped_column(String(200), default="")
    risk_override_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    opened_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    next_review_due: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    person: Mapped[PersonRecord] = relationship(back_populates="cases")

    __table_args__ = (
        Index("ix_cases_person", "person_id"),
        Index("ix_cases_stage", "stage"),
        Index("ix_cases_review_due", "next_review_due"),
        Index("ix_cases_status_opened", "status", "opened_on", "id"),
        Index("ix_cases_status_ref", "status", "ref", "id"),
        Index("ix_cases_status_review", "status", "next_review_due", "id"),
        Index("ix_cases_status_risk", "status", "risk_level", "id"),
        # Migration 0012 (the Team view): open cases counted from an index; exits by the day they ended.
        Index("ix_cases_status_stage", "status", "stage", "lead_agency", "care_coordinator_id", "risk_level"),
        Index("ix_cases_closed_on", "closed_on"),
        Index("ix_cases_opened_on", "opened_on"),
    )


class ResponseRecord(Base):
    """One filled form. Final responses are never edited: an amendment is a new row."""

    __tablename__ = "form_responses"
    __exchange__ = "response"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"))
    form_id: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[int] = mapped_column(Integer)
    definition_hash: Mapped[str] = mapped_column(String(64))
    answers_json: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft/final/superseded
    author_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    finalised_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("form_responses.id"))
    amendment_reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_responses_case_form", "case_id", "form_id"),
        Index("ix_responses_status", "status"),
    )


class CaseFactsRecord(Base):
    """What the team figures ask of a case's latest final forms, worked out when one is
    finalised (store/case_facts.py; migrations 0012, 0014), beside a copy of the case's own
    columns the figures group by (kept by triggers on ``cases``). Derived, never edited: no
    text anyone wrote, only values of choices and dates."""

    __tablename__ = "case_facts"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(32))
    person_id: Mapped[int | None] = mapped_column()
    opened_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str | None] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(32))
    lead_agency: Mapped[str | None] = mapped_column(String(200))
    risk_level: Mapped[str | None] = mapped_column(String(16))
    care_coordinator_id: Mapped[int | None] = mapped_column()
    partner_worker_id: Mapped[int | None] = mapped_column()
    next_review_due: Mapped[dt.date | None] = mapped_column(Date)
    referral_source: Mapped[str | None] = mapped_column(String(64))
    assessed_on: Mapped[str | None] = mapped_column(String(10))
    plan_signed_on: Mapped[str | None] = mapped_column(String(10))
    mh_need: Mapped[str | None] = mapped_column(String(16))
    primary_substance: Mapped[str | None] = mapped_column(String(64))
    sadq_band: Mapped[str | None] = mapped_column(String(16))
    screened_mh: Mapped[bool] = mapped_column()
    screened_substance: Mapped[bool] = mapped_column()
    exit_reason: Mapped[str | None] = mapped_column(String(64))
    exit_type: Mapped[str | None] = mapped_column(String(16))
    high_high: Mapped[bool | None] = mapped_column()
    care_plan_state: Mapped[str] = mapped_column(String(16))
    step_entered: Mapped[str | None] = mapped_column(String(10))
    last_review_on: Mapped[str | None] = mapped_column(String(10))

    __table_args__ = tuple(Index(name, *columns, sqlite_where=text(FACTS_PARTIAL[name]) if name in FACTS_PARTIAL
                                 else None) for name, columns in FACTS_INDEXES.items())


class FlagAcknowledgementRecord(Base):
    """A practitioner saw a risk flag and says so (who, when, why). The flag stays in the
    record; it is named by the response that raises it and its id in that form."""

    __tablename__ = "flag_acknowledgements"
    __exchange__ = "flag_acknowledgement"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"))
    response_uuid: Mapped[str] = mapped_column(String(36))
    flag_id: Mapped[str] = mapped_column(String(64))
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    acknowledged_by: Mapped[str] = mapped_column(String(200))  # the name, as it was (cases are shared)
    acknowledged_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("response_uuid", "flag_id", name="uq_flag_acknowledgements_flag"),
        Index("ix_flag_acknowledgements_case", "case_id"),
    )


class CareTeamMemberRecord(Base):
    """A practitioner in a case's care team: who the case is shared with, in what role, and
    why they may see it (``basis``: same_agency, consent, risk, safeguarding, or recorded for
    those on the case before care teams were kept, migration 0011). Leaving the team sets
    ``removed_at``/``removed_by``: the row stays, so the record shows who could see the case
    when. Practitioners are named by uuid in ``added_by``/``removed_by`` (they travel).
    Two laptops may add the same practitioner at once, so nothing here makes a practitioner's
    active membership unique: services/care_team.py reads one practitioner once."""

    __tablename__ = "care_team_members"
    __exchange__ = "care_team_member"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"))
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id", ondelete="RESTRICT"))
    role: Mapped[str] = mapped_column(String(32))  # care_coordinator / partner_worker / team_lead / member
    basis: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    added_by: Mapped[str] = mapped_column(String(36))
    added_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (
        Index("ix_care_team_members_case", "case_id"),
        Index("ix_care_team_members_practitioner", "practitioner_id"),
    )


class CarePlanRecord(Base):
    __tablename__ = "care_plans"
    __exchange__ = "care_plan"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

    versions: Mapped[list[CarePlanVersionRecord]] = relationship(
        back_populates="plan", order_by="CarePlanVersionRecord.version"
    )

    __table_args__ = (Index("ix_care_plans_case", "case_id"),)  # migration 0012


class CarePlanVersionRecord(Base):
    """A version of a plan; once signed it is frozen and changes make the next version."""

    __tablename__ = "care_plan_versions"
    __exchange__ = "care_plan_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)  # migration 0009
    care_plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft/signed/superseded
    form_id: Mapped[str] = mapped_column(String(64), default="care_plan")
    form_version: Mapped[int] = mapped_column(Integer, default=1)
    definition_hash: Mapped[str] = mapped_column(String(64), default="")
    content_json: Mapped[str] = mapped_column(Text, default="{}")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("care_plan_versions.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    frozen_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    plan: Mapped[CarePlanRecord] = relationship(back_populates="versions")

    __table_args__ = (UniqueConstraint("care_plan_id", "version"),)


class AuditEventRecord(Base):
    """Append-only audit trail; each event's hash covers the previous one's."""

    __tablename__ = "audit_events"
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))  # practitioner uuid, or "system"
    action: Mapped[str] = mapped_column(String(32))  # create/update/finalise/delete/export/unlock/...
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64), default="")
    changes_json: Mapped[str] = mapped_column(Text, default="{}")
    reason: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    # Migration 0013: a record's events (history, who last changed what) and the cancelled
    # amendments, without reading the whole trail.
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_id"),
        Index("ix_audit_events_action", "action"),
    )


# Settings that say where the practitioner is, not what they chose: rewritten each time the
# cursor moves to another field, so a restart after a crash returns there. They hold no case
# data, and an audit event for every move would bury the changes that matter.
SESSION_SETTINGS = ("open_draft",)


class SettingRecord(Base):
    """A practitioner's preference (idle lock time, date format, ...), as JSON text."""

    __tablename__ = "practitioner_settings"
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value_json: Mapped[str] = mapped_column(Text, default="null")


class SigningAuthorityRecord(Base):
    """A certificate authority whose signatures the team trusts (its own, or imported)."""

    __tablename__ = "signing_authorities"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(200))
    certificate_pem: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    key_pem: Mapped[str | None] = mapped_column(Text)  # encrypted PKCS#8; None for imported roots
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class SigningIdentityRecord(Base):
    """A practitioner's certificate and encrypted private key."""

    __tablename__ = "signing_identities"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    certificate_pem: Mapped[str] = mapped_column(Text)
    chain_pem: Mapped[str] = mapped_column(Text, default="")
    key_pem: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    not_after: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (Index("ix_signing_identities_practitioner", "practitioner_id"),)


class OperationRecord(Base):
    """One change to a shared record, written in the same transaction as the change
    (exchange/capture.py) or received from another laptop (exchange/apply.py). ``seq`` is
    this store's own order; ``id`` (a UUIDv7) names the operation everywhere. A received
    operation that could not be applied is kept with ``status`` "refused" and the reason."""

    __tablename__ = "operations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    case_uuid: Mapped[str] = mapped_column(String(36), default="")  # "" for a person (travels with each case)
    entity: Mapped[str] = mapped_column(String(32))
    entity_uuid: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(16))
    hlc: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(36))
    device: Mapped[str] = mapped_column(String(36))
    origin: Mapped[str] = mapped_column(String(16), default="local")  # local / received
    received_from: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="applied")  # applied / refused
    refusal: Mapped[str] = mapped_column(Text, default="")
    body_json: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_operations_case", "case_uuid", "seq"),
        Index("ix_operations_entity", "entity_uuid", "seq"),
        Index("ix_operations_waiting", "entity_uuid", "entity", sqlite_where=text("status = 'waiting'")),  # 0016
    )


class OperationHeadsRecord(Base):
    """The per-field version state of one shared record: for each field, the ids of the
    operations whose value is current (more than one: a conflict), so a local change names
    what it was based on without reading the record's history."""

    __tablename__ = "operation_heads"
    entity_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    entity: Mapped[str] = mapped_column(String(32))
    heads_json: Mapped[str] = mapped_column(Text, default="{}")


class ConflictRecord(Base):
    """A field changed two ways on two laptops (or a change that arrived after the form was
    finalised): both values are kept in their operations, listed until a person resolves it.
    The uuid is worked out from the operations in conflict, so it is the same on every laptop."""

    __tablename__ = "conflicts"
    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_uuid: Mapped[str] = mapped_column(String(36), default="")
    entity: Mapped[str] = mapped_column(String(32))
    entity_uuid: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="field")  # field / final
    op_ids_json: Mapped[str] = mapped_column(Text)  # the operations whose values differ, shown one first
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / settled / resolved
    settled_by: Mapped[str] = mapped_column(Text, default="")  # the operation ids that settled it
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_conflicts_case", "case_uuid", "status"),
                      Index("ix_conflicts_entity", "entity_uuid", "field"))


# --- exchanging cases between laptops (migration 0010; ddassess/exchange) ------------------


class ExchangeKeyRecord(Base):
    """One of this laptop's own key pairs for exchanging cases, with its certificate once the
    team authority has issued one. ``purpose``: signing (envelopes, bundles, requests),
    encryption (HPKE key agreement), pdf-signing (a care plan signing key waiting for its
    certificate, encrypted under the practitioner's signing passphrase)."""

    __tablename__ = "exchange_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    key_pem: Mapped[str] = mapped_column(Text)
    certificate_pem: Mapped[str] = mapped_column(Text, default="")
    team: Mapped[str] = mapped_column(String(64), default="")
    request_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / active / retired
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class TeamRosterRecord(Base):
    """A roster signed by the team authority, as received; the highest version is in force."""

    __tablename__ = "team_rosters"
    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("team", "version", name="uq_team_rosters_version"),)


class TeamMemberRecord(Base):
    """A certificate of the roster in force: whose, which laptop, and whether revoked."""

    __tablename__ = "team_members"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    practitioner_uuid: Mapped[str] = mapped_column(String(36))
    device: Mapped[str] = mapped_column(String(36))
    purpose: Mapped[str] = mapped_column(String(16))  # signing / encryption
    certificate_pem: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active / revoked
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_team_members_practitioner", "practitioner_uuid"),)


class CaseKeyRecord(Base):
    """A case's random key for one epoch, and the case's random routing id."""

    __tablename__ = "case_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    case_uuid: Mapped[str] = mapped_column(String(36))
    routing_id: Mapped[str] = mapped_column(String(32))
    epoch: Mapped[int] = mapped_column(Integer)
    secret: Mapped[str] = mapped_column(String(64))  # 32 bytes, hex
    created_by: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (Index("ix_case_keys_case", "case_uuid", "epoch"), Index("ix_case_keys_routing", "routing_id"))


class EnvelopeRecord(Base):
    """A sealed envelope (made here or received), kept as its bytes for forwarding."""

    __tablename__ = "envelopes"
    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[str] = mapped_column(String(36), unique=True)
    case_uuid: Mapped[str] = mapped_column(String(36))
    sender: Mapped[str] = mapped_column(String(36))  # practitioner uuid of the author
    signer: Mapped[str] = mapped_column(String(64))  # key id of the author's signing certificate
    origin: Mapped[str] = mapped_column(String(16))  # local / received
    received_from: Mapped[str] = mapped_column(String(36), default="")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (Index("ix_envelopes_case", "case_uuid", "id"),)


class WaitingEnvelopeRecord(Base):
    """A received envelope addressed to this laptop whose case key has not arrived yet,
    kept exactly as received (encrypted) and opened when the key comes."""

    __tablename__ = "envelopes_waiting"
    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[str] = mapped_column(String(36), unique=True)
    key_id: Mapped[str] = mapped_column(String(64))  # the case key it needs
    received_from: Mapped[str] = mapped_column(String(36))  # who already holds it: a colleague or the server
    via: Mapped[str] = mapped_column(String(64))  # "team server" / "bundle ..."
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (Index("ix_envelopes_waiting_key", "key_id"),)


class EnvelopeDeliveryRecord(Base):
    """An envelope was put in a bundle for this practitioner."""

    __tablename__ = "envelope_deliveries"
    envelope_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(36), primary_key=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
