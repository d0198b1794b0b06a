"""Per-practitioner settings kept in the encrypted store (idle lock, the open draft, ...),
and the practitioner's own profile (role and service).

Every setting is declared once, in ``SETTINGS``: its key, default, the words a person sees
for it, the values it may take, whether it changes how the window looks and whether a
change is audited. Reading, checking, saving, the settings dialog and the early read at
start-up all work from that table (Picard's options are declared the same way). A dialog
saves with ``save_settings``: every value is checked first, then all are written in one
transaction, so a bad value saves nothing.

``look_at_start`` reads the settings that change how the window looks (font size, date
format) from a store that is unlocked but not yet open, with SQLCipher alone (start-up
does not wait for SQLAlchemy: see ``ui/mainwindow.py``), so the first screen of cases is
drawn as the practitioner set it and does not change when the store opens. SQLAlchemy is
imported by the functions that need it, not by this module.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal

from ddassess.domain import limits

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ddassess.store import Store, Unlocked

log = logging.getLogger(__name__)

MAX_DATE_FORMAT = 40
MAX_SERVER_ADDRESS = 200


def server_address_problem(value: str, label: str = "Team server") -> str | None:
    """What is wrong with ``value`` as the team server's address (https, a host, perhaps a
    port, nothing else); None if it can be used, or if it is "" (no server: bundles only).
    The words are short: the settings dialog shows them under its fields."""
    from urllib.parse import urlsplit

    if value == "":
        return None
    problem = limits.text_problem(value, label, MAX_SERVER_ADDRESS)
    if problem:
        return problem
    if any(c.isspace() for c in value):
        return f"{label} must have no spaces in it."
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        port = 0
    if parts.scheme != "https":
        return f"{label} must start with https://, like https://server.example:8443."
    if not parts.hostname:
        return f"{label} names no server after https://."
    if port == 0:
        return f"{label}'s port must be a number from 1 to 65535."
    if parts.username is not None or parts.password is not None:
        return f"{label} must hold no user name or password."
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return f"{label} must be the address alone, with nothing after the port."
    return None

@dataclass(frozen=True)
class Setting:
    """One setting: what it is called, what it may hold and how it is treated.

    ``kind`` says what values it takes: ``number`` a whole number from ``low`` to
    ``high``; ``date format`` a strftime format (the dialog offers ``choices``, each with
    an example); ``place`` where the practitioner is (an open form and field) or None;
    ``folder`` a folder's absolute path, or "" for none yet; ``text`` one line of at most
    ``high`` characters; ``image`` a PNG or JPEG as base64 text, or "" for none (checked by
    pdf/logo.py; ``max_json`` allows its size); ``address`` the team server's https address
    (``server_address_problem``), or "" for none.
    A ``look`` setting changes how the window is drawn and is read early at start-up; an
    unaudited one records where the practitioner is, not what they chose.
    """

    key: str
    label: str
    default: Any
    kind: Literal["number", "date format", "place", "folder", "text", "image", "address"]
    low: int = 0
    high: int = 0
    choices: tuple[tuple[str, str], ...] = ()
    look: bool = False
    audited: bool = True
    max_json: int = limits.MAX_SETTING_JSON  # characters of its value as JSON (an image's are many)

    def problem(self, value: Any) -> str | None:
        """What is wrong with ``value`` for this setting, naming it; None if it can be used."""
        if self.kind == "text":
            if not isinstance(value, str):
                return f"{self.label} must be text."
            return limits.text_problem(value, self.label, self.high)
        if self.kind == "address":
            if not isinstance(value, str):
                return f"{self.label} must be text."
            return server_address_problem(value, self.label)
        if self.kind == "image":
            if value == "":
                return None
            from ddassess.pdf.logo import logo_problem_base64

            return logo_problem_base64(value, self.label)
        if self.kind == "number":
            if isinstance(value, int) and not isinstance(value, bool) and self.low <= value <= self.high:
                return None
            return f"{self.label} must be a whole number from {self.low} to {self.high}."
        if self.kind == "date format":
            if isinstance(value, str) and "%" in value and len(value) <= MAX_DATE_FORMAT:
                return None
            return (f"{self.label} must be a date format with at least one % code, "
                    f"of at most {MAX_DATE_FORMAT} characters; choose one of those offered.")
        if self.kind == "folder":
            if isinstance(value, str) and (value == "" or PurePath(value).is_absolute()):
                return None
            return f"{self.label} must be a folder's full path, or nothing."
        if value is None or (isinstance(value, dict) and set(value) <= {"case_id", "response_id", "field", "cursor"}
                             and all(isinstance(value.get(k), int) and not isinstance(value.get(k), bool)
                                     for k in ("case_id", "response_id"))
                             and isinstance(value.get("field"), str | None)
                             and (value.get("cursor") is None or (isinstance(value["cursor"], int)
                                                                  and not isinstance(value["cursor"], bool)
                                                                  and value["cursor"] >= 0))):
            return None
        return f"{self.label} must name a case, a form in it and (if any) a field and a place in it."


SETTINGS: dict[str, Setting] = {s.key: s for s in (
    Setting("idle_lock_minutes", "Lock after", 5, "number", low=1, high=60),
    Setting("date_format", "Dates", "%d %b %Y", "date format", look=True,
            choices=(("%d %b %Y", "24 Nov 2026"), ("%d/%m/%Y", "24/11/2026"), ("%Y-%m-%d", "2026-11-24"))),
    Setting("font_size", "Text size", 0, "number", low=0, high=24, look=True),  # 0: the system's
    # Whose care plans these are: printed in the header of every care plan PDF.
    Setting("organisation_name", "Organisation", "", "text", high=limits.MAX_PROFILE_TEXT),
    # Its logo, a PNG or JPEG kept in the store as base64 (pdf/logo.py checks it), never as a loose file.
    Setting("organisation_logo", "Organisation logo", "", "image", max_json=limits.MAX_LOGO_JSON),
    # Where the practitioner is, so a restart after a crash returns there: rewritten each
    # time the cursor moves to another field, so not audited (it holds no case data, and an
    # event for every move would bury the changes that matter; store/records.py lists it too).
    Setting("open_draft", "The open form", None, "place", audited=False),
    # Where the last PDF was exported to: the next export's save dialog starts there.
    Setting("export_folder", "Folder for exported PDFs", "", "folder"),
    # The team's targets: how many days a case may wait at each step before the Team view
    # counts it as waiting too long (services/team_kpis.py). Local choices of each area; the
    # referral form's own words ("urgent: within 5 working days") give the triage default.
    Setting("target_days_triage", "Target: referral to consent (days)", 5, "number", low=1, high=365),
    Setting("target_days_consent", "Target: consent to screening (days)", 14, "number", low=1, high=365),
    Setting("target_days_screening", "Target: screening to joint assessment (days)", 28, "number", low=1, high=365),
    Setting("target_days_assessment", "Target: joint assessment to lead agency decision (days)", 14, "number",
            low=1, high=365),
    Setting("target_days_lead_decision", "Target: lead agency decision to care plan (days)", 14, "number",
            low=1, high=365),
    # The team server this laptop syncs shared cases with (docs/server.md); "" syncs with none
    # (bundle files keep working either way). Synced on unlock, soon after a save and then every
    # ``sync_every_minutes`` (ui/syncing.py).
    Setting("sync_server", "Team server", "", "address", high=MAX_SERVER_ADDRESS),
    Setting("sync_every_minutes", "Sync every", 5, "number", low=1, high=120),
)}

LOOK = tuple(key for key, setting in SETTINGS.items() if setting.look)

# get_setting(store, key) for each of LOOK, in SQL (a test keeps the two the same).
LOOK_SQL = ("SELECT s.key, s.value_json FROM practitioner_settings AS s "
            "JOIN practitioners AS p ON p.id = s.practitioner_id "
            "WHERE p.uuid = (SELECT value FROM store_meta WHERE key = 'owner_practitioner') "
            f"AND s.key IN ({', '.join('?' * len(LOOK))})")


def _declared(key: str) -> Setting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise KeyError(f"no setting is declared as {key!r} in services/settings.py") from None


def _owner_id(session: Session, store: Store) -> int:
    from sqlalchemy import select

    from ddassess.store.records import PractitionerRecord

    pid = session.scalar(select(PractitionerRecord.id).where(PractitionerRecord.uuid == store.owner_uuid))
    assert pid is not None, "the store has no owner"
    return pid


def _usable(setting: Setting, value: Any) -> Any:
    """``value``, or the default when it is not one the setting takes (a hand-edited or
    damaged value must not stop the window or the settings dialog)."""
    if setting.problem(value) is None:
        return value
    log.warning("setting %s holds a value it cannot take; its default is used", setting.key)
    return setting.default


def get_setting(store: Store, key: str) -> Any:
    """The value saved, or the default when none is, or what is saved is not JSON or not a
    value the setting takes."""
    from ddassess.store.records import SettingRecord

    setting = _declared(key)
    with store.read() as s:
        row = s.get(SettingRecord, (_owner_id(s, store), key))
    if row is None:
        return setting.default
    try:
        value = json.loads(row.value_json)
    except ValueError:
        log.warning("setting %s is not readable; its default is used", key)
        return setting.default
    return _usable(setting, value)


def get_settings(store: Store, keys: tuple[str, ...]) -> dict[str, Any]:
    """Several settings as ``get_setting`` gives each, read in one go (the Team view's targets)."""
    from sqlalchemy import select

    from ddassess.store.records import SettingRecord

    declared = {key: _declared(key) for key in keys}
    with store.read() as s:
        owner = _owner_id(s, store)
        rows = s.execute(select(SettingRecord.key, SettingRecord.value_json).where(
            SettingRecord.practitioner_id == owner, SettingRecord.key.in_(keys)))
        saved = {str(k): str(v) for k, v in rows}
    values = {}
    for key, setting in declared.items():
        try:
            values[key] = _usable(setting, json.loads(saved[key])) if key in saved else setting.default
        except ValueError:
            log.warning("setting %s is not readable; its default is used", key)
            values[key] = setting.default
    return values


def get_number(store: Store, key: str) -> int:
    """A whole-number setting (``kind`` "number"), as ``get_setting`` gives it."""
    value = get_setting(store, key)
    assert isinstance(value, int), f"{key} is not a number setting"
    return value


def look(store: Store) -> dict[str, Any]:
    """The settings that change how the window looks, as ``look_at_start`` gives them."""
    return {key: get_setting(store, key) for key in LOOK}


def setting_entity(practitioner_uuid: str, key: str) -> str:
    """The audit trail's id for one practitioner's setting (store/replay.py reads it back)."""
    return f"{practitioner_uuid}/{key}"


def setting_problem(key: str, value: Any) -> str | None:
    """Why ``value`` cannot be kept as the setting ``key``; None if it can. A setting must be
    declared in ``SETTINGS`` and take the value, which is small plain data: JSON of at most
    MAX_SETTING_JSON characters, with no broken character in any text."""
    problem = limits.text_problem(key, "A setting's name", limits.MAX_SETTING_KEY)
    if problem or not key:
        return problem or "A setting needs a name."
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return f"The setting {key} cannot be kept: its value is not plain data."
    most = SETTINGS[key].max_json if key in SETTINGS else limits.MAX_SETTING_JSON
    if len(text) > most:
        return (f"The setting {key} is too large to keep ({len(text):,} characters; "
                f"at most {most:,}).")
    problem = limits.text_problem(text, f"The setting {key}", most, lines=True)
    if problem:
        return problem
    if key not in SETTINGS:
        return f"There is no setting called {key}."
    return SETTINGS[key].problem(value)


def settings_problem(values: Mapping[str, Any]) -> str | None:
    """The first reason any of ``values`` (setting key → value) cannot be kept; None if all can."""
    for key, value in values.items():
        problem = setting_problem(key, value)
        if problem:
            return problem
    return None


@dataclass(frozen=True)
class Profile:
    """The practitioner's role and service, printed with their signature on care plans and
    written into the signing certificates they are issued."""

    role: str
    agency: str


def save_settings(store: Store, values: Mapping[str, Any], profile: Profile | None = None) -> None:
    """Save settings (key → value), and the profile if given, in one transaction. Every
    value is checked first: a bad one raises InvalidInputError naming the setting, and
    nothing is saved. A change is audited (old → new) like any other record's, except for
    settings declared unaudited."""
    from ddassess.errors import InvalidInputError

    problem = settings_problem(values) or (profile_problem(role=profile.role, agency=profile.agency)
                                           if profile is not None else None)
    if problem:
        raise InvalidInputError(f"{problem} Nothing was saved.")
    with store.write() as s:
        for key, value in values.items():
            _write_setting(s, store, SETTINGS[key], value)
        if profile is not None:
            _write_profile(s, store, profile)


def set_setting(store: Store, key: str, value: Any) -> None:
    """Save one setting (``save_settings`` with one value)."""
    save_settings(store, {key: value})


def _write_setting(s: Session, store: Store, setting: Setting, value: Any) -> None:
    from ddassess.store.audit import append_event
    from ddassess.store.records import SettingRecord

    pid = _owner_id(s, store)
    row = s.get(SettingRecord, (pid, setting.key))
    entity = setting_entity(store.owner_uuid, setting.key)
    if row is None:
        s.add(SettingRecord(practitioner_id=pid, key=setting.key, value_json=json.dumps(value)))
        if setting.audited:
            append_event(s, actor=store.owner_uuid, action="create", entity_type="setting", entity_id=entity,
                         changes={"value": [None, value]})
        return
    try:
        old = json.loads(row.value_json)
    except ValueError:
        old = None  # a damaged value is replaced, and the event says it was unreadable
    if row.value_json != json.dumps(value):
        row.value_json = json.dumps(value)
        if setting.audited:
            append_event(s, actor=store.owner_uuid, action="update", entity_type="setting", entity_id=entity,
                         changes={"value": [old, value]})


def look_at_start(unlocked: Unlocked) -> dict[str, Any]:
    """The look settings, as ``look`` gives them once the store is open; the defaults if
    they cannot be read (opening the store then says what is wrong)."""
    defaults = {key: SETTINGS[key].default for key in LOOK}
    try:
        conn = unlocked.connect()
        try:
            rows = conn.execute(LOOK_SQL, LOOK).fetchall()
        finally:
            conn.close()
        saved = {key: json.loads(value) for key, value in rows}
    except Exception:  # noqa: BLE001 - SQLite's errors (a damaged page), or a value that is not JSON
        return defaults
    return {key: _usable(SETTINGS[key], saved[key]) if key in saved else defaults[key] for key in LOOK}


# The practitioner's own profile: role and service. ------------------------------------------

MAX_PROFILE_TEXT = limits.MAX_PROFILE_TEXT  # kept under this name for the settings dialog
# Earlier versions kept an unused "default_agency" setting: it fills an empty service in
# the settings dialog, and goes with the next save of the profile, so it cannot come back.
LEGACY_AGENCY = "default_agency"
_PROFILE_LABELS = {"role": "Your role", "agency": "Your service"}


def profile_problem(**fields: str) -> str | None:
    """What is wrong with the profile text given (role=..., agency=...), in words; None if nothing."""
    for key, text in fields.items():
        problem = limits.text_problem(text, _PROFILE_LABELS[key], limits.MAX_PROFILE_TEXT)
        if problem:
            return problem
    return None


def profile_to_edit(store: Store) -> Profile:
    """The role and service to show for editing: an empty service is filled from the old
    ``default_agency`` setting if one is left."""
    from ddassess.store.records import SettingRecord

    me = store.owner()
    role, agency = (me.role, me.agency) if me else ("", "")
    if not agency:
        with store.read() as s:
            row = s.get(SettingRecord, (_owner_id(s, store), LEGACY_AGENCY))
        try:
            legacy = json.loads(row.value_json) if row is not None else None
        except ValueError:
            legacy = None
        agency = legacy if isinstance(legacy, str) else ""
    return Profile(role or "", agency or "")


def update_profile(store: Store, *, role: str, agency: str) -> bool:
    """Change the practitioner's role and service (audited); True if anything changed.
    Bad text raises InvalidInputError and changes nothing."""
    from ddassess.errors import InvalidInputError

    problem = profile_problem(role=role, agency=agency)
    if problem:
        raise InvalidInputError(problem)
    with store.write() as s:
        return _write_profile(s, store, Profile(role, agency))


def _write_profile(s: Session, store: Store, profile: Profile) -> bool:
    from sqlalchemy import select

    from ddassess.store import audit
    from ddassess.store.records import PractitionerRecord, SettingRecord

    new = {"role": profile.role.strip(), "agency": profile.agency.strip()}
    me = s.scalars(select(PractitionerRecord).where(PractitionerRecord.uuid == store.owner_uuid)).one()
    legacy = s.get(SettingRecord, (me.id, LEGACY_AGENCY))
    if legacy is not None:  # saved or not, the old setting goes now
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


# The organisation's logo (setting organisation_logo). ---------------------------------------


def logo_from_file(path: Any) -> str:
    """The image at ``path`` as the logo setting's value (base64), after the checks of
    pdf/logo.py; a file that is not a small PNG or JPEG raises InvalidInputError saying why.
    At most one byte past the limit is read, so a huge file costs nothing."""
    import base64
    from pathlib import Path

    from ddassess.errors import InvalidInputError
    from ddassess.pdf.logo import logo_problem

    name = Path(path).name
    try:
        with open(path, "rb") as f:
            data = f.read(limits.MAX_LOGO_BYTES + 1)
    except OSError as exc:
        raise InvalidInputError(f"The logo {name} could not be read ({exc.strerror or exc}): check the file and "
                                "choose it again.") from None
    problem = logo_problem(data, f"The logo {name}")
    if problem:
        raise InvalidInputError(problem)
    return base64.b64encode(data).decode("ascii")
