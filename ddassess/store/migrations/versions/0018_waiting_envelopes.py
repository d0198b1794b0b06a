"""Envelopes waiting for their case key.

An envelope addressed to this laptop can arrive before the case key it is sealed with
(pages and bundles arrive in any order, a colleague's key wrap in a later push). It was
counted as "skipped" and the sync cursor moved past it: the change was lost for good. It
is now kept here, as received (still encrypted: no case data in clear), and opened and
applied when its key arrives by the server or a bundle.

Revision ID: 0018
Revises: 0016 (in fix/syncengine; the integrator chains it)
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "envelopes_waiting",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("envelope_id", sa.String(36), nullable=False, unique=True),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("received_from", sa.String(36), nullable=False),
        sa.Column("via", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_envelopes_waiting_key", "envelopes_waiting", ["key_id"])


def downgrade() -> None:
    op.drop_index("ix_envelopes_waiting_key", table_name="envelopes_waiting")
    op.drop_table("envelopes_waiting")
