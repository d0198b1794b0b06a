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
* time to move forwards: an event dated more than ``CLOCK_TOLERANCE`` before the one
  before it was appended later with an earlier date (a recomputed chain cannot hide that);
* every field of every event to be readable (a time with a zone, changes as a JSON object,
  SHA-256 hashes, text): garbage is a problem naming the event, never an exception.

``store/replay.py`` then compares the records with what their events say.

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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from ddassess.store.records import AuditEventRecord, MetaRecord, utcnow

GENESIS = "0" * 64
HEAD_KEY = "audit_head"
# What the store's creation event says (``{"audit_format": [None, 2]}``) when every change
# to every audited table is recorded field by field (settings included): ``replay.py``
# then also requires an event for each setting. Stores made before carry no format.
AUDIT_FORMAT_KEY = "audit_format"
AUDIT_FORMAT = 2


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical(obj: Any) -> str:
    return _CANONICAL.encode(obj)


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
    """Is event ``seq`` in the trail with exactly this hash? (one primary-key lookup, of the
    hash alone: an event whose other fields are garbage must not stop closing the store)"""
    stored = session.scalar(select(AuditEventRecord.hash).where(AuditEventRecord.seq == seq))
    return stored == event_hash_


def _head(session: Session) -> tuple[int, str]:
    row = session.get(MetaRecord, HEAD_KEY)
    if row is None:
        return 0, GENESIS
    return _parse_head(row.value)


def _parse_head(value: str) -> tuple[int, str]:
    seq, _, h = value.partition(":")
    return int(seq), h


def append_event(session: Session, *, actor: str, action: str, entity_type: str,
                 entity_id: str | int = "", changes: dict[str, Any] | None = None,
                 reason: str = "") -> None:
    """Add one event after the current head, inside the caller's transaction (inside
    ``batched``, to the batch written when it ends)."""
    pending: _Batch | None = session.info.get(_BATCH_KEY)
    head = None
    if pending is not None:
        last_seq, last_hash = pending.seq, pending.hash
    else:
        head = session.get(MetaRecord, HEAD_KEY)
        last_seq, last_hash = (0, GENESIS) if head is None else _parse_head(head.value)
    seq = last_seq + 1
    at = utcnow()
    changes_json = canonical(changes or {})
    h = event_hash(last_hash, seq, at, actor, action, entity_type, str(entity_id), changes_json, reason)
    row = dict(seq=seq, at=at, actor=actor, action=action, entity_type=entity_type, entity_id=str(entity_id),
               changes_json=changes_json, reason=reason, prev_hash=last_hash, hash=h)
    if pending is not None:
        pending.rows.append(row)
        pending.seq, pending.hash = seq, h
        return
    session.add(AuditEventRecord(**row))
    _set_head(session, head, seq, h)


def _set_head(session: Session, head: MetaRecord | None, seq: int, h: str) -> None:
    if head is None:
        session.add(MetaRecord(key=HEAD_KEY, value=f"{seq}:{h}"))
    else:
        head.value = f"{seq}:{h}"


@dataclass
class _Batch:
    seq: int
    hash: str
    rows: list[dict[str, Any]] = field(default_factory=list)


_BATCH_KEY = "ddassess.audit.batch"


@contextmanager
def batched(session: Session) -> Iterator[None]:
    """Events appended inside are chained as they come and written in one statement when the
    block ends, in the caller's transaction, with the head (applying a bundle appends
    thousands: an ORM object each cost a quarter of the time). If the block raises,
    nothing of it is written: the caller's transaction is to be rolled back.

    Inside, nothing may read the trail or its head from the database, and no savepoint
    that is rolled back may hold an append (its events would stay in the batch): the
    exchange's apply, the one user, appends only after its savepoints are released.
    Nested use joins the outer batch."""
    if _BATCH_KEY in session.info:
        yield
        return
    session.flush()  # events added before go first
    head = session.get(MetaRecord, HEAD_KEY)
    pending = _Batch(*((0, GENESIS) if head is None else _parse_head(head.value)))
    session.info[_BATCH_KEY] = pending
    try:
        yield
    finally:
        del session.info[_BATCH_KEY]
    if pending.rows:
        session.execute(insert(AuditEventRecord), pending.rows)
        _set_head(session, head, pending.seq, pending.hash)


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str


# A clock may be stepped back a little (an NTP correction after days offline); an event
# dated more than this before the event before it was not written in order: it was
# appended later with an earlier date. See docs/store-check.md.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)
# The kinds of record the app writes events about; any other text is not repeated in a
# report (it could be anything, case data included).
KNOWN_KINDS = frozenset({"store", "practitioner", "person", "case", "response", "care-plan", "care-plan-file",
                         "setting", "signing-authority", "signing-identity", "conflict", "team-report",
                         "case-report"})
MAX_PROBLEMS = 20

_EVENTS_SQL = text("SELECT seq, at, actor, action, entity_type, entity_id, changes_json, reason, prev_hash, hash "
                   "FROM audit_events ORDER BY seq")
_TEXT_FIELDS = ("actor", "action", "entity_type", "entity_id", "reason")
_HEX = frozenset("0123456789abcdef")


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def parse_time(value: Any) -> dt.datetime | None:
    """An event's stored time as an aware datetime; None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def parse_changes(value: Any, *, pairs: bool = False) -> dict[str, Any] | None:
    """An event's changes as a dict ({field: [old, new]} with ``pairs``, as every change to a
    record has; an unlock's say how); None when they are not that."""
    if not isinstance(value, str):
        return None
    try:
        changes = json.loads(value)
    except ValueError:
        return None
    if not isinstance(changes, dict):
        return None
    if pairs and not all(isinstance(v, list) and len(v) == 2 for v in changes.values()):
        return None
    return changes


def _garbage(row: Any, at: dt.datetime | None) -> list[str]:
    """What in one stored event is not of its kind (null, wrong type, malformed), in words."""
    found = []
    if at is None:
        found.append("its time is missing or not a date and time with a time zone")
    found += [f"its {name.replace('_', ' ')} is missing or not text"
              for name in _TEXT_FIELDS if not isinstance(getattr(row, name), str)]
    if parse_changes(row.changes_json) is None:
        found.append("its changes are missing or not a JSON object")
    if not _is_hash(row.prev_hash):
        found.append("its link to the event before is missing or not a SHA-256 hash")
    if not _is_hash(row.hash):
        found.append("its hash is missing or not a SHA-256 hash")
    return found


def _age(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"


def verify_chain(session: Session, batch: int = 5000, *, store_id: str | None = None,
                 anchor: tuple[int, str] | None = None) -> tuple[int, list[ChainProblem]]:
    """(events checked, problems). Streams the events; stops listing after 20 problems.

    ``store_id`` makes the first event have to be that store's creation; ``anchor`` is the
    (seq, hash) recorded outside the database, which the chain must still contain. The
    events are read as stored (not through the ORM's types), so an event whose fields are
    garbage is reported by its number, never raised; time must move forwards along the
    chain (within ``CLOCK_TOLERANCE``), so an event appended later with an earlier date is found.
    """
    problems: list[ChainProblem] = []
    expected_prev, expected_seq, count = GENESIS, 1, 0
    prev_at: dt.datetime | None = None
    anchor_seen = anchor is None
    for ev in session.execute(_EVENTS_SQL, execution_options={"yield_per": batch}):
        count += 1
        kind = f"a {ev.entity_type} event" if ev.entity_type in KNOWN_KINDS else "an event of unknown kind"
        if count == 1 and store_id is not None and ev.seq == 1 and \
                (ev.action, ev.entity_type, ev.entity_id) != ("create", "store", store_id):
            problems.append(ChainProblem(1, "is not the creation of this store (the start of the trail was replaced)"))
        if ev.seq != expected_seq:
            problems.append(ChainProblem(ev.seq, f"events {expected_seq}–{ev.seq - 1} are missing"))
        if ev.prev_hash != expected_prev:
            problems.append(ChainProblem(ev.seq, "does not follow the event before it (an earlier event was changed "
                                         "or removed)"))
        at = parse_time(ev.at)
        garbage = _garbage(ev, at)
        if garbage:
            problems.append(ChainProblem(ev.seq, f"({kind}) cannot be read: " + "; ".join(garbage)))
        elif at is not None:  # always, when nothing is garbage
            actual = event_hash(ev.prev_hash, ev.seq, at, ev.actor, ev.action, ev.entity_type,
                                ev.entity_id, ev.changes_json, ev.reason)
            if actual != ev.hash:
                problems.append(ChainProblem(ev.seq, "was changed after it was written"))
        if at is not None and prev_at is not None and at < prev_at - CLOCK_TOLERANCE:
            problems.append(ChainProblem(ev.seq, f"({kind}) is dated {_age(prev_at - at)} before event "
                                         f"{ev.seq - 1}: time must move forwards along the trail, so it was "
                                         "added later with an earlier date (backdated)"))
        if anchor is not None and ev.seq == anchor[0]:
            anchor_seen = ev.hash == anchor[1]
        expected_prev, expected_seq = ev.hash, ev.seq + 1
        prev_at = at if at is not None else prev_at
        if len(problems) >= MAX_PROBLEMS:
            return count, problems
    if count == 0:
        problems.append(ChainProblem(0, "no events are left: the trail, which starts when the store is created, "
                                     "was deleted"))
    try:
        head_seq, head_hash = _head(session)
    except ValueError:
        problems.append(ChainProblem(0, "the recorded head of the trail (audit_head) is not a 'number:hash' pair"))
        return count, problems
    if (head_seq, head_hash) != (expected_seq - 1, expected_prev if count else GENESIS):
        problems.append(ChainProblem(head_seq,
                                     "the newest events were removed (the trail ends before its recorded head)"
                                     if head_seq > expected_seq - 1
                                     else "the recorded head does not match the last event"))
    if not anchor_seen:
        assert anchor is not None
        problems.append(ChainProblem(anchor[0], "is missing or different: it was in the trail when the store was last "
                                     "closed (recorded in the key file), so events were cut off or rewritten"))
    return count, problems
