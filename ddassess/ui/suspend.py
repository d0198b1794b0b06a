"""Lock when the laptop goes to sleep or the desktop session is locked, where the system
says so: logind's PrepareForSleep and the session's Lock signal on D-Bus (Linux), and
Qt's application state (Suspended) elsewhere. With no system bus (a container, a test)
nothing is connected and the idle timer and Ctrl+L still lock."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication

log = logging.getLogger(__name__)

LOGIN1 = "org.freedesktop.login1"


class SuspendWatcher(QObject):
    suspending = Signal()

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        QGuiApplication.instance().applicationStateChanged.connect(self._state_changed)
        self.connected = self._connect_logind()

    def _connect_logind(self) -> bool:
        from PySide6.QtDBus import QDBusConnection

        bus = QDBusConnection.systemBus()
        if not bus.isConnected():
            log.info("no system bus: sleep and session lock are not watched")
            return False
        ok_sleep = bus.connect(LOGIN1, "/org/freedesktop/login1", f"{LOGIN1}.Manager", "PrepareForSleep",
                               self, "1prepare_for_sleep(bool)")
        ok_lock = bus.connect(LOGIN1, "/org/freedesktop/login1/session/auto", f"{LOGIN1}.Session", "Lock",
                              self, "1session_locked()")
        return bool(ok_sleep or ok_lock)

    @Slot(bool)
    def prepare_for_sleep(self, going_to_sleep: bool) -> None:
        if going_to_sleep:
            self.suspending.emit()

    @Slot()
    def session_locked(self) -> None:
        self.suspending.emit()

    def _state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationSuspended:
            self.suspending.emit()
