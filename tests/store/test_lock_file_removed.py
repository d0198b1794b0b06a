"""The lock holds when its file is deleted or replaced, and no process overwrites a key
file it did not read last.

Before: A held the store; the lock file was deleted (people delete "stale" lock files);
B ran `ddassess key rotate`, locking a new lock file; A closed and saved its in-memory key
file over B's. Neither the passphrase nor either recovery key opened the store again.
Real processes here: A is a child holding the store open, B the real `ddassess` command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from store_helpers import FAST_KDF, PASSPHRASE

from ddassess.errors import KeyFileChangedError, StoreLockedError
from ddassess.store import Credentials, open_store
from ddassess.store.lock import StoreLock

SUPPORT = Path(__file__).resolve().parent.parent / "support"


def _hold(store_folder, env):
    holder = subprocess.Popen([sys.executable, str(SUPPORT / "hold_store.py"), str(store_folder)], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = holder.stdout.readline()
    assert line.strip() == "ready", (line, holder.stderr.read() if holder.poll() is not None else "")
    return holder


@pytest.mark.parametrize("what", ["deleted", "replaced"])
def test_rotation_is_refused_while_another_process_holds_the_store(created, store_folder, subprocess_env, what):
    created.store.close()
    holder = _hold(store_folder, subprocess_env)
    try:
        lock_file = store_folder / "ddassess.lock"
        lock_file.unlink()
        if what == "replaced":
            lock_file.write_text("stale\n")
        rotate = subprocess.run([sys.executable, "-m", "ddassess", "key", "rotate"],
                                env={**subprocess_env, "DDASSESS_PASSPHRASE": PASSPHRASE},
                                capture_output=True, text=True, timeout=120)
        assert rotate.returncode == 7, rotate.stderr
        assert "already open" in rotate.stderr
        assert "does not unlock the store" in rotate.stderr  # no invitation to delete the lock file
        assert "RECOVERY KEY" not in rotate.stdout
    finally:
        holder.stdin.write("close\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "closed"
        holder.wait(timeout=60)
    for creds in (Credentials(passphrase=PASSPHRASE), Credentials(recovery_key=created.recovery_key)):
        open_store(store_folder, Credentials(use_keyring=False, passphrase=creds.passphrase,
                                             recovery_key=creds.recovery_key)).close()


def test_a_second_lock_in_this_process_is_refused_after_the_file_is_deleted(created, store_folder):
    (store_folder / "ddassess.lock").unlink()
    with pytest.raises(StoreLockedError, match="already open"):
        StoreLock(store_folder).acquire()


def test_a_key_file_changed_by_another_program_is_not_overwritten(created, store_folder):
    """A key file put back from a backup while the store is open stays as it was put back:
    this process refuses to write over it, and closing does not write over it either."""
    store = created.store
    key_path = store_folder / "ddassess.keys.json"
    restored = key_path.read_bytes()
    store.change_passphrase(PASSPHRASE, "a second passphrase for Testy", kdf=FAST_KDF)
    key_path.write_bytes(restored)  # as a restore from a backup, or another process, would
    with pytest.raises(KeyFileChangedError, match="was not overwritten") as exc:
        store.set_keyring(False)
    assert exc.value.exit_code == 7
    store.close()
    assert key_path.read_bytes() == restored
    assert os.stat(key_path).st_size == len(restored)
    open_store(store_folder, Credentials(passphrase=PASSPHRASE, use_keyring=False)).close()
