"""Stores for tests: real SQLCipher files in the test's own data folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ddassess.store import CreatedStore, Store, create_store
from store_helpers import FAST_KDF, PASSPHRASE, PRACTITIONER


@pytest.fixture
def store_folder(data_home: Path) -> Path:
    return data_home / "store"


@pytest.fixture
def created(store_folder: Path) -> Iterator[CreatedStore]:
    c = create_store(store_folder, PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF)
    yield c
    c.store.close()


@pytest.fixture
def store(created: CreatedStore) -> Store:
    return created.store
