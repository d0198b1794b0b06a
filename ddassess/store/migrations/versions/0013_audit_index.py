"""Indexes on the audit trail: by record, and by action.

Who last changed each answer of a form, and the history of a case, read the events of a
few records (``entity_id``, their uuids) out of the whole trail, which grows by an event
a second while someone types. Without an index every such read scans the trail: three
seconds for a trail of 300,000 events, on every form opened. With ``(entity_id)`` (SQLite
keeps the rowid, ``seq``, in it, so a record's events come out in order) it is a few
look-ups. ``(action)`` finds the few cancelled amendments (``discard``) without a scan.

Revision ID: 0013
Revises: 0009 (0008 before fix/oplog was merged; the integrator chains it last)
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_events_entity", "audit_events", ["entity_id"])
    op.create_index("ix_audit_events_action", "audit_events", ["action"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_action", table_name="audit_events")
    op.drop_index("ix_audit_events_entity", table_name="audit_events")
