"""The key file (``ddassess.keys.json``): the store's id and its wrapped database key, in memory.

``KeyFile`` reads the file (every field checked first, ``key_file_checks.py``), unlocks
the database key with a passphrase, a recovery key or the OS keyring, makes fresh wraps,
and writes changes so that memory and disk change together or not at all. Nothing in it
is secret: the wraps are sealed (``wrapping.py``).
"""

from __future__ import annotations

import copy
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ddassess.errors import (
    DdassessError,
    KeyFileChangedError,
    KeyFileWriteError,
    NotAStoreError,
    WrongPassphraseError,
    WrongRecoveryKeyError,
)
from ddassess.fileio import atomic_write
from ddassess.keys import key_file_checks
from ddassess.keys.os_keyring import (
    KEYRING_SERVICE,
    keyring_account,
    keyring_delete,
    keyring_get,
    keyring_set,
    wrap_account,
)
from ddassess.keys.passphrase import KdfParams, check_new_passphrase, derive_passphrase_key
from ddassess.keys.recovery import derive_recovery_key, parse_recovery_key
from ddassess.keys.wrapping import from_b64, to_b64, unwrap_key, wrap_key

log = logging.getLogger(__name__)

KEY_FILE_NAME = "ddassess.keys.json"
KEY_FILE_FORMAT = "ddassess-key-file"
KEY_FILE_VERSION = key_file_checks.KEY_FILE_VERSION
MAX_KEY_FILE_BYTES = 1 << 20  # a real one is under 2 KB


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
        """Read and check the key file; every field is checked before any is used (key_file_checks.py)."""
        data = key_file_checks.read_json(path, MAX_KEY_FILE_BYTES)
        if not isinstance(data, dict) or data.get("format") != KEY_FILE_FORMAT:
            raise NotAStoreError(
                f"{path} is not a ddassess key file, so {path.parent} is not a ddassess store.",
                hint="Choose the folder of your store.",
            )
        key_file_checks.check_version(data, path)
        key_file_checks.check_fields(data, path)
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
                key = unwrap_key(wrapping_key, wrap, self.store_id, slot) if wrapping_key else None
                if key is not None:
                    keys.append(UnwrappedKey(key, pending))
        return keys

    def unlock_with_passphrase(self, passphrase: str) -> list[UnwrappedKey]:
        def wk(wrap: dict[str, Any]) -> bytes:
            return derive_passphrase_key(passphrase, from_b64(wrap["salt"]), KdfParams.from_dict(wrap["kdf"]))

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
            return derive_recovery_key(raw, from_b64(wrap["salt"]))

        keys = self._unwrap_any("recovery", wk)
        for wrap in self._retiring_list("recovery"):
            key = unwrap_key(wk(wrap), wrap, self.store_id, "recovery")
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
                    key = unwrap_key(known.key, wrap, self.store_id, "chain")
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
        keys = self._unwrap_any("keyring", lambda w: keyring_get(self.store_id, wrap_account(self.store_id, w)))
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
        wrapping_key = derive_recovery_key(parse_recovery_key(recovery_key), salt)
        return {"kdf_name": "hkdf-sha256", "salt": to_b64(salt),
                **wrap_key(wrapping_key, db_key, self.store_id, "recovery")}

    def _keyring_wrap(self, db_key: bytes, account: str | None = None) -> dict[str, Any] | None:
        """A fresh keyring secret stored in the OS keyring, and the key wrapped by it."""
        secret = secrets.token_bytes(32)
        account = account or keyring_account(self.store_id)
        if not keyring_set(self.store_id, secret, account):
            return None
        return {"service": KEYRING_SERVICE, "account": account,
                **wrap_key(secret, db_key, self.store_id, "keyring")}

    def keyring_accounts(self, *, pending: bool = False) -> set[str]:
        """The keyring entries the current (or pending) wraps rely on."""
        wrap = ((self.pending or {}) if pending else self.wraps).get("keyring")
        return {wrap_account(self.store_id, wrap)} if wrap else set()

    def passphrase_wrap(self, db_key: bytes, passphrase: str, kdf: KdfParams) -> dict[str, Any]:
        salt = secrets.token_bytes(16)
        return {
            "kdf_name": "argon2id",
            "kdf": kdf.to_dict(),
            "salt": to_b64(salt),
            **wrap_key(derive_passphrase_key(passphrase, salt, kdf), db_key, self.store_id, "passphrase"),
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
        return wrap_key(old_key, new_key, self.store_id, "chain")

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
