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


def test_the_result_and_the_error_come_back_typed_to_their_own_callbacks(qtbot):
    from ddassess.errors import UserFacingError

    parent = QWidget()
    qtbot.addWidget(parent)
    got: list[object] = []
    Op(parent, lambda: 41 + 1).success(got.append).failure(lambda e: got.append(("failed", e))).run()
    qtbot.waitUntil(lambda: got == [42], timeout=5000)

    def refuse() -> int:
        raise UserFacingError("That case is closed.", hint="Reopen it first.")

    Op(parent, refuse).success(got.append).failure(got.append).run()
    qtbot.waitUntil(lambda: len(got) == 2, timeout=5000)
    assert isinstance(got[1], UserFacingError) and "That case is closed." in str(got[1])


def test_a_keyboard_interrupt_is_not_an_outcome_and_leaves_nothing_behind(qtbot):
    """KeyboardInterrupt and SystemExit are not failures of the work to show the user: no
    callback runs, the operation is forgotten, and the exception goes on out of the thread."""
    from ddassess.ui import ops

    parent = QWidget()
    qtbot.addWidget(parent)
    called: list[object] = []

    def interrupted() -> None:
        raise KeyboardInterrupt

    with qtbot.capture_exceptions() as raised:
        op = Op(parent, interrupted).success(called.append).failure(called.append).run()
        assert QThreadPool.globalInstance().waitForDone(10_000)
        assert op.work.finished.is_set()
        qtbot.waitUntil(lambda: op not in ops._running, timeout=5000)  # delivered: nothing to call back
        qtbot.wait(50)
    assert called == []
    assert [kind for kind, _exc, _tb in raised] == [KeyboardInterrupt]  # not swallowed: it goes on out


def test_an_operation_announces_what_it_changed_only_when_it_succeeded(qtbot):
    from ddassess.ui.changes import Change, hub

    parent = QWidget()
    qtbot.addWidget(parent)
    heard: list[tuple[object, object]] = []
    order: list[str] = []

    def hear(change: object, initiator: object) -> None:
        heard.append((change, initiator))
        order.append("announced")

    hub().changed.connect(hear)  # the application's one signal: let go of it after (it outlives the test)
    try:
        Op(parent, lambda: 7).success(lambda _n: order.append("callback")).changes(Change.CASES, 7).run()
        qtbot.waitUntil(lambda: len(heard) == 1, timeout=5000)
        change, initiator = heard[0]
        assert change.what == Change.CASES and change.case_id == 7 and initiator is parent
        assert change.touches(Change.CASES | Change.RESPONSES, 7) and not change.touches(Change.CASES, 8)
        assert not change.touches(Change.SETTINGS)
        assert order == ["callback", "announced"]  # the op's own callback first

        def fails() -> None:
            raise ValueError("no")

        done: list[object] = []
        Op(parent, fails).failure(done.append).changes(Change.CASES).run()
        qtbot.waitUntil(lambda: len(done) == 1, timeout=5000)
        qtbot.wait(50)
        assert len(heard) == 1  # nothing changed
    finally:
        hub().changed.disconnect(hear)
