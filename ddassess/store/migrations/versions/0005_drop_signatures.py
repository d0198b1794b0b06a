"""Drop the ``signatures`` table, which no version of ddassess ever wrote to.

The first schema kept drawn signatures in a table of their own; they have always been
saved as answers of the care plan's signature fields instead (and a PDF's digital
signatures in the PDF), so the table stayed empty. Dropping it loses nothing; the
downgrade puts the empty table back as 0001 made it.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("signatures")


def downgrade() -> None:
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
        sa.Column("signed_at", sa.String(32), nullable=False),
        sa.Column("certificate_sha256", sa.String(64), nullable=False),
    )
