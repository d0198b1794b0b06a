"""The Team view at 100,000 cases: each case's facts carry the case's own columns, kept by
triggers, and are read through covering indexes.

Counting a quarter's referrals by source, agency, treatment need, ... read each case's wide
row (and its facts row) through ``ix_cases_opened_on``: thousands of scattered pages of an
encrypted file per figure, eleven seconds for all the figures of a 100,000-case store. Now
``case_facts`` also holds the columns of the case row the figures group by (``CASE_COLUMNS``
in ``store/case_facts.py``), and covering indexes (``INDEXES``) hold every column a
figure reads, so each figure is one range scan of one index.

* ``case_facts`` is made again with the new columns and built for every case (it is derived
  from the cases and their final responses, so nothing is lost by rebuilding it);
* triggers on ``cases`` work a case's facts out again when it is inserted or one of the
  copied columns changes, whichever code path changes it (a form, a practitioner, a change
  received from the other service, a reopening).

Revision ID: 0014
Revises: 0013
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _facts_0012() -> list[sa.Column[Any]]:
    """The columns 0012 gave the table (what the forms say), kept by this one too."""
    return [
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
    ]


def _facts_table() -> None:
    op.create_table(
        "case_facts",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("ref", sa.String(32), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("stage", sa.String(32), nullable=True),
        sa.Column("lead_agency", sa.String(200), nullable=True),
        sa.Column("risk_level", sa.String(16), nullable=True),
        sa.Column("care_coordinator_id", sa.Integer(), nullable=True),
        sa.Column("partner_worker_id", sa.Integer(), nullable=True),
        sa.Column("next_review_due", sa.Date(), nullable=True),
        *_facts_0012(),
    )


def upgrade() -> None:
    from ddassess.store.migrations.case_facts_0014 import FACTS_SQL, INDEXES, PARTIAL, TRIGGERS

    op.drop_table("case_facts")  # with its two indexes of 0012
    _facts_table()
    op.execute(FACTS_SQL)
    for name, columns in INDEXES.items():
        op.create_index(name, "case_facts", list(columns),
                        sqlite_where=sa.text(PARTIAL[name]) if name in PARTIAL else None)
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    from ddassess.store.migrations.case_facts_0014 import FACTS_SQL_0012, TRIGGERS

    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.drop_table("case_facts")
    op.create_table(
        "case_facts",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        *_facts_0012(),
    )
    op.create_index("ix_case_facts_high_high", "case_facts", ["high_high", "case_id"])
    op.create_index("ix_case_facts_care_plan", "case_facts", ["care_plan_state", "case_id"])
    op.execute(FACTS_SQL_0012)
