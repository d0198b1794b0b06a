"""Team keys: this laptop's exchange keys, the team roster, case keys and envelopes.

- ``exchange_keys``: the device's own key pairs for exchanging cases (an ECDSA P-256 key
  that signs envelopes, bundles and requests; a P-256 key for HPKE key agreement; and,
  while a request is pending, the new care plan signing key, encrypted under its signing
  passphrase), with the certificate the team authority issued for each once admitted.
- ``team_rosters``: every roster the team authority signed that reached this laptop, as
  received (the newest is in force); ``team_members`` is the newest one's members, one
  row per certificate, for quick look-up when a signature is checked.
- ``case_keys``: the random 32-byte key of each case and epoch, and the case's random
  routing id (never its reference, NHS number or name).
- ``envelopes``: every sealed envelope, made here or received, kept so that a bundle can
  forward a colleague's envelope, signed by its author; ``envelope_deliveries``: which
  practitioner each was sent to (what is still waiting to be sent).

Private keys and case keys are inside the encrypted store only.

Revision ID: 0010
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_id", sa.String(64), nullable=False, unique=True),
        sa.Column("purpose", sa.String(16), nullable=False),  # signing / encryption / pdf-signing
        sa.Column("key_pem", sa.Text(), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),  # "" until admitted
        sa.Column("team", sa.String(64), nullable=False),  # the authority's fingerprint, "" until admitted
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),  # pending / active / retired
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "team_rosters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("team", "version", name="uq_team_rosters_version"),
    )
    op.create_table(
        "team_members",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_id", sa.String(64), nullable=False, unique=True),
        sa.Column("practitioner_uuid", sa.String(36), nullable=False),
        sa.Column("device", sa.String(36), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),  # signing / encryption
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),  # active / revoked
        sa.Column("revoked_at", sa.String(32), nullable=True),
    )
    op.create_index("ix_team_members_practitioner", "team_members", ["practitioner_uuid"])
    op.create_table(
        "case_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_id", sa.String(32), nullable=False, unique=True),
        sa.Column("case_uuid", sa.String(36), nullable=False),
        sa.Column("routing_id", sa.String(32), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_case_keys_case", "case_keys", ["case_uuid", "epoch"])
    op.create_index("ix_case_keys_routing", "case_keys", ["routing_id"])
    op.create_table(
        "envelopes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("envelope_id", sa.String(36), nullable=False, unique=True),
        sa.Column("case_uuid", sa.String(36), nullable=False),
        sa.Column("sender", sa.String(36), nullable=False),
        sa.Column("signer", sa.String(64), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),  # local / received
        sa.Column("received_from", sa.String(36), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_envelopes_case", "envelopes", ["case_uuid", "id"])
    op.create_table(
        "envelope_deliveries",
        sa.Column("envelope_id", sa.String(36), primary_key=True),
        sa.Column("recipient", sa.String(36), primary_key=True),
        sa.Column("sent_at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("envelope_deliveries")
    op.drop_index("ix_envelopes_case", table_name="envelopes")
    op.drop_table("envelopes")
    op.drop_index("ix_case_keys_routing", table_name="case_keys")
    op.drop_index("ix_case_keys_case", table_name="case_keys")
    op.drop_table("case_keys")
    op.drop_index("ix_team_members_practitioner", table_name="team_members")
    op.drop_table("team_members")
    op.drop_table("team_rosters")
    op.drop_table("exchange_keys")
