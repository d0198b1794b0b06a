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

__all__ = [
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
