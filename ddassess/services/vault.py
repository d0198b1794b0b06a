"""Creating, unlocking and protecting the store: the lifecycle use cases the client needs.

The client reaches the store and the key handling only through here, so widgets never
hold a session or a key (STYLE.md: widgets call services, never the store).
"""

from ddassess.keys import (
    check_new_passphrase,
    keyring_description,
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


def set_keyring(store: Store, enabled: bool) -> bool:
    return store.set_keyring(enabled)


__all__ = [
    "change_passphrase",
    "replace_recovery_key",
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
