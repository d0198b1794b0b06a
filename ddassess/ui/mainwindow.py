"""The one window: set-up or unlock page while locked, the workspace while unlocked.

Whether the store is locked, being unlocked, opening, open or being locked is the
window's ``session`` (``services.session``): one explicit state with checked transitions.
The window follows it: the menu actions are enabled from one table (``ui.actions``) on
every move, and leaving an opening that did not open drops the cases it showed.

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
then the session is open and the list gets its store. What is typed, filtered or opened
meanwhile is kept and done then. Nothing on the start-up path imports SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QStackedWidget, QWidget

from ddassess.errors import UserFacingError
from ddassess.services.session import Opening, Phase, Session
from ddassess.services.vault import recovery_key_notice, store_exists
from ddassess.ui import menu_commands as commands
from ddassess.ui.actions import MenuActions
from ddassess.ui.caselist import COUNT_CAP, PAGE, CaseListWidget
from ddassess.ui.changes import Change, Changed, hub
from ddassess.ui.errors import show_error
from ddassess.ui.ops import Op
from ddassess.ui.suspend import SuspendWatcher
from ddassess.ui.syncing import Syncer, add_to_status_bar
from ddassess.ui.unlock_page import UnlockPage
from ddassess.ui.watchers import AfterFirstPaint, IdleWatcher
from ddassess.ui.widgets import apply_text_size
from ddassess.ui.workspace import Places, Workspace, offer_return

if TYPE_CHECKING:
    from ddassess.formengine import Catalogue
    from ddassess.services.session import State
    from ddassess.services.vault import Store, Unlocked
    from ddassess.ui.autosave import DraftWriter
    from ddassess.ui.casepage import CasePage
    from ddassess.ui.setup_page import FirstRunPage

# The status bar's words for how the store was opened (Store.unlocked_by).
UNLOCKED_HOW = {"created": "new store, set up just now", "passphrase": "unlocked with your passphrase",
                "keyring": "unlocked with the system keyring", "recovery": "opened with the recovery key"}


class MainWindow(QMainWindow):
    def __init__(self, folder: Path, catalogue: Catalogue | Callable[[], Catalogue], *,
                 demo_passphrase: str | None = None) -> None:
        super().__init__()
        self.folder = folder
        # The forms catalogue is needed only when a case is opened: given as a loader, it is
        # read then, and start-up to the unlocked case list does not wait for it.
        self._catalogue = catalogue
        self.session: Session[Store, Unlocked] = Session(store_exists=store_exists(folder))
        self.writer: DraftWriter | None = None  # one thread writing drafts, while the session is open
        self.conflicts_dialog: QWidget | None = None  # File → Conflicts… while it is open
        self.workspace: Workspace | None = None
        self.places = Places()
        self.setWindowTitle("ddassess — DEMO (fictional people)" if demo_passphrase else "ddassess")
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.unlock_page = UnlockPage(folder, demo_passphrase=demo_passphrase)
        self.unlock_page.attempt_started.connect(self._attempt_started)
        self.unlock_page.attempt_failed.connect(self._attempt_failed)
        self.unlock_page.key_ready.connect(self.opening)
        self.unlock_page.store_ready.connect(self._opened_at_once)
        self.stack.addWidget(self.unlock_page)
        self.setup_page: FirstRunPage | None = None
        self.idle = QTimer(self, singleShot=True)
        self.idle.timeout.connect(self.lock)
        self.watcher = IdleWatcher(self.idle, self)
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self.watcher)
        self.suspend = SuspendWatcher(self)
        self.suspend.suspending.connect(self.lock)
        self.menu = MenuActions(self, {
            "new": lambda: commands.new_referral(self), "settings": lambda: commands.open_settings(self),
            "verify": lambda: commands.open_verify(self), "countersign": lambda: commands.sign_received(self),
            "print_many": lambda: commands.print_selected_plans(self),
            "signing_setup": lambda: commands.open_signing_setup(self), "lock": self.lock, "quit": self.close,
            "finalise": lambda: commands.finalise_open_form(self), "export": lambda: commands.export_data(self),
            "import_fhir": lambda: commands.import_fhir(self), "team_view": lambda: commands.open_team_view(self),
            "agenda": lambda: commands.open_agenda(self), "history": lambda: commands.open_case_history(self),
            "conflicts": lambda: commands.open_conflicts(self),
            "send_changes": lambda: commands.send_changes(self),
            "receive_changes": lambda: commands.receive_changes(self),
            "sync_now": lambda: self.sync.sync_now()})
        self.new_action, self.settings_action, self.lock_action = self.menu.new, self.menu.settings, self.menu.lock
        # The team server (ui/syncing.py) and its one status label: "N changes waiting to send" (what
        # the colleagues in this laptop's care teams have not been sent), up to date, offline, conflicts.
        self.sync = Syncer(self, lambda: self.catalogue, lambda: commands.open_conflicts(self), self.refresh_waiting)
        self.waiting_label = self.sync.label
        add_to_status_bar(self, self.sync)
        self.session.subscribe(self._follow)
        hub().changed.connect(self._changed)
        if self.session.phase is Phase.SETUP:
            from ddassess.ui.setup_page import FirstRunPage  # only needed on the first run

            self.setup_page = FirstRunPage(folder)
            self.setup_page.store_ready.connect(self._opened_at_once)
            self.stack.addWidget(self.setup_page)
            self.stack.setCurrentWidget(self.setup_page)
        else:
            self.show_unlock()
        self.menu.follow(self.session.phase)

    @property
    def store(self) -> Store | None:
        """The store while the session is open; None otherwise."""
        return self.session.store

    @property
    def case_list(self) -> CaseListWidget | None:  # shown while the session is opening or open
        return self.workspace.case_list if self.workspace is not None else None

    @property
    def catalogue(self) -> Catalogue:
        if callable(self._catalogue):
            self._catalogue = self._catalogue()
        return self._catalogue

    def _follow(self, old: State[Unlocked, Store], new: State[Unlocked, Store]) -> None:
        """Every move of the session: the actions that work now, and no cases left on screen
        by an opening that did not open."""
        self.menu.follow(new.phase)
        if isinstance(old, Opening) and new.phase is not Phase.OPEN:
            self._drop_workspace()

    def _changed(self, change: Changed, _initiator: object) -> None:
        if change.touches(Change.SETTINGS) and self.store is not None:
            self.apply_settings()
        if change.touches(Change.CASES | Change.RESPONSES | Change.CARE_PLANS):
            self.refresh_waiting()

    def refresh_waiting(self) -> None:
        """Count, off the GUI thread, what is waiting to be sent and the open conflicts; shown
        in the status bar. The count lets go of the store at a lock, as the workspace's reads do."""
        store, workspace = self.store, self.workspace
        if store is None or workspace is None:
            self.waiting_label.hide()
            return
        from ddassess.services.sync import sync_counts

        Op(workspace, lambda: sync_counts(store)).success(self.sync.counted) \
            .failure(lambda _exc: self.waiting_label.hide()).run()

    def apply_settings(self) -> None:
        from ddassess.services.settings import get_number, get_setting, look

        assert self.store is not None
        self.idle.setInterval(get_number(self.store, "idle_lock_minutes") * 60_000)
        self.idle.start()
        self._apply_look(look(self.store))
        self.sync.configure(get_setting(self.store, "sync_server"), get_number(self.store, "sync_every_minutes"))

    def _apply_look(self, look: dict[str, Any]) -> None:
        """The date format and the text size (0: the system's)."""
        if self.case_list is not None:
            self.case_list.model.set_date_format(look["date_format"])
        apply_text_size(int(look["font_size"] or 0))

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

    def _attempt_started(self) -> None:
        if self.session.phase is not Phase.CLOSED:
            self.session.begin_unlock()

    def _attempt_failed(self) -> None:
        if self.session.phase is not Phase.CLOSED:  # (an attempt that ended after the window closed)
            self.session.unlock_failed()

    def opening(self, unlocked: Unlocked) -> None:
        """The key was accepted: show the first page of cases now and open the store off
        the GUI thread; the session opens, or the unlock page says what went wrong."""
        from ddassess.services.case_list_rows import first_page_at_start
        from ddassess.services.settings import look_at_start
        from ddassess.services.vault import finish_open

        if self.session.phase is Phase.CLOSED:  # the window closed while the key was checked
            unlocked.release()
            return
        opening = self.session.key_accepted(unlocked)
        try:
            look = look_at_start(unlocked)  # as the practitioner set it, so nothing changes once open
            self._apply_look(look)  # the text size first: the list sizes its columns with it
            self._show_workspace(CaseListWidget(None, first=first_page_at_start(unlocked, PAGE, COUNT_CAP),
                                                date_format=look["date_format"]))
        except BaseException:
            self.session.opening_failed(opening)  # the key and the lock are not left behind, nor the list
            raise
        self.statusBar().showMessage("Opening the store…")

        def finish() -> Store | None:
            store = finish_open(unlocked)
            if opening.unwanted.is_set():  # locked or closed meanwhile: nothing stays open
                store.close()
                return None
            return store

        def start() -> None:
            if self.session.take_key(opening):  # not if locked or closed before it started (the key is released)
                Op(self, finish).success(lambda store: self._opened(opening, store)).failure(
                    lambda exc: self._not_opened(opening, exc)).run()

        assert self.case_list is not None
        # Loading SQLAlchemy on another thread still takes turns at Python with this one: it
        # starts once the cases are painted, so it cannot hold their first paint back; or
        # after half a second if they are not painted (the window minimised or covered).
        if self.isVisible():
            AfterFirstPaint(self.case_list.table.viewport(), start)
            QTimer.singleShot(500, self, start)
        else:
            start()

    def _opened(self, opening: Opening[Unlocked], store: Store | None) -> None:
        chosen = list(opening.chosen)
        if store is not None and self.session.finish_opening(opening, store):
            self.unlocked(store, chosen)

    def _not_opened(self, opening: Opening[Unlocked], exc: BaseException) -> None:
        """The store was unlocked but could not be opened (a damaged audit page): no case
        stays on screen, and the unlock page says why."""
        if not self.session.opening_failed(opening):
            return  # locked or closed meanwhile: nobody waits for this
        self.statusBar().clearMessage()
        self.stack.setCurrentWidget(self.unlock_page)
        self.unlock_page.show_failure(exc)

    def _opened_at_once(self, store: Store) -> None:
        """Set-up made the store, or the recovery key opened it (and set a new passphrase)."""
        if self.session.phase is Phase.CLOSED:
            store.close()
            return
        self.session.opened(store)
        self.unlocked(store, [])

    def _show_workspace(self, case_list: CaseListWidget) -> None:
        self.workspace = Workspace(case_list, self._close_tab)
        case_list.case_opened.connect(self._case_chosen)
        case_list.new_referral.connect(self.new_action.trigger)
        self.stack.addWidget(self.workspace)
        self.stack.setCurrentWidget(self.workspace)
        case_list.search.setFocus()

    def _tell_about_recovery_key(self, store: Store) -> None:
        """A new recovery key that was never confirmed (an interrupted rotation): say so,
        without blocking the cases behind it."""
        notice = recovery_key_notice(store)
        if notice:
            self.recovery_notice = QMessageBox(QMessageBox.Icon.Warning, "ddassess — make a new recovery key",
                                               notice, QMessageBox.StandardButton.Ok, self)
            self.recovery_notice.open()

    def _case_chosen(self, case_id: int) -> None:
        if isinstance(self.session.state, Opening):
            self.session.choose(case_id)  # opened as soon as the store is
            self.statusBar().showMessage("Opening the store… the case opens in a moment")
        else:
            self.open_case(case_id)

    def unlocked(self, store: Store, chosen: list[int]) -> None:
        """The session is open: the list gets its store, and the tabs open at the lock (and
        any case chosen while the store opened) come back."""
        from ddassess.ui.autosave import DraftWriter

        self.writer = DraftWriter(store)
        self.writer.saved.connect(lambda _key, _result: self.sync.soon())  # a saved draft is sent soon
        self._forget_first_run()
        owner = store.owner()
        self.statusBar().showMessage(f"{owner.name if owner else ''} · store {store.store_id[:8]} · "
                                     f"{UNLOCKED_HOW.get(store.unlocked_by, 'unlocked')}")
        if self.case_list is None:
            self._show_workspace(CaseListWidget(store))
        else:  # the list was shown while the store opened
            self.case_list.attach(store)
        self.apply_settings()
        self.sync.start(store)
        self._tell_about_recovery_key(store)
        places, self.places = self.places, Places()
        if places.tabs:
            assert self.workspace is not None
            self.workspace.reopen(places, self.open_case)
        for case_id in chosen:  # opened in the list while the store opened
            self.open_case(case_id)
        if not chosen and not places.tabs:
            offer_return(self, store, self.open_case)

    def _forget_first_run(self) -> None:
        """The recovery key is shown once: after set-up its page (and the key) are gone."""
        if self.setup_page is None:
            return
        page, self.setup_page = self.setup_page, None
        page.forget()
        self.stack.removeWidget(page)
        page.deleteLater()

    # the workspace -------------------------------------------------------------------

    def open_case(self, case_id: int, response_id: int | None = None, field: str | None = None, *,
                  cursor: int | None = None) -> CasePage:
        from ddassess.ui.casepage import CasePage

        assert self.workspace is not None and self.store is not None
        page = self.workspace.case_page(case_id)
        if page is not None:
            self.workspace.setCurrentWidget(page)
        else:
            page = CasePage(self.store, self.catalogue, case_id)
            page.writer = self.writer
            self.workspace.addTab(page, page.detail.ref)
            self.workspace.setCurrentWidget(page)
        if response_id is not None:
            page.open_response(response_id, field, cursor)
        return page

    def _close_tab(self, index: int) -> None:
        from ddassess.services.settings import set_setting

        assert self.workspace is not None and self.store is not None
        page = self.workspace.widget(index)
        if page is None or page is self.workspace.case_list:
            return  # the list's tab has no close button
        if not hasattr(page, "close_form"):  # the Team view: nothing to save
            self.workspace.removeTab(index)
            page.deleteLater()
            return
        if not cast("CasePage", page).close_form():
            return  # not saved: the tab stays open with the form and its message
        set_setting(self.store, "open_draft", None)
        self.workspace.removeTab(index)
        page.deleteLater()

    # locking ------------------------------------------------------------------------

    def current_case_page(self) -> CasePage | None:
        return self.workspace.current_case_page() if self.workspace is not None else None

    def case_pages(self) -> list[CasePage]:
        return self.workspace.case_pages() if self.workspace is not None else []

    def lock(self) -> None:
        was_open = self.store is not None
        if not self.session.begin_lock():
            return  # nothing open or opening: nothing on screen to hide
        if not was_open:  # it was opening: leaving that dropped the list; the store is closed once open
            self.session.locked()
            self.statusBar().showMessage("Locked")
            self.show_unlock(after_lock=True)
            return
        # A sync under way is cancelled first (its connection shut at once); the store closes once
        # its worker has let go of it, without the GUI thread waiting for it.
        sync_stopped: list[bool] = []
        views_gone: list[bool] = []

        def finish() -> None:
            if sync_stopped and views_gone:
                self._locked(views_gone[0])

        def sync_let_go() -> None:
            sync_stopped.append(True)
            finish()

        self.sync.stop(sync_let_go)
        for _ in range(10):  # an open dialog must not stop the lock
            modal = QApplication.activeModalWidget()
            if modal is None or modal is self:
                break
            modal.close()
        for popup in QApplication.topLevelWidgets():  # dialogs that are not modal
            if popup is not self and popup.isVisible() and self._owns(popup):
                popup.close()
        assert self.workspace is not None
        self.places = self.workspace.places()
        saved = self.workspace.save_all()
        self._drop_workspace()
        self.idle.stop()
        views_gone.append(saved)
        if not sync_stopped:  # nothing decrypted is on screen; unlocking waits until the sync let go
            self.unlock_page.setEnabled(False)
            self.stack.setCurrentWidget(self.unlock_page)
            self.statusBar().showMessage("Locking… stopping the sync")
        finish()

    def _locked(self, saved: bool) -> None:
        """The views are gone and no sync holds the store: it closes, and the unlock page shows."""
        self.session.locked()  # closes the store
        self.unlock_page.setEnabled(True)
        self.waiting_label.hide()
        self.statusBar().showMessage("Locked")
        self.show_unlock(after_lock=True)
        if not saved:
            QTimer.singleShot(0, self, lambda: show_error(self, UserFacingError(
                "A form's latest answers could not be saved before ddassess locked.",
                hint="Unlock and check the form; the message before this one said why the save failed.")))

    def _owns(self, widget: QWidget) -> bool:
        parent = widget.parentWidget()
        while parent is not None and parent is not self:
            parent = parent.parentWidget()
        return parent is self

    def _drop_workspace(self) -> None:
        """Every decrypted view and every reference to the store goes."""
        if self.workspace is not None:
            self.workspace.drop()
        if self.writer is not None:
            self.writer.stop()
            self.writer = None
        if self.workspace is not None:
            self.stack.removeWidget(self.workspace)
            self.workspace = None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.session.phase is Phase.LOCKING:  # (a message shown while locking): close once locked
            event.ignore()
            QTimer.singleShot(0, self, self.close)
            return
        store = self.store
        if store is not None:
            from ddassess.services.settings import set_setting

            assert self.workspace is not None
            if not self.workspace.save_all() and QMessageBox.warning(
                    self, "Quit without saving?", "The latest answers of an open form could not be saved (the "
                    "message before this one said why). Quit anyway and lose them?",
                    QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                    QMessageBox.StandardButton.Cancel) != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
            set_setting(store, "open_draft", None)
            self._drop_workspace()
        self.sync.stop_now()  # the application ends: a sync under way stops before the store closes
        self.session.close()  # an opening is abandoned, an open store closed
        super().closeEvent(event)
