"""Checking a key file as it is read, before anything in it is used.

``ddassess.keys.json`` is not secret and anybody (or any disk fault) can edit it, yet its
numbers drive argon2id: an edited ``t`` of a million hangs an unlock for minutes, an
``m`` of 64 GiB exhausts memory, a wrap that is a string or a nonce of the wrong length
raised deep inside the cryptography and reached the user as "unexpected". So every
field is checked here, by type and by bounds, and a key file that fails says which
field is wrong and what to do, at once (well under a second), with the README's codes:

* not JSON, or no ``"format": "ddassess-key-file"`` — not a store (``NotAStoreError``, 4);
* ``version`` a whole number above the one this version writes — newer (``StoreVersionError``, 5);
* anything else out of shape or out of bounds — the key file is damaged
  (``CorruptStoreError``, 6); a ``version`` that is not a whole number is damage too,
  not a "newer version".

The bounds are generous for real key files (this version writes t=3, m=64 MiB, p=4)
but cap the work an edited file can ask for: argon2id's passes times memory may be at
most ``MAX_KDF_WORK_KIB`` (about 1.5 s here), and memory at most ``MAX_KDF_MEMORY_KIB``.
A later version that needs more would raise the key file's ``version``.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any, TypeGuard

from ddassess.errors import CorruptStoreError, NotAStoreError, StoreAccessError, StoreVersionError
from ddassess.fileio import NotARegularFile, read_head

KEY_FILE_VERSION = 1
SLOTS = ("passphrase", "recovery", "keyring")
SALT_BYTES = (16, 64)  # this version writes 16; argon2 itself wants at least 8
NONCE_BYTES = 12  # AES-GCM's nonce
SEALED_KEY_BYTES = 32 + 16  # the 256-bit database key and GCM's tag
MAX_TIME_COST = 10
MAX_PARALLELISM = 16
MAX_KDF_MEMORY_KIB = 1024 * 1024  # 1 GiB
MAX_KDF_WORK_KIB = 2 * 1024 * 1024  # t × m: 10× this version's own cost (3 × 64 MiB)
MAX_TEXT = 200  # store id, dates, keyring service and account names


class _Damage(Exception):
    """One field of the key file that is not as this version writes it."""


def check_version(data: dict[str, Any], path: Path) -> None:
    version = data.get("version")
    if not _is_int(version) or version < 1:
        raise _damaged(path, f"its version is {_show(version)}, not a whole number from 1")
    if version > KEY_FILE_VERSION:
        raise StoreVersionError(
            f"This store's key file was written by a newer version of ddassess (format {version}; "
            f"this version reads format {KEY_FILE_VERSION}).",
            hint="Install the newer ddassess to open it; nothing has been changed.",
        )


def check_fields(data: dict[str, Any], path: Path) -> None:
    """Raise ``CorruptStoreError`` naming the first field that is missing, mistyped or out of bounds."""
    try:
        _text(data, "store_id", required=True)
        _text(data, "created_at", required=False)
        wraps = data.get("wraps")
        if not isinstance(wraps, dict):
            raise _Damage(f"'wraps' is {_show(wraps)}, not a set of wrapped keys")
        _check_wraps(wraps, "wraps")
        pending = data.get("pending")
        if pending not in (None, {}):
            if not isinstance(pending, dict):
                raise _Damage(f"'pending' is {_show(pending)}, not a set of wrapped keys")
            _check_wraps(pending, "pending", also=("chain",))
        retiring = data.get("retiring")
        if retiring not in (None, {}):
            _check_retiring(retiring)
        # ``audit_anchor`` is not checked here: a damaged one must not stop an unlock, and
        # ``KeyFile.anchor`` turns it into one that ``store check`` reports as a problem.
    except _Damage as damage:
        raise _damaged(path, str(damage)) from None


def _check_wraps(wraps: dict[str, Any], where: str, also: tuple[str, ...] = ()) -> None:
    """``also``: slots only this section has (a rotation's ``chain``: the new database key
    wrapped by the old one, so the recovery key the user has keeps working)."""
    if "passphrase" not in wraps:
        raise _Damage(f"'{where}' has no passphrase wrap (every key file has one; this one has "
                      f"{', '.join(map(repr, sorted(wraps))) or 'none at all'})")
    for slot, wrap in wraps.items():
        if slot not in SLOTS + also:
            raise _Damage(f"'{where}' has a wrap called {_show(slot)}, which no version of ddassess writes")
        _check_wrap(wrap, f"{where}.{slot}", slot)


def _check_retiring(retiring: Any) -> None:
    """A finished rotation's (or renewal's) way back for the recovery key the user already
    has: lists of earlier recovery wraps and of chain links."""
    if not isinstance(retiring, dict):
        raise _Damage(f"'retiring' is {_show(retiring)}, not earlier recovery keys' wraps")
    for name, slot in (("recovery", "recovery"), ("chain", "chain")):
        wraps = retiring.get(name, [])
        if not isinstance(wraps, list):
            raise _Damage(f"'retiring.{name}' is {_show(wraps)}, not a list of wrapped keys")
        for i, wrap in enumerate(wraps):
            _check_wrap(wrap, f"retiring.{name}[{i}]", slot)
    unknown = set(retiring) - {"recovery", "chain"}
    if unknown:
        raise _Damage(f"'retiring' has {', '.join(map(repr, sorted(unknown)))}, which no version of ddassess writes")


def _check_wrap(wrap: Any, name: str, slot: str) -> None:
    if not isinstance(wrap, dict):
        raise _Damage(f"'{name}' is {_show(wrap)}, not a wrapped key")
    _bytes(wrap, name, "nonce", NONCE_BYTES, NONCE_BYTES)
    _bytes(wrap, name, "ciphertext", SEALED_KEY_BYTES, SEALED_KEY_BYTES)
    if slot == "chain":
        return
    if slot == "passphrase":
        _expect(wrap, name, "kdf_name", "argon2id")
        _bytes(wrap, name, "salt", *SALT_BYTES)
        _check_kdf(wrap.get("kdf"), f"{name}.kdf")
    elif slot == "recovery":
        _expect(wrap, name, "kdf_name", "hkdf-sha256")
        _bytes(wrap, name, "salt", *SALT_BYTES)
    else:
        _text(wrap, "account", required=True, where=name)
        _text(wrap, "service", required=False, where=name)


def _check_kdf(kdf: Any, name: str) -> None:
    if not isinstance(kdf, dict):
        raise _Damage(f"'{name}' is {_show(kdf)}, not argon2id's costs (t, m, p)")
    t = _int(kdf, name, "t", 1, MAX_TIME_COST)
    p = _int(kdf, name, "p", 1, MAX_PARALLELISM)
    m = _int(kdf, name, "m", 8 * p, MAX_KDF_MEMORY_KIB)  # argon2 needs 8 KiB per lane
    if t * m > MAX_KDF_WORK_KIB:
        raise _Damage(f"'{name}' asks for {t} passes over {m // 1024} MiB, more work than this version "
                      f"allows ({MAX_KDF_WORK_KIB // 1024} MiB in all)")


# --- one field -----------------------------------------------------------------------


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _show(value: Any) -> str:
    """A field's value for a message: short, and only what a key file holds (no case data)."""
    if value is None:
        return "missing"
    if isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 20 else f"a text of {len(value)} characters"
    return {"list": "a list", "dict": "a group of fields"}.get(type(value).__name__, type(value).__name__)


def _int(group: dict[str, Any], where: str, key: str, low: int, high: int) -> int:
    value = group.get(key)
    if not _is_int(value):
        raise _Damage(f"'{where}.{key}' is {_show(value)}, not a whole number")
    if not low <= value <= high:
        raise _Damage(f"'{where}.{key}' is {value}, outside {low}–{high}")
    return int(value)


def _text(group: dict[str, Any], key: str, *, required: bool, where: str = "") -> None:
    value = group.get(key)
    name = f"{where}.{key}" if where else key
    if value is None and not required:
        return
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise _Damage(f"'{name}' is {_show(value)}, not a text of 1–{MAX_TEXT} characters")


def _expect(group: dict[str, Any], where: str, key: str, wanted: str) -> None:
    value = group.get(key)
    if value != wanted:
        raise _Damage(f"'{where}.{key}' is {_show(value)}, not {wanted!r}")


def _bytes(group: dict[str, Any], where: str, key: str, low: int, high: int) -> None:
    value = group.get(key)
    name = f"{where}.{key}"
    if not isinstance(value, str) or len(value) > 4 * high:
        raise _Damage(f"'{name}' is {_show(value)}, not base64 text")
    try:
        size = len(base64.b64decode(value.encode("ascii"), validate=True))
    except (binascii.Error, UnicodeEncodeError):
        raise _Damage(f"'{name}' is not valid base64") from None
    if not low <= size <= high:
        wanted = f"{low}" if low == high else f"{low}–{high}"
        raise _Damage(f"'{name}' holds {size} bytes, not {wanted}")


def _damaged(path: Path, what: str) -> CorruptStoreError:
    return CorruptStoreError(
        f"The key file {path} is damaged: {what}. The store cannot be unlocked with it.",
        hint="Nothing has been changed. Put back a copy of the key file from your backups "
        "(backups/ beside the store holds one from before each upgrade).",
    )


def read_json(path: Path, max_bytes: int) -> Any:
    """The key file's JSON; a folder or pipe in its place, or no permission, is said as such."""
    try:
        raw = read_head(path, max_bytes + 1)
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
        if len(raw) > max_bytes:
            raise ValueError("too large")
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise NotAStoreError(
            f"The key file {path.name} in {path.parent} is not a ddassess key file (not JSON of the right size): "
            "this folder does not hold a ddassess store.",
            hint="Choose the folder of your store, or restore its key file from a backup.",
        ) from None
