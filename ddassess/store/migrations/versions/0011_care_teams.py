"""Care teams: who each case is shared with, in what role, and why they may see it.

A case travels only to the practitioners in its care team (docs/exchange.md, "Care team and
consent"). Before this version a case had a care coordinator (and, in older stores, a
partner-service worker) recorded on the case itself and nobody else saw it: each such
practitioner is put in the case's care team in that role, with the basis ``recorded`` ("on
the case before care teams were kept"), added by the store's owner when the case was made.
Each row gets its creation event in the audit trail, written here through the same chain
(``store.audit``), so ``store check`` finds every care team member accounted for.

Revision ID: 0011
Revises: 0008
"""

import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import op

from ddassess.store.audit import GENESIS, HEAD_KEY, canonical, event_hash

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

RECORDED = "recorded"


def upgrade() -> None:
    op.create_table(
        "care_team_members",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), sa.ForeignKey("practitioners.id", ondelete="RESTRICT"),
                  nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("basis", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(36), nullable=False),
        sa.Column("added_at", sa.String(32), nullable=False),
        sa.Column("removed_at", sa.String(32), nullable=True),
        sa.Column("removed_by", sa.String(36), nullable=True),
    )
    op.create_index("ix_care_team_members_case", "care_team_members", ["case_id"])
    op.create_index("ix_care_team_members_practitioner", "care_team_members", ["practitioner_id"])
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    owner = conn.execute(sa.text("SELECT value FROM store_meta WHERE key = 'owner_practitioner'")).scalar() or ""
    rows = conn.execute(sa.text(
        "SELECT c.id, c.uuid, c.created_at, c.care_coordinator_id, co.uuid, c.partner_worker_id, pw.uuid "
        "FROM cases AS c LEFT JOIN practitioners AS co ON co.id = c.care_coordinator_id "
        "LEFT JOIN practitioners AS pw ON pw.id = c.partner_worker_id ORDER BY c.id")).fetchall()
    head = conn.execute(sa.text("SELECT value FROM store_meta WHERE key = :k"), {"k": HEAD_KEY}).scalar()
    seq, last = (int(head.partition(":")[0]), head.partition(":")[2]) if head else (0, GENESIS)
    for case_id, case_uuid, created_at, coordinator_id, coordinator, partner_id, partner in rows:
        members = [(coordinator_id, coordinator, "care_coordinator"), (partner_id, partner, "partner_worker")]
        seen: set[int] = set()
        for practitioner_id, practitioner_uuid, role in members:
            if practitioner_id is None or practitioner_uuid is None or practitioner_id in seen:
                continue
            seen.add(practitioner_id)
            member_uuid = str(uuid.uuid4())
            conn.execute(sa.text(
                "INSERT INTO care_team_members (uuid, case_id, practitioner_id, role, basis, reason, added_by, "
                "added_at) VALUES (:u, :c, :p, :r, :b, '', :by, :at)"),
                {"u": member_uuid, "c": case_id, "p": practitioner_id, "r": role, "b": RECORDED, "by": owner,
                 "at": created_at})
            seq, last = _audit(conn, seq, last, owner, member_uuid, {
                "case": [None, case_uuid], "practitioner": [None, practitioner_uuid], "role": [None, role],
                "basis": [None, RECORDED]})
    if seq:
        conn.execute(sa.text("INSERT OR REPLACE INTO store_meta (key, value) VALUES (:k, :v)"),
                     {"k": HEAD_KEY, "v": f"{seq}:{last}"})


def _audit(conn: sa.Connection, seq: int, last: str, actor: str, member_uuid: str,
           changes: dict[str, list[str | None]]) -> tuple[int, str]:
    """One creation event after (seq, last), as ``store.audit.append_event`` writes it."""
    seq += 1
    at = dt.datetime.now(dt.UTC)
    changes_json = canonical(changes)
    reason = ""  # the row's reason: the basis says why ("recorded")
    h = event_hash(last, seq, at, actor, "create", "care-team-member", member_uuid, changes_json, reason)
    conn.execute(sa.text(
        "INSERT INTO audit_events (seq, at, actor, action, entity_type, entity_id, changes_json, reason, prev_hash, "
        "hash) VALUES (:seq, :at, :actor, 'create', 'care-team-member', :id, :changes, :reason, :prev, :hash)"),
        {"seq": seq, "at": at.isoformat(timespec="microseconds"), "actor": actor, "id": member_uuid,
         "changes": changes_json, "reason": reason, "prev": last, "hash": h})
    return seq, h


def downgrade() -> None:
    op.drop_index("ix_care_team_members_practitioner", table_name="care_team_members")
    op.drop_index("ix_care_team_members_case", table_name="care_team_members")
    op.drop_table("care_team_members")
