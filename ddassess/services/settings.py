"""Per-practitioner settings kept in the encrypted store (idle lock, the open draft, ...),
and the practitioner's own profile (role and service).

``look_at_start`` reads the settings that change how the window looks (font size, date
format) from a store that is unlocked but not yet open, with SQLCipher alone (start-up
does not wait for SQLAlchemy: see ``ui/mainwindow.py``), so the first screen of cases is
drawn as the practitioner set it and does not change when the store opens. SQLAlchemy is
imported by the functions that need it, not by this module.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from ddassess.domain import limits

if TYPE_CHECKING:
    from ddassess.store import Store, Unlocked

log = logging.getLogger(__name__)

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
    """The value saved, or the default when none is (or what is saved is not JSON)."""
    from ddassess.store.records import SettingRecord

    with store.read() as s:
        row = s.get(SettingRecord, (_owner_id(s, store), key))
    if row is None:
        return DEFAULTS.get(key)
    try:
        return json.loads(row.value_json)
    except ValueError:
        log.warning("setting %s is not readable; its default is used", key)
        return DEFAULTS.get(key)


# The numbers the window uses, and the range each must be in to be used.
NUMBERS = {"idle_lock_minutes": (1, 60), "font_size": (0, 72)}


def get_number(store: Store, key: str) -> int:
    """A whole-number setting, or its default when what is saved is not one in range (a
    hand-edited or damaged value must not stop the window or the settings dialog)."""
    return _usable_number(key, get_setting(store, key))


def _usable_number(key: str, value: Any) -> int:
    low, high = NUMBERS[key]
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return DEFAULTS[key]


def setting_entity(practitioner_uuid: str, key: str) -> str:
    """The audit trail's id for one practitioner's setting (store/replay.py reads it back)."""
    return f"{practitioner_uuid}/{key}"


def setting_problem(key: str, value: Any) -> str | None:
    """Why ``value`` cannot be kept as the setting ``key``; None if it can. Settings are small
    values (numbers, a format, the open draft): JSON of at most MAX_SETTING_JSON characters,
    with no broken character in any text."""
    problem = limits.text_problem(key, "A setting's name", limits.MAX_SETTING_KEY)
    if problem or not key:
        return problem or "A setting needs a name."
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return f"The setting {key} cannot be kept: its value is not plain data."
    if len(text) > limits.MAX_SETTING_JSON:
        return f"The setting {key} is too large to keep ({len(text):,} characters; at most {limits.MAX_SETTING_JSON:,})."
    return limits.text_problem(text, f"The setting {key}", limits.MAX_SETTING_JSON, lines=True)


def set_setting(store: Store, key: str, value: Any) -> None:
    """Save a setting; a change is audited (old → new) like any other record's, except
    where the practitioner is (``SESSION_SETTINGS``). A value that is not small plain data
    raises InvalidInputError and changes nothing."""
    from ddassess.errors import InvalidInputError
    from ddassess.store.audit import append_event
    from ddassess.store.records import SESSION_SETTINGS, SettingRecord

    problem = setting_problem(key, value)
    if problem:
        raise InvalidInputError(problem)
    audited = key not in SESSION_SETTINGS
    with store.write() as s:
        pid = _owner_id(s, store)
        row = s.get(SettingRecord, (pid, key))
        if row is None:
            s.add(SettingRecord(practitioner_id=pid, key=key, value_json=json.dumps(value)))
            if audited:
                append_event(s, actor=store.owner_uuid, action="create", entity_type="setting",
                             entity_id=setting_entity(store.owner_uuid, key), changes={"value": [None, value]})
            return
        try:
            old = json.loads(row.value_json)
        except ValueError:
            old = None  # a damaged value is replaced, and the event says it was unreadable
        if row.value_json != json.dumps(value):
            row.value_json = json.dumps(value)
            if audited:
                append_event(s, actor=store.owner_uuid, action="update", entity_type="setting",
                             entity_id=setting_entity(store.owner_uuid, key), changes={"value": [old, value]})


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
    return usable_look(look)


def usable_look(look: dict[str, Any]) -> dict[str, Any]:
    """The look settings with anything unusable (a hand-edited or damaged value) replaced by
    the default, so drawing the window never fails on them."""
    fmt = look.get("date_format")
    return {"font_size": _usable_number("font_size", look.get("font_size")),
            "date_format": fmt if isinstance(fmt, str) and "%" in fmt and len(fmt) <= 40 else DEFAULTS["date_format"]}


# The practitioner's own profile: role and service, printed with their signature on care
# plans and written into the signing certificates they are issued. --------------------------

MAX_PROFILE_TEXT = limits.MAX_PROFILE_TEXT  # kept under this name for the settings dialog
LEGACY_AGENCY = "default_agency"
_PROFILE_LABELS = {"role": "Your role", "agency": "Your service"}


def profile_problem(**fields: str) -> str | None:
    """What is wrong with the profile text given (role=..., agency=...), in words; None if nothing."""
    for key, text in fields.items():
        problem = limits.text_problem(text, _PROFILE_LABELS[key], limits.MAX_PROFILE_TEXT)
        if problem:
            return problem
    return None


def update_profile(store: Store, *, role: str, agency: str) -> bool:
    """Change the practitioner's role and service (audited); True if anything changed.
    Bad text raises InvalidInputError and changes nothing."""
    from sqlalchemy import select

    from ddassess.errors import InvalidInputError
    from ddassess.store import audit
    from ddassess.store.records import PractitionerRecord, SettingRecord

    problem = profile_problem(role=role, agency=agency)
    if problem:
        raise InvalidInputError(problem)
    new = {"role": role.strip(), "agency": agency.strip()}
    with store.write() as s:
        me = s.scalars(select(PractitionerRecord).where(PractitionerRecord.uuid == store.owner_uuid)).one()
        # Earlier versions kept an unused "default_agency" setting; the settings dialog offers
        # it once for an empty service. Saved or not, it goes now, so it cannot come back.
        legacy = s.get(SettingRecord, (me.id, LEGACY_AGENCY))
        if legacy is not None:
            s.delete(legacy)
            audit.append_event(s, actor=store.owner_uuid, action="delete", entity_type="setting",
                               entity_id=setting_entity(me.uuid, LEGACY_AGENCY), reason="setting no longer used")
        changes = audit.diff({"role": me.role, "agency": me.agency}, new)
        if not changes:
            return False
        me.role, me.agency = new["role"], new["agency"]
        audit.append_event(s, actor=store.owner_uuid, action="update", entity_type="practitioner",
                           entity_id=me.uuid, changes=changes)
    return True
