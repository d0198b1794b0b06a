"""The one window: set-up or unlock page while locked, the workspace while unlocked.

Locking (idle time, Ctrl+L) saves the open draft, closes any dialog, drops the store (its
key and connections) and every decrypted view, and shows the unlock page; unlocking
returns to the same case, form and field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
)

from ddassess.services.settings import get_setting, set_setting
from ddassess.services.vault import Store, store_exists
from ddassess.ui.caselist import CaseListWidget
from ddassess.ui.referral import NewReferralDialog
from ddassess.ui.setup_page import FirstRunPage
from ddassess.ui.suspend import SuspendWatcher
from ddassess.ui.unlock_page import UnlockPage

if TYPE_CHECKING:
    from ddassess.formengine import Catalogue
    from ddassess.ui.casepage import CasePage

_INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
                 QEvent.Type.TabletPress, QEvent.Type.TouchBegin}


@dataclass
class Place:
    case_id: int | None = None
    response_id: int | None = None
    field: str | None = None


class IdleWatcher(QObject):
    """Restarts the idle timer on any user input anywhere in the application."""

    def __init__(self, timer: QTimer, parent: QObject) -> None:
        super().__init__(parent)  # deleted with the window, and then Qt drops the filter too
        self.timer = timer

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in _INPUT_EVENTS and self.timer.isActive():
            self.timer.start()
        return False


class MainWindow(QMainWindow):
    def __init__(self, folder: Path, catalogue: Catalogue | Callable[[], Catalogue], *,
                 demo_passphrase: str | None = None) -> None:
        super().__init__()
        self.folder = folder
        # The forms catalogue is needed only when a case is opened: given as a loader, it is
        # read then, and start-up to the unlocked case list does not wait for it.
        self._catalogue = catalogue
        self.store: Store | None = None
        self.place = Place()
        self.setWindowTitle("ddassess — DEMO (fictional people)" if demo_passphrase else "ddassess")
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.unlock_page = UnlockPage(folder, demo_passphrase=demo_passphrase)
        self.unlock_page.store_ready.connect(self.unlocked)
        self.stack.addWidget(self.unlock_page)
        self.setup_page: FirstRunPage | None = None
        self.workspace: QTabWidget | None = None
        self.idle = QTimer(self, singleShot=True)
        self.idle.timeout.connect(self.lock)
        self.watcher = IdleWatcher(self.idle, self)
        QApplication.instance().installEventFilter(self.watcher)
        self.suspend = SuspendWatcher(self)
        self.suspend.suspending.connect(self.lock)
        self._menus()
        if store_exists(folder):
            self.show_unlock()
        else:
            self.setup_page = FirstRunPage(folder)
            self.setup_page.store_ready.connect(self.unlocked)
            self.stack.addWidget(self.setup_page)
            self.stack.setCurrentWidget(self.setup_page)
        self._enable(False)

    @property
    def catalogue(self) -> Catalogue:
        if callable(self._catalogue):
            self._catalogue = self._catalogue()
        return self._catalogue

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_action = QAction("&New referral…", self, shortcut=QKeySequence.StandardKey.New)
        self.lock_action = QAction("&Lock", self, shortcut=QKeySequence("Ctrl+L"))
        self.settings_action = QAction("&Settings…", self, shortcut=QKeySequence.StandardKey.Preferences)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        for a in (self.new_action, self.settings_action, self.lock_action, quit_action):
            file_menu.addAction(a)
        self.settings_action.triggered.connect(self.open_settings)
        self.new_action.triggered.connect(self.new_referral)
        self.lock_action.triggered.connect(self.lock)
        quit_action.triggered.connect(self.close)
        self.verify_action = QAction("&Verify a care plan…", self)
        self.print_many_action = QAction("&Print care plans of selected cases…", self)
        file_menu.insertAction(self.lock_action, self.verify_action)
        file_menu.insertAction(self.lock_action, self.print_many_action)
        self.print_many_action.triggered.connect(self.print_selected_plans)
        self.verify_action.triggered.connect(self.open_verify)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About ddassess", self)
        about.triggered.connect(lambda: QMessageBox.about(self, "ddassess", "Joint dual-diagnosis assessment on "
                                                          "an encrypted local store. GPL-3.0-or-later."))
        help_menu.addAction(about)

    def _enable(self, unlocked: bool) -> None:
        for action in (self.new_action, self.lock_action, self.settings_action, self.verify_action,
                       self.print_many_action):
            action.setEnabled(unlocked)

    def print_selected_plans(self) -> None:
        from ddassess.ui.careplan_actions import print_many

        assert self.store is not None
        print_many(self, self.store, self.catalogue, self.case_list.selected_case_ids())

    def open_verify(self) -> None:
        from ddassess.ui.careplan_actions import VerifyDialog

        assert self.store is not None
        VerifyDialog(self.store, self).exec()

    def open_settings(self) -> None:
        from ddassess.ui.settings_dialog import SettingsDialog

        assert self.store is not None
        if SettingsDialog(self.store, self).exec():
            self.apply_settings()

    def apply_settings(self) -> None:
        assert self.store is not None
        self.idle.setInterval(int(get_setting(self.store, "idle_lock_minutes")) * 60_000)
        self.idle.start()
        self.case_list.model.date_format = get_setting(self.store, "date_format")
        self.case_list.apply()
        size = int(get_setting(self.store, "font_size") or 0)
        app = QApplication.instance()
        font = app.font()
        if size and font.pointSize() != size:
            font.setPointSize(size)
            app.setFont(font)

    # unlocking ----------------------------------------------------------------------

    def show_unlock(self, *, after_lock: bool = False) -> None:
        """At start-up the keyring may unlock by itself; after a lock the passphrase is asked,
        since a lock that the keyring lifted on its own would protect nothing."""
        self.stack.setCurrentWidget(self.unlock_page)
        if after_lock:
            self.unlock_page.note.setText("Locked to protect the cases on screen. Enter your passphrase to continue "
                                          "where you were.")
            self.unlock_page.passphrase.setFocus()
        else:
            self.unlock_page.try_keyring()

    def unlocked(self, store: Store) -> None:
        self.store = store
        owner = store.owner()
        self.statusBar().showMessage(f"{owner.name if owner else ''} · store {store.store_id[:8]} · unlocked by "
                                     f"{store.unlocked_by}")
        self.workspace = QTabWidget()
        self.workspace.setTabsClosable(True)
        self.workspace.tabCloseRequested.connect(self._close_tab)
        self.case_list = CaseListWidget(store)
        self.case_list.case_opened.connect(self.open_case)
        self.workspace.addTab(self.case_list, "Cases")
        self.workspace.tabBar().setTabButton(0, self.workspace.tabBar().ButtonPosition.RightSide, None)
        self.stack.addWidget(self.workspace)
        self.stack.setCurrentWidget(self.workspace)
        self._enable(True)
        self.apply_settings()
        place, self.place = self.place, Place()
        if place.case_id is not None:
            self.open_case(place.case_id, place.response_id, place.field)
        else:
            self.case_list.search.setFocus()
            self._offer_recovery()

    def _offer_recovery(self) -> None:
        """A draft that was open when ddassess last stopped without closing it (crash, kill)."""
        assert self.store is not None
        draft = get_setting(self.store, "open_draft")
        if not draft:
            return
        answer = QMessageBox.question(self, "Return to your form?", "ddassess stopped while a form was open. "
                                      "Every change was saved. Return to it now?")
        if answer == QMessageBox.StandardButton.Yes:
            self.open_case(draft["case_id"], draft["response_id"])
        else:
            set_setting(self.store, "open_draft", None)

    # the workspace -------------------------------------------------------------------

    def open_case(self, case_id: int, response_id: int | None = None, field: str | None = None) -> CasePage:
        from ddassess.ui.casepage import CasePage

        assert self.workspace is not None and self.store is not None
        for i in range(1, self.workspace.count()):
            page = self.workspace.widget(i)
            if isinstance(page, CasePage) and page.case_id == case_id:
                self.workspace.setCurrentIndex(i)
                break
        else:
            page = CasePage(self.store, self.catalogue, case_id)
            self.workspace.addTab(page, page.detail.ref)
            self.workspace.setCurrentWidget(page)
        if response_id is not None:
            page.open_response(response_id, field)
        return page

    def _close_tab(self, index: int) -> None:
        assert self.workspace is not None and self.store is not None
        page = self.workspace.widget(index)
        if not isinstance(page, CaseListWidget):
            page.close_form()
            set_setting(self.store, "open_draft", None)
        self.workspace.removeTab(index)
        page.deleteLater()

    def new_referral(self) -> None:
        assert self.store is not None
        dialog = NewReferralDialog(self.store, self)
        if dialog.exec() and dialog.case_id is not None:
            self.case_list.apply()
            page = self.open_case(dialog.case_id)
            page.new_form.setCurrentIndex(page.new_form.findData("referral"))
            page.start_form()

    # locking ------------------------------------------------------------------------

    def current_case_page(self) -> CasePage | None:
        page = self.workspace.currentWidget() if self.workspace is not None else None
        return None if page is None or isinstance(page, CaseListWidget) else page

    def lock(self) -> None:
        if self.store is None:
            return
        for _ in range(10):  # an open dialog must not stop the lock
            modal = QApplication.activeModalWidget()
            if modal is None or modal is self:
                break
            modal.close()
        page = self.current_case_page()
        self.place = Place()
        if page is not None:
            self.place.case_id = page.case_id
            if page.form_page is not None:
                self.place.response_id = page.form_page.response.id
                self.place.field = page.form_page.view.focused_field()
        assert self.workspace is not None
        for i in range(self.workspace.count()):
            w = self.workspace.widget(i)
            if not isinstance(w, CaseListWidget):
                w.close_form()
        self.case_list.model.clear()
        self.stack.removeWidget(self.workspace)
        self.workspace.deleteLater()
        self.workspace = None
        self.idle.stop()
        self.store.close()
        self.store = None
        self._enable(False)
        self.statusBar().showMessage("Locked")
        self.show_unlock(after_lock=True)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        if self.store is not None:
            page = self.current_case_page()
            if page is not None:
                page.close_form()
            set_setting(self.store, "open_draft", None)
            self.store.close()
            self.store = None
        super().closeEvent(event)
