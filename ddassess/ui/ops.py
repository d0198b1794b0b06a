"""Slow work off the GUI thread: ``Op(parent, fn).success(cb).failure(cb).run()``.

The function runs on Qt's global thread pool; its result or exception comes back to the
GUI thread through a signal. If the parent widget is gone by then, nothing is called.

An operation usually closes over the store (``lambda: first_page(store, ...)``). When the
store is locked, ``disown_within(widget)`` makes every operation started by that widget or
its children let go of it: one that has not started never runs its function, one that is
running is waited for (store reads are a page or a count: milliseconds), and neither calls
back nor keeps its result or exception. After it returns, no operation of those widgets
holds a reference to the store, so the lock leaves no store in memory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

_running: set[Op] = set()  # keeps each Op alive until its callback has run
DISOWN_WAIT_SECONDS = 30.0  # a running read that takes longer than this is a bug; the lock goes on


class _Relay(QObject):
    done = Signal(object, object)  # (result, exception)


class _Work:
    """What one operation runs, shared by the Op (GUI thread) and its job (a pool thread).
    ``finished`` is set once the job holds nothing of what ``fn`` closed over."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn: Callable[[], Any] | None = fn
        self.guard = threading.Lock()
        self.started = False
        self.disowned = False
        self.finished = threading.Event()

    def take(self) -> Callable[[], Any] | None:
        with self.guard:
            fn, self.fn = self.fn, None
            self.started = True
            return fn

    def disown(self) -> bool:
        """Drop the function; True if it is running now (the caller may wait for ``finished``)."""
        with self.guard:
            self.fn = None
            self.disowned = True
            return self.started and not self.finished.is_set()


class _Job(QRunnable):
    def __init__(self, work: _Work, relay: _Relay) -> None:
        super().__init__()
        self.work, self.relay = work, relay

    def run(self) -> None:
        fn = self.work.take()
        result: Any = None
        exc: BaseException | None = None
        if fn is not None:
            try:
                result = fn()
            except BaseException as error:  # noqa: BLE001 - handed to the failure callback on the GUI thread
                exc = error
            fn = None  # the closure (and the store in it) goes before anyone is told
        with self.work.guard:
            if self.work.disowned:  # nobody wants it: keep nothing that could reach the store
                result = exc = None
        try:
            self.relay.done.emit(result, exc)
        except RuntimeError:  # the relay is gone: the application is closing, nobody waits for this
            pass
        finally:
            result = exc = None
            self.work.finished.set()


class Op:
    def __init__(self, parent: QWidget, fn: Callable[[], Any]) -> None:
        self.parent = parent
        self._success: Callable[[Any], None] = lambda _r: None
        self._failure: Callable[[BaseException], None] | None = None
        self.relay = _Relay()
        self.relay.done.connect(self._finish)
        self.work = _Work(fn)

    def success(self, cb: Callable[[Any], None]) -> Op:
        self._success = cb
        return self

    def failure(self, cb: Callable[[BaseException], None]) -> Op:
        self._failure = cb
        return self

    def run(self) -> Op:
        _running.add(self)
        QThreadPool.globalInstance().start(_Job(self.work, self.relay))
        return self

    def disown(self) -> None:
        """Let go of the function and whatever it closed over; no callback will run."""
        self._success = lambda _r: None
        self._failure = lambda _e: None
        if self.work.disown() and not self.work.finished.wait(DISOWN_WAIT_SECONDS):
            log.error("an operation still runs %.0f s after its widget let it go", DISOWN_WAIT_SECONDS)

    def _finish(self, result: Any, exc: BaseException | None) -> None:
        _running.discard(self)
        if self.work.disowned:
            return
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


def disown_within(widget: QWidget) -> None:
    """Every operation started by ``widget`` or a widget inside it lets go (see the module's notes)."""
    for op in list(_running):
        try:
            mine = op.parent is widget or widget.isAncestorOf(op.parent)
        except RuntimeError:  # the parent was deleted: its operation calls nothing back anyway
            mine = True
        if mine:
            op.disown()
