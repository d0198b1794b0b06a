"""Creating, unlocking and protecting the store: the lifecycle use cases the client needs.

The client reaches the store and the key handling only through here, so widgets never
hold a session or a key (STYLE.md: widgets call services, never the store).
"""

from ddassess.keys import (
    MIN_PASSPHRASE_LENGTH,
    check_new_passphrase,
    keyring_description,
    new_recovery_key,
    passphrase_problem,
    secure_keyring,
)
from ddassess.store import (
    CreatedStore,
    Credentials,
    Store,
    UnlockRequired,
    create_store,
    open_store,
    store_exists,
)


def change_passphrase(store: Store, old: str, new: str) -> None:
    store.change_passphrase(old, new)


def replace_recovery_key(store: Store, passphrase: str) -> str:
    return store.replace_recovery_key(passphrase)


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
    store.key_file.wraps["recovery"] = store.key_file.recovery_wrap(db_key, recovery_key)
    store.key_file.save()
    with store.write() as s:
        audit.append_event(s, actor=store.owner_uuid, action="recovery-key-replaced", entity_type="store",
                           entity_id=store.store_id)


def set_keyring(store: Store, enabled: bool) -> bool:
    return store.set_keyring(enabled)


__all__ = [
    "MIN_PASSPHRASE_LENGTH",
    "change_passphrase",
    "replace_recovery_key",
    "propose_recovery_key",
    "install_recovery_key",
    "set_keyring",
    "CreatedStore",
    "Credentials",
    "Store",
    "UnlockRequired",
    "check_new_passphrase",
    "create_store",
    "keyring_description",
    "open_store",
    "passphrase_problem",
    "secure_keyring",
    "store_exists",
]
