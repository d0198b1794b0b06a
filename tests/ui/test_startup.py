"""First run to an unlocked window; unlocking with every kind of answer."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from store_helpers import PASSPHRASE, damage_table
from ui_helpers import deleted_later, texts_on_screen, unlock_with_passphrase

from ddassess.keys import parse_recovery_key
from ddassess.store import Credentials, open_store
from ddassess.ui.caselist import CaseListWidget
from ddassess.ui.mainwindow import MainWindow


def test_first_run_to_unlocked_main_window(qtbot, catalogue, store_folder, monkeypatch):
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    page = w.setup_page
    assert w.stack.currentWidget() is page
    qtbot.keyClicks(page.name, "Testy McTestface")
    qtbot.keyClicks(page.passphrase, "short")
    assert "too short" in page.meter.words.text()  # said once, under the box
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)  # refused, saying why
    assert "too short" in page.strength.text() and page.created is None and page.steps.currentIndex() == 0
    page.passphrase.clear()
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    qtbot.keyClicks(page.confirm, PASSPHRASE + "x")
    assert "differ" in page.strength.text()
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    assert page.steps.currentIndex() == 0 and w.focusWidget() is page.confirm  # taken to what is wrong
    page.confirm.clear()
    qtbot.keyClicks(page.confirm, PASSPHRASE)
    assert page.create_button.isEnabled() and page.strength.text() == "Passphrase accepted."
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.steps.currentIndex() == 1, timeout=15_000)
    recovery = page.key_label.text()
    assert len(parse_recovery_key(recovery)) == 16
    assert not page.continue_button.isEnabled()  # not before the key is stored
    page.stored.setChecked(True)
    qtbot.keyClicks(page.test_passphrase, "not what I chose")
    qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
    assert "not the passphrase you chose" in page.test_error.text()
    page.test_passphrase.clear()
    qtbot.keyClicks(page.test_passphrase, PASSPHRASE)
    qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.store is not None)
    assert isinstance(w.workspace.widget(0), CaseListWidget)
    assert w.new_action.isEnabled() and w.lock_action.isEnabled()
    # The key was shown once: its page is gone, and no widget anywhere still holds its text.
    assert w.setup_page is None and page.created is None
    deleted_later(qtbot)
    assert not any(recovery in t for t in texts_on_screen())
    w.close()
    # The recovery key shown is the store's.
    open_store(store_folder, Credentials(recovery_key=recovery, use_keyring=False)).close()


def test_keyring_unlocks_without_asking(window):
    assert window.store.unlocked_by == "keyring"


def test_wrong_passphrase_then_right(qtbot, created, catalogue, store_folder):
    created.store.close()
    keyring.set_keyring(fail.Keyring())
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    page = w.unlock_page
    qtbot.keyClicks(page.passphrase, "wrong passphrase here")
    qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "does not unlock" in page.message.text(), timeout=10_000)
    assert w.store is None
    page.passphrase.clear()
    unlock_with_passphrase(qtbot, w)
    assert w.store.unlocked_by == "passphrase"
    w.close()


def test_store_errors_are_shown_in_words(qtbot, created, catalogue, store_folder):
    created.store.close()
    keyring.set_keyring(fail.Keyring())
    holder = open_store(store_folder, Credentials(passphrase=PASSPHRASE))  # someone else has it open
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    page = w.unlock_page
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "already open" in page.message.text(), timeout=10_000)
    holder.close()
    (store_folder / "ddassess.keys.json").write_text("{}")
    page.unlock()
    qtbot.waitUntil(lambda: "not a ddassess key file" in page.message.text(), timeout=10_000)
    w.close()


def test_recovery_key_sets_a_new_passphrase(qtbot, created, catalogue, store_folder):
    recovery = created.recovery_key
    created.store.close()
    keyring.set_keyring(fail.Keyring())
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    page = w.unlock_page
    qtbot.mouseClick(page.switch_button, Qt.MouseButton.LeftButton)
    typo = ("B" if recovery[0] != "B" else "C") + recovery[1:]  # always one character different
    qtbot.keyClicks(page.recovery, typo)
    qtbot.keyClicks(page.new_pass, "a brand new passphrase")
    qtbot.keyClicks(page.new_again, "a brand new passphrase")
    qtbot.mouseClick(page.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "mistyped" in page.message.text() or "belongs" in page.message.text(), timeout=10_000)
    page.recovery.clear()
    qtbot.keyClicks(page.recovery, recovery)
    qtbot.mouseClick(page.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.store is not None, timeout=10_000)
    w.close()
    open_store(store_folder, Credentials(passphrase="a brand new passphrase")).close()


# --- the cases show before the store is fully open ------------------------------------
# Once the key is accepted the list's first page is on screen (read with SQLCipher alone)
# while SQLAlchemy loads and the unlock is recorded off the GUI thread. These tests hold
# that second half back with a gate, to act in the gap as a quick user would.


@pytest.fixture
def gate(monkeypatch):
    """Holds ``finish_open`` (the second half of opening) until ``gate.set()``."""
    import threading

    from ddassess.services import vault

    gate = threading.Event()
    gate.entered = threading.Event()  # type: ignore[attr-defined]  # finish_open has started
    real = vault.finish_open

    def held(unlocked):  # type: ignore[no-untyped-def]
        gate.entered.set()  # type: ignore[attr-defined]
        assert gate.wait(20), "the test never opened the gate"
        return real(unlocked)

    monkeypatch.setattr(vault, "finish_open", held)
    yield gate
    gate.set()


def _fictional_cases(created, n: int = 30) -> None:
    from bulk import populate

    conn = created.store.raw_connection()
    populate(conn, n, 0)
    conn.close()
    created.store.close()


def _shown_while_opening(qtbot, created, catalogue, store_folder) -> MainWindow:
    _fictional_cases(created)
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitUntil(lambda: w.case_list is not None and w.case_list.model.rowCount() > 0, timeout=10_000)
    assert w.store is None
    return w


def test_cases_show_while_the_store_opens_and_typing_is_kept(qtbot, created, catalogue, store_folder, gate):
    w = _shown_while_opening(qtbot, created, catalogue, store_folder)
    cl = w.case_list
    assert w.stack.currentWidget() is w.workspace and cl.count.text() == "30 cases"
    assert cl.model.data(cl.model.index(0, 0)) == "BENCH-000029"  # newest first, as always
    assert "Opening the store" in w.statusBar().currentMessage()
    assert not w.new_action.isEnabled()  # nothing that needs the store yet
    assert not cl.model.canFetchMore()
    assert cl.search.hasFocus()
    qtbot.keyClicks(cl.search, "BENCH-00001")  # typed before the store is open
    qtbot.wait(50)
    assert cl.model.rowCount() == 30 and cl.search.text() == "BENCH-00001"
    assert cl.count.text().startswith("Opening the store…")  # not "30 cases" under a search for other ones
    gate.set()
    qtbot.waitUntil(lambda: w.store is not None, timeout=10_000)
    qtbot.waitUntil(lambda: cl.model.query.text == "BENCH-00001", timeout=5000)
    assert sorted(r.ref for r in cl.model.rows) == [f"BENCH-{i:06d}" for i in range(10, 20)]
    assert cl.count.text() == "10 cases"
    assert w.new_action.isEnabled() and "Testy McTestface" in w.statusBar().currentMessage()
    w.close()


def test_a_case_opened_while_the_store_opens_opens_once_it_is(qtbot, created, catalogue, store_folder, gate):
    from ddassess.ui.casepage import CasePage

    w = _shown_while_opening(qtbot, created, catalogue, store_folder)
    cl = w.case_list
    cl.table.setFocus()
    cl.table.setCurrentIndex(cl.model.index(2, 0))
    qtbot.keyClick(cl.table, Qt.Key.Key_Return)  # "activated": open this case
    wanted = cl.model.rows[2].case_id
    assert w.workspace.count() == 1
    gate.set()
    qtbot.waitUntil(lambda: w.workspace.count() == 2, timeout=10_000)
    page = w.workspace.currentWidget()
    assert isinstance(page, CasePage) and page.case_id == wanted
    w.close()


@pytest.mark.parametrize("when", ["before the cases are painted", "while the store is opening"])
def test_a_lock_while_the_store_opens_drops_the_cases_and_the_store(qtbot, created, catalogue, store_folder, gate,
                                                                     when):
    from PySide6.QtCore import QThreadPool

    if when == "before the cases are painted":  # the opening has not started: nothing else frees the lock
        _fictional_cases(created)
        w = MainWindow(store_folder, catalogue)
        qtbot.addWidget(w)

        def sleep_at_once(_unlocked):  # type: ignore[no-untyped-def]  # runs right after the window's own slot
            w.unlock_page.key_ready.disconnect(sleep_at_once)
            w.suspend.suspending.emit()

        w.unlock_page.key_ready.connect(sleep_at_once)
        w.show()
        qtbot.waitUntil(lambda: w.statusBar().currentMessage() == "Locked", timeout=10_000)
        assert not gate.entered.is_set()
    else:
        w = _shown_while_opening(qtbot, created, catalogue, store_folder)
        qtbot.waitUntil(gate.entered.is_set, timeout=10_000)
        w.suspend.suspending.emit()  # the laptop goes to sleep
    assert w.stack.currentWidget() is w.unlock_page and w.case_list is None
    deleted_later(qtbot)
    assert not any("BENCH-0000" in t for t in texts_on_screen())
    gate.set()  # the store finishes opening after the lock: it must be closed at once
    QThreadPool.globalInstance().waitForDone(10_000)
    qtbot.wait(50)
    assert w.store is None and w.stack.currentWidget() is w.unlock_page
    open_store(store_folder, Credentials(passphrase=PASSPHRASE)).close()  # its lock was freed
    unlock_with_passphrase(qtbot, w)  # and unlocking again works as after any lock
    qtbot.waitUntil(lambda: w.case_list is not None and w.case_list.model.rowCount() == 30)
    w.close()


def test_closing_the_window_while_the_store_opens_closes_the_store(qtbot, created, catalogue, store_folder, gate):
    from PySide6.QtCore import QThreadPool

    w = _shown_while_opening(qtbot, created, catalogue, store_folder)
    w.close()
    gate.set()
    QThreadPool.globalInstance().waitForDone(10_000)
    qtbot.wait(50)
    open_store(store_folder, Credentials(passphrase=PASSPHRASE)).close()


def test_a_store_unlocked_but_damaged_says_so_and_shows_no_case(qtbot, created, catalogue, store_folder):
    """The unlock event meets a damaged audit page: the first page may already be on screen,
    so it must go, and the unlock page say what is wrong."""
    _fictional_cases(created)
    damage_table(store_folder, "audit_events")
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    page = w.unlock_page
    qtbot.waitUntil(lambda: "damaged" in page.message.text(), timeout=10_000)
    assert w.stack.currentWidget() is page and w.store is None and w.case_list is None
    assert "store check" in page.message.text()
    deleted_later(qtbot)
    assert not any("BENCH-0000" in t for t in texts_on_screen())
    w.close()


def test_start_up_paints_the_cases_before_it_loads_sqlalchemy(created, store_folder, subprocess_env):
    """In a fresh process (this one has SQLAlchemy loaded already): the start-up path up
    to the painted list must not import SQLAlchemy, which costs 400 ms of a 1 s budget. A
    module on that path importing it at its top fails this test."""
    import json
    import subprocess
    import sys

    _fictional_cases(created)
    child = Path(__file__).resolve().parents[1] / "support" / "start_child.py"
    out = subprocess.run([sys.executable, str(child), str(store_folder), PASSPHRASE], env=subprocess_env, check=False,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["shown"] == 30 and seen["unlocked_by"] == "passphrase"
    assert seen["sqlalchemy_imported"] > seen["cases_painted"], seen
    assert seen["found"] == [f"BENCH-{i:06d}" for i in range(10, 20)]  # and the store then works


@pytest.fixture
def app_font():

    font = QApplication.font()
    yield
    QApplication.setFont(font)


def test_the_cases_show_in_the_practitioner_s_text_size_and_dates_before_the_store_opens(
        qtbot, created, catalogue, store_folder, gate, app_font):

    from ddassess.services.settings import set_setting

    set_setting(created.store, "font_size", 17)
    set_setting(created.store, "date_format", "%Y-%m-%d")
    w = _shown_while_opening(qtbot, created, catalogue, store_folder)
    cl = w.case_list
    first = cl.model.rows[0]
    assert QApplication.font().pointSize() == 17
    assert cl.model.data(cl.model.index(0, 2)) == first.date_of_birth.isoformat()
    gate.set()
    qtbot.waitUntil(lambda: w.store is not None, timeout=10_000)
    assert QApplication.font().pointSize() == 17 and w.case_list is cl  # nothing changes once open
    assert cl.model.data(cl.model.index(0, 2)) == first.date_of_birth.isoformat()
    w.close()


def test_a_damaged_look_setting_does_not_stop_the_window(qtbot, created, catalogue, store_folder, app_font):

    from store_helpers import write_setting_unchecked

    size = QApplication.font().pointSize()
    write_setting_unchecked(created.store, "font_size", "huge")  # not a number: hand-edited, or from a damaged page
    write_setting_unchecked(created.store, "date_format", ["%d"])
    _fictional_cases(created)
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.store is not None, timeout=10_000)
    assert QApplication.font().pointSize() == size and w.case_list.model.date_format == "%d %b %Y"
    assert w.case_list.model.rowCount() == 30
    w.close()


def test_the_store_opens_even_if_the_cases_are_never_painted(qtbot, created, catalogue, store_folder):
    """A window minimised or covered at start gets no paint: opening must not wait for one."""
    from PySide6.QtCore import QEvent, QObject

    class NoListPaint(QObject):
        def eventFilter(self, obj, event):  # type: ignore[no-untyped-def]  # noqa: N802
            return event.type() == QEvent.Type.Paint and obj.parent() is not None \
                and obj.parent().metaObject().className() == "QTableView"

    _fictional_cases(created)
    blind = NoListPaint()
    app = QApplication.instance()
    app.installEventFilter(blind)
    try:
        w = MainWindow(store_folder, catalogue)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitUntil(lambda: w.store is not None, timeout=10_000)
        assert w.case_list.model.rowCount() == 30
    finally:
        app.removeEventFilter(blind)
    w.close()


def test_ctrl_l_locks_while_the_store_opens(qtbot, created, catalogue, store_folder, gate):
    w = _shown_while_opening(qtbot, created, catalogue, store_folder)
    assert w.lock_action.isEnabled()  # cases are on screen: they can be hidden at once
    qtbot.keyClick(w, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert w.stack.currentWidget() is w.unlock_page and w.case_list is None
    assert not w.lock_action.isEnabled()  # locked: nothing to lock until the next unlock
    w.close()


def test_a_case_chosen_while_the_store_opens_opens_beside_the_tabs_brought_back(qtbot, window, monkeypatch):
    """After a lock with a case open, unlocking brings that tab back; a case opened in the
    list while the store reopens must open too."""
    import threading

    from bulk import populate

    from ddassess.services import vault

    conn = window.store.raw_connection()
    populate(conn, 30, 0)
    conn.close()
    window.case_list.apply()
    before = window.case_list.model.rows[0].case_id
    window.open_case(before)
    window.lock()
    held, real = threading.Event(), vault.finish_open
    monkeypatch.setattr(vault, "finish_open", lambda u: (held.wait(20), real(u))[1])
    page = window.unlock_page
    page.passphrase.setText(PASSPHRASE)
    page.unlock()
    qtbot.waitUntil(lambda: window.case_list is not None and window.case_list.model.rowCount() == 30,
                    timeout=10_000)
    cl = window.case_list
    wanted = cl.model.rows[5].case_id
    cl.table.setFocus()
    cl.table.setCurrentIndex(cl.model.index(5, 0))
    qtbot.keyClick(cl.table, Qt.Key.Key_Return)
    held.set()
    qtbot.waitUntil(lambda: window.store is not None and window.workspace.count() == 3, timeout=10_000)
    assert [window.workspace.widget(i).case_id for i in (1, 2)] == [before, wanted]
    assert window.workspace.currentWidget().case_id == wanted


def test_when_the_first_page_cannot_be_read_early_the_list_says_it_follows(
        qtbot, created, catalogue, store_folder, gate):
    from bulk import populate

    conn = created.store.raw_connection()
    populate(conn, 30, 0)
    conn.execute("UPDATE people SET date_of_birth = '3rd June' WHERE id = (SELECT max(id) FROM people)")
    conn.close()  # one person's date of birth is not a date: the early read gives up, and says so
    created.store.close()
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.case_list is not None, timeout=10_000)
    assert w.case_list.model.rowCount() == 0
    assert w.case_list.count.text().startswith("Opening the store…")  # not "0 cases"
    w.close()


def test_rows_below_the_first_page_load_once_the_store_is_open(qtbot, created, catalogue, store_folder, gate):
    from bulk import populate

    conn = created.store.raw_connection()
    populate(conn, 250, 0)
    conn.close()
    created.store.close()
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitUntil(lambda: w.case_list is not None and w.case_list.model.rowCount() == 200, timeout=10_000)
    w.case_list.table.scrollToBottom()  # the user scrolls to the end of the first page meanwhile
    qtbot.wait(50)
    assert w.case_list.model.rowCount() == 200
    gate.set()
    qtbot.waitUntil(lambda: w.store is not None, timeout=10_000)
    qtbot.waitUntil(lambda: w.case_list.model.rowCount() == 250, timeout=5000)
    w.close()
