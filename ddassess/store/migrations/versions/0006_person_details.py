"""A person's contact and demographic details beyond name, address, phone and email: the
postcode, GP practice, next of kin (emergency contact), ethnicity, pronouns and
communication needs.

Each is a new column, "" for every person already recorded (nothing was known of them):
adding columns with a default keeps every row and its id, so cases, the search index
(``people_search``, 0004, which indexes only the name and NHS number) and the audit trail
stay as they were.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = (
    ("postcode", sa.String(16)),
    ("gp_practice", sa.String(200)),
    ("next_of_kin_name", sa.String(200)),
    ("next_of_kin_relationship", sa.String(200)),
    ("next_of_kin_phone", sa.String(64)),
    ("ethnicity", sa.String(2)),
    ("pronouns", sa.String(64)),
    ("communication_needs", sa.Text()),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("people", sa.Column(name, type_, nullable=False, server_default=""))


def downgrade() -> None:
    # SQLite's own DROP COLUMN (3.35+), not a batch rebuild: rebuilding ``people`` would drop
    # the search index's triggers with the old table.
    for name, _type in reversed(COLUMNS):
        op.execute(f"ALTER TABLE people DROP COLUMN {name}")
