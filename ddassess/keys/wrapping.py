"""Sealing the database key with a wrapping key (AES-256-GCM).

Each wrap authenticates the store id and its own slot name as associated data, so a wrap
cannot be moved between stores or slots; GCM's tag tells a wrong wrapping key from a
right one. The wrapping keys themselves come from ``passphrase.py``, ``recovery.py`` and
``os_keyring.py``.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any


def to_b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def from_b64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def new_database_key() -> bytes:
    return secrets.token_bytes(32)


def _aad(store_id: str, slot: str) -> bytes:
    return f"ddassess:{store_id}:{slot}".encode()


def wrap_key(wrapping_key: bytes, db_key: bytes, store_id: str, slot: str) -> dict[str, str]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    sealed = AESGCM(wrapping_key).encrypt(nonce, db_key, _aad(store_id, slot))
    return {"nonce": to_b64(nonce), "ciphertext": to_b64(sealed)}


def unwrap_key(wrapping_key: bytes, wrap: dict[str, Any], store_id: str, slot: str) -> bytes | None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(wrapping_key).decrypt(
            from_b64(wrap["nonce"]), from_b64(wrap["ciphertext"]), _aad(store_id, slot)
        )
    except InvalidTag:
        return None

