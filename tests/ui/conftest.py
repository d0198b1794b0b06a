"""UI tests drive the real window with pytest-qt, offscreen, on a real encrypted store."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_helpers import PASSPHRASE

from ddassess.formengine import load_catalogue
from ddassess.ui.mainwindow import MainWindow

FORMS = Path(__file__).resolve().parents[2] / "forms"


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue(FORMS)


def unlock_with_passphrase(qtbot, window: MainWindow, passphrase: str = PASSPHRASE) -> None:
    page = window.unlock_page
    qtbot.waitUntil(lambda: window.stack.currentWidget() is page)
    page.passphrase.setFocus()
    qtbot.keyClicks(page.passphrase, passphrase)
    qtbot.keyClick(page.passphrase, "\r")
    qtbot.waitUntil(lambda: window.store is not None, timeout=10_000)


@pytest.fixture
def window(qtbot, created, catalogue, store_folder):
    """The main window on a store that exists, unlocked through the (in-memory) keyring."""
    created.store.close()
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitUntil(lambda: w.store is not None, timeout=10_000)
    yield w
    if w.store is not None:
        w.store.close()
