"""Work off the GUI thread lets go of the store when its widgets are locked away.

A lock must leave no reference to the store in memory; an operation that closed over it
(a search, the list of lead agencies) must drop it whether it is queued, running or done.
"""

from __future__ import annotations

import threading
import weakref

from PySide6.QtCore import QCoreApplication, QThreadPool
from PySide6.QtWidgets import QWidget

from ddassess.ui.ops import Op, disown_within


class FakeStore:
    """Stands for the store: the tests only need something to hold a weak reference to."""


def test_a_running_operation_is_waited_for_and_keeps_nothing(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    store = FakeStore()
    gone = weakref.ref(store)
    started, release = threading.Event(), threading.Event()
    called: list[object] = []

    def read(s: FakeStore = store) -> FakeStore:
        started.set()
        release.wait(10)
        return s  # the answer itself would hold the store

    op = Op(parent, read).success(called.append).failure(called.append).run()
    assert started.wait(10)
    threading.Timer(0.1, release.set).start()  # the read ends a moment after the lock began
    disown_within(parent)  # returns once the read has ended
    assert op.work.finished.is_set()
    QCoreApplication.processEvents()  # an answer already on its way is delivered, and dropped
    del store, read, op
    assert gone() is None, "the operation still holds the store"
    assert called == []


def test_a_queued_operation_never_runs_once_disowned(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    release = threading.Event()
    busy = [Op(parent, lambda: release.wait(10)).run() for _ in range(QThreadPool.globalInstance().maxThreadCount())]
    ran: list[str] = []
    waiting = Op(parent, lambda: ran.append("read the store")).run()  # every pool thread is busy: it waits
    for op in busy:
        op.work.disown()  # not waited for: they are blocked until released below
    waiting.work.disown()
    release.set()
    assert QThreadPool.globalInstance().waitForDone(10_000)
    QCoreApplication.processEvents()
    assert ran == []


def test_other_widgets_operations_are_left_alone(qtbot):
    locked, other = QWidget(), QWidget()
    qtbot.addWidget(locked)
    qtbot.addWidget(other)
    answers: list[str] = []
    child = QWidget(locked)
    release = threading.Event()
    mine = Op(child, lambda: release.wait(10) and "mine").success(answers.append).run()
    theirs = Op(other, lambda: release.wait(10) and "theirs").success(answers.append).run()
    release.set()
    disown_within(locked)
    assert mine.work.disowned and not theirs.work.disowned
    qtbot.waitUntil(lambda: answers == ["theirs"], timeout=5000)
