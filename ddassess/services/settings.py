"""Per-practitioner settings kept in the encrypted store (idle lock, the open draft, ...)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from ddassess.store import Store
from ddassess.store.records import PractitionerRecord, SettingRecord

DEFAULTS: dict[str, Any] = {"idle_lock_minutes": 5, "date_format": "%d %b %Y", "font_size": 0}


def _owner_id(session, store: Store) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(PractitionerRecord.id).where(PractitionerRecord.uuid == store.owner_uuid))


def get_setting(store: Store, key: str) -> Any:
    with store.read() as s:
        row = s.get(SettingRecord, (_owner_id(s, store), key))
        return json.loads(row.value_json) if row else DEFAULTS.get(key)


def set_setting(store: Store, key: str, value: Any) -> None:
    with store.write() as s:
        pid = _owner_id(s, store)
        row = s.get(SettingRecord, (pid, key))
        if row is None:
            s.add(SettingRecord(practitioner_id=pid, key=key, value_json=json.dumps(value)))
        else:
            row.value_json = json.dumps(value)
