"""Child process for the crash test: opens the real window on a store, opens a form,
answers one question, moves to the next one, waits for the autosave (answer and place)
and says so; then waits to be killed."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402
from store_helpers import PASSPHRASE  # noqa: E402

from ddassess.formengine import load_catalogue  # noqa: E402
from ddassess.services import case_changes  # noqa: E402
from ddassess.services.settings import get_setting  # noqa: E402
from ddassess.ui.mainwindow import MainWindow  # noqa: E402


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
    case_page.new_form.setCurrentIndex(case_page.new_form.findData("gad7"))
    case_page.start_form()
    form = case_page.form_page
    form.view.editors["q5"].buttons[2][1].click()
    form.view.focus_field("q6")  # where the person is when the battery dies
    while case_changes.get_response(w.store, form.response.id).answers.get("q5") != 2 or \
            (get_setting(w.store, "open_draft") or {}).get("field") != "q6":
        app.processEvents()
        time.sleep(0.01)
    print(f"saved {form.response.id}", flush=True)
    while True:
        app.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
