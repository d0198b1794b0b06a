"""Each way opening can fail has its own error and message, and changes no store file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from store_helpers import FAST_KDF, PASSPHRASE, PRACTITIONER, file_digests

from ddassess import errors
from ddassess.store import Credentials, UnlockRequired, create_store, open_store


@pytest.fixture
def closed_store(created, store_folder):
    recovery = created.recovery_key
    created.store.close()
    return store_folder, recovery


def _open_fails(folder, creds, error_type, *, message):
    before = file_digests(folder) if folder.exists() else {}
    with pytest.raises(error_type) as info:
        open_store(folder, creds)
    assert type(info.value) is error_type, f"expected exactly {error_type.__name__}, got {type(info.value).__name__}"
    assert message in str(info.value)
    after = file_digests(folder) if folder.exists() else {}
    assert after == before, "a failed open changed a store file"
    return info.value


def test_no_store(store_folder):
    _open_fails(store_folder, Credentials(passphrase=PASSPHRASE), errors.NoStoreError,
                message="There is no ddassess store")


def test_wrong_passphrase(closed_store):
    folder, _ = closed_store
    exc = _open_fails(folder, Credentials(passphrase="not the passphrase"), errors.WrongPassphraseError,
                      message="passphrase does not unlock")
    assert "recovery key" in str(exc)  # says what to do next


def test_wrong_recovery_key(closed_store, tmp_path):
    folder, _ = closed_store
    other = create_store(tmp_path / "other", PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF)
    other.store.close()
    _open_fails(folder, Credentials(recovery_key=other.recovery_key), errors.WrongRecoveryKeyError,
                message="belongs to another store")


def test_mistyped_recovery_key(closed_store):
    folder, recovery = closed_store
    typo = ("B" if recovery[0] != "B" else "C") + recovery[1:]
    _open_fails(folder, Credentials(recovery_key=typo), errors.MalformedRecoveryKeyError, message="mistyped character")
    _open_fails(folder, Credentials(recovery_key="hello"), errors.MalformedRecoveryKeyError,
                message="That is not a recovery key")


def test_recovery_key_is_forgiving_of_case_and_spacing(closed_store):
    folder, recovery = closed_store
    sloppy = recovery.lower().replace("-", " ")
    store = open_store(folder, Credentials(recovery_key=sloppy))
    assert store.unlocked_by == "recovery"
    store.close()


def test_plain_sqlite_database_is_not_a_store(store_folder):
    store_folder.mkdir(parents=True)
    conn = sqlite3.connect(store_folder / "ddassess.db")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    _open_fails(store_folder, Credentials(passphrase=PASSPHRASE), errors.NotAStoreError,
                message="ordinary SQLite database")


def test_random_file_without_key_file_is_not_a_store(store_folder):
    store_folder.mkdir(parents=True)
    (store_folder / "ddassess.db").write_bytes(b"\x8f" * 4096)
    _open_fails(store_folder, Credentials(passphrase=PASSPHRASE), errors.NotAStoreError, message="no key file")


def test_garbage_key_file_is_not_a_store(closed_store):
    folder, _ = closed_store
    (folder / "ddassess.keys.json").write_text("<html>not json</html>")
    _open_fails(folder, Credentials(passphrase=PASSPHRASE), errors.NotAStoreError,
                message="does not hold a ddassess store")


def test_key_file_from_a_newer_version(closed_store):
    folder, _ = closed_store
    path = folder / "ddassess.keys.json"
    data = json.loads(path.read_text())
    data["version"] = 99
    path.write_text(json.dumps(data))
    _open_fails(folder, Credentials(passphrase=PASSPHRASE), errors.StoreVersionError, message="newer version")


def test_store_from_a_newer_schema(tmp_path, store_folder):
    c = create_store(store_folder, PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF)
    conn = c.store.raw_connection()
    conn.execute("UPDATE alembic_version SET version_num = '0999'")
    conn.close()
    c.store.close()
    exc = _open_fails(store_folder, Credentials(passphrase=PASSPHRASE), errors.StoreVersionError,
                      message="written by a newer version of ddassess")
    assert "Nothing has been changed" in str(exc)


def test_corrupt_first_page(closed_store):
    folder, _ = closed_store
    db = folder / "ddassess.db"
    data = bytearray(db.read_bytes())
    for i in range(100, 200):  # inside page 1's ciphertext
        data[i] ^= 0xFF
    db.write_bytes(bytes(data))
    _open_fails(folder, Credentials(passphrase=PASSPHRASE), errors.CorruptStoreError,
                message="cannot be read with its own key")


def test_key_file_of_another_store(closed_store, tmp_path):
    folder, _ = closed_store
    other = create_store(tmp_path / "other", PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF)
    other.store.close()
    (folder / "ddassess.keys.json").write_bytes((tmp_path / "other" / "ddassess.keys.json").read_bytes())
    _open_fails(folder, Credentials(passphrase=PASSPHRASE), errors.CorruptStoreError, message="cannot be read")


def test_store_already_open_in_this_process(store, store_folder):
    with pytest.raises(errors.StoreLockedError, match="already open"):
        open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    # The first one is unharmed and still works.
    from ddassess.store.check import check_store

    assert check_store(store).ok


def test_store_already_open_in_another_process(closed_store, subprocess_env):
    folder, _ = closed_store
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from ddassess.store import open_store, Credentials
            s = open_store(Path({str(folder)!r}), Credentials(passphrase={PASSPHRASE!r}))
            print("open", flush=True)
            sys.stdin.readline()
            s.close()
        """)],
        env=subprocess_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        exc = _open_fails(folder, Credentials(passphrase=PASSPHRASE), errors.StoreLockedError, message="already open")
        assert f"pid {holder.pid}" in str(exc)
    finally:
        holder.communicate("\n", timeout=30)
    assert holder.returncode == 0
    open_store(folder, Credentials(passphrase=PASSPHRASE)).close()  # free again once it closed


def test_no_credentials_and_no_keyring_asks_for_passphrase(closed_store, monkeypatch):
    import keyring
    from keyring.backends import fail

    folder, _ = closed_store
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(UnlockRequired):
        open_store(folder, Credentials())
