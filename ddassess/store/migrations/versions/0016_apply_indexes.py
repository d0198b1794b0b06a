"""A partial index on the operations waiting for a parent record.

Every bundle received asks which operations are still waiting (their parent record had not
arrived), to try them again. ``status`` had no index: the question read the whole
``operations`` table — every change ever made or received, bodies included — through
another index, on every import (EXPLAIN QUERY PLAN: ``SCAN operations USING INDEX
ix_operations_entity``). The index holds only the waiting operations (``WHERE status =
'waiting'``), which are few and short-lived, so it costs nothing on a save.

Revision ID: 0016
Revises: 0013 (in fix/applyperf; the integrator chains it last)
"""

from alembic import op
from sqlalchemy import text

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_operations_waiting", "operations", ["entity_uuid", "entity"],
                    sqlite_where=text("status = 'waiting'"))


def downgrade() -> None:
    op.drop_index("ix_operations_waiting", table_name="operations")
