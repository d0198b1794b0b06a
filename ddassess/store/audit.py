"""The append-only, hash-chained audit trail.

Every create, update, finalise, delete, export and unlock writes one event in the same
transaction as the change it records. Each event's hash is SHA-256 over the previous
event's hash and a canonical JSON of the event's own fields, so editing or deleting any
past event breaks the chain from there on. ``verify_chain`` is what ``ddassess store
check`` runs. It requires:

* the chain to start at the genesis: event 1, following the all-zero hash, and being the
  store's own creation (``create`` of this store id), so deleting every event fails;
* the events to be contiguous, each following the one before;
* the newest (seq, hash) kept in ``store_meta`` (``audit_head``, same transaction) to be
  the last event;
* the **anchor** to be in the chain: the (seq, hash) of the head as it was when the store
  was last unlocked or closed cleanly, kept *outside* the database in the key file
  (``ddassess.keys.json``, written atomically). Cutting events off the end and setting
  ``audit_head`` back to an older event passes the checks inside the database, but the
  anchored event is then gone. The anchor only moves forward from a chain that still
  contains it, so an unlock after tampering does not hide it.

What it cannot do: someone holding the database key *and* able to write the key file can
rewrite the whole chain, the head and the anchor together; events written after the last
anchoring (a crash before a clean close) can be cut without trace. The chain makes
tampering evident to a check, it does not make it impossible; signed PDFs (pdf/) are the
evidence that leaves the laptop.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ddassess.store.records import AuditEventRecord, MetaRecord, utcnow

GENESIS = "0" * 64
HEAD_KEY = "audit_head"


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(prev_hash: str, seq: int, at: dt.datetime, actor: str, action: str,
               entity_type: str, entity_id: str, changes_json: str, reason: str) -> str:
    body = canonical([seq, at.astimezone(dt.UTC).isoformat(timespec="microseconds"), actor, action,
                      entity_type, entity_id, changes_json, reason])
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-level changes as {field: [old, new]}, only for fields that changed."""
    out: dict[str, list[Any]] = {}
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            out[key] = [old.get(key), new.get(key)]
    return out


def head(session: Session) -> tuple[int, str]:
    """The recorded newest (seq, hash); (0, GENESIS) for an empty trail."""
    return _head(session)


def contains(session: Session, seq: int, event_hash_: str) -> bool:
    """Is event ``seq`` in the trail with exactly this hash? (one primary-key lookup)"""
    ev = session.get(AuditEventRecord, seq)
    return ev is not None and ev.hash == event_hash_


def _head(session: Session) -> tuple[int, str]:
    row = session.get(MetaRecord, HEAD_KEY)
    if row is None:
        return 0, GENESIS
    seq, _, h = row.value.partition(":")
    return int(seq), h


def append_event(session: Session, *, actor: str, action: str, entity_type: str,
                 entity_id: str | int = "", changes: dict[str, Any] | None = None,
                 reason: str = "") -> AuditEventRecord:
    """Add one event after the current head, inside the caller's transaction."""
    last_seq, last_hash = _head(session)
    seq = last_seq + 1
    at = utcnow()
    changes_json = canonical(changes or {})
    h = event_hash(last_hash, seq, at, actor, action, entity_type, str(entity_id), changes_json, reason)
    event = AuditEventRecord(seq=seq, at=at, actor=actor, action=action, entity_type=entity_type,
                             entity_id=str(entity_id), changes_json=changes_json, reason=reason,
                             prev_hash=last_hash, hash=h)
    session.add(event)
    head = session.get(MetaRecord, HEAD_KEY)
    if head is None:
        session.add(MetaRecord(key=HEAD_KEY, value=f"{seq}:{h}"))
    else:
        head.value = f"{seq}:{h}"
    return event


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str


def verify_chain(session: Session, batch: int = 5000, *, store_id: str | None = None,
                 anchor: tuple[int, str] | None = None) -> tuple[int, list[ChainProblem]]:
    """(events checked, problems). Streams the events; stops listing after 20 problems.

    ``store_id`` makes the first event have to be that store's creation; ``anchor`` is the
    (seq, hash) recorded outside the database, which the chain must still contain.
    """
    problems: list[ChainProblem] = []
    expected_prev, expected_seq, count = GENESIS, 1, 0
    anchor_seen = anchor is None
    stmt = select(AuditEventRecord).order_by(AuditEventRecord.seq).execution_options(yield_per=batch)
    for ev in session.scalars(stmt):
        count += 1
        if count == 1 and store_id is not None and ev.seq == 1 and \
                (ev.action, ev.entity_type, ev.entity_id) != ("create", "store", store_id):
            problems.append(ChainProblem(1, "is not the creation of this store (the start of the trail was replaced)"))
        if ev.seq != expected_seq:
            problems.append(ChainProblem(ev.seq, f"events {expected_seq}–{ev.seq - 1} are missing"))
        if ev.prev_hash != expected_prev:
            problems.append(ChainProblem(ev.seq, "does not follow the event before it (an earlier event was changed or removed)"))
        actual = event_hash(ev.prev_hash, ev.seq, ev.at, ev.actor, ev.action, ev.entity_type,
                            ev.entity_id, ev.changes_json, ev.reason)
        if actual != ev.hash:
            problems.append(ChainProblem(ev.seq, "was changed after it was written"))
        if anchor is not None and ev.seq == anchor[0]:
            anchor_seen = ev.hash == anchor[1]
        expected_prev, expected_seq = ev.hash, ev.seq + 1
        if len(problems) >= 20:
            return count, problems
    if count == 0:
        problems.append(ChainProblem(0, "no events are left: the trail, which starts when the store is created, was deleted"))
    head_seq, head_hash = _head(session)
    if (head_seq, head_hash) != (expected_seq - 1, expected_prev if count else GENESIS):
        problems.append(ChainProblem(head_seq, "the newest events were removed (the trail ends before its recorded head)"
                                     if head_seq > expected_seq - 1 else "the recorded head does not match the last event"))
    if not anchor_seen:
        assert anchor is not None
        problems.append(ChainProblem(anchor[0], "is missing or different: it was in the trail when the store was last "
                                     "closed (recorded in the key file), so events were cut off or rewritten"))
    return count, problems
