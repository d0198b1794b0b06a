"""The encrypted case store: the only code that knows SQLAlchemy and SQLCipher.

Importing the package loads neither: the names that need SQLAlchemy (``Store``,
``open_store``, ``create_store``, ...) are loaded when first asked for, so unlocking at
start-up (``store.unlock``) does not wait 400 ms for SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ddassess.store.unlock import DB_FILE_NAME, Credentials, Unlocked, UnlockRequired, store_exists, unlock

if TYPE_CHECKING:
    from ddassess.store.store import CreatedStore, Store, create_store, finish_open, open_store

_FROM_STORE = {"CreatedStore", "Store", "create_store", "finish_open", "open_store"}


def __getattr__(name: str) -> Any:
    if name in _FROM_STORE:
        return getattr(importlib.import_module("ddassess.store.store"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DB_FILE_NAME",
    "CreatedStore",
    "Credentials",
    "Store",
    "UnlockRequired",
    "Unlocked",
    "create_store",
    "finish_open",
    "open_store",
    "store_exists",
    "unlock",
]
