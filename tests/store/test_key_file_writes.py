"""A key-file write that fails changes nothing, now or at the next save.

Before, a passphrase change or a recovery-key replacement changed the key file in memory
first; when its write failed (a full disk) the next save — closing, locking — wrote it
anyway: the old passphrase, or every recovery key, stopped working. Two ways to fail the
write: a real full filesystem (a small tmpfs, where this machine lets the test mount one)
and an OSError raised at the write itself.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
from pathlib import Path

import pytest
from store_helpers import FAST_KDF, PASSPHRASE, PRACTITIONER

from ddassess.errors import KeyFileWriteError, WrongPassphraseError, WrongRecoveryKeyError
from ddassess.keys import key_file as key_file_module
from ddassess.store import Credentials, create_store, open_store

NEW_PASSPHRASE = "a brand new passphrase for Testy"


def _opens(folder: Path, **creds: str) -> bool:
    try:
        open_store(folder, Credentials(use_keyring=False, **creds)).close()
    except (WrongPassphraseError, WrongRecoveryKeyError):
        return False
    return True


@pytest.fixture
def disk():
    """``disk.setattr(...)`` via ``_fail_writes``; ``disk.undo()`` frees it (a MonkeyPatch of
    its own, so undoing it leaves the test's environment — data folder, keyring — alone)."""
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()


def _fail_writes(disk: pytest.MonkeyPatch) -> None:
    """Every key-file write fails, as on a full disk, until ``disk.undo()``."""

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    disk.setattr(key_file_module, "atomic_write", disk_full)


def test_a_failed_passphrase_change_is_not_saved_later(created, store_folder, disk):
    store = created.store
    before = (store_folder / "ddassess.keys.json").read_bytes()
    _fail_writes(disk)
    with pytest.raises(KeyFileWriteError, match="nothing was changed"):
        store.change_passphrase(PASSPHRASE, NEW_PASSPHRASE, kdf=FAST_KDF)
    assert (store_folder / "ddassess.keys.json").read_bytes() == before
    disk.undo()
    store.close()  # a save (the audit anchor) that must not carry the failed change
    assert _opens(store_folder, passphrase=PASSPHRASE)
    assert not _opens(store_folder, passphrase=NEW_PASSPHRASE)


def test_a_failed_recovery_key_replacement_is_not_saved_later(created, store_folder, disk):
    store = created.store
    _fail_writes(disk)
    with pytest.raises(KeyFileWriteError, match="nothing was changed"):
        store.start_new_recovery_key(PASSPHRASE)
    disk.undo()
    store.close()
    assert _opens(store_folder, recovery_key=created.recovery_key)


def test_a_failed_keyring_change_is_not_saved_later(created, store_folder, disk):
    store = created.store
    _fail_writes(disk)
    with pytest.raises(KeyFileWriteError):
        store.set_keyring(False)
    disk.undo()
    assert store.key_file.has_keyring
    store.close()
    s = open_store(store_folder, Credentials())  # the keyring still unlocks
    assert s.unlocked_by == "keyring"
    s.close()


# --- a real full disk ------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path):
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m,mode=0700", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"this machine refuses to mount a tmpfs here ({done.stderr.strip() or done.returncode}); "
                    "the injected-OSError tests above cover the same path")
    yield mount_point
    if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)  # a failed test left a file open


def _fill(folder: Path) -> Path:
    """Write zeros until the filesystem has no byte left (unbuffered, so none is pending)."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 512, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    return filler


@pytest.mark.parametrize("change", ["passphrase", "recovery key"])
def test_on_a_full_disk_nothing_changes_now_or_at_close(small_disk, change):
    folder = small_disk / "store"
    made = create_store(folder, PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF, use_keyring=False)
    store = made.store
    key_file = folder / "ddassess.keys.json"
    before = json.loads(key_file.read_text())
    filler = _fill(small_disk)
    with pytest.raises(KeyFileWriteError, match="nothing was changed"):
        if change == "passphrase":
            store.change_passphrase(PASSPHRASE, NEW_PASSPHRASE, kdf=FAST_KDF)
        else:
            store.start_new_recovery_key(PASSPHRASE)
    assert json.loads(key_file.read_text()) == before
    assert not list(folder.glob(".ddassess.keys.json.*.tmp"))  # no half-written copy left
    filler.unlink()  # space again: closing saves the key file (its audit anchor)
    store.close()
    assert json.loads(key_file.read_text())["wraps"] == before["wraps"]
    assert _opens(folder, passphrase=PASSPHRASE)
    assert not _opens(folder, passphrase=NEW_PASSPHRASE)
    assert _opens(folder, recovery_key=made.recovery_key)


def test_a_rotation_whose_first_write_fails_changes_nothing(created, store_folder, memory_keyring, disk):
    store = created.store
    entries_before = dict(memory_keyring.secrets)
    key_before = (store_folder / "ddassess.keys.json").read_bytes()
    _fail_writes(disk)
    with pytest.raises(KeyFileWriteError, match="nothing was changed"):
        store.rotate_key(PASSPHRASE, kdf=FAST_KDF)
    disk.undo()
    assert store.key_file.pending is None
    assert dict(memory_keyring.secrets) == entries_before  # no keyring entry that nothing names
    assert (store_folder / "ddassess.keys.json").read_bytes() == key_before
    store.close()
    s = open_store(store_folder, Credentials())
    assert s.unlocked_by == "keyring"
    s.close()
    assert _opens(store_folder, recovery_key=created.recovery_key)
