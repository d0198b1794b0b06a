"""The OS keyring is a convenience, never a dependency, and never plaintext."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import keyring
import keyring.backends.fail
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


# --- only known OS keyrings: an allowlist, not a denylist --------------------------------

PLAIN_BACKEND = '''
import json
from pathlib import Path

from keyring.backend import KeyringBackend


class TinyFileKeyring(KeyringBackend):
    """A third-party backend of the kind that was accepted: it keeps secrets in clear."""

    priority = 10
    path = Path(__file__).with_name("tiny-keyring.json")

    def _all(self):
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get_password(self, service, username):
        return self._all().get(f"{service}/{username}")

    def set_password(self, service, username, password):
        self.path.write_text(json.dumps({**self._all(), f"{service}/{username}": password}))

    def delete_password(self, service, username):
        self.path.write_text(json.dumps({k: v for k, v in self._all().items() if k != f"{service}/{username}"}))
'''


@pytest.fixture
def tiny_plaintext(tmp_path, monkeypatch):
    """A plaintext backend from a module of its own (as a pip-installed one would be)."""
    folder = tmp_path / "thirdparty"
    folder.mkdir()
    (folder / "tiny_keyring.py").write_text(PLAIN_BACKEND)
    monkeypatch.syspath_prepend(str(folder))
    import importlib

    module = importlib.import_module("tiny_keyring")
    yield module.TinyFileKeyring, folder / "tiny-keyring.json", folder
    sys.modules.pop("tiny_keyring", None)


def test_an_unknown_plaintext_backend_is_refused(store_folder, tiny_plaintext):
    backend_class, secrets_file, _folder = tiny_plaintext
    keyring.set_keyring(backend_class())
    assert secure_keyring() is None
    assert "tiny_keyring.TinyFileKeyring is not a secure OS keyring" in keyring_description()
    c = _create(store_folder)
    assert not c.store.key_file.has_keyring
    assert not secrets_file.exists(), "the unwrap secret was written to a plaintext backend"
    with pytest.raises(UnlockRequired):
        open_store(store_folder, Credentials())


def test_a_backend_that_borrows_a_trusted_name_is_refused(tiny_plaintext):
    backend_class, _secrets_file, _folder = tiny_plaintext

    class Impostor(backend_class):
        pass

    Impostor.__module__, Impostor.__qualname__ = "keyring.backends.SecretService", "Keyring"
    keyring.set_keyring(Impostor())
    assert secure_keyring() is None
    assert "keyring.backends.SecretService.Keyring is not a secure OS keyring" in keyring_description()


def test_a_chainer_drops_the_unknown_backend(store_folder, tiny_plaintext, monkeypatch):
    from keyring.backends.chainer import ChainerBackend

    backend_class, secrets_file, _folder = tiny_plaintext
    secure = InMemoryKeyring()
    monkeypatch.setattr(ChainerBackend, "backends", property(lambda self: [backend_class(), secure]))
    keyring.set_keyring(ChainerBackend())
    assert secure_keyring() is secure
    c = _create(store_folder)
    assert c.store.key_file.has_keyring and not secrets_file.exists()


def test_store_info_says_why_the_keyring_was_refused(store_folder, tiny_plaintext, subprocess_env):
    """The real command, with the backend chosen the way a user's configuration chooses it."""
    _backend_class, secrets_file, folder = tiny_plaintext
    keyring.set_keyring(keyring.backends.fail.Keyring())
    _create(store_folder)
    env = dict(subprocess_env, PYTHON_KEYRING_BACKEND="tiny_keyring.TinyFileKeyring",
               PYTHONPATH=os.pathsep.join([str(folder), subprocess_env["PYTHONPATH"]]))
    out = subprocess.run([sys.executable, "-m", "ddassess", "store", "info"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "No secure system keyring is available" in out.stdout
    assert "tiny_keyring.TinyFileKeyring is not a secure OS keyring ddassess trusts" in out.stdout
    # ...and the product does not trust it either when asked to set a store up with it.
    env["DDASSESS_HOME"] = str(folder / "home")
    env["DDASSESS_PASSPHRASE"] = PASSPHRASE
    out = subprocess.run([sys.executable, "-m", "ddassess", "init", "--name", "Testy McTestface"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "not a secure OS keyring" in out.stdout
    assert not secrets_file.exists(), "init handed the unwrap secret to a plaintext backend"
