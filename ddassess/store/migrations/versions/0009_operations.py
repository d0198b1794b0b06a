"""Operations: every change to a shared record, so a case can travel between laptops.

``operations`` is the log (local and received, in this store's order), ``operation_heads``
the per-field version state a change is based on, ``conflicts`` the fields changed two ways.
Care plan versions get a uuid (backfilled), since everything that travels is named by uuid.
Records made before this version have no operations: exchange.capture.snapshot_case writes
one for each when a case is first shared.

Revision ID: 0009
Revises: 0008
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False, unique=True),
        sa.Column("case_uuid", sa.String(36), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_uuid", sa.String(36), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("hlc", sa.String(32), nullable=False),
        sa.Column("author", sa.String(36), nullable=False),
        sa.Column("device", sa.String(36), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("received_from", sa.String(200), nullable=False),
        sa.Column("received_at", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("refusal", sa.Text(), nullable=False),
        sa.Column("body_json", sa.Text(), nullable=False),
    )
    op.create_index("ix_operations_case", "operations", ["case_uuid", "seq"])
    op.create_index("ix_operations_entity", "operations", ["entity_uuid", "seq"])
    op.create_table(
        "operation_heads",
        sa.Column("entity_uuid", sa.String(36), primary_key=True),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("heads_json", sa.Text(), nullable=False),
    )
    op.create_table(
        "conflicts",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("case_uuid", sa.String(36), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_uuid", sa.String(36), nullable=False),
        sa.Column("field", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("op_ids_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("settled_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("settled_at", sa.String(32), nullable=True),
    )
    op.create_index("ix_conflicts_case", "conflicts", ["case_uuid", "status"])
    op.create_index("ix_conflicts_entity", "conflicts", ["entity_uuid", "field"])
    with op.batch_alter_table("care_plan_versions") as batch:
        batch.add_column(sa.Column("uuid", sa.String(36), nullable=True))
    conn = op.get_bind()
    for (row_id,) in conn.execute(sa.text("SELECT id FROM care_plan_versions")).fetchall():
        conn.execute(sa.text("UPDATE care_plan_versions SET uuid = :u WHERE id = :i"),
                     {"u": str(uuid.uuid4()), "i": row_id})
    with op.batch_alter_table("care_plan_versions") as batch:
        batch.alter_column("uuid", existing_type=sa.String(36), nullable=False)
        batch.create_unique_constraint("uq_care_plan_versions_uuid", ["uuid"])


def downgrade() -> None:
    with op.batch_alter_table("care_plan_versions") as batch:
        batch.drop_constraint("uq_care_plan_versions_uuid", type_="unique")
        batch.drop_column("uuid")
    op.drop_index("ix_conflicts_entity", table_name="conflicts")
    op.drop_index("ix_conflicts_case", table_name="conflicts")
    op.drop_table("conflicts")
    op.drop_table("operation_heads")
    op.drop_index("ix_operations_entity", table_name="operations")
    op.drop_index("ix_operations_case", table_name="operations")
    op.drop_table("operations")
