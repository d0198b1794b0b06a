"""Sync with the team server from the window: on demand, in the background, and its state.

One ``Syncer`` per window. While the store is open and a team server is set (File →
Settings), it syncs when the store opens, soon after a save (debounced: a burst of saves is
one sync), and every ``sync_every_minutes``; File → Sync now (F5, or the status
bar's button) syncs at once. Only one sync runs at a time, off the GUI thread (``ui.ops``),
through ``services.sync`` (the window never holds the connection or the TLS key).

The status bar's one permanent label says where things stand: "Syncing… 3 pages
received", "N changes waiting to send", "Up to date (synced 10:42)", "Offline since
09:15", and "· N conflicts" (a click opens the conflict inbox). Without a server it says
only what waits to be sent, as before. A server that cannot be reached is retried quietly,
sooner at first and then less often (never more often than every 30 seconds); any other
failure (no certificate yet, the server refused this laptop) is said once, through
``ui.errors``, when the sync was asked for, and in the label's tooltip otherwise.

Locking (``stop``) stops the timers, cancels a sync under way (its connection is shut at
once, so a request waiting on the server fails) and calls back when the worker has let go
of the store; the GUI thread never waits for it. What was received before is applied whole
(the engine applies each page in one transaction with its cursor), nothing half.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QToolButton

from ddassess.services.sync import SyncCounts, SyncProgress, SyncRun, sync_counts, unreachable
from ddassess.ui.changes import Change, Changed, announce, hub
from ddassess.ui.errors import show_error
from ddassess.ui.ops import Op

if TYPE_CHECKING:
    from ddassess.formengine import Catalogue
    from ddassess.services.sync import SyncReport
    from ddassess.services.vault import Store

RETRY_FIRST_MS = 30_000  # offline: first retry after this, doubling up to the sync interval
AFTER_SAVE_MS = 10_000  # a save is synced this long after the last of a burst


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class StatusLabel(QLabel):
    """The permanent label; a click while conflicts are open opens the conflict inbox."""

    clicked = Signal()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class _Relay(QObject):
    progressed = Signal(object)  # SyncProgress, from the worker thread (queued to the GUI thread)


class Syncer(QObject):
    def __init__(self, window: QMainWindow, catalogue: Callable[[], Catalogue],
                 open_conflicts: Callable[[], object], refresh: Callable[[], None]) -> None:
        """``refresh`` counts (off the GUI thread, let go at a lock) and calls ``counted``."""
        super().__init__(window)
        self.window = window
        self._catalogue = catalogue
        self._open_conflicts = open_conflicts
        self.refresh = refresh
        self.store: Store | None = None
        self.address = ""
        self.every_ms = 5 * 60_000
        self.after_save_ms = AFTER_SAVE_MS
        self.retry_first_ms = RETRY_FIRST_MS
        self.page_size = 500  # items a page of what is received (the engine's)
        self.run: SyncRun | None = None
        self.op: Op[tuple[SyncReport, SyncCounts | None]] | None = None
        self.progress: SyncProgress | None = None
        self.counts = SyncCounts(0, 0)
        self.synced_at: dt.datetime | None = None
        self.offline_since: dt.datetime | None = None
        self.problem = ""  # why syncing does not work (not offline): the label's tooltip
        self._retry_ms = 0
        self._again = False  # asked for while a sync ran: one more after it
        self._saved_meanwhile = False  # a save while a sync ran: the next one comes soon after it
        self._on_stopped: list[Callable[[], None]] = []
        self.label = StatusLabel("", window)
        self.label.setAccessibleName("Sync and changes waiting to send")
        self.label.clicked.connect(self._label_clicked)
        self.label.hide()
        self.button = QToolButton(window)
        self.button.clicked.connect(self._button_clicked)
        self.button.hide()
        self.timer = QTimer(self, singleShot=True)  # the next background sync
        self.timer.timeout.connect(self.sync_in_background)
        self._relay = _Relay()
        self._relay.progressed.connect(self._progressed)
        hub().changed.connect(self._changed)

    # the session ----------------------------------------------------------------------

    def start(self, store: Store) -> None:
        """The store is open (``configure`` gave the settings): show the counts, and sync
        now if a server is set."""
        self.store = store
        self.synced_at = self.offline_since = None
        self.problem = ""
        self._retry_ms = 0
        self.refresh()
        if self.address:
            self.sync_in_background()
        self.show_state()

    def configure(self, address: str, every_minutes: int) -> None:
        """The settings changed (or the store opened): the server and how often."""
        changed = address != self.address
        self.address, self.every_ms = address, every_minutes * 60_000
        if changed:
            self.offline_since = None
            self.problem = ""
            self._retry_ms = 0
        if self.store is None:
            return
        if not self.address:
            self.timer.stop()
        elif changed and self.run is None:
            self.sync_in_background()
        elif self.run is None and not self.offline_since:
            self.timer.start(self.every_ms)
        self.show_state()

    @property
    def running(self) -> bool:
        return self.run is not None

    def stop(self, then: Callable[[], None]) -> None:
        """The store is locking: no more syncs; a sync under way is cancelled and its
        connection shut. ``then`` is called once no worker holds the store (at once if
        none runs); the GUI thread does not wait."""
        self.timer.stop()
        self.store = None
        self._again = False
        self.label.hide()
        self.button.hide()
        if self.run is None:
            then()
            return
        self._on_stopped.append(then)
        self.run.cancel()

    def stop_now(self) -> None:
        """The window closes: cancel, and wait (the application is ending) until the worker
        has let go of the store."""
        self.timer.stop()
        self.store = None
        self._on_stopped.clear()
        if self.run is not None and self.op is not None:
            self.run.cancel()
            self.op.disown()
        self.run = self.op = None

    # syncing --------------------------------------------------------------------------

    def sync_now(self) -> None:
        """File → Sync now: at once; a failure is said in a message."""
        if self.store is None:
            return
        if not self.address:
            show_error(self.window, _no_server())
            return
        self._start(asked=True)

    def sync_in_background(self) -> None:
        if self.store is not None and self.address:
            self._start(asked=False)

    def soon(self) -> None:
        """Something was saved: sync a little later (a burst of saves is one sync). A save
        made while a sync runs may have missed it: the next sync comes soon after it."""
        if self.run is not None:
            self._saved_meanwhile = True
        elif self.store is not None and self.address and not self.offline_since:
            self.timer.start(min(self.after_save_ms, self.timer.remainingTime())
                             if self.timer.isActive() else self.after_save_ms)

    def cancel(self) -> None:
        if self.run is not None:
            self.run.cancel()
            self.show_state()

    def _start(self, *, asked: bool) -> None:
        if self.run is not None:
            self._again = self._again or asked
            return
        store, address, relay, page_size = self.store, self.address, self._relay, self.page_size
        assert store is not None
        catalogue = self._catalogue()
        self.timer.stop()
        run = self.run = SyncRun()
        self.progress = SyncProgress(0, 0, 0)

        def work() -> tuple[SyncReport, SyncCounts | None]:
            outcome = run.run(store, address, catalogue=catalogue, progress=relay.progressed.emit, page_size=page_size)
            # The counts after it, read by the same worker: the label never says "up to date" over stale ones.
            return outcome, None if run.cancelled else sync_counts(store)

        self.op = Op(self.window, work).success(lambda done: self._done(run, done[0], None, asked, done[1])) \
            .failure(lambda exc: self._done(run, None, exc, asked)).run()
        self.show_state()

    def _progressed(self, progress: SyncProgress) -> None:
        if self.run is not None:
            self.progress = progress
            self.show_state()

    def _done(self, run: SyncRun, outcome: SyncReport | None, error: Exception | None, asked: bool,
              counts: SyncCounts | None = None) -> None:
        if run is not self.run:
            return
        self.run = self.op = None
        self.progress = None
        saved_meanwhile, self._saved_meanwhile = self._saved_meanwhile, False
        waiting, self._on_stopped = self._on_stopped, []
        for then in waiting:  # a lock waited for this worker: the store may close now
            then()
        if self.store is None:
            return
        now = dt.datetime.now()
        if error is not None:
            if unreachable(error):
                self.offline_since = self.offline_since or now
                self._retry_ms = min(max(self._retry_ms * 2, self.retry_first_ms), max(self.every_ms,
                                                                                      self.retry_first_ms))
                self.timer.start(self._retry_ms)
                if asked:
                    show_error(self.window, error)
            else:
                self.problem = str(error)  # with its hint: what to do
                self.timer.start(self.every_ms)
                if asked:
                    show_error(self.window, error)
            self.refresh()  # what waits to be sent now (a save may be why this sync ran)
            self.show_state()
            return
        assert outcome is not None
        self.offline_since, self.problem, self._retry_ms = None, "", 0
        if counts is not None:
            self.counts = counts
        if not outcome.cancelled:
            self.synced_at = now
        if outcome.pulled or outcome.pushed or outcome.roster_adopted:
            # What arrived: the case list, the case pages and their headers refresh themselves.
            announce(Change.CASES | Change.RESPONSES | Change.CARE_PLANS, None, initiator=self)
        else:
            self.refresh()
        if self._again:
            self._again = False
            self._start(asked=True)
            return
        self.timer.start(self.after_save_ms if saved_meanwhile else self.every_ms)
        self.show_state()

    # what the label says --------------------------------------------------------------

    def _changed(self, change: Changed, initiator: object) -> None:
        """A change made here (not one this sync received) is sent soon."""
        if change.touches(Change.CASES | Change.RESPONSES | Change.CARE_PLANS) and initiator is not self:
            self.soon()

    def counted(self, counts: SyncCounts) -> None:
        self.counts = counts
        self.show_state()

    def state_text(self) -> str:
        parts = []
        if self.run is not None:
            p = self.progress or SyncProgress(0, 0, 0)
            if self.run.cancelled:
                parts.append("Stopping the sync…")
            elif p.pages:
                parts.append(f"Syncing… {_plural(p.pages, 'page')} received ({p.received} items)"
                             + (f", {p.sent} sent" if p.sent else ""))
            elif p.sent:
                parts.append(f"Syncing… {p.sent} items sent")
            else:
                parts.append("Syncing…")
        elif self.address and self.offline_since is not None:
            parts.append(f"Offline since {self.offline_since:%H:%M}")
        elif self.address and self.problem:
            parts.append("Not syncing (see why here)")
        if self.run is None and self.counts.waiting:
            parts.append(f"{_plural(self.counts.waiting, 'change')} waiting to send")
        elif self.run is None and self.address and not self.offline_since and not self.problem:
            parts.append(f"Up to date (synced {self.synced_at:%H:%M})" if self.synced_at else "Not synced yet")
        if self.counts.conflicts:
            parts.append(_plural(self.counts.conflicts, "conflict"))
        return " · ".join(parts)

    def show_state(self) -> None:
        if self.store is None:
            self.label.hide()
            self.button.hide()
            return
        text = self.state_text()
        self.label.setText(text)
        self.label.setVisible(bool(text))
        tips = []
        if self.problem:
            tips.append(self.problem)
        if self.counts.conflicts:
            tips.append("Click to see the conflicts and settle them.")
        self.label.setToolTip("\n".join(tips))
        self.label.setCursor(Qt.CursorShape.PointingHandCursor if self.counts.conflicts
                             else Qt.CursorShape.ArrowCursor)
        if self.run is not None:
            self.button.setText("Stop sync")
            self.button.setEnabled(not self.run.cancelled)
        else:
            self.button.setText("Sync now")
            self.button.setEnabled(True)
        self.button.setVisible(bool(self.address))

    def _label_clicked(self) -> None:
        if self.counts.conflicts and self.store is not None:
            self._open_conflicts()

    def _button_clicked(self) -> None:
        if self.run is not None:
            self.cancel()
        else:
            self.sync_now()


def _no_server() -> Exception:
    from ddassess.errors import UserFacingError

    return UserFacingError("No team server is set, so there is nothing to sync with.",
                           hint="Set its address in File → Settings (ask the team lead for it); without one, "
                           "send changes as bundle files (File → Send changes…).")


def add_to_status_bar(window: QMainWindow, syncer: Syncer) -> None:
    bar = window.statusBar()
    bar.addPermanentWidget(syncer.label)
    bar.addPermanentWidget(syncer.button)


