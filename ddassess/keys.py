"""The database key and the three ways it is wrapped.

A store is encrypted with a random 256-bit database key that nobody types. That key is
kept only *wrapped* (AES-256-GCM) in a non-secret key file beside the store
(``ddassess.keys.json``), by up to three wrapping keys:

* ``passphrase`` — derived from the practitioner's passphrase with argon2id; always
  present, so a passphrase always works;
* ``recovery`` — derived with HKDF from a printable recovery key shown once at set-up;
* ``keyring`` — a random key kept in the OS keyring, for passwordless unlock on a trusted
  laptop; only when the keyring is a real OS keyring (never keyrings.alt's plaintext
  files, never the null/fail backends).

Changing the passphrase re-wraps the database key and leaves the store untouched. GCM's
tag tells a wrong passphrase from a right one, so a store that then fails to decrypt
is corrupt, not locked with another passphrase. Each wrap authenticates the store id and
its own name as associated data, so wraps cannot be moved between stores or slots.

This is the only module that imports ``keyring``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import logging
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ddassess import keyfile
from ddassess.errors import (
    DdassessError,
    KeyFileChangedError,
    KeyFileWriteError,
    MalformedRecoveryKeyError,
    NotAStoreError,
    StoreAccessError,
    WeakPassphraseError,
    WrongPassphraseError,
    WrongRecoveryKeyError,
)
from ddassess.fileio import atomic_write
from ddassess.fileio import NotARegularFile, read_head

log = logging.getLogger(__name__)

KEY_FILE_NAME = "ddassess.keys.json"
KEY_FILE_FORMAT = "ddassess-key-file"
KEY_FILE_VERSION = keyfile.KEY_FILE_VERSION
MAX_KEY_FILE_BYTES = 1 << 20  # a real one is under 2 KB
KEYRING_SERVICE = "ddassess"
MIN_PASSPHRASE_LENGTH = 10

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass(frozen=True)
class KdfParams:
    """argon2id cost; stored beside each passphrase wrap so it can be raised later."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4

    def to_dict(self) -> dict[str, int]:
        return {"t": self.time_cost, "m": self.memory_kib, "p": self.parallelism}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> KdfParams:
        return cls(time_cost=int(d["t"]), memory_kib=int(d["m"]), parallelism=int(d["p"]))


def new_database_key() -> bytes:
    return secrets.token_bytes(32)


def passphrase_problem(passphrase: str) -> str | None:
    """Why a new passphrase is refused, or None. Checked at set-up and on change."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        return (
            f"The passphrase is too short: use at least {MIN_PASSPHRASE_LENGTH} characters "
            "(a few unrelated words are easy to remember and hard to guess)."
        )
    if len(set(passphrase)) < 4:
        return "The passphrase repeats too few characters to be safe: choose another."
    if passphrase != passphrase.strip():
        return "The passphrase starts or ends with a space, which is easy to lose: remove it."
    return None


def check_new_passphrase(passphrase: str) -> None:
    problem = passphrase_problem(passphrase)
    if problem:
        raise WeakPassphraseError(problem)


# --- recovery keys -------------------------------------------------------------------


def _b32encode(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _luhn_mod32(text: str) -> str:
    """Luhn mod N check character: catches every single mistyped character and most swaps."""
    factor, total = 2, 0
    for ch in reversed(text):
        addend = factor * _B32.index(ch)
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return _B32[(32 - total % 32) % 32]


def format_recovery_key(raw: bytes) -> str:
    """16 secret bytes as 26 base32 characters, a hash character and a Luhn check character."""
    body = _b32encode(raw) + _b32encode(hashlib.sha256(raw).digest())[0]
    body += _luhn_mod32(body)
    return "-".join(body[i : i + 4] for i in range(0, len(body), 4))


def new_recovery_key() -> str:
    return format_recovery_key(secrets.token_bytes(16))


def parse_recovery_key(text: str) -> bytes:
    """The 16 secret bytes of a typed recovery key; forgiving of case, spaces and dashes."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t\n")
    cleaned = cleaned.translate(str.maketrans({"0": "O", "1": "I", "8": "B"}))
    if len(cleaned) != 28 or any(ch not in _B32 for ch in cleaned):
        raise MalformedRecoveryKeyError(
            "That is not a recovery key: it has 28 letters and digits in groups of four, "
            "like ABCD-EFGH-…; check what was typed."
        )
    raw = base64.b32decode(cleaned[:26] + "======")
    if _luhn_mod32(cleaned[:27]) != cleaned[27] or _b32encode(hashlib.sha256(raw).digest())[0] != cleaned[26]:
        raise MalformedRecoveryKeyError(
            "The recovery key has a mistyped character (its check letters do not match): "
            "compare it with the printed copy."
        )
    return raw


# --- wrapping ------------------------------------------------------------------------


def _aad(store_id: str, slot: str) -> bytes:
    return f"ddassess:{store_id}:{slot}".encode()


def _wrap(wrapping_key: bytes, db_key: bytes, store_id: str, slot: str) -> dict[str, str]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    sealed = AESGCM(wrapping_key).encrypt(nonce, db_key, _aad(store_id, slot))
    return {"nonce": _b64(nonce), "ciphertext": _b64(sealed)}


def _unwrap(wrapping_key: bytes, wrap: dict[str, Any], store_id: str, slot: str) -> bytes | None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(wrapping_key).decrypt(
            _unb64(wrap["nonce"]), _unb64(wrap["ciphertext"]), _aad(store_id, slot)
        )
    except InvalidTag:
        return None


def derive_passphrase_key(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(
        passphrase.encode("utf-8"),
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def _derive_recovery_key(raw: bytes, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(hashes.SHA256(), 32, salt, b"ddassess recovery wrap v1").derive(raw)


# --- the key file --------------------------------------------------------------------


@dataclass(frozen=True)
class UnwrappedKey:
    """A database key and whether it came from the pending wraps of an unfinished rotation."""

    key: bytes
    pending: bool = False



@dataclass
class KeyFile:
    """The non-secret key file: store id, KDF parameters and the wrapped database key."""

    path: Path
    store_id: str
    wraps: dict[str, dict[str, Any]]
    pending: dict[str, dict[str, Any]] | None = None  # wraps of a new key during rotation
    created_at: str = ""
    # (seq, hash) of the audit trail's newest event at the last unlock or clean close:
    # the store's audit chain must still contain it (store/audit.py). Not a secret.
    audit_anchor: dict[str, Any] | None = None
    # A finished rotation's way back for the recovery key the user already has, kept until
    # a new recovery key is confirmed (store/rekey.py): {"recovery": old key's recovery
    # wrap, "chain": [wraps of each newer database key by the one before it]}.
    retiring: dict[str, Any] | None = None
    # What this process last read from or wrote to disk (to_dict form): save() refuses to
    # replace a key file that has changed since (another process wrote it).
    _on_disk: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._on_disk = copy.deepcopy(self.to_dict())

    # reading and writing -----------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> KeyFile:
        """Read and check the key file; every field is checked before any is used (keyfile.py)."""
        data = _read_key_file(path)
        if not isinstance(data, dict) or data.get("format") != KEY_FILE_FORMAT:
            raise NotAStoreError(
                f"{path} is not a ddassess key file, so {path.parent} is not a ddassess store.",
                hint="Choose the folder of your store.",
            )
        keyfile.check_version(data, path)
        keyfile.check_fields(data, path)
        return cls(
            path=path,
            store_id=data["store_id"],
            wraps=dict(data["wraps"]),
            pending=data.get("pending") or None,
            created_at=data.get("created_at") or "",
            audit_anchor=data.get("audit_anchor"),
            retiring=data.get("retiring") or None,
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "format": KEY_FILE_FORMAT,
            "version": KEY_FILE_VERSION,
            "store_id": self.store_id,
            "created_at": self.created_at,
            "cipher": "SQLCipher 4, raw 256-bit key",
            "wraps": self.wraps,
        }
        if self.pending:
            d["pending"] = self.pending
        if self.audit_anchor:
            d["audit_anchor"] = self.audit_anchor
        if self.retiring:
            d["retiring"] = self.retiring
        return d

    def anchor(self) -> tuple[int, str] | None:
        """The audit anchor as (seq, hash); a malformed one counts as (0, '') and fails the check."""
        if not self.audit_anchor:
            return None
        try:
            return int(self.audit_anchor["seq"]), str(self.audit_anchor["hash"])
        except (KeyError, TypeError, ValueError):
            return 0, ""

    def save(self) -> None:
        """Write this key file as it is in memory (see ``commit``)."""
        self.commit()

    def commit(self, **changes: Any) -> None:
        """Write the key file with ``changes`` applied, and only then adopt them.

        Memory and disk change together or not at all: a write that fails (a full disk,
        an I/O error) raises ``KeyFileWriteError`` and leaves this object as it was, so a
        later save cannot persist half of a passphrase change or recovery-key replacement.
        A key file that another process has changed since this one last read or wrote it
        is never replaced (``KeyFileChangedError``).
        """
        trial = copy.copy(self)
        for name, value in changes.items():
            if not hasattr(self, name) or name.startswith("_"):
                raise AttributeError(name)
            setattr(trial, name, value)
        data = copy.deepcopy(trial.to_dict())
        self._refuse_if_changed_on_disk()
        try:
            atomic_write(self.path, json.dumps(data, indent=2).encode("utf-8"))
        except OSError as exc:
            log.warning("key file not written: %s", exc.__class__.__name__)
            raise KeyFileWriteError(
                f"The key file {self.path.name} could not be written ({exc.strerror or exc.__class__.__name__}): "
                "nothing was changed — the passphrase and recovery key that worked before still work.",
                hint="Free some disk space (or fix the disk) and try again.",
            ) from None
        for name, value in changes.items():
            setattr(self, name, value)
        self._on_disk = data

    def _refuse_if_changed_on_disk(self) -> None:
        if not self.path.exists():
            return  # nothing to overwrite: a new store, or a key file deleted under us
        try:
            current: dict[str, Any] | None = KeyFile.load(self.path).to_dict()
        except DdassessError:
            current = None  # unreadable now: not what this process read, so not ours to replace
        if current != self._on_disk:
            log.warning("key file changed on disk by another process; not replaced")
            raise KeyFileChangedError(
                f"The key file {self.path.name} in {self.path.parent} was changed by another program "
                "while this one had the store open, so it was not overwritten: nothing was changed.",
                hint="Close ddassess everywhere it runs on this store, then open it again.",
            )

    # unwrapping --------------------------------------------------------------------

    def _unwrap_any(self, slot: str, wrapping_key_for: Callable[[dict[str, Any]], bytes | None]) -> list[UnwrappedKey]:
        """Every database key this slot opens: the current one first, then a pending one."""
        keys = []
        for pending, wraps in ((False, self.wraps), (True, self.pending or {})):
            wrap = wraps.get(slot)
            if wrap:
                wrapping_key = wrapping_key_for(wrap)
                key = _unwrap(wrapping_key, wrap, self.store_id, slot) if wrapping_key else None
                if key is not None:
                    keys.append(UnwrappedKey(key, pending))
        return keys

    def unlock_with_passphrase(self, passphrase: str) -> list[UnwrappedKey]:
        def wk(wrap: dict[str, Any]) -> bytes:
            return derive_passphrase_key(passphrase, _unb64(wrap["salt"]), KdfParams.from_dict(wrap["kdf"]))

        keys = self._unwrap_any("passphrase", wk)
        if not keys:
            raise WrongPassphraseError(
                "That passphrase does not unlock this store.",
                hint="Check Caps Lock and the keyboard layout and try again, or use the recovery key.",
            )
        return keys

    def unlock_with_recovery_key(self, recovery_key: str) -> list[UnwrappedKey]:
        """Every database key this recovery key leads to: through its own wrap (current,
        pending or retiring), then along each rotation's chain to the newer keys."""
        raw = parse_recovery_key(recovery_key)

        def wk(wrap: dict[str, Any]) -> bytes:
            return _derive_recovery_key(raw, _unb64(wrap["salt"]))

        keys = self._unwrap_any("recovery", wk)
        for wrap in self._retiring_list("recovery"):
            key = _unwrap(wk(wrap), wrap, self.store_id, "recovery")
            if key is not None:
                keys.append(UnwrappedKey(key))
        keys = self._follow_chains(keys)
        if not keys:
            raise WrongRecoveryKeyError(
                "That recovery key is well formed but belongs to another store or an earlier key.",
                hint="Use the recovery key printed when this store was set up or last re-keyed.",
            )
        return keys

    def _follow_chains(self, keys: list[UnwrappedKey]) -> list[UnwrappedKey]:
        """``keys`` and every newer key a rotation's chain wrap leads to from them.

        A rotation wraps its new database key with the old one (``chain``), so a recovery
        key the user already has keeps working until the new one is confirmed (rekey.py).
        """
        links = [(False, w) for w in self._retiring_list("chain")]
        pending_chain = (self.pending or {}).get("chain")
        if isinstance(pending_chain, dict):
            links.append((True, pending_chain))
        found = list(keys)
        grew = True
        while grew:
            grew = False
            for pending, wrap in links:
                for known in list(found):
                    key = _unwrap(known.key, wrap, self.store_id, "chain")
                    if key is not None and all(key != f.key for f in found):
                        found.append(UnwrappedKey(key, pending or known.pending))
                        grew = True
        return found

    def unlock_with_keyring(self) -> list[UnwrappedKey] | None:
        """Keys opened through the OS keyring, or None when the keyring cannot help."""
        if "keyring" not in self.wraps and "keyring" not in (self.pending or {}):
            return None
        # Each keyring wrap names its own keyring entry (account): a rotation's pending
        # wrap uses a new entry, so the current wrap's secret stays until it is replaced.
        keys = self._unwrap_any("keyring", lambda w: keyring_get(self.store_id, _wrap_account(self.store_id, w)))
        return keys or None

    # wrapping ----------------------------------------------------------------------

    def wrap_all(
        self,
        db_key: bytes,
        passphrase: str,
        recovery_key: str | None,
        use_keyring: bool,
        kdf: KdfParams,
        keyring_account_name: str | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Fresh wraps of ``db_key`` for each way in; keeps no secret in this object.

        ``keyring_account_name`` puts the keyring secret under another entry than the
        store's usual one (a rotation's pending wraps must not overwrite the current secret).
        """
        wraps = {"passphrase": self.passphrase_wrap(db_key, passphrase, kdf)}
        if recovery_key is not None:
            wraps["recovery"] = self.recovery_wrap(db_key, recovery_key)
        if use_keyring:
            wrap = self._keyring_wrap(db_key, keyring_account_name)
            if wrap:
                wraps["keyring"] = wrap
        return wraps

    def recovery_wrap(self, db_key: bytes, recovery_key: str) -> dict[str, Any]:
        salt = secrets.token_bytes(16)
        wrapping_key = _derive_recovery_key(parse_recovery_key(recovery_key), salt)
        return {"kdf_name": "hkdf-sha256", "salt": _b64(salt),
                **_wrap(wrapping_key, db_key, self.store_id, "recovery")}

    def _keyring_wrap(self, db_key: bytes, account: str | None = None) -> dict[str, Any] | None:
        """A fresh keyring secret stored in the OS keyring, and the key wrapped by it."""
        secret = secrets.token_bytes(32)
        account = account or keyring_account(self.store_id)
        if not keyring_set(self.store_id, secret, account):
            return None
        return {"service": KEYRING_SERVICE, "account": account,
                **_wrap(secret, db_key, self.store_id, "keyring")}

    def keyring_accounts(self, *, pending: bool = False) -> set[str]:
        """The keyring entries the current (or pending) wraps rely on."""
        wrap = ((self.pending or {}) if pending else self.wraps).get("keyring")
        return {_wrap_account(self.store_id, wrap)} if wrap else set()

    def passphrase_wrap(self, db_key: bytes, passphrase: str, kdf: KdfParams) -> dict[str, Any]:
        salt = secrets.token_bytes(16)
        return {
            "kdf_name": "argon2id",
            "kdf": kdf.to_dict(),
            "salt": _b64(salt),
            **_wrap(derive_passphrase_key(passphrase, salt, kdf), db_key, self.store_id, "passphrase"),
        }

    def rewrap_passphrase(self, db_key: bytes, new_passphrase: str, kdf: KdfParams) -> None:
        """The new passphrase's wrap is written first and adopted only once it is on disk."""
        check_new_passphrase(new_passphrase)
        self.commit(wraps={**self.wraps, "passphrase": self.passphrase_wrap(db_key, new_passphrase, kdf)})

    def replace_recovery_wrap(self, db_key: bytes, recovery_key: str) -> None:
        """Make ``recovery_key`` the only recovery key: a rotation's way back for the
        previous one (``retiring``) goes with it, in the same write."""
        self.commit(wraps={**self.wraps, "recovery": self.recovery_wrap(db_key, recovery_key)}, retiring=None)

    def add_keyring_wrap(self, db_key: bytes) -> bool:
        old_accounts = self.keyring_accounts()
        # A new entry beside the old one: the old wrap keeps working if this write fails.
        account = f"{keyring_account(self.store_id)}:{secrets.token_hex(4)}" if old_accounts else None
        wrap = self._keyring_wrap(db_key, account)
        if wrap is None:
            return False
        try:
            self.commit(wraps={**self.wraps, "keyring": wrap})
        except DdassessError:
            if wrap["account"] not in old_accounts:
                keyring_delete(self.store_id, wrap["account"])
            raise
        for account in old_accounts - {wrap["account"]}:
            keyring_delete(self.store_id, account)
        return True

    def remove_keyring_wrap(self) -> None:
        accounts = self.keyring_accounts() | {keyring_account(self.store_id)}
        self.commit(wraps={k: v for k, v in self.wraps.items() if k != "keyring"})
        for account in accounts:
            keyring_delete(self.store_id, account)

    # recovery keys that must keep working until a new one is confirmed -------------------

    def chain_wrap(self, old_key: bytes, new_key: bytes) -> dict[str, str]:
        """``new_key`` wrapped by ``old_key``: a rotation's link for recovery keys."""
        return _wrap(old_key, new_key, self.store_id, "chain")

    def _retiring_list(self, name: str) -> list[dict[str, Any]]:
        value = (self.retiring or {}).get(name)
        return [w for w in value if isinstance(w, dict)] if isinstance(value, list) else []

    def retiring_with(self, *, recovery: dict[str, Any] | None = None,
                      chain: dict[str, Any] | None = None) -> dict[str, Any]:
        """``retiring`` with one more previous recovery wrap and/or chain link."""
        return {"recovery": self._retiring_list("recovery") + ([recovery] if recovery else []),
                "chain": self._retiring_list("chain") + ([chain] if chain else [])}

    def add_recovery_wrap(self, db_key: bytes, recovery_key: str) -> None:
        """Make ``recovery_key`` the recovery key while the previous one keeps working, until
        ``retire_previous_recovery_keys``: written before the new key is shown, so a crash in
        between leaves the key the user has working."""
        self.commit(wraps={**self.wraps, "recovery": self.recovery_wrap(db_key, recovery_key)},
                    retiring=self.retiring_with(recovery=self.wraps.get("recovery")))

    def retire_previous_recovery_keys(self) -> None:
        """The new recovery key has been shown: earlier ones (and rotation links) stop working."""
        if self.retiring:
            self.commit(retiring=None)

    @property
    def recovery_key_unconfirmed(self) -> bool:
        """A new recovery key was made but not confirmed as shown; earlier ones still work."""
        return bool(self.retiring)

    @property
    def has_keyring(self) -> bool:
        return "keyring" in self.wraps


def _read_key_file(path: Path) -> Any:
    """The key file's JSON; a folder or pipe in its place, or no permission, is said as such."""
    try:
        raw = read_head(path, MAX_KEY_FILE_BYTES + 1)
    except NotARegularFile as exc:
        raise StoreAccessError(
            f"The key file {path} is {exc.kind}, not a file, so the store cannot be unlocked.",
            hint="Move it aside and put back the store's key file from your backups; nothing has been changed.",
        ) from None
    except PermissionError:
        raise StoreAccessError(
            f"ddassess has no permission to read the key file {path}.",
            hint="Check the owner and permissions of the store's folder and files; nothing has been changed.",
        ) from None
    except OSError as exc:
        raise NotAStoreError(
            f"The key file {path.name} in {path.parent} cannot be read ({exc.__class__.__name__}): "
            "this folder does not hold a ddassess store.",
            hint="Choose the folder of your store, or restore its key file from a backup.",
        ) from None
    try:
        if len(raw) > MAX_KEY_FILE_BYTES:
            raise ValueError("too large")
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise NotAStoreError(
            f"The key file {path.name} in {path.parent} is not a ddassess key file (not JSON of the right size): "
            "this folder does not hold a ddassess store.",
            hint="Choose the folder of your store, or restore its key file from a backup.",
        ) from None


# --- the OS keyring ------------------------------------------------------------------


def keyring_account(store_id: str) -> str:
    return f"store:{store_id}"


def _wrap_account(store_id: str, wrap: dict[str, Any]) -> str:
    account = wrap.get("account")
    # Only this store's own entries: a key file edited to name another store's entry
    # would still fail the wrap's authenticated store id, but is not even looked up.
    if isinstance(account, str) and account.startswith(keyring_account(store_id)):
        return account
    return keyring_account(store_id)


# The keyrings that keep a secret encrypted by the operating system, by the exact class of
# keyring's backend (module, class name). Anything else is refused, however it describes
# itself: keyrings.alt's files, the null and fail backends, and any third-party backend,
# which may keep the secret in clear (a denylist let such a backend through).
SECURE_BACKENDS: dict[tuple[str, str], str] = {
    ("keyring.backends.SecretService", "Keyring"): "Secret Service",
    ("keyring.backends.libsecret", "Keyring"): "Secret Service (libsecret)",
    ("keyring.backends.kwallet", "DBusKeyring"): "KWallet",
    ("keyring.backends.kwallet", "DBusKeyringKWallet4"): "KWallet 4",
    ("keyring.backends.macOS", "Keyring"): "macOS Keychain",
    ("keyring.backends.Windows", "WinVaultKeyring"): "Windows Credential Locker",
}
_TEST_BACKENDS: set[type] = set()


def trust_keyring_backend_for_tests(*classes: type) -> None:
    """Let the test suite's stand-ins for an OS keyring through the allowlist.

    Test-only: ``tests/conftest.py`` calls it for ``tests/support/memory_keyring.py`` (and
    the start-up benchmark for its file keyring). Nothing in ddassess calls it, and no
    setting or environment variable reaches it, so an installed product accepts only the
    ``SECURE_BACKENDS``.
    """
    _TEST_BACKENDS.update(classes)


def _backend_label(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _refusal(backend: Any) -> str | None:
    """Why a single backend (not a chainer) is not used, or None if it is a secure OS keyring."""
    cls = type(backend)
    known = SECURE_BACKENDS.get((cls.__module__, cls.__qualname__))
    # The class itself, not one that copies its name: compare with the imported class.
    real = getattr(sys.modules.get(cls.__module__), cls.__qualname__, None)
    if cls.__module__ == "keyring.backends.fail":
        return "no system keyring is running (the keyring library found none)"
    if cls not in _TEST_BACKENDS and (known is None or real is not cls):
        return (f"the keyring backend {_backend_label(backend)} is not a secure OS keyring ddassess trusts "
                "(only Secret Service, KWallet, macOS Keychain and Windows Credential Locker are)")
    try:
        if float(cls.priority) <= 0:  # type: ignore[attr-defined]
            return f"the keyring backend {_backend_label(backend)} says it cannot be used here"
    except Exception as exc:  # noqa: BLE001 - a backend says it is not viable by raising here
        return f"the {known or cls.__name__} keyring is not available here ({exc.__class__.__name__})"
    return None


def _backend_is_secure(backend: Any) -> bool:
    return _refusal(backend) is None


class _SecureChain:
    """keyring's chainer cut down to its secure members, in its own priority order.

    When keyrings.alt is installed beside a real Secret Service (as the test extra does),
    keyring's ``ChainerBackend`` chains both: refusing the whole chainer would lose
    keyring unlock; using it as is could write a secret to the plaintext file. So only
    the secure members are used: read from the first that has the entry, write to the
    first that accepts it.
    """

    def __init__(self, members: list[Any]) -> None:
        self.members = members

    @property
    def name(self) -> str:
        return " + ".join(type(m).__name__ for m in self.members)

    def get_password(self, service: str, username: str) -> str | None:
        for member in self.members:
            value = member.get_password(service, username)
            if value is not None:
                return value
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        errors: list[Exception] = []
        for member in self.members:
            try:
                member.set_password(service, username, password)
                return
            except Exception as exc:  # noqa: BLE001 - try the next secure member
                errors.append(exc)
        raise errors[-1]

    def delete_password(self, service: str, username: str) -> None:
        for member in self.members:
            try:
                member.delete_password(service, username)
            except Exception as exc:  # noqa: BLE001 - an entry that is not in this member
                log.debug("keyring entry not in %s: %s", type(member).__name__, exc.__class__.__name__)


def secure_keyring() -> Any | None:
    """The OS keyring if it is a real, secure one; None otherwise (plaintext counts as none).

    A chainer is narrowed to its secure members (``_SecureChain``); never is anything
    handed to a plaintext, null, fail or unknown backend.
    """
    return keyring_status()[0]


def keyring_status() -> tuple[Any | None, str]:
    """(the secure keyring or None, why none is used: '' when one is)."""
    try:
        import keyring

        backend = keyring.get_keyring()
        members = getattr(backend, "backends", None)
    except Exception as exc:  # noqa: BLE001 - a broken keyring install must not stop the app
        log.info("no keyring: %s", exc.__class__.__name__)
        return None, f"the keyring library could not load a backend ({exc.__class__.__name__})"
    if members is None:
        refusal = _refusal(backend)
        if refusal:
            log.info("keyring refused: %s", refusal)
            return None, refusal
        return backend, ""
    verdicts = [(m, _refusal(m)) for m in members if getattr(m, "backends", None) is None]
    secure = [m for m, refusal in verdicts if refusal is None]
    if not secure:
        reasons = "; ".join(r for _m, r in verdicts if r) or "keyring found no backend at all"
        return None, reasons
    return (secure[0] if len(secure) == 1 else _SecureChain(secure)), ""


def keyring_description() -> str:
    """A line for the user: which keyring is used, or why none is."""
    backend, why = keyring_status()
    if backend is None:
        return (
            "No secure system keyring is available, so ddassess will ask for your passphrase "
            f"each time (nothing is stored in plaintext instead): {why}."
        )
    name = backend.name if isinstance(backend, _SecureChain) else type(backend).__name__
    return f"The system keyring ({name}) can unlock this store without the passphrase."


def keyring_get(store_id: str, account: str | None = None) -> bytes | None:
    backend = secure_keyring()
    if backend is None:
        return None
    try:
        value = backend.get_password(KEYRING_SERVICE, account or keyring_account(store_id))
    except Exception as exc:  # noqa: BLE001 - locked, D-Bus down, user dismissed prompt...
        log.warning("the system keyring could not be read (%s); asking for the passphrase", exc.__class__.__name__)
        return None
    if not value:
        return None
    try:
        secret = _unb64(value)
    except ValueError:
        log.warning("the system keyring entry for this store is damaged; asking for the passphrase")
        return None
    return secret if len(secret) == 32 else None


def keyring_set(store_id: str, secret: bytes, account: str | None = None) -> bool:
    backend = secure_keyring()
    if backend is None:
        return False
    try:
        backend.set_password(KEYRING_SERVICE, account or keyring_account(store_id), _b64(secret))
    except Exception as exc:  # noqa: BLE001 - see keyring_get
        log.warning("the system keyring refused to store the key (%s); the passphrase is needed", exc.__class__.__name__)
        return False
    return True


def keyring_delete(store_id: str, account: str | None = None) -> None:
    backend = secure_keyring()
    if backend is None:
        return
    try:
        backend.delete_password(KEYRING_SERVICE, account or keyring_account(store_id))
    except Exception as exc:  # noqa: BLE001 - an entry that is already gone is fine
        log.info("keyring entry not removed: %s", exc.__class__.__name__)
