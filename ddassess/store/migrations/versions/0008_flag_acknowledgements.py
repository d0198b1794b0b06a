"""Flag acknowledgements: a practitioner has seen a risk flag and says so, with a reason.

A flag is never removed by being acknowledged: it stays in its form and in the record, and
the case view still lists it, marked acknowledged; it only leaves the one-line risk banner.
A flag is named stably, by the uuid of the response that raises it and the flag's id in
that form, so an acknowledgement means the same thing wherever the case is opened (an
amendment is a new response: its flags are new until acknowledged again).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flag_acknowledgements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("response_uuid", sa.String(36), nullable=False),
        sa.Column("flag_id", sa.String(64), nullable=False),
        sa.Column("acknowledged_by_id", sa.Integer(), sa.ForeignKey("practitioners.id"), nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=False),
        sa.Column("acknowledged_at", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.UniqueConstraint("response_uuid", "flag_id", name="uq_flag_acknowledgements_flag"),
    )
    op.create_index("ix_flag_acknowledgements_case", "flag_acknowledgements", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_flag_acknowledgements_case", table_name="flag_acknowledgements")
    op.drop_table("flag_acknowledgements")
