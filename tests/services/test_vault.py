"""The use cases the client asks of services/vault.py instead of reaching into the store's
key file: checking a passphrase, the keyring, and opening with the recovery key."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

import pytest
from store_helpers import PASSPHRASE

from ddassess import keys
from ddassess.errors import KeyFileWriteError, WrongPassphraseError, WrongRecoveryKeyError
from ddassess.keys import key_file
from ddassess.services import vault
from ddassess.store import Credentials, open_store

if TYPE_CHECKING:
    from ddassess.store import Store


def _actions(store: Store) -> list[str]:
    conn = store.raw_connection()
    try:
        return [a for (a,) in conn.execute("SELECT action FROM audit_events ORDER BY seq")]
    finally:
        conn.close()


def test_check_passphrase_says_whether_it_unlocks_and_changes_nothing(store, store_folder):
    before = (store_folder / "ddassess.keys.json").read_bytes()
    assert vault.check_passphrase(store, PASSPHRASE)
    assert not vault.check_passphrase(store, PASSPHRASE + " ")
    assert (store_folder / "ddassess.keys.json").read_bytes() == before


def test_passphrase_change_problems_are_found_before_anything_is_tried():
    assert vault.passphrase_change_problem("", "", "") is None  # nothing asked
    assert "type the current one" in vault.passphrase_change_problem("", "a good new passphrase", "")
    assert vault.passphrase_change_problem("old", "a good new passphrase", "a good new phrase") == \
        "The two new passphrases differ."
    assert "too short" in vault.passphrase_change_problem("old", "short", "short")
    assert vault.passphrase_change_problem("old", "a good new passphrase", "a good new passphrase") is None


def test_use_keyring_turns_it_off_and_on_once_each(store):
    assert vault.keyring_in_use(store) and vault.keyring_offered(store)
    events = len(_actions(store))
    assert vault.use_keyring(store, True) is None  # already on: nothing happens
    assert len(_actions(store)) == events
    assert vault.use_keyring(store, False) is None
    assert not vault.keyring_in_use(store) and vault.keyring_offered(store)
    assert vault.use_keyring(store, True) is None and vault.keyring_in_use(store)
    assert _actions(store)[events:] == ["keyring-off", "keyring-on"]


def test_open_with_recovery_key_sets_the_new_passphrase(created, store_folder):
    created.store.close()
    with vault.open_with_recovery_key(store_folder, created.recovery_key, "a good new passphrase") as store:
        assert "passphrase-reset" in _actions(store)
    open_store(store_folder, Credentials(passphrase="a good new passphrase", use_keyring=False)).close()
    with pytest.raises(WrongRecoveryKeyError):
        vault.open_with_recovery_key(store_folder, keys.new_recovery_key(), "another new passphrase")


def test_open_with_recovery_key_holds_nothing_when_the_passphrase_cannot_be_set(created, store_folder):
    created.store.close()

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(key_file, "atomic_write", disk_full)
        with pytest.raises(KeyFileWriteError, match="could not be written"):
            vault.open_with_recovery_key(store_folder, created.recovery_key, "a good new passphrase")
    # closed again (its lock freed: another open succeeds), and the old passphrase still opens it
    open_store(store_folder, Credentials(passphrase=PASSPHRASE, use_keyring=False)).close()
    with pytest.raises(WrongPassphraseError):
        open_store(store_folder, Credentials(passphrase="a good new passphrase", use_keyring=False))
