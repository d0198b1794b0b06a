"""Signing identities: team authorities and practitioners' certificates and keys.

Private keys are PKCS#8, encrypted with the signer's own signing passphrase, inside the
encrypted store: a stolen unlocked laptop still cannot sign without that passphrase.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_authorities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("key_pem", sa.Text(), nullable=True),  # None for an imported organisational root
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "signing_identities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("practitioner_id", sa.Integer(), sa.ForeignKey("practitioners.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("source", sa.String(16), nullable=False),  # team-ca / pkcs12
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("chain_pem", sa.Text(), nullable=False),
        sa.Column("key_pem", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("not_after", sa.String(32), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_signing_identities_practitioner", "signing_identities", ["practitioner_id"])


def downgrade() -> None:
    op.drop_index("ix_signing_identities_practitioner", "signing_identities")
    op.drop_table("signing_identities")
    op.drop_table("signing_authorities")
