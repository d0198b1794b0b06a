"""The case's risk level: what its final forms' flags say, and a practitioner's decision.

``cases.risk_level`` stays the level everything shows and filters on (the case list reads
it in SQL); it is now always worked out by one function, ``services.case_risk
.effective_level``, from two things this revision adds beside it:

* ``risk_from_flags``: the highest flag severity (urgent, high) among the case's current
  final forms, re-worked whenever a form of the case is finalised or amended;
* a practitioner's decision to raise or lower it: ``risk_override`` (the level they set,
  NULL when there is none), with the reason, who and when.

Existing cases keep the level they had: it is copied to ``risk_from_flags`` (it was only
ever raised by flags) and re-worked from the forms the next time one of them is finalised.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("risk_from_flags", sa.String(16), nullable=False, server_default=""))
    op.add_column("cases", sa.Column("risk_override", sa.String(16), nullable=True))
    op.add_column("cases", sa.Column("risk_override_reason", sa.Text(), nullable=False, server_default=""))
    op.add_column("cases", sa.Column("risk_override_by", sa.String(200), nullable=False, server_default=""))
    op.add_column("cases", sa.Column("risk_override_at", sa.String(32), nullable=True))
    op.execute("UPDATE cases SET risk_from_flags = risk_level")
    # The "High risk only" filter of the case list, in the list's order of open cases.
    op.create_index("ix_cases_status_risk", "cases", ["status", "risk_level", "id"])


def downgrade() -> None:
    op.drop_index("ix_cases_status_risk", "cases")
    with op.batch_alter_table("cases") as batch:
        for name in ("risk_override_at", "risk_override_by", "risk_override_reason", "risk_override",
                     "risk_from_flags"):
            batch.drop_column(name)
