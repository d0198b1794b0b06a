"""The first schema: practitioners, people, cases, responses, care plans, signatures, audit.

Written out by hand, not from the ORM classes, so that it stays what version 0.1 made
even when the classes move on.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "practitioners",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(200), nullable=False),
        sa.Column("agency", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("phone", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _when("created_at"),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("given_name", sa.String(200), nullable=False),
        sa.Column("family_name", sa.String(200), nullable=False),
        sa.Column("preferred_name", sa.String(200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("nhs_number", sa.String(10), nullable=True, unique=True),
        sa.Column("gender", sa.String(64), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("search_name", sa.String(420), nullable=False),
        _when("created_at"),
        _when("updated_at"),
    )
    op.create_index("ix_people_search_name", "people", ["search_name"])
    op.create_index("ix_people_family_name", "people", ["family_name"])
    op.create_index("ix_people_date_of_birth", "people", ["date_of_birth"])
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("ref", sa.String(32), nullable=False, unique=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lead_agency", sa.String(200), nullable=False),
        sa.Column("care_coordinator_id", sa.Integer(), sa.ForeignKey("practitioners.id"), nullable=True),
        sa.Column("partner_worker_id", sa.Integer(), sa.ForeignKey("practitioners.id"), nullable=True),
        sa.Column("risk_level", sa.String(16), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("next_review_due", sa.Date(), nullable=True),
        _when("created_at"),
        _when("updated_at"),
    )
    op.create_index("ix_cases_person", "cases", ["person_id"])
    op.create_index("ix_cases_stage", "cases", ["stage"])
    op.create_index("ix_cases_review_due", "cases", ["next_review_due"])
    op.create_table(
        "form_responses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("form_id", sa.String(64), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("definition_hash", sa.String(64), nullable=False),
        sa.Column("answers_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("practitioners.id"), nullable=True),
        _when("created_at"),
        _when("updated_at"),
        _when("finalised_at", nullable=True),
        sa.Column("finalised_by_id", sa.Integer(), sa.ForeignKey("practitioners.id"), nullable=True),
        sa.Column("amends_id", sa.Integer(), sa.ForeignKey("form_responses.id"), nullable=True),
        sa.Column("amendment_reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_responses_case_form", "form_responses", ["case_id", "form_id"])
    op.create_index("ix_responses_status", "form_responses", ["status"])
    op.create_table(
        "care_plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="RESTRICT"), nullable=False),
        _when("created_at"),
    )
    op.create_table(
        "care_plan_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("care_plan_id", sa.Integer(), sa.ForeignKey("care_plans.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("form_id", sa.String(64), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("definition_hash", sa.String(64), nullable=False),
        sa.Column("content_json", sa.Text(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), sa.ForeignKey("care_plan_versions.id"), nullable=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("practitioners.id"), nullable=True),
        _when("created_at"),
        _when("frozen_at", nullable=True),
        sa.UniqueConstraint("care_plan_id", "version"),
    )
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("care_plan_version_id", sa.Integer(),
                  sa.ForeignKey("care_plan_versions.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("signer_role", sa.String(32), nullable=False),
        sa.Column("signer_name", sa.String(200), nullable=False),
        sa.Column("signer_agency", sa.String(200), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), sa.ForeignKey("practitioners.id"), nullable=True),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("strokes_json", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _when("signed_at"),
        sa.Column("certificate_sha256", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        _when("at"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("entity_type", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("changes_json", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("audit_events", "signatures", "care_plan_versions", "care_plans",
                  "form_responses", "cases", "people", "practitioners", "store_meta"):
        op.drop_table(table)
