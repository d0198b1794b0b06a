"""Child process for the start-up test: the real window on a store, unlocked with the
passphrase as a user would. It reports when the case list was first painted and when
SQLAlchemy was first imported (a finder at the front of ``sys.meta_path`` notes the time
it is first looked for), and that the list searches once the store is open."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
START = time.perf_counter()
SEEN: dict[str, float] = {}


class NoteFirstImport:
    @staticmethod
    def find_spec(name, path=None, target=None):  # type: ignore[no-untyped-def]
        if name == "sqlalchemy":
            SEEN.setdefault("sqlalchemy_imported", time.perf_counter() - START)
        return None  # the other finders import it as usual


sys.meta_path.insert(0, NoteFirstImport)

from PySide6.QtCore import QEvent, QObject  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ddassess.ui.app import load_catalogue  # noqa: E402
from ddassess.ui.mainwindow import MainWindow  # noqa: E402


class NoteFirstPaint(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window = window

    def eventFilter(self, obj, event):  # type: ignore[no-untyped-def]  # noqa: N802
        cl = self.window.case_list
        if event.type() == QEvent.Type.Paint and cl is not None and obj is cl.table.viewport() \
                and cl.model.rowCount() > 0:
            SEEN.setdefault("cases_painted", time.perf_counter() - START)
        return False


def wait(app: QApplication, done, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        app.processEvents()
        time.sleep(0.002)


def main(folder: str, passphrase: str) -> None:
    app = QApplication([])
    w = MainWindow(Path(folder), load_catalogue)
    painted = NoteFirstPaint(w)
    app.installEventFilter(painted)
    w.resize(1200, 800)
    w.show()
    w.unlock_page.passphrase.setText(passphrase)
    w.unlock_page.unlock()
    wait(app, lambda: "cases_painted" in SEEN)
    shown = w.case_list.model.rowCount()
    wait(app, lambda: w.store is not None)
    w.case_list.search.setText("BENCH-00001")
    wait(app, lambda: w.case_list.model.query.text == "BENCH-00001")
    print(json.dumps({**SEEN, "shown": shown, "unlocked_by": w.store.unlocked_by,
                      "found": sorted(r.ref for r in w.case_list.model.rows)}), flush=True)
    w.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
