"""Creating, unlocking and protecting the store: the lifecycle use cases the client needs.

The client reaches the store and the key handling only through here, so widgets never
hold a session or a key (docs/architecture.md: widgets call services, never the store).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ddassess.keys import (
    MIN_PASSPHRASE_LENGTH,
    check_new_passphrase,
    keyring_description,
    new_recovery_key,
    passphrase_problem,
    secure_keyring,
)
from ddassess.store import Credentials, Unlocked, UnlockRequired, store_exists, unlock

if TYPE_CHECKING:
    from ddassess.store import CreatedStore, Store


def __getattr__(name: str) -> Any:
    """``Store`` and ``CreatedStore`` load SQLAlchemy: only when a module asks for them."""
    if name in ("Store", "CreatedStore"):
        import ddassess.store

        return getattr(ddassess.store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_store(folder: Path, creds: Credentials | None = None) -> Store:
    """Unlock and open in one step (``unlock`` then ``finish_open``)."""
    from ddassess.store import open_store as open_

    return open_(folder, creds or Credentials())


def finish_open(unlocked: Unlocked) -> Store:
    """The ``Store`` for an unlocked store, with the unlock recorded in the audit trail.
    Loads SQLAlchemy (400 ms at first use): the client runs it off the GUI thread while the
    first page of cases, read with SQLCipher alone, is already on screen."""
    from ddassess.store import finish_open as finish

    return finish(unlocked)


def create_store(folder: Path, passphrase: str, **options: Any) -> CreatedStore:
    from ddassess.store import create_store as create

    return create(folder, passphrase, **options)


def change_passphrase(store: Store, old: str, new: str) -> None:
    store.change_passphrase(old, new)


def propose_recovery_key(store: Store, passphrase: str) -> str:
    """A new recovery key to show, after checking the passphrase; nothing changes yet.

    The old key keeps working until ``install_recovery_key`` is called, which the client
    does only once the person has confirmed the new key is printed or saved: a lock or a
    closed window in between must not leave them with no working key.
    """
    store.key_file.unlock_with_passphrase(passphrase)  # WrongPassphraseError if not theirs
    return new_recovery_key()


def install_recovery_key(store: Store, passphrase: str, recovery_key: str) -> None:
    """Make ``recovery_key`` the store's recovery key; the old one stops working."""
    from ddassess.store import audit

    db_key = next(k.key for k in store.key_file.unlock_with_passphrase(passphrase) if not k.pending)
    store.key_file.replace_recovery_wrap(db_key, recovery_key)
    with store.write() as s:
        audit.append_event(s, actor=store.owner_uuid, action="recovery-key-replaced", entity_type="store",
                           entity_id=store.store_id)


RECOVERY_KEY_NOTICE = (
    "A new recovery key was made for this store (by a key rotation or a renewal that did not "
    "finish) but was never confirmed as written down, so the recovery key you had before still "
    "works too. Make a new one now and keep it safe: `ddassess recovery-key renew`, or in the "
    "desktop client Settings → \"Make a new recovery key…\"."
)


def recovery_key_notice(store: Store) -> str | None:
    """What to tell the user at unlock when a new recovery key still needs writing down."""
    return RECOVERY_KEY_NOTICE if store.key_file.recovery_key_unconfirmed else None


def set_keyring(store: Store, enabled: bool) -> bool:
    return store.set_keyring(enabled)


__all__ = [
    "MIN_PASSPHRASE_LENGTH",
    "CreatedStore",
    "Credentials",
    "Store",
    "UnlockRequired",
    "Unlocked",
    "change_passphrase",
    "check_new_passphrase",
    "create_store",
    "finish_open",
    "install_recovery_key",
    "keyring_description",
    "open_store",
    "passphrase_problem",
    "propose_recovery_key",
    "recovery_key_notice",
    "secure_keyring",
    "set_keyring",
    "store_exists",
    "unlock",
]
