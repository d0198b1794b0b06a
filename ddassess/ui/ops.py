"""Slow work off the GUI thread: ``Op(parent, fn).success(cb).failure(cb).run()``.

The function runs on Qt's global thread pool; its result or exception comes back to the
GUI thread through a signal. If the parent widget is gone by then, nothing is called.

An operation usually closes over the store (``lambda: first_page(store, ...)``). When the
store is locked, ``disown_within(widget)`` makes every operation started by that widget or
its children let go of it: one that has not started never runs its function, one that is
running is waited for (store reads are a page or a count: milliseconds), and neither calls
back nor keeps its result or exception. After it returns, no operation of those widgets
holds a reference to the store, so the lock leaves no store in memory.

The outcome is typed: ``Op[T]`` gives its success callback the ``T`` that the function
returned, and its failure callback the ``Exception`` it raised (a ``UserFacingError`` in
its own words, anything else a bug shown as such). ``KeyboardInterrupt`` and ``SystemExit``
are not outcomes of the work: the operation calls nothing back and holds nothing, and the
exception goes on out of the pool thread as Python means it (PySide6 reports it; a
``SystemExit`` ends the application with its code).

An operation that changes the store says what it changed (``.changes(Change.CASES)``); on
success, after its own callback, ``ui.changes`` tells every view through one signal, and
the views refresh themselves (Anki's ``CollectionOp`` and ``operation_did_execute``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QWidget

from ddassess.ui.changes import Change, announce

log = logging.getLogger(__name__)

T = TypeVar("T")

_running: set[Op[Any]] = set()  # keeps each Op alive until its callback has run
DISOWN_WAIT_SECONDS = 30.0  # a running read that takes longer than this is a bug; the lock goes on


@dataclass(frozen=True)
class Succeeded(Generic[T]):
    value: T


@dataclass(frozen=True)
class Failed:
    error: Exception


Outcome = Succeeded[T] | Failed | None  # None: nothing to deliver (disowned, or stopped by a BaseException)


class _Relay(QObject):
    done = Signal(object)  # the Outcome


class _Work(Generic[T]):
    """What one operation runs, shared by the Op (GUI thread) and its job (a pool thread).
    ``finished`` is set once the job holds nothing of what ``fn`` closed over."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self.fn: Callable[[], T] | None = fn
        self.guard = threading.Lock()
        self.started = False
        self.disowned = False
        self.finished = threading.Event()

    def take(self) -> Callable[[], T] | None:
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


class _Job(QRunnable, Generic[T]):
    def __init__(self, work: _Work[T], relay: _Relay) -> None:
        super().__init__()
        self.work, self.relay = work, relay

    def run(self) -> None:
        fn = self.work.take()
        outcome: Outcome[T] = None
        try:
            if fn is not None:
                try:
                    outcome = Succeeded(fn())
                except Exception as error:  # noqa: BLE001 - handed to the failure callback on the GUI thread
                    outcome = Failed(error)
                fn = None  # the closure (and the store in it) goes before anyone is told
        finally:  # a BaseException passes on out of here, after the Op is told it is over
            fn = None
            with self.work.guard:
                if self.work.disowned:  # nobody wants it: keep nothing that could reach the store
                    outcome = None
            try:
                self.relay.done.emit(outcome)
            except RuntimeError:  # the relay is gone: the application is closing, nobody waits for this
                pass
            finally:
                outcome = None
                self.work.finished.set()


class Op(Generic[T]):
    def __init__(self, parent: QWidget, fn: Callable[[], T]) -> None:
        self.parent = parent
        self._success: Callable[[T], None] = lambda _r: None
        self._failure: Callable[[Exception], None] | None = None
        self._changes = Change.NOTHING
        self._case_id: int | None = None
        self.relay = _Relay()
        self.relay.done.connect(self._finish)
        self.work: _Work[T] = _Work(fn)

    def success(self, cb: Callable[[T], None]) -> Op[T]:
        self._success = cb
        return self

    def failure(self, cb: Callable[[Exception], None]) -> Op[T]:
        self._failure = cb
        return self

    def changes(self, what: Change, case_id: int | None = None) -> Op[T]:
        """What a success changes in the store (of one case, or of any): announced after the callback."""
        self._changes, self._case_id = what, case_id
        return self

    def run(self) -> Op[T]:
        _running.add(self)
        QThreadPool.globalInstance().start(_Job(self.work, self.relay))
        return self

    def disown(self) -> None:
        """Let go of the function and whatever it closed over; no callback will run."""
        self._success = lambda _r: None
        self._failure = lambda _e: None
        if self.work.disown() and not self.work.finished.wait(DISOWN_WAIT_SECONDS):
            log.error("an operation still runs %.0f s after its widget let it go", DISOWN_WAIT_SECONDS)

    def _finish(self, outcome: Outcome[T]) -> None:
        _running.discard(self)
        if self.work.disowned or outcome is None:
            return
        try:
            self.parent.objectName()  # raises RuntimeError if the widget was deleted
        except RuntimeError:
            return
        if isinstance(outcome, Succeeded):
            self._success(outcome.value)
            if self._changes:
                announce(self._changes, self._case_id, initiator=self.parent)
        elif self._failure is not None:
            self._failure(outcome.error)
        else:
            from ddassess.ui.errors import show_error

            show_error(self.parent, outcome.error)


def disown_within(widget: QWidget) -> None:
    """Every operation started by ``widget`` or a widget inside it lets go (see the module's notes)."""
    for op in list(_running):
        try:
            mine = op.parent is widget or widget.isAncestorOf(op.parent)
        except RuntimeError:  # the parent was deleted: its operation calls nothing back anyway
            mine = True
        if mine:
            op.disown()
