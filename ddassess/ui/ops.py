"""Slow work off the GUI thread: ``Op(parent, fn).success(cb).failure(cb).run()``.

The function runs on Qt's global thread pool; its result or exception comes back to the
GUI thread through a signal. If the parent widget is gone by then, nothing is called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QWidget

_running: set[Op] = set()  # keeps each Op alive until its callback has run


class _Relay(QObject):
    done = Signal(object, object)  # (result, exception)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn, self.relay = fn, relay

    def run(self) -> None:
        try:
            result, exc = self.fn(), None
        except BaseException as error:  # noqa: BLE001 - handed to the failure callback on the GUI thread
            result, exc = None, error
        try:
            self.relay.done.emit(result, exc)
        except RuntimeError:  # the relay is gone: the application is closing, nobody waits for this
            pass


class Op:
    def __init__(self, parent: QWidget, fn: Callable[[], Any]) -> None:
        self.parent, self.fn = parent, fn
        self._success: Callable[[Any], None] = lambda _r: None
        self._failure: Callable[[BaseException], None] | None = None
        self.relay = _Relay()
        self.relay.done.connect(self._finish)

    def success(self, cb: Callable[[Any], None]) -> Op:
        self._success = cb
        return self

    def failure(self, cb: Callable[[BaseException], None]) -> Op:
        self._failure = cb
        return self

    def run(self) -> Op:
        _running.add(self)
        QThreadPool.globalInstance().start(_Job(self.fn, self.relay))
        return self

    def _finish(self, result: Any, exc: BaseException | None) -> None:
        _running.discard(self)
        try:
            self.parent.objectName()  # raises RuntimeError if the widget was deleted
        except RuntimeError:
            return
        if exc is None:
            self._success(result)
        elif self._failure is not None:
            self._failure(exc)
        else:
            from ddassess.ui.errors import show_error

            show_error(self.parent, exc)
