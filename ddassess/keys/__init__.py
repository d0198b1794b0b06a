"""The database key and the three ways it is wrapped.

A store is encrypted with a random 256-bit database key that nobody types. That key is
kept only *wrapped* (AES-256-GCM) in a non-secret key file beside the store
(``ddassess.keys.json``), by up to three wrapping keys:

* ``passphrase`` — derived from the practitioner's passphrase with argon2id; always
  present, so a passphrase always works (``passphrase.py``);
* ``recovery`` — derived with HKDF from a printable recovery key shown once at set-up
  (``recovery.py``);
* ``keyring`` — a random key kept in the OS keyring, for passwordless unlock on a trusted
  laptop; only when the keyring is a real OS keyring (never keyrings.alt's plaintext
  files, never the null/fail backends) (``os_keyring.py``).

Changing the passphrase re-wraps the database key and leaves the store untouched. GCM's
tag tells a wrong passphrase from a right one, so a store that then fails to decrypt
is corrupt, not locked with another passphrase. Each wrap authenticates the store id and
its own name as associated data, so wraps cannot be moved between stores or slots
(``wrapping.py``).

The modules:

* ``key_file.py`` — ``KeyFile``: the key file in memory, read, written and unlocked;
* ``key_file_checks.py`` — every field of a key file checked as it is read, before use;
* ``passphrase.py``, ``recovery.py``, ``os_keyring.py`` — the three ways in;
* ``wrapping.py`` — sealing the database key with a wrapping key.

``os_keyring.py`` is the only module that imports ``keyring``. This package's own names
below are what the rest of ddassess imports.
"""

from __future__ import annotations

from ddassess.keys.key_file import (
    KEY_FILE_FORMAT,
    KEY_FILE_NAME,
    KEY_FILE_VERSION,
    MAX_KEY_FILE_BYTES,
    KeyFile,
    UnwrappedKey,
)
from ddassess.keys.os_keyring import (
    KEYRING_SERVICE,
    SECURE_BACKENDS,
    keyring_account,
    keyring_delete,
    keyring_description,
    keyring_get,
    keyring_set,
    keyring_status,
    secure_keyring,
    trust_keyring_backend_for_tests,
)
from ddassess.keys.passphrase import (
    MIN_PASSPHRASE_LENGTH,
    KdfParams,
    check_new_passphrase,
    derive_passphrase_key,
    passphrase_problem,
)
from ddassess.keys.recovery import format_recovery_key, new_recovery_key, parse_recovery_key
from ddassess.keys.wrapping import new_database_key

__all__ = [
    "KEYRING_SERVICE", "KEY_FILE_FORMAT", "KEY_FILE_NAME", "KEY_FILE_VERSION", "MAX_KEY_FILE_BYTES",
    "MIN_PASSPHRASE_LENGTH", "SECURE_BACKENDS", "KdfParams", "KeyFile", "UnwrappedKey", "check_new_passphrase",
    "derive_passphrase_key", "format_recovery_key", "keyring_account", "keyring_delete", "keyring_description",
    "keyring_get", "keyring_set", "keyring_status", "new_database_key", "new_recovery_key", "parse_recovery_key",
    "passphrase_problem", "secure_keyring", "trust_keyring_backend_for_tests",
]
