"""The OS keyring is a convenience, never a dependency, and never plaintext."""

from __future__ import annotations

import logging

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring
from memory_keyring import InMemoryKeyring, LockedKeyring, RaisingKeyring
from store_helpers import FAST_KDF, PASSPHRASE, PRACTITIONER

from ddassess.keys import KEYRING_SERVICE, keyring_account, keyring_description, secure_keyring
from ddassess.store import Credentials, UnlockRequired, create_store, open_store


def _create(folder, **kw):
    c = create_store(folder, PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF, **kw)
    c.store.close()
    return c


def test_real_keyring_unlocks_without_passphrase(store_folder, memory_keyring):
    c = _create(store_folder)
    assert c.store.key_file.has_keyring
    secret = memory_keyring.secrets[(KEYRING_SERVICE, keyring_account(c.store.store_id))]
    assert len(secret) == 44  # a base64 wrapping key, not the database key or the passphrase
    assert PASSPHRASE not in secret
    store = open_store(store_folder, Credentials())
    assert store.unlocked_by == "keyring"
    store.close()
    # The passphrase keeps working beside it.
    store = open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    assert store.unlocked_by == "passphrase"
    store.close()


def test_keyring_can_be_declined(store_folder, memory_keyring):
    c = _create(store_folder, use_keyring=False)
    assert not c.store.key_file.has_keyring
    assert memory_keyring.secrets == {}
    with pytest.raises(UnlockRequired):
        open_store(store_folder, Credentials())


def test_no_keyring_falls_back_to_passphrase(store_folder):
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    assert secure_keyring() is None
    assert "ask for your passphrase" in keyring_description()
    c = _create(store_folder)
    assert not c.store.key_file.has_keyring
    with pytest.raises(UnlockRequired):
        open_store(store_folder, Credentials())
    open_store(store_folder, Credentials(passphrase=PASSPHRASE)).close()


def test_plaintext_keyring_is_treated_as_none(store_folder, tmp_path, monkeypatch):
    plaintext = PlaintextKeyring()
    monkeypatch.setattr(PlaintextKeyring, "file_path", str(tmp_path / "keyring_pass.cfg"), raising=False)
    keyring.set_keyring(plaintext)
    assert secure_keyring() is None
    c = _create(store_folder)
    assert not c.store.key_file.has_keyring
    assert not (tmp_path / "keyring_pass.cfg").exists(), "a secret was written to a plaintext keyring file"
    with pytest.raises(UnlockRequired):
        open_store(store_folder, Credentials())


@pytest.fixture
def chained(tmp_path, monkeypatch):
    """keyring's chainer over a real (here in-memory) keyring and keyrings.alt's plaintext file."""
    from keyring.backends.chainer import ChainerBackend

    secure, plaintext = InMemoryKeyring(), PlaintextKeyring()
    plain_file = tmp_path / "keyring_pass.cfg"
    monkeypatch.setattr(PlaintextKeyring, "file_path", str(plain_file), raising=False)
    members = [plaintext, secure]  # plaintext first: the worst order for us
    monkeypatch.setattr(ChainerBackend, "backends", property(lambda self: members))
    keyring.set_keyring(ChainerBackend())
    return secure, plaintext, plain_file, members


def test_chainer_uses_only_its_secure_members(store_folder, chained):
    secure, _plaintext, plain_file, _members = chained
    assert secure_keyring() is secure
    assert "InMemoryKeyring" in keyring_description()
    c = _create(store_folder)
    assert c.store.key_file.has_keyring
    assert (KEYRING_SERVICE, keyring_account(c.store.store_id)) in secure.secrets
    assert not plain_file.exists(), "a secret was written to the plaintext keyring file"
    store = open_store(store_folder, Credentials())
    assert store.unlocked_by == "keyring"
    store.set_keyring(False)
    store.close()
    assert secure.secrets == {}
    assert not plain_file.exists()


def test_chainer_of_only_insecure_members_is_none(chained):
    from keyring.backends import fail

    _secure, plaintext, _plain_file, members = chained
    members[:] = [plaintext, fail.Keyring()]
    assert secure_keyring() is None


@pytest.mark.parametrize("broken", [LockedKeyring, RaisingKeyring])
def test_failing_keyring_falls_back_to_passphrase(store_folder, broken, caplog):
    c = _create(store_folder)  # made while the in-memory keyring worked
    assert c.store.key_file.has_keyring
    keyring.set_keyring(broken())
    with caplog.at_level(logging.WARNING, logger="ddassess.keys"):
        with pytest.raises(UnlockRequired):
            open_store(store_folder, Credentials())
    assert "asking for the passphrase" in caplog.text
    assert PASSPHRASE not in caplog.text
    store = open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    assert store.unlocked_by == "passphrase"
    store.close()


@pytest.mark.parametrize("broken", [LockedKeyring, RaisingKeyring])
def test_failing_keyring_at_setup_still_creates_a_store(store_folder, broken):
    keyring.set_keyring(broken())
    c = _create(store_folder)
    assert not c.store.key_file.has_keyring
    open_store(store_folder, Credentials(passphrase=PASSPHRASE)).close()


def test_keyring_entry_lost_or_damaged(store_folder, memory_keyring):
    c = _create(store_folder)
    account = (KEYRING_SERVICE, keyring_account(c.store.store_id))
    memory_keyring.secrets[account] = "not base64 at all!"
    with pytest.raises(UnlockRequired):
        open_store(store_folder, Credentials())
    memory_keyring.secrets[account] = "QUJD" * 11  # valid base64, wrong key
    with pytest.raises(UnlockRequired):
        open_store(store_folder, Credentials())
    del memory_keyring.secrets[account]
    with pytest.raises(UnlockRequired):
        open_store(store_folder, Credentials())
    open_store(store_folder, Credentials(passphrase=PASSPHRASE)).close()


def test_keyring_can_be_turned_off_and_on_again(store, store_folder, memory_keyring):
    account = (KEYRING_SERVICE, keyring_account(store.store_id))
    assert account in memory_keyring.secrets
    assert store.set_keyring(False) is False
    assert account not in memory_keyring.secrets
    store.close()
    with pytest.raises(UnlockRequired):
        open_store(store_folder, Credentials())
    s = open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    assert s.set_keyring(True) is True
    s.close()
    s = open_store(store_folder, Credentials())
    assert s.unlocked_by == "keyring"
    s.close()


def test_turning_keyring_on_without_a_secure_keyring_says_no(store, store_folder):
    from keyring.backends import fail

    store.set_keyring(False)
    keyring.set_keyring(fail.Keyring())
    assert store.set_keyring(True) is False
    assert not store.key_file.has_keyring
