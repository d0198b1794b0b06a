"""The encrypted case store: the only code that knows SQLAlchemy and SQLCipher."""

from ddassess.store.store import (
    DB_FILE_NAME,
    CreatedStore,
    Credentials,
    Store,
    UnlockRequired,
    create_store,
    open_store,
    store_exists,
)

__all__ = [
    "DB_FILE_NAME",
    "CreatedStore",
    "Credentials",
    "Store",
    "UnlockRequired",
    "create_store",
    "open_store",
    "store_exists",
]
