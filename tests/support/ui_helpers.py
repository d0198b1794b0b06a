"""Helpers shared by the UI tests (the fixtures stay in tests/ui/conftest.py): unlocking the
real window, reading every text on screen, answering a modal box, and making a fictional
person's case with forms in it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from store_helpers import PASSPHRASE

from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.services.case_pathway import advance_stage
from ddassess.ui.mainwindow import MainWindow

FORMS = Path(__file__).resolve().parents[2] / "forms"
PHQ9_NINE_WITH_ITEM_9 = {**{f"q{i}": 1 for i in range(1, 10)}, "difficulty": "somewhat"}  # total 9, q9 > 0
AUDIT_EIGHTEEN = {**{f"q{i}": 2 for i in range(1, 9)}, "q9": 2, "q10": 0}  # 8 × 2 + 2 = 18


def unlocked_window(qtbot, folder: Path, catalogue) -> MainWindow:  # type: ignore[no-untyped-def]
    """The main window on the store in ``folder``, shown at 1200×800 and unlocked through
    the (in-memory) keyring."""
    w = MainWindow(folder, catalogue)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitUntil(lambda: w.store is not None, timeout=10_000)
    return w


def unlock_with_passphrase(qtbot, window: MainWindow, passphrase: str = PASSPHRASE) -> None:
    page = window.unlock_page
    qtbot.waitUntil(lambda: window.stack.currentWidget() is page)
    page.passphrase.setFocus()
    qtbot.keyClicks(page.passphrase, passphrase)
    qtbot.keyClick(page.passphrase, "\r")
    qtbot.waitUntil(lambda: window.store is not None, timeout=10_000)


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


def person_case(window):
    person = case_changes.find_person_by_nhs(window.store, "9990000018") or case_changes.register_person(
        window.store, PersonDetails("Testy", "McTestface", dt.date(1980, 2, 29), "9990000018"))
    return case_changes.open_case(window.store, person.id).id


def open_form(qtbot, window, form_id):
    case_id = person_case(window)
    window.case_list.apply()
    page = window.open_case(case_id)
    page.new_form.setCurrentIndex(page.new_form.findData(form_id))
    page.start_form()
    form = page.form_page
    first = next(iter(form.view.editors.values())).widget
    qtbot.waitUntil(first.isVisible)  # laid out and shown, as a person would see it
    return page, form


def case_with_forms(window, catalogue):
    store = window.store
    person = case_changes.register_person(store, PersonDetails("Testy", "McTestface", dt.date(1980, 2, 29),
                                                               "9990000018"))
    case_id = case_changes.open_case(store, person.id, opened_on=dt.date(2026, 1, 5)).id
    phq9, audit = catalogue.get("phq9"), catalogue.get("audit")
    r = case_changes.start_response(store, case_id, "phq9", phq9.version, phq9.content_hash, PHQ9_NINE_WITH_ITEM_9)
    case_changes.finalise_response(store, r.id)
    advance_stage(store, case_id, "phq9")
    case_changes.start_response(store, case_id, "audit", audit.version, audit.content_hash, AUDIT_EIGHTEEN)  # a draft
    return case_id
