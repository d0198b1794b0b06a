"""Opening tidies the store folder: leftovers of killed writes go, permissions tighten.

Only the process holding the lock tidies, and only once the store has opened: a failed
open (here: already open elsewhere, or a wrong passphrase) changes no file.
"""

from __future__ import annotations

import os
import stat

import pytest
from store_helpers import PASSPHRASE

from ddassess.errors import StoreLockedError, WrongPassphraseError
from ddassess.store import Credentials, open_store
from ddassess.store.lock import StoreLock

LEFTOVERS = (".ddassess.keys.json.1a2b3c4d.tmp", ".ddassess.db.rekey", ".ddassess.db.rekey-journal",
             ".ddassess.db.rekey-wal", ".ddassess.db.rekey-shm")


def _leave_leftovers(folder):
    for name in LEFTOVERS:
        (folder / name).write_bytes(b"\x00" * 64)  # as a killed write leaves them


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_leftovers_of_killed_writes_are_removed_on_open(created, store_folder):
    created.store.close()
    _leave_leftovers(store_folder)
    open_store(store_folder, Credentials(passphrase=PASSPHRASE)).close()
    assert not [n for n in LEFTOVERS if (store_folder / n).exists()]


@pytest.mark.parametrize("failure", ["already open", "wrong passphrase"])
def test_a_failed_open_leaves_every_file_alone(created, store_folder, failure):
    created.store.close()
    _leave_leftovers(store_folder)
    os.chmod(store_folder / "ddassess.db", 0o644)
    if failure == "already open":
        with StoreLock(store_folder), pytest.raises(StoreLockedError):
            open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    else:
        with pytest.raises(WrongPassphraseError):
            open_store(store_folder, Credentials(passphrase="not the passphrase at all", use_keyring=False))
    assert all((store_folder / n).exists() for n in LEFTOVERS)
    assert _mode(store_folder / "ddassess.db") == 0o644


def test_a_copied_in_store_gets_private_permissions_on_open(created, store_folder):
    created.store.close()
    backup = store_folder / "backups" / "20260101T000000Z-before-upgrade-from-0001"
    backup.mkdir(parents=True)
    (backup / "ddassess.db").write_bytes(b"\x00" * 64)
    for path in [store_folder, store_folder / "backups", backup]:
        os.chmod(path, 0o755)
    for path in [*store_folder.iterdir(), backup / "ddassess.db"]:
        if path.is_file():
            os.chmod(path, 0o644)  # as `cp -r` or an unpacked archive leaves them
    store = open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    try:
        assert _mode(store_folder) == 0o700
        for path in [store_folder / "backups", backup]:
            assert _mode(path) == 0o700, path
        for path in [*store_folder.iterdir(), backup / "ddassess.db"]:
            if path.is_file():
                assert _mode(path) == 0o600, path
    finally:
        store.close()
