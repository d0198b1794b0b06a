"""Practitioner settings (idle lock time, date format, default agency, font size).

Kept in the encrypted store, per practitioner, because a laptop may be shared by a team.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "practitioner_settings",
        sa.Column("practitioner_id", sa.Integer(),
                  sa.ForeignKey("practitioners.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value_json", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("practitioner_settings")
