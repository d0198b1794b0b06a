"""Lock when the laptop goes to sleep or the desktop session is locked, where the system
says so: logind's PrepareForSleep and the session's Lock signal on D-Bus (Linux), and
Qt's application state (Suspended) elsewhere. With no system bus (a container, a test)
nothing is connected and the idle timer and Ctrl+L still lock.

logind emits Lock on the session's real object path (``.../session/_32``), never on the
``session/auto`` alias, so the path is asked for first: ``GetSession`` with
``$XDG_SESSION_ID``, else ``GetSession("auto")`` (logind resolves it to the caller's
session). A "delay" inhibitor lock is held while awake, so that on PrepareForSleep the
open drafts are saved (the lock waits for the disk) before the inhibitor is released and
the machine sleeps; it is taken again on waking.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from ddassess.ui.widgets import application

if TYPE_CHECKING:
    from PySide6.QtDBus import QDBusInterface

log = logging.getLogger(__name__)

LOGIN1 = "org.freedesktop.login1"
MANAGER_PATH = "/org/freedesktop/login1"


def object_path_from_reply(reply: Any) -> str | None:
    """The object path a logind method returned, or None for an error or another reply."""
    from PySide6.QtDBus import QDBusMessage, QDBusObjectPath

    if reply.type() != QDBusMessage.MessageType.ReplyMessage or not reply.arguments():
        return None
    value = reply.arguments()[0]
    if isinstance(value, QDBusObjectPath):
        value = value.path()
    if isinstance(value, str) and value.startswith(MANAGER_PATH + "/session/"):
        return value
    return None


class SuspendWatcher(QObject):
    suspending = Signal()

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        application().applicationStateChanged.connect(self._state_changed)
        self._inhibitor = None  # the fd of logind's delay lock, while we hold one
        self.session_path: str | None = None
        self.connected = self._connect_logind()

    def _manager(self) -> QDBusInterface:
        from PySide6.QtDBus import QDBusConnection, QDBusInterface

        return QDBusInterface(LOGIN1, MANAGER_PATH, f"{LOGIN1}.Manager", QDBusConnection.systemBus())

    def _connect_logind(self) -> bool:
        from PySide6.QtDBus import QDBusConnection

        bus = QDBusConnection.systemBus()
        if not bus.isConnected():
            log.info("no system bus: sleep and session lock are not watched")
            return False
        ok_sleep = bus.connect(LOGIN1, MANAGER_PATH, f"{LOGIN1}.Manager", "PrepareForSleep",
                               self, b"1prepare_for_sleep(bool)")
        manager = self._manager()
        for session_id in filter(None, (os.environ.get("XDG_SESSION_ID"), "auto")):
            self.session_path = object_path_from_reply(manager.call("GetSession", session_id))
            if self.session_path:
                break
        ok_lock = False
        if self.session_path:
            ok_lock = bus.connect(LOGIN1, self.session_path, f"{LOGIN1}.Session", "Lock", self, b"1session_locked()")
        else:
            log.info("no logind session found: the desktop session lock is not watched")
        if ok_sleep:
            self._take_inhibitor()
        return bool(ok_sleep or ok_lock)

    def _take_inhibitor(self) -> None:
        reply = self._manager().call("Inhibit", "sleep", "ddassess", "Saving the open form before sleep", "delay")
        args = reply.arguments()
        self._inhibitor = args[0] if args else None  # a QDBusUnixFileDescriptor; dropping it releases the lock

    def _release_inhibitor(self) -> None:
        self._inhibitor = None

    @Slot(bool)
    def prepare_for_sleep(self, going_to_sleep: bool) -> None:
        if going_to_sleep:
            self.suspending.emit()  # the lock saves and waits for the disk before it returns
            self._release_inhibitor()
        elif self.connected:
            self._take_inhibitor()

    @Slot()
    def session_locked(self) -> None:
        self.suspending.emit()

    def _state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationSuspended:
            self.suspending.emit()
