"""Creating, unlocking and protecting the store: the lifecycle use cases the client needs.

This module is the client's one door to the store's lifecycle and to the key handling.
A widget holds a ``Store`` only as a handle to pass to services (and to close); what it
asks of the keys and the key file (is this the passphrase? is the keyring in use? set a
new passphrase, a new recovery key) it asks here, so the rules live in one place and the
layer test can forbid anything else (docs/architecture.md). Names that need nothing more
than the store or keys module gives are re-exported as they are, not wrapped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ddassess.errors import WrongPassphraseError
from ddassess.keys import (
    MIN_PASSPHRASE_LENGTH,
    keyring_description,
    new_recovery_key,
    passphrase_problem,
    secure_keyring,
)
from ddassess.store import Credentials, Unlocked, UnlockRequired, store_exists, unlock

if TYPE_CHECKING:
    from ddassess.store import CreatedStore, Store, create_store

# Re-exported from ddassess.store when first asked for: they load SQLAlchemy (400 ms), which
# start-up must not wait for, so client code imports them where it uses them.
_FROM_STORE = ("CreatedStore", "Store", "create_store")


def __getattr__(name: str) -> Any:
    if name in _FROM_STORE:
        import ddassess.store

        return getattr(ddassess.store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def finish_open(unlocked: Unlocked) -> Store:
    """The ``Store`` for an unlocked store, with the unlock recorded in the audit trail.

    SQLAlchemy is loaded here, on the thread that calls this: the client calls it off the
    GUI thread while the first page of cases, read with SQLCipher alone, is already on
    screen (importing it where the GUI thread would, costs 400 ms before that page shows).
    """
    from ddassess.store import finish_open as finish

    return finish(unlocked)


# --- the passphrase --------------------------------------------------------------------


def check_passphrase(store: Store, passphrase: str) -> bool:
    """True if ``passphrase`` unlocks this store (nothing changes either way)."""
    try:
        store.key_file.unlock_with_passphrase(passphrase)
    except WrongPassphraseError:
        return False
    return True


def new_passphrase_problem(new: str, again: str) -> str | None:
    """What is wrong with a new passphrase typed twice, in words; None if it can be used."""
    if new != again:
        return "The two new passphrases differ."
    return passphrase_problem(new)


def passphrase_change_problem(current: str, new: str, again: str) -> str | None:
    """What is wrong with a request to change the passphrase (the current one, the new one
    twice), before anything is tried; None if nothing is, or nothing was asked."""
    if not (new or again):
        return None
    if not current:
        return "To change the passphrase, type the current one too."
    return new_passphrase_problem(new, again)


def change_passphrase(store: Store, current: str, new: str) -> None:
    """A new passphrase, audited; the store file is not touched and the recovery key still
    works. WrongPassphraseError if ``current`` is not the passphrase, and nothing changes."""
    store.change_passphrase(current, new)


def open_with_recovery_key(folder: Path, recovery_key: str, new_passphrase: str) -> Store:
    """Open the store with its recovery key and set a new passphrase (the old one is
    forgotten or unknown). If the new passphrase cannot be set (the key file cannot be
    written), the store is closed again and nothing changed."""
    from ddassess.store import open_store as open_

    store = open_(folder, Credentials(recovery_key=recovery_key, use_keyring=False))
    try:
        store.reset_passphrase(new_passphrase)
    except BaseException:
        store.close()  # nothing changed, nothing held
        raise
    return store


# --- the system keyring ----------------------------------------------------------------


def keyring_in_use(store: Store) -> bool:
    """True if this store unlocks through the system keyring on this computer."""
    return store.key_file.has_keyring


def keyring_offered(store: Store) -> bool:
    """True if the keyring can be turned on or off here: a secure one exists, or it is in
    use (then it can always be turned off)."""
    return secure_keyring() is not None or keyring_in_use(store)


def use_keyring(store: Store, wanted: bool) -> str | None:
    """Turn unlocking with the keyring on or off (audited; nothing happens if it already is
    as wanted). Returns why it could not be turned on, in words; None if it is as wanted."""
    if wanted == keyring_in_use(store):
        return None
    if store.set_keyring(wanted) != wanted:
        return keyring_description()
    return None


# --- the recovery key ------------------------------------------------------------------


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


__all__ = [
    "MIN_PASSPHRASE_LENGTH",
    "CreatedStore",
    "Credentials",
    "Store",
    "UnlockRequired",
    "Unlocked",
    "change_passphrase",
    "check_passphrase",
    "create_store",
    "finish_open",
    "install_recovery_key",
    "keyring_description",
    "keyring_in_use",
    "keyring_offered",
    "new_passphrase_problem",
    "open_with_recovery_key",
    "passphrase_change_problem",
    "passphrase_problem",
    "propose_recovery_key",
    "recovery_key_notice",
    "secure_keyring",
    "store_exists",
    "unlock",
    "use_keyring",
]
