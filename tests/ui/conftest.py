"""UI tests drive the real window with pytest-qt, offscreen, on a real encrypted store.

The fixtures are here; the helpers the tests share are in tests/support/ui_helpers.py."""

from __future__ import annotations

import pytest
from ui_helpers import FORMS, unlocked_window

from ddassess.formengine import load_catalogue


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue(FORMS)


@pytest.fixture
def window(qtbot, created, catalogue, store_folder):
    """The main window on a store that exists, unlocked through the (in-memory) keyring."""
    created.store.close()
    w = unlocked_window(qtbot, store_folder, catalogue)
    yield w
    if w.store is not None:
        w.store.close()


@pytest.fixture
def bea(tmp_path, window):
    """Bea's store, a colleague of the window's practitioner both ways (to send changes to
    the window and receive its changes)."""
    from exchange_helpers import add_colleague, make_store

    other = make_store(tmp_path / "bea", "Bea Example")
    add_colleague(window.store, other)
    add_colleague(other, window.store)
    yield other
    other.close()
