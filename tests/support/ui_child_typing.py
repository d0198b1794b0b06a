"""Child process for the crash test of the cursor's place: opens the real window on a
store, starts a joint assessment, types in a text box far down the form, moves the cursor
back into the words, waits until the answer and the place (field and cursor) are saved,
and says so; then waits to be killed."""

from __future__ import annotations

import os
import sys
import time
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


def main(folder: str, forms: str, case_id: int) -> None:
    app = QApplication([])
    w = MainWindow(Path(folder), load_catalogue(forms))
    w.show()
    w.activateWindow()
    page = w.unlock_page
    page.passphrase.setText(PASSPHRASE)
    page.unlock()
    while w.store is None:
        app.processEvents()
        time.sleep(0.01)
    case_page = w.open_case(case_id)
    case_page.new_form.setCurrentIndex(case_page.new_form.findData("joint_assessment"))
    case_page.start_form()
    form = case_page.form_page
    box = form.view.editors["formulation"].widget
    form.view.focus_field("formulation")
    QTest.keyClicks(box, TYPED)
    for _ in range(len(TYPED) - CURSOR):
        QTest.keyClick(box, Qt.Key.Key_Left)
    deadline = time.monotonic() + 60
    while case_changes.get_response(w.store, form.response.id).answers.get("formulation") != TYPED or \
            (get_setting(w.store, "open_draft") or {}).get("cursor") != CURSOR:
        if time.monotonic() > deadline:  # never saved: say where it stopped instead of hanging the test
            print(f"not saved: the place kept is {get_setting(w.store, 'open_draft')}", flush=True)
            sys.exit(1)
        app.processEvents()
        time.sleep(0.01)
    print(f"saved {form.response.id}", flush=True)
    while True:
        app.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
