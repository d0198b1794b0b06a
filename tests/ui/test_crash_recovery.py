"""Killed with a form open, ddassess offers to return to it next time, with the answer,
and to the field the person was on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from ui_helpers import FORMS, unlock_with_passphrase

from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.ui.mainwindow import MainWindow

CHILD = Path(__file__).parents[1] / "support" / "ui_child.py"


def _crash_then_reopen(qtbot, monkeypatch, created, catalogue, store_folder, subprocess_env, what, name):
    """A child process opens a case of a new person, does ``what`` (tests/support/ui_child.py)
    and is killed once it is saved; the window is opened again and unlocked. Returns the
    window, the killed form's response id and the questions asked at unlock."""
    person = case_changes.register_person(created.store, PersonDetails("Crash", name, nhs_number="9990000093"))
    case_id = case_changes.open_case(created.store, person.id).id
    created.store.close()
    child = subprocess.Popen([sys.executable, str(CHILD), str(store_folder), str(FORMS), str(case_id), what],
                             env=subprocess_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.startswith("saved "), line + child.stderr.read()
        response_id = int(line.split()[1])
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=30)
    asked = []

    def yes(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    unlock_with_passphrase(qtbot, w)
    return w, response_id, asked


def test_kill_with_a_form_open_then_restart(qtbot, created, catalogue, store_folder, subprocess_env, monkeypatch):
    w, response_id, asked = _crash_then_reopen(qtbot, monkeypatch, created, catalogue, store_folder,
                                               subprocess_env, "answer", "Testcase")
    assert asked and "Return to it now?" in asked[0]
    page = w.current_case_page()
    assert page is not None and page.form_page.response.id == response_id
    assert page.form_page.view.editors["q5"].value() == 2
    assert page.form_page.view.focused_field() == "q6"
    w.close()


def test_after_a_crash_the_cursor_returns_to_its_place_in_the_words(qtbot, created, catalogue, store_folder,
                                                                    subprocess_env, monkeypatch):
    """The next keystroke lands where the cursor was, not in front of the words ("ZWants to…")."""
    from ui_child import CURSOR, TYPED

    w, response_id, _asked = _crash_then_reopen(qtbot, monkeypatch, created, catalogue, store_folder,
                                                subprocess_env, "type", "Typist")
    form = w.current_case_page().form_page
    assert form.response.id == response_id
    box = form.view.editors["formulation"].widget
    assert form.view.focused_field() == "formulation"
    assert box.toPlainText() == TYPED and box.textCursor().position() == CURSOR
    qtbot.waitUntil(lambda: not box.visibleRegion().isEmpty())  # scrolled down to it
    qtbot.keyClicks(box, ", slowly,")
    assert box.toPlainText() == "Wants to, slowly, cut down"
    w.close()
