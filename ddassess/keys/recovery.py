"""Recovery keys: 16 random bytes shown once as 28 characters a person can type back.

The characters are base32 in groups of four, ending in a hash character and a Luhn mod 32
check character, so a mistyped character is caught before any unlock is tried. The
recovery key's wrapping key is derived from its bytes with HKDF.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from ddassess.errors import MalformedRecoveryKeyError

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


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
    cleaned = cleaned.translate(str.maketrans("018", "OIB"))
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


def derive_recovery_key(raw: bytes, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(hashes.SHA256(), 32, salt, b"ddassess recovery wrap v1").derive(raw)
