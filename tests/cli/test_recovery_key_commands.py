"""`ddassess recovery-key renew`, and the notice at unlock when a new recovery key was
made but never confirmed (an interrupted rotation or renewal)."""

from __future__ import annotations

import re

import pytest
from store_helpers import PASSPHRASE

from ddassess.cli import main
from ddassess.errors import WrongRecoveryKeyError
from ddassess.keys import KEY_FILE_NAME, KeyFile

RECOVERY = re.compile(r"^\s+([A-Z2-7]{4}(?:-[A-Z2-7]{4}){6})$", re.M)


@pytest.fixture
def initialised(data_home, monkeypatch, capsys):
    monkeypatch.setenv("DDASSESS_PASSPHRASE", PASSPHRASE)
    assert main(["init", "--name", "Testy McTestface", "--no-keyring"]) == 0
    return RECOVERY.search(capsys.readouterr().out).group(1)


def _key_file(data_home) -> KeyFile:
    return KeyFile.load(data_home / "store" / KEY_FILE_NAME)


def test_renew_prints_a_new_key_and_retires_the_old(initialised, data_home, capsys):
    assert main(["recovery-key", "renew"]) == 0
    new = RECOVERY.search(capsys.readouterr().out).group(1)
    assert new != initialised
    key_file = _key_file(data_home)
    key_file.unlock_with_recovery_key(new)
    with pytest.raises(WrongRecoveryKeyError):
        key_file.unlock_with_recovery_key(initialised)
    assert not key_file.recovery_key_unconfirmed


def test_renew_needs_the_passphrase(initialised, monkeypatch, capsys):
    monkeypatch.setenv("DDASSESS_PASSPHRASE", "not the passphrase at all")
    assert main(["recovery-key", "renew"]) == 9
    assert "RECOVERY KEY" not in capsys.readouterr().out


def test_an_unconfirmed_recovery_key_is_told_at_unlock_until_renewed(initialised, data_home, capsys):
    """A renewal (or rotation) stopped after writing the new key but before confirming it:
    both keys work, every unlock says a new one is needed, and renew ends it."""
    from ddassess.store import Credentials, open_store

    with open_store(data_home / "store", Credentials(passphrase=PASSPHRASE)) as store:
        unconfirmed = store.start_new_recovery_key(PASSPHRASE)  # and then the process stopped
    assert main(["unlock-test", "--passphrase"]) == 0
    assert "recovery-key renew" in capsys.readouterr().err
    assert main(["store", "info"]) == 0
    assert "previous recovery key also still works" in capsys.readouterr().out
    for key in (initialised, unconfirmed):
        _key_file(data_home).unlock_with_recovery_key(key)
    assert main(["recovery-key", "renew"]) == 0
    new = RECOVERY.search(capsys.readouterr().out).group(1)
    for key in (initialised, unconfirmed):
        with pytest.raises(WrongRecoveryKeyError):
            _key_file(data_home).unlock_with_recovery_key(key)
    _key_file(data_home).unlock_with_recovery_key(new)
    assert main(["unlock-test", "--passphrase"]) == 0
    assert "recovery-key renew" not in capsys.readouterr().err


def test_init_shows_the_recovery_key_even_when_the_test_unlock_fails(data_home, monkeypatch, capsys):
    """The store exists once create_store returns; if the test-unlock then fails, its
    recovery key must already be on screen, or it is lost with the error."""
    import ddassess.store
    from ddassess.errors import CorruptStoreError

    def test_unlock_fails(*_args, **_kwargs):
        raise CorruptStoreError("The store file could not be read back (as a failing disk would do).")

    monkeypatch.setenv("DDASSESS_PASSPHRASE", PASSPHRASE)
    with monkeypatch.context() as patch:
        patch.setattr(ddassess.store, "open_store", test_unlock_fails)
        assert main(["init", "--name", "Testy McTestface", "--no-keyring"]) == 6
    shown = RECOVERY.search(capsys.readouterr().out)
    assert shown
    _key_file(data_home).unlock_with_recovery_key(shown.group(1))  # the key shown is the store's
