"""Fixtures shared by the services tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from exchange_helpers import add_colleague, make_store

from ddassess.store.store import Store


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Alex's and Bea's stores, each knowing the other as a colleague (for changes made on
    one and received on the other)."""
    alex, bea = make_store(tmp_path / "alex", "Alex Example"), make_store(tmp_path / "bea", "Bea Example")
    add_colleague(alex, bea)
    add_colleague(bea, alex)
    yield alex, bea
    alex.close()
    bea.close()
