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


def texts_on_screen() -> list[str]:
    """Every text any live widget could show: labels, fields, buttons, window titles, tab
    captions, list items and table cells. What a lock must leave none of."""
    from PySide6.QtCore import QModelIndex, Qt
    from PySide6.QtWidgets import QAbstractItemView, QApplication, QListWidget, QTabBar

    out: list[str] = []
    for w in QApplication.allWidgets():
        out.append(w.windowTitle())
        for getter in ("text", "toPlainText", "placeholderText"):
            if hasattr(w, getter):
                try:
                    out.append(str(getattr(w, getter)()))
                except TypeError:  # a method of that name with other arguments
                    pass
        if isinstance(w, QTabBar):
            out.extend(w.tabText(i) for i in range(w.count()))
        if isinstance(w, QListWidget):
            out.extend(w.item(i).text() for i in range(w.count()))
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            m = w.model()
            try:
                columns = m.columnCount(QModelIndex())
            except TypeError:  # list models keep columnCount private: one column
                columns = 1
            out.extend(str(m.data(m.index(r, c, QModelIndex()), Qt.ItemDataRole.DisplayRole))
                       for r in range(m.rowCount(QModelIndex())) for c in range(columns))
    return out


def deleted_later(qtbot) -> None:
    """Let Qt run the deletions asked for with deleteLater (as the event loop would)."""
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    qtbot.wait(50)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def when_a_box_is_up(action, kinds=None):  # type: ignore[no-untyped-def]
    """Run ``action(box)`` once a real, exec'd modal box (of one of ``kinds``; any when
    None) is showing: how a test answers, or locks under, a question the app asks."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def poll():
        box = QApplication.activeModalWidget()
        if box is not None and box.isVisible() and (kinds is None or isinstance(box, kinds)):
            action(box)
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)
