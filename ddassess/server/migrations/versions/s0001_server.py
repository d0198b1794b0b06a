"""The team server's first schema: sequence counter, items, recipients, rosters.

Revision ID: s0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sequence_counter",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("last", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO sequence_counter (id, last) VALUES (1, 0)")
    op.create_table(
        "server_generation",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("generation", sa.String(36), nullable=False),
    )
    op.execute("INSERT INTO server_generation (id, generation) VALUES (1, gen_random_uuid()::text)")
    op.create_table(
        "items",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("item_id", sa.String(80), nullable=False, unique=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("routing", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "item_recipients",
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.ForeignKey("items.seq", ondelete="CASCADE"), primary_key=True),
    )
    op.create_table(
        "rosters",
        sa.Column("team", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("rosters")
    op.drop_table("item_recipients")
    op.drop_table("items")
    op.drop_table("server_generation")
    op.drop_table("sequence_counter")
