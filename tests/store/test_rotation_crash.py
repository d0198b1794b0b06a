"""`key rotate` interrupted at any step: the keyring and the passphrase both still unlock.

A crash is simulated by making one step of the rotation raise ``SystemExit`` (as a power
cut would stop it there); the store object is then abandoned, as a dead process's is.
"""

from __future__ import annotations

import json

import pytest
from store_helpers import FAST_KDF, PASSPHRASE

from ddassess.domain.models import PersonDetails
from ddassess.keys import KEYRING_SERVICE
from ddassess.services import cases
from ddassess.store import Credentials, open_store
from ddassess.store import rekey
from ddassess.store.check import check_store

# (step that does not happen, whether the store file has been replaced when it stops)
CRASH_POINTS = {
    "after the pending wraps are saved": ("_export", False),
    "after the new file is written": ("_swap_in", False),
    "after the new file replaced the store": ("_forget_keyring_entries", True),
    "after the old keyring entry is deleted": ("_promote", True),
}


def _crash_before(monkeypatch, step: str) -> None:
    def power_cut(*_args, **_kwargs):
        raise SystemExit(f"simulated power cut before {step}")

    monkeypatch.setattr(rekey, step, power_cut)


def _store_entries(memory_keyring, store_id):
    return {account for (service, account) in memory_keyring.secrets
            if service == KEYRING_SERVICE and store_id in account}


@pytest.mark.parametrize("unlock", ["keyring", "passphrase"])
@pytest.mark.parametrize("point", list(CRASH_POINTS))
def test_interrupted_rotation_still_unlocks(store, store_folder, memory_keyring, monkeypatch, point, unlock):
    assert store.key_file.has_keyring
    cases.register_person(store, PersonDetails("Rota", "Fictional", nhs_number="9990000034"))
    old_salt = (store_folder / "ddassess.db").read_bytes()[:16]  # SQLCipher's per-file salt
    step, replaced = CRASH_POINTS[point]
    _crash_before(monkeypatch, step)
    with pytest.raises(SystemExit, match="simulated power cut"):
        store.rotate_key(PASSPHRASE, kdf=FAST_KDF)
    monkeypatch.undo()
    store.close()  # the process is gone: its lock with it
    assert ((store_folder / "ddassess.db").read_bytes()[:16] == old_salt) is not replaced
    assert "pending" in json.loads((store_folder / "ddassess.keys.json").read_text())

    creds = Credentials() if unlock == "keyring" else Credentials(passphrase=PASSPHRASE)
    s = open_store(store_folder, creds)
    try:
        assert s.unlocked_by == unlock
        assert cases.find_person_by_nhs(s, "9990000034").family_name == "Fictional"
        report = check_store(s)
        assert report.ok, report.problems
    finally:
        s.close()
    data = json.loads((store_folder / "ddassess.keys.json").read_text())
    assert "pending" not in data
    assert not (store_folder / ".ddassess.db.rekey").exists()
    # Exactly one keyring entry, the one the key file names, and it unlocks.
    assert _store_entries(memory_keyring, store.store_id) == {data["wraps"]["keyring"]["account"]}
    for creds in (Credentials(), Credentials(passphrase=PASSPHRASE)):
        s = open_store(store_folder, creds)
        assert s.unlocked_by in ("keyring", "passphrase")
        s.close()


def test_completed_rotation_leaves_one_keyring_entry_that_unlocks(store, store_folder, memory_keyring):
    first = _store_entries(memory_keyring, store.store_id)
    store.rotate_key(PASSPHRASE, kdf=FAST_KDF)
    store.rotate_key(PASSPHRASE, kdf=FAST_KDF)
    store.close()
    entries = _store_entries(memory_keyring, store.store_id)
    assert len(entries) == 1 and entries != first
    s = open_store(store_folder, Credentials())
    assert s.unlocked_by == "keyring"
    s.close()
