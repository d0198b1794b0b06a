"""Fixtures shared by the services tests."""

from __future__ import annotations

import pytest
from exchange_helpers import add_colleague, make_store


@pytest.fixture
def pair(tmp_path):
    """Alex's and Bea's stores, each knowing the other as a colleague (for changes made on
    one and received on the other)."""
    a, b = make_store(tmp_path / "a", "Alex Example"), make_store(tmp_path / "b", "Bea Example")
    add_colleague(a, b)
    add_colleague(b, a)
    yield a, b
    a.close()
    b.close()
