"""The Team view: each case's facts for the team figures, and the indexes they are read by.

* ``case_facts``: one row per case, the answers the team figures ask of its latest final
  forms (who referred it, when it was jointly assessed, the mental health treatment need,
  primary substance, SADQ band, why it ended, ...), worked out when a form is finalised
  (``store/case_facts.py`` says why and how). Built here for every case already in the store.
* ``ix_cases_status_stage``: the open cases by step, lead agency, care coordinator and risk,
  counted from the index alone;
* ``ix_cases_opened_on``, ``ix_cases_closed_on``: the cases referred, and those that ended,
  in a period;
* ``ix_care_plans_case``: a case's care plan (is a version of it signed?).

Revision ID: 0012
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from ddassess.store.migrations.case_facts_0014 import FACTS_SQL_0012

    op.create_table(
        "case_facts",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("referral_source", sa.String(64), nullable=True),
        sa.Column("assessed_on", sa.String(10), nullable=True),
        sa.Column("plan_signed_on", sa.String(10), nullable=True),
        sa.Column("mh_need", sa.String(16), nullable=True),
        sa.Column("primary_substance", sa.String(64), nullable=True),
        sa.Column("sadq_band", sa.String(16), nullable=True),
        sa.Column("screened_mh", sa.Boolean(), nullable=False),
        sa.Column("screened_substance", sa.Boolean(), nullable=False),
        sa.Column("exit_reason", sa.String(64), nullable=True),
        sa.Column("exit_type", sa.String(16), nullable=True),
        sa.Column("high_high", sa.Boolean(), nullable=True),
        sa.Column("care_plan_state", sa.String(16), nullable=False),
        sa.Column("step_entered", sa.String(10), nullable=True),
        sa.Column("last_review_on", sa.String(10), nullable=True),
    )
    op.create_index("ix_case_facts_high_high", "case_facts", ["high_high", "case_id"])
    op.create_index("ix_case_facts_care_plan", "case_facts", ["care_plan_state", "case_id"])
    op.create_index("ix_cases_status_stage", "cases",
                    ["status", "stage", "lead_agency", "care_coordinator_id", "risk_level"])
    op.create_index("ix_cases_closed_on", "cases", ["closed_on"])
    op.create_index("ix_cases_opened_on", "cases", ["opened_on"])
    op.create_index("ix_care_plans_case", "care_plans", ["case_id"])
    op.execute(FACTS_SQL_0012)  # every case's facts, in the columns 0012 made (0014 added the case's own)


def downgrade() -> None:
    op.drop_index("ix_care_plans_case", table_name="care_plans")
    op.drop_index("ix_cases_opened_on", table_name="cases")
    op.drop_index("ix_cases_closed_on", table_name="cases")
    op.drop_index("ix_cases_status_stage", table_name="cases")
    op.drop_table("case_facts")
