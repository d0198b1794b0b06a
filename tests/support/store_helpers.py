"""Constants and helpers shared by store tests (fixtures live in tests/store/conftest.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from ddassess.keys import KdfParams

if TYPE_CHECKING:
    from ddassess.store import Store

PASSPHRASE = "correct horse battery staple"
# argon2id at a cost low enough for a test suite; the default cost is tested on its own.
FAST_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
PRACTITIONER = {"name": "Testy McTestface", "role": "Substance misuse social worker", "agency": "Fictional SMS"}


def file_digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every store file (the lock file, which names its holder, aside)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != "ddassess.lock"
    }

# The passphrase of the committed fixture stores (tests/store/fixtures/schema-*).
FIXTURE_PASSPHRASE = "fixture passphrase for old schemas"


def damage_table(folder: Path, table: str) -> None:
    """Flip 60 bytes in the first page of ``table`` of the (closed) store in ``folder``, as a
    failing disk would: the key still opens the file, that page no longer decrypts."""
    from ddassess.store import Credentials, open_store

    with open_store(folder, Credentials(passphrase=PASSPHRASE)) as store:
        conn = store.raw_connection()
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        conn.close()
    db = folder / "ddassess.db"
    data = bytearray(db.read_bytes())
    for i in range(200, 260):
        data[(root - 1) * 4096 + i] ^= 0xFF
    db.write_bytes(bytes(data))


def pristine_store_files(folder: Path) -> dict[str, bytes]:
    """A real store (fast argon2id, no keyring) made in ``folder`` and closed: its files'
    bytes, lock file aside, for tests that each damage their own copy."""
    from ddassess.store import create_store

    created = create_store(folder, PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF, use_keyring=False)
    created.store.close()
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.name != "ddassess.lock"}


def amend(store, response_id: int, answers: dict, reason: str):  # type: ignore[no-untyped-def]
    """Amend a final response in one go, as the case view does it in steps: start the
    amendment, save its answers, finalise it with the reason."""
    from ddassess.services import case_changes

    draft = case_changes.start_amendment(store, response_id, {})
    case_changes.save_draft(store, draft.id, answers)
    return case_changes.finalise_amendment(store, draft.id, reason)


def write_setting_unchecked(store: Store, key: str, value: object) -> None:
    """A setting as an earlier version, a hand edit or a damaged page can leave one: written
    past the checks of ``services.settings`` (an undeclared key, a value it does not take),
    with the audit event a change of setting has, so ``store check`` still passes."""
    import json

    from sqlalchemy import select

    from ddassess.store import audit
    from ddassess.store.records import PractitionerRecord, SettingRecord

    with store.write() as s:
        pid = s.scalar(select(PractitionerRecord.id).where(PractitionerRecord.uuid == store.owner_uuid))
        row = s.get(SettingRecord, (pid, key))
        old = json.loads(row.value_json) if row is not None else None
        if row is None:
            s.add(SettingRecord(practitioner_id=pid, key=key, value_json=json.dumps(value)))
        else:
            row.value_json = json.dumps(value)
        audit.append_event(s, actor=store.owner_uuid, action="create" if row is None else "update",
                           entity_type="setting", entity_id=f"{store.owner_uuid}/{key}",
                           changes={"value": [old, value]})


def setting_as_saved(store: Store, key: str) -> object:
    """What is saved for a setting, read past ``services.settings`` (None if nothing is)."""
    import json

    conn = store.raw_connection()
    try:
        row = conn.execute("SELECT s.value_json FROM practitioner_settings AS s JOIN practitioners AS p "
                           "ON p.id = s.practitioner_id WHERE p.uuid = ? AND s.key = ?",
                           (store.owner_uuid, key)).fetchone()
    finally:
        conn.close()
    return None if row is None else json.loads(row[0])
