"""The one window: set-up or unlock page while locked, the workspace while unlocked.

Locking (idle time, Ctrl+L, sleep, the desktop session locking) saves the open drafts and
waits for them to be on the disk, closes any dialog, drops the store (its key and
connections) and every decrypted view (the case list, the case pages, the dialogs: after
a lock no widget holds a Store or shows a person), and shows the unlock page; unlocking
reopens the same case tabs, forms and fields.

A question that the lock closed is not an answer: every flow that asked one checks that
it is still the same unlocked session (``self.store is store``) before going on.

Start-up shows the cases before the store is fully open: once the key is accepted
(``opening``) the first page of the list, read with SQLCipher alone, is on screen while
SQLAlchemy loads and the unlock is recorded off the GUI thread (about half a second);
then ``unlocked`` gives the list its store. What is typed, filtered or opened meanwhile is
kept and done then. Nothing on the start-up path imports SQLAlchemy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from ddassess.errors import UserFacingError
from ddassess.services.vault import recovery_key_notice, store_exists
from ddassess.ui.caselist import COUNT_CAP, PAGE, CaseListWidget
from ddassess.ui.errors import show_error
from ddassess.ui.ops import Op, disown_within
from ddassess.ui.suspend import SuspendWatcher
from ddassess.ui.unlock_page import UnlockPage

if TYPE_CHECKING:
    from ddassess.formengine import Catalogue
    from ddassess.services.vault import Store, Unlocked
    from ddassess.ui.autosave import DraftWriter
    from ddassess.ui.casepage import CasePage
    from ddassess.ui.setup_page import FirstRunPage

_INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
                 QEvent.Type.TabletPress, QEvent.Type.TouchBegin}


@dataclass
class Place:
    case_id: int | None = None
    response_id: int | None = None
    field: str | None = None


@dataclass
class Places:
    """The case tabs open when the store was locked, and which one was current."""

    tabs: list[Place] = field(default_factory=list)
    current: int | None = None


class IdleWatcher(QObject):
    """Restarts the idle timer on any user input anywhere in the application."""

    def __init__(self, timer: QTimer, parent: QObject) -> None:
        super().__init__(parent)  # deleted with the window, and then Qt drops the filter too
        self.timer = timer

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in _INPUT_EVENTS and self.timer.isActive():
            self.timer.start()
        return False


class AfterFirstPaint(QObject):
    """Calls ``then`` once ``widget`` has been painted (after that paint, from the event loop)."""

    def __init__(self, widget: QWidget, then: Callable[[], None]) -> None:
        super().__init__(widget)
        self.then = then
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            QTimer.singleShot(0, self.then)
            self.deleteLater()
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
        self.writer: DraftWriter | None = None  # one thread writing drafts, per unlocked store
        self.case_list: CaseListWidget | None = None
        self.places = Places()
        self._opening: threading.Event | None = None  # set: the store being opened is not wanted
        self._waiting: Unlocked | None = None  # unlocked, its opening not started yet
        self._chosen: int | None = None  # a case opened in the list before the store was open
        self.setWindowTitle("ddassess — DEMO (fictional people)" if demo_passphrase else "ddassess")
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.unlock_page = UnlockPage(folder, demo_passphrase=demo_passphrase)
        self.unlock_page.key_ready.connect(self.opening)
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
            from ddassess.ui.setup_page import FirstRunPage  # only needed on the first run

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
        self.countersign_action = QAction("Sign a &received care plan…", self)
        self.signing_setup_action = QAction("Si&gning set-up…", self)
        for a in (self.verify_action, self.countersign_action, self.print_many_action, self.signing_setup_action):
            file_menu.insertAction(self.lock_action, a)
        self.countersign_action.triggered.connect(self.sign_received)
        self.signing_setup_action.triggered.connect(self.open_signing_setup)
        self.print_many_action.triggered.connect(self.print_selected_plans)
        self.verify_action.triggered.connect(self.open_verify)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About ddassess", self)
        about.triggered.connect(lambda: QMessageBox.about(self, "ddassess", "Joint dual-diagnosis assessment on "
                                                          "an encrypted local store. GPL-3.0-or-later."))
        help_menu.addAction(about)

    def _enable(self, unlocked: bool) -> None:
        for action in (self.new_action, self.lock_action, self.settings_action, self.verify_action,
                       self.print_many_action, self.countersign_action, self.signing_setup_action):
            action.setEnabled(unlocked)

    def print_selected_plans(self) -> None:
        from ddassess.ui.careplan_actions import print_many

        assert self.store is not None and self.case_list is not None
        print_many(self, self.store, self.catalogue, self.case_list.selected_case_ids())

    def _run_dialog(self, dialog: QDialog) -> bool:
        """exec() a dialog made here, then delete it: a dialog kept as the window's child
        would keep the store (and what it showed) alive after a lock. True only if it was
        accepted by the user in this same unlocked session, not closed by a lock."""
        store = self.store
        try:
            return bool(dialog.exec()) and self.store is store
        finally:
            dialog.deleteLater()

    def open_verify(self) -> None:
        from ddassess.ui.careplan_actions import VerifyDialog

        assert self.store is not None
        self._run_dialog(VerifyDialog(self.store, self))

    def sign_received(self) -> None:
        """Add your signature (partner, team lead) to a care plan PDF others signed."""
        from ddassess.ui.careplan_actions import sign_received_plan

        assert self.store is not None
        sign_received_plan(self, self.store)

    def open_signing_setup(self) -> None:
        """Team authority, your signing certificate, or an organisation's .p12."""
        from ddassess.ui.signing_setup import open_signing_setup

        assert self.store is not None
        open_signing_setup(self, self.store)

    def open_settings(self) -> None:
        from ddassess.ui.settings_dialog import SettingsDialog

        assert self.store is not None
        if self._run_dialog(SettingsDialog(self.store, self)):
            self.apply_settings()

    def apply_settings(self) -> None:
        from ddassess.services.settings import get_number, look

        assert self.store is not None
        self.idle.setInterval(get_number(self.store, "idle_lock_minutes") * 60_000)
        self.idle.start()
        self._apply_look(look(self.store))

    def _apply_look(self, look: dict[str, Any]) -> None:
        """The date format and the text size (0: the system's)."""
        if self.case_list is not None:
            self.case_list.model.set_date_format(look["date_format"])
        size = int(look["font_size"] or 0)
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

    def opening(self, unlocked: Unlocked) -> None:
        """The key was accepted: show the first page of cases now and open the store off
        the GUI thread; ``unlocked`` follows, or the unlock page with what went wrong."""
        from ddassess.services.case_list_rows import first_page_at_start
        from ddassess.services.settings import look_at_start
        from ddassess.services.vault import finish_open

        unwanted = self._opening = threading.Event()
        self._waiting = unlocked  # until its opening starts; a lock before that releases it
        try:
            look = look_at_start(unlocked)  # as the practitioner set it, so nothing changes once open
            self._apply_look(look)  # the text size first: the list sizes its columns with it
            self._show_workspace(CaseListWidget(None, first=first_page_at_start(unlocked, PAGE, COUNT_CAP),
                                                date_format=look["date_format"]))
        except BaseException:
            self._stop_opening()  # the key and the lock are not left behind
            raise
        self.statusBar().showMessage("Opening the store…")
        self.lock_action.setEnabled(True)  # cases are on screen: Ctrl+L must hide them (lock() stops the opening)

        def finish() -> Store | None:
            store = finish_open(unlocked)
            if unwanted.is_set():  # locked or closed meanwhile: nothing stays open
                store.close()
                return None
            return store

        def start() -> None:
            if self._waiting is not unlocked:
                return  # locked or closed before it started: already released
            self._waiting = None
            op = Op(self, finish).success(lambda store: self._opened(unwanted, store))
            op.failure(lambda exc: self._not_opened(unwanted, exc)).run()

        assert self.case_list is not None
        # Loading SQLAlchemy on another thread still takes turns at Python with this one: it
        # starts once the cases are painted, so it cannot hold their first paint back; or
        # after half a second if they are not painted (the window minimised or covered).
        if self.isVisible():
            AfterFirstPaint(self.case_list.table.viewport(), start)
            QTimer.singleShot(500, self, start)
        else:
            start()

    def _opened(self, unwanted: threading.Event, store: Store | None) -> None:
        if store is None:
            return
        if unwanted.is_set():
            store.close()
            return
        self._opening = None
        self.unlocked(store)

    def _not_opened(self, unwanted: threading.Event, exc: BaseException) -> None:
        """The store was unlocked but could not be opened (a damaged audit page): no case
        stays on screen, and the unlock page says why."""
        if unwanted.is_set():
            return
        self._stop_opening()  # a case chosen meanwhile is not opened after some later unlock
        self.statusBar().clearMessage()
        self.stack.setCurrentWidget(self.unlock_page)
        self.unlock_page.failed(exc)

    def _show_workspace(self, case_list: CaseListWidget) -> None:
        self.workspace = QTabWidget()
        self.workspace.setTabsClosable(True)
        self.workspace.tabCloseRequested.connect(self._close_tab)
        self.case_list = case_list
        self.case_list.case_opened.connect(self._case_chosen)
        self.workspace.addTab(self.case_list, "Cases")
        self.workspace.tabBar().setTabButton(0, self.workspace.tabBar().ButtonPosition.RightSide, None)
        self.stack.addWidget(self.workspace)
        self.stack.setCurrentWidget(self.workspace)
        self.case_list.search.setFocus()

    def _tell_about_recovery_key(self, store: Store) -> None:
        """A new recovery key that was never confirmed (an interrupted rotation): say so,
        without blocking the cases behind it."""
        notice = recovery_key_notice(store)
        if notice:
            self.recovery_notice = QMessageBox(QMessageBox.Icon.Warning, "ddassess — make a new recovery key",
                                               notice, QMessageBox.StandardButton.Ok, self)
            self.recovery_notice.open()

    def _case_chosen(self, case_id: int) -> None:
        if self.store is None:
            self._chosen = case_id  # opened as soon as the store is
            self.statusBar().showMessage("Opening the store… the case opens in a moment")
        else:
            self.open_case(case_id)

    def unlocked(self, store: Store) -> None:
        from ddassess.ui.autosave import DraftWriter

        self.store = store
        self.writer = DraftWriter(store)
        self._forget_first_run()
        owner = store.owner()
        self.statusBar().showMessage(f"{owner.name if owner else ''} · store {store.store_id[:8]} · unlocked by "
                                     f"{store.unlocked_by}")
        if self.case_list is None:
            self._show_workspace(CaseListWidget(store))
        else:  # the list was shown while the store opened
            self.case_list.attach(store)
        self._enable(True)
        self.apply_settings()
        self._tell_about_recovery_key(store)
        places, self.places = self.places, Places()
        chosen, self._chosen = self._chosen, None
        if places.tabs:
            self._reopen(places)
        if chosen is not None:  # opened in the list while the store opened
            self.open_case(chosen)
        elif not places.tabs:
            self._offer_recovery()

    def _forget_first_run(self) -> None:
        """The recovery key is shown once: after set-up its page (and the key) are gone."""
        if self.setup_page is None:
            return
        page, self.setup_page = self.setup_page, None
        page.forget()
        self.stack.removeWidget(page)
        page.deleteLater()

    def _reopen(self, places: Places) -> None:
        """Every case tab open at the lock, each with its form; the current one current,
        with the focus on the same field."""
        from ddassess.errors import RecordNotFound

        pages = []
        for place in places.tabs:
            try:
                assert place.case_id is not None
                pages.append((self.open_case(place.case_id, place.response_id, place.field), place))
            except RecordNotFound:  # gone meanwhile (another process): nothing to return to
                continue
        if places.current is not None and 0 <= places.current < len(places.tabs):
            wanted = places.tabs[places.current]
            for page, place in pages:
                if place is wanted:
                    assert self.workspace is not None
                    self.workspace.setCurrentWidget(page)
                    if page.form_page is not None:
                        page.form_page.view.focus_field(place.field)

    def _offer_recovery(self) -> None:
        """A draft that was open when ddassess last stopped without closing it (crash, kill)."""
        from ddassess.services.settings import get_setting, set_setting

        store = self.store
        assert store is not None
        draft = get_setting(store, "open_draft")
        if not draft:
            return
        answer = QMessageBox.question(self, "Return to your form?", "ddassess stopped while a form was open. "
                                      "Every change was saved. Return to it now?")
        if self.store is not store:
            return  # locked while asking: the question was closed, not answered (it is asked again)
        if answer == QMessageBox.StandardButton.Yes:
            try:
                self.open_case(draft["case_id"], draft["response_id"], draft.get("field"))
            except UserFacingError as exc:  # the form or case is no longer there
                set_setting(store, "open_draft", None)
                show_error(self, exc)
        else:
            set_setting(store, "open_draft", None)

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
            page.writer = self.writer
            self.workspace.addTab(page, page.detail.ref)
            self.workspace.setCurrentWidget(page)
        if response_id is not None:
            page.open_response(response_id, field)
        return page

    def _close_tab(self, index: int) -> None:
        from ddassess.services.settings import set_setting

        assert self.workspace is not None and self.store is not None
        page = self.workspace.widget(index)
        if not isinstance(page, CaseListWidget):
            if not page.close_form():
                return  # not saved: the tab stays open with the form and its message
            set_setting(self.store, "open_draft", None)
        self.workspace.removeTab(index)
        page.deleteLater()

    def new_referral(self) -> None:
        from ddassess.ui.referral import NewReferralDialog

        assert self.store is not None
        dialog = NewReferralDialog(self.store, self)
        if self._run_dialog(dialog) and dialog.case_id is not None:
            assert self.case_list is not None
            self.case_list.apply()
            page = self.open_case(dialog.case_id)
            page.new_form.setCurrentIndex(page.new_form.findData("referral"))
            page.start_form()

    # locking ------------------------------------------------------------------------

    def current_case_page(self) -> CasePage | None:
        page = self.workspace.currentWidget() if self.workspace is not None else None
        return None if page is None or isinstance(page, CaseListWidget) else page

    def case_pages(self) -> list[CasePage]:
        if self.workspace is None:
            return []
        pages = (self.workspace.widget(i) for i in range(self.workspace.count()))
        return [p for p in pages if not isinstance(p, CaseListWidget)]

    def _save_all(self) -> bool:
        """Close every open form, waiting until its answers are on the disk."""
        return all([page.close_form() for page in self.case_pages()])

    def lock(self) -> None:
        if self.store is None:
            if self._stop_opening():
                self.statusBar().showMessage("Locked")
                self.show_unlock(after_lock=True)
            return
        for _ in range(10):  # an open dialog must not stop the lock
            modal = QApplication.activeModalWidget()
            if modal is None or modal is self:
                break
            modal.close()
        for popup in QApplication.topLevelWidgets():  # dialogs that are not modal
            if popup is not self and popup.isVisible() and self._owns(popup):
                popup.close()
        current = self.current_case_page()
        self.places = Places()
        for page in self.case_pages():
            if page is current:
                self.places.current = len(self.places.tabs)
            form = page.form_page
            self.places.tabs.append(Place(page.case_id, form.response.id if form else None,
                                          form.view.focused_field() if form else None))
        saved = self._save_all()
        self._drop_workspace()
        self.idle.stop()
        self.store.close()
        self.store = None
        self._enable(False)
        self.statusBar().showMessage("Locked")
        self.show_unlock(after_lock=True)
        if not saved:
            QTimer.singleShot(0, self, lambda: show_error(self, UserFacingError(
                "A form's latest answers could not be saved before ddassess locked.",
                hint="Unlock and check the form; the message before this one said why the save failed.")))

    def _stop_opening(self) -> bool:
        """While the store is still opening (the list already shown), or when its opening
        failed: drop the list, and the store as soon as it is open. False if nothing was
        opening."""
        if self._opening is None:
            return False
        self._opening.set()
        self._opening = None
        if self._waiting is not None:  # not started: nobody else will release it
            self._waiting.release()
            self._waiting = None
        self._chosen = None
        self._enable(False)  # Lock was on while the cases showed
        self._drop_workspace()
        return True

    def _owns(self, widget: QWidget) -> bool:
        parent = widget.parentWidget()
        while parent is not None:
            if parent is self:
                return True
            parent = parent.parentWidget()
        return False

    def _drop_workspace(self) -> None:
        """Every decrypted view and every reference to the store goes."""
        for widget in (self.case_list, self.workspace):
            if widget is not None:  # a search or read still running lets go of the store
                disown_within(widget)
        if self.writer is not None:
            self.writer.stop()
            self.writer = None
        if self.case_list is not None:
            self.case_list.model.clear()
            self.case_list = None
        if self.workspace is not None:
            self.stack.removeWidget(self.workspace)
            self.workspace.deleteLater()
            self.workspace = None

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        self._stop_opening()
        if self.store is not None:
            from ddassess.services.settings import set_setting

            if not self._save_all() and QMessageBox.warning(
                    self, "Quit without saving?", "The latest answers of an open form could not be saved (the "
                    "message before this one said why). Quit anyway and lose them?",
                    QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                    QMessageBox.StandardButton.Cancel) != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
            set_setting(self.store, "open_draft", None)
            self._drop_workspace()
            self.store.close()
            self.store = None
        super().closeEvent(event)
