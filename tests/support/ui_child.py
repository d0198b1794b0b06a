"""Child process for the crash tests: opens the real window on a store, starts a form, does
what the person was doing when the battery died, waits until the answer and the place are
saved and says so ("saved <response id>"); then waits to be killed.

``answer``: a GAD-7, question 5 answered, the focus moved on to question 6.
``type``: a joint assessment, TYPED typed in a text box far down the form, the cursor moved
back to CURSOR inside the words.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from store_helpers import PASSPHRASE  # noqa: E402

from ddassess.formengine import load_catalogue  # noqa: E402
from ddassess.services import case_changes  # noqa: E402
from ddassess.services.settings import get_setting  # noqa: E402
from ddassess.ui.mainwindow import MainWindow  # noqa: E402

TYPED, CURSOR = "Wants to cut down", len("Wants to")


def _spin(app: QApplication, until: Callable[[], bool], say_if_never: Callable[[], str]) -> None:
    deadline = time.monotonic() + 60
    while not until():
        if time.monotonic() > deadline:  # never saved: say where it stopped instead of hanging the test
            print(f"not saved: {say_if_never()}", flush=True)
            sys.exit(1)
        app.processEvents()
        time.sleep(0.01)


def main(folder: str, forms: str, case_id: int, what: str) -> None:
    app = QApplication([])
    w = MainWindow(Path(folder), load_catalogue(forms))
    w.show()
    w.activateWindow()
    w.unlock_page.passphrase.setText(PASSPHRASE)
    w.unlock_page.unlock()
    _spin(app, lambda: w.store is not None, lambda: "the store did not open")
    case_page = w.open_case(case_id)
    case_page.new_form.setCurrentIndex(case_page.new_form.findData("gad7" if what == "answer" else "joint_assessment"))
    case_page.start_form()
    form = case_page.form_page

    def place() -> dict:
        return get_setting(w.store, "open_draft") or {}

    def answers() -> dict:
        return case_changes.get_response(w.store, form.response.id).answers

    if what == "answer":
        form.view.editors["q5"].buttons[2][1].click()
        form.view.focus_field("q6")
        _spin(app, lambda: answers().get("q5") == 2 and place().get("field") == "q6", lambda: f"place {place()}")
    else:
        box = form.view.editors["formulation"].widget
        form.view.focus_field("formulation")
        QTest.keyClicks(box, TYPED)
        for _ in range(len(TYPED) - CURSOR):
            QTest.keyClick(box, Qt.Key.Key_Left)
        _spin(app, lambda: answers().get("formulation") == TYPED and place().get("cursor") == CURSOR,
              lambda: f"place {place()}")
    print(f"saved {form.response.id}", flush=True)
    while True:
        app.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
