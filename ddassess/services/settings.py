"""Per-practitioner settings kept in the encrypted store (idle lock, the open draft, ...).

``look_at_start`` reads the settings that change how the window looks (font size, date
format) from a store that is unlocked but not yet open, with SQLCipher alone (start-up
does not wait for SQLAlchemy: see ``ui/mainwindow.py``), so the first screen of cases is
drawn as the practitioner set it and does not change when the store opens. SQLAlchemy is
imported by the functions that need it, not by this module.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ddassess.store import Store, Unlocked

DEFAULTS: dict[str, Any] = {"idle_lock_minutes": 5, "date_format": "%d %b %Y", "font_size": 0}
LOOK = ("date_format", "font_size")

# get_setting(store, key) for each of LOOK, in SQL (a test keeps the two the same).
LOOK_SQL = ("SELECT s.key, s.value_json FROM practitioner_settings AS s "
            "JOIN practitioners AS p ON p.id = s.practitioner_id "
            "WHERE p.uuid = (SELECT value FROM store_meta WHERE key = 'owner_practitioner') AND s.key IN (?, ?)")


def _owner_id(session, store: Store) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from ddassess.store.records import PractitionerRecord

    return session.scalar(select(PractitionerRecord.id).where(PractitionerRecord.uuid == store.owner_uuid))


def get_setting(store: Store, key: str) -> Any:
    from ddassess.store.records import SettingRecord

    with store.read() as s:
        row = s.get(SettingRecord, (_owner_id(s, store), key))
        return json.loads(row.value_json) if row else DEFAULTS.get(key)


def set_setting(store: Store, key: str, value: Any) -> None:
    from ddassess.store.records import SettingRecord

    with store.write() as s:
        pid = _owner_id(s, store)
        row = s.get(SettingRecord, (pid, key))
        if row is None:
            s.add(SettingRecord(practitioner_id=pid, key=key, value_json=json.dumps(value)))
        else:
            row.value_json = json.dumps(value)


def look_at_start(unlocked: Unlocked) -> dict[str, Any]:
    """The date format and font size, as ``get_setting`` gives them once the store is open;
    the defaults if they cannot be read (opening the store then says what is wrong)."""
    look = {key: DEFAULTS[key] for key in LOOK}
    try:
        conn = unlocked.connect()
        try:
            rows = conn.execute(LOOK_SQL, LOOK).fetchall()
        finally:
            conn.close()
        look.update((key, json.loads(value)) for key, value in rows)
    except Exception:  # noqa: BLE001 - SQLite's errors (a damaged page), or a value that is not JSON
        return {key: DEFAULTS[key] for key in LOOK}
    return look
