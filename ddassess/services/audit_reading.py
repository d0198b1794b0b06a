"""Reading the audit trail back for people: the events of some records, who made them (by
name, not uuid), and whether a change was received from a colleague's laptop.

The trail (``store/audit.py``) names records by uuid (``entity_id``) and practitioners by
uuid (``actor``). A change made on another laptop and applied here is recorded with its
author as the actor and, in its reason, "received from <name> (<how>)": that is where
"received from" comes from. ``case_history`` and ``last_changed`` are built on this.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ddassess.store.audit import parse_changes, parse_time

SYSTEM_NAME = "ddassess"  # the actor "system": the app itself (e.g. a store made before owners existed)
UNKNOWN_NAME = "a practitioner not known on this laptop"
# SQLite's limit on parameters of one statement is far above this; large case histories are
# read in batches of ids.
_BATCH = 500
# "... received from Jo Bloggs (bundle file) ..." — the name, then what it came by.
_RECEIVED = re.compile(r"received from (?P<name>.+?)(?: \((?P<via>[^()]*)\))?(?=$|[.;,]\s|[.;]$)", re.IGNORECASE)


@dataclass(frozen=True)
class Event:
    """One audit event, read back (times aware, changes a dict)."""

    seq: int
    at: dt.datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    changes: dict[str, Any]
    reason: str


def received_from(reason: str) -> str:
    """Who a received change came from, as the event's reason says ("" when made here)."""
    m = _RECEIVED.search(reason or "")
    return m.group("name").strip() if m else ""


def own_reason(reason: str) -> str:
    """The reason a person gave, without the "received from ..." words the exchange adds."""
    m = _RECEIVED.search(reason or "")
    if not m:
        return (reason or "").strip()
    rest = (reason[:m.start()] + reason[m.end():]).strip(" .;,:—-")
    return rest.strip()


def practitioner_names(session: Session) -> dict[str, str]:
    """Every practitioner this store knows, uuid -> name (a few rows: the owner and the team)."""
    rows = session.execute(text("SELECT uuid, name FROM practitioners")).all()
    return {str(uuid): str(name) for uuid, name in rows}


def name_of(names: dict[str, str], actor: str) -> str:
    if actor == "system":
        return SYSTEM_NAME
    return names.get(actor) or UNKNOWN_NAME


def events_of(session: Session, entity_ids: Iterable[str]) -> list[Event]:
    """The events about these records (by uuid), oldest first. Events whose fields cannot
    be read (a damaged trail: ``store check`` reports those) are left out, never raised.
    One look-up per record in the index on ``entity_id`` (migration 0013)."""
    ids = sorted(set(entity_ids))
    out: list[Event] = []
    for start in range(0, len(ids), _BATCH):
        batch = ids[start:start + _BATCH]
        marks = ", ".join(f":i{n}" for n in range(len(batch)))
        rows = session.execute(
            text("SELECT seq, at, actor, action, entity_type, entity_id, changes_json, reason FROM audit_events "
                 f"WHERE entity_id IN ({marks})"),
            {f"i{n}": v for n, v in enumerate(batch)}).all()
        for seq, at, actor, action, etype, eid, changes_json, reason in rows:
            when, changes = parse_time(at), parse_changes(changes_json)
            if when is None or changes is None or not all(isinstance(v, str) for v in (actor, action, etype)):
                continue
            out.append(Event(int(seq), when, actor, action, etype, str(eid), changes,
                             reason if isinstance(reason, str) else ""))
    out.sort(key=lambda e: e.seq)
    return out


def pair(changes: dict[str, Any], key: str) -> tuple[Any, Any] | None:
    """A change's (old, new), or None when the event does not change ``key``."""
    v = changes.get(key)
    if isinstance(v, list) and len(v) == 2:
        return v[0], v[1]
    return None
