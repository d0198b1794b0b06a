"""Row ids: every row of a repeating group already stored gets its id.

Rows of a repeating group merge row by row between laptops, named by an id each row keeps
for good (``formengine/row_ids.py``, docs/exchange.md "Merge rules"). Rows stored before
this version have none: each gets ``legacy_row_id`` (worked out from the response's uuid,
the group and the row's place), so two laptops holding the same response give its rows the
same ids, and operations written before this version (a group sent whole) name the same
rows. The rows keep their order and their answers; nothing else changes. Each response
changed gets an update event in the audit trail (its groups' old and new rows), written
through the same chain (``store.audit``), so ``store check`` finds its answers accounted for.

Revision ID: 0015
Revises: 0013
"""

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from ddassess.formengine.row_ids import with_row_ids
from ddassess.store.audit import GENESIS, HEAD_KEY, canonical, event_hash

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

REASON = "each row of a repeating group given its id (schema upgrade 0015)"


def upgrade() -> None:
    conn = op.get_bind()
    owner = conn.execute(sa.text("SELECT value FROM store_meta WHERE key = 'owner_practitioner'")).scalar() or ""
    head = conn.execute(sa.text("SELECT value FROM store_meta WHERE key = :k"), {"k": HEAD_KEY}).scalar()
    seq, last = (int(head.partition(":")[0]), head.partition(":")[2]) if head else (0, GENESIS)
    rows = conn.execute(sa.text("SELECT id, uuid, answers_json FROM form_responses WHERE answers_json LIKE '%[{%' "
                                "ORDER BY id")).fetchall()
    for response_id, response_uuid, raw in rows:
        try:
            answers = json.loads(raw)
        except ValueError:
            continue  # unreadable answers are store check's to report, not an upgrade's to change
        if not isinstance(answers, dict):
            continue
        named = with_row_ids(answers, legacy_of=response_uuid)
        if named is answers:
            continue
        conn.execute(sa.text("UPDATE form_responses SET answers_json = :a WHERE id = :i"),
                     {"a": json.dumps(named), "i": response_id})
        seq, last = _audit(conn, seq, last, owner, response_uuid,
                           {k: [answers[k], named[k]] for k in named if named[k] is not answers.get(k)})
    if seq and rows:
        conn.execute(sa.text("INSERT OR REPLACE INTO store_meta (key, value) VALUES (:k, :v)"),
                     {"k": HEAD_KEY, "v": f"{seq}:{last}"})


def _audit(conn: sa.Connection, seq: int, last: str, actor: str, response_uuid: str,
           changes: dict[str, list[Any]]) -> tuple[int, str]:
    """One update event after (seq, last), as ``store.audit.append_event`` writes it."""
    seq += 1
    at = dt.datetime.now(dt.UTC)
    changes_json = canonical(changes)
    h = event_hash(last, seq, at, actor, "update", "response", response_uuid, changes_json, REASON)
    conn.execute(sa.text(
        "INSERT INTO audit_events (seq, at, actor, action, entity_type, entity_id, changes_json, reason, prev_hash, "
        "hash) VALUES (:seq, :at, :actor, 'update', 'response', :id, :changes, :reason, :prev, :hash)"),
        {"seq": seq, "at": at.isoformat(timespec="microseconds"), "actor": actor, "id": response_uuid,
         "changes": changes_json, "reason": REASON, "prev": last, "hash": h})
    return seq, h


def downgrade() -> None:
    """The ids stay: an older ddassess reports them as answers to no question, and keeps them."""
