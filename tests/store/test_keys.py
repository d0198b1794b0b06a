"""Passphrase change, recovery and key rotation at the store level."""

from __future__ import annotations

import json

import pytest
import sqlcipher3
from store_helpers import FAST_KDF, PASSPHRASE

from ddassess import errors
from ddassess.keys import KdfParams, format_recovery_key, new_recovery_key, parse_recovery_key, passphrase_problem
from ddassess.store import Credentials, open_store
from ddassess.store.cipher import raw_connect


def test_passphrase_change_keeps_the_database_key(store, store_folder):
    old_key = store._db_key
    db_before = (store_folder / "ddassess.db").stat().st_ino
    store.change_passphrase(PASSPHRASE, "a brand new passphrase here", kdf=FAST_KDF)
    store.close()
    raw_connect(store_folder / "ddassess.db", old_key).close()  # same key: nothing re-encrypted
    assert (store_folder / "ddassess.db").stat().st_ino == db_before  # same file, not replaced
    with pytest.raises(errors.WrongPassphraseError):
        open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    open_store(store_folder, Credentials(passphrase="a brand new passphrase here")).close()


def test_passphrase_change_needs_the_old_one_and_a_good_new_one(store, store_folder):
    key_file_before = (store_folder / "ddassess.keys.json").read_bytes()
    with pytest.raises(errors.WrongPassphraseError):
        store.change_passphrase("not the old one at all", "a brand new passphrase here")
    with pytest.raises(errors.WeakPassphraseError):
        store.change_passphrase(PASSPHRASE, "short")
    assert (store_folder / "ddassess.keys.json").read_bytes() == key_file_before


def test_default_kdf_cost_is_argon2id_64mib(store_folder):
    from ddassess.store import create_store

    c = create_store(store_folder, PASSPHRASE, practitioner={"name": "Testy McTestface"})
    c.store.close()
    wrap = json.loads((store_folder / "ddassess.keys.json").read_text())["wraps"]["passphrase"]
    assert wrap["kdf_name"] == "argon2id"
    assert KdfParams.from_dict(wrap["kdf"]) == KdfParams(time_cost=3, memory_kib=65536, parallelism=4)
    open_store(store_folder, Credentials(passphrase=PASSPHRASE, use_keyring=False)).close()


def test_key_file_holds_no_secret(created, store_folder):
    text = (store_folder / "ddassess.keys.json").read_text()
    assert PASSPHRASE not in text
    assert created.recovery_key not in text
    assert created.store._db_key.hex() not in text


def test_rotation_changes_the_key_and_keeps_the_data(store, store_folder):
    from ddassess.domain.models import PersonDetails
    from ddassess.services import case_changes

    case_changes.register_person(store, PersonDetails("Rota", "Fictional", nhs_number="9990000034"))
    old_key = store._db_key
    recovery = store.rotate_key(PASSPHRASE, kdf=FAST_KDF)
    assert store._db_key != old_key
    assert case_changes.find_person_by_nhs(store, "9990000034") is not None  # still usable, open
    store.close()
    conn = sqlcipher3.connect(str(store_folder / "ddassess.db"))
    conn.execute(f"PRAGMA key = \"x'{old_key.hex()}'\"")
    with pytest.raises(sqlcipher3.DatabaseError):
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.close()
    s = open_store(store_folder, Credentials(recovery_key=recovery))
    assert case_changes.find_person_by_nhs(s, "9990000034").family_name == "Fictional"
    s.close()


def test_rotation_interrupted_after_the_file_was_replaced_finishes_on_open(store, store_folder, monkeypatch):
    """A crash between replacing the store and promoting the new wraps must not lock anyone out."""
    from ddassess.keys import KeyFile

    saves = []
    real_commit = KeyFile.commit

    def crash_on_second_save(self, **changes):
        saves.append(1)
        if len(saves) == 2:
            raise SystemExit("simulated power cut")
        real_commit(self, **changes)

    monkeypatch.setattr(KeyFile, "commit", crash_on_second_save)
    with pytest.raises(SystemExit):
        store.rotate_key(PASSPHRASE, kdf=FAST_KDF)
    monkeypatch.setattr(KeyFile, "commit", real_commit)
    store.lock.release()
    data = json.loads((store_folder / "ddassess.keys.json").read_text())
    assert "pending" in data  # the crash left the new key's wraps pending
    s = open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    s.close()
    data = json.loads((store_folder / "ddassess.keys.json").read_text())
    assert "pending" not in data


def test_recovery_keys_round_trip():
    for _ in range(50):
        key = new_recovery_key()
        assert parse_recovery_key(key) == parse_recovery_key(key.lower().replace("-", " "))


def test_every_single_mistyped_character_is_caught():
    """The Luhn mod 32 check character guarantees it, for every position and every letter."""
    raw = bytes(range(16))
    key = format_recovery_key(raw)
    assert parse_recovery_key(key) == raw
    positions = [i for i, ch in enumerate(key) if ch != "-"]
    for i in positions:
        for replacement in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567":
            if replacement == key[i]:
                continue
            typo = key[:i] + replacement + key[i + 1 :]
            with pytest.raises(errors.MalformedRecoveryKeyError):
                parse_recovery_key(typo)


@pytest.mark.parametrize("weak", ["", "short", "aaaaaaaaaaaaaa", " leading space here"])
def test_weak_passphrases_are_refused_with_a_reason(weak):
    assert passphrase_problem(weak)


def test_good_passphrase_accepted():
    assert passphrase_problem("Łukasz likes 3 green teapots") is None


def test_a_new_recovery_key_replaces_the_old(store, created, store_folder):
    with pytest.raises(errors.WrongPassphraseError):
        store.start_new_recovery_key("not the passphrase")
    new = store.start_new_recovery_key(PASSPHRASE)
    store.confirm_recovery_key()  # shown: the old one stops working
    store.close()
    with pytest.raises(errors.WrongRecoveryKeyError):
        open_store(store_folder, Credentials(recovery_key=created.recovery_key))
    open_store(store_folder, Credentials(recovery_key=new)).close()
