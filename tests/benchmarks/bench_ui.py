"""Desktop client benchmark, against a bare PySide6 window measured in the same run.

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_ui.py

Targets (issue 4): cold start to an unlocked, populated main window with 10,000 cases
≤ 4× the bare window and under 1 s; search keystroke to updated list on 100,000 cases
≤ 50 ms; open the largest form ≤ 150 ms; autosave on the GUI thread ≤ 5 ms; peak memory
with 100,000 cases ≤ 300 MB. Cold starts are separate processes; the passphrase unlock
(argon2id at its default cost) is included.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1] / "support"))
PASSPHRASE = "benchmark passphrase, not secret"

BARE = """
import time, sys
t = time.perf_counter()
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
app = QApplication([])
w = QMainWindow(); w.setCentralWidget(QLabel("bare")); w.resize(1200, 800); w.show(); app.processEvents()
print((time.perf_counter() - t) * 1000)
"""

FULL = """
import time, sys, resource
t = time.perf_counter()
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
from ddassess.ui.app import load_catalogue
from ddassess.ui.mainwindow import MainWindow
w = MainWindow(Path(sys.argv[1]), load_catalogue); w.resize(1200, 800); w.show()  # as build_window does
w.unlock_page.passphrase.setText(sys.argv[2]); w.unlock_page.unlock()
while w.store is None or w.case_list.model.rowCount() == 0:
    app.processEvents(); time.sleep(0.001)
app.processEvents()
print((time.perf_counter() - t) * 1000, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def make_store(folder: Path, n: int) -> None:
    from bulk import populate

    from ddassess.store import create_store

    c = create_store(folder, PASSPHRASE, practitioner={"name": "Bench Worker"}, use_keyring=False)
    conn = c.store.raw_connection()
    populate(conn, n, n)
    conn.close()
    c.store.close()


def run(code: str, *args: str) -> list[float]:
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=True)
    return [float(x) for x in out.stdout.split()]


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="ddassess-bench-ui-"))
    make_store(tmp / "s10k", 10_000)
    make_store(tmp / "s100k", 100_000)
    bare = statistics.median(run(BARE)[0] for _ in range(5))
    cold = [run(FULL, str(tmp / "s10k"), PASSPHRASE) for _ in range(5)]
    cold_ms = statistics.median(c[0] for c in cold)
    big = run(FULL, str(tmp / "s100k"), PASSPHRASE)

    # In-process: search, opening a form, autosave, on the 100,000-case store.
    from PySide6.QtWidgets import QApplication

    from ddassess.formengine import load_catalogue
    from ddassess.services import cases
    from ddassess.store import Credentials, open_store
    from ddassess.ui.casepage import FormPage
    from ddassess.ui.caselist import CaseListWidget

    app = QApplication([])
    store = open_store(tmp / "s100k", Credentials(passphrase=PASSPHRASE))
    cat = load_catalogue()
    widget = CaseListWidget(store)
    searches = []
    texts = ("Sam", "Sam D", "Jo Example12", "999 000 12", "BENCH-0099", "Morgan Notreal4", "2001-05-04", "")
    for text in texts:
        widget.search.setText(text)
        t = time.perf_counter()
        widget.apply()
        app.processEvents()
        searches.append((time.perf_counter() - t) * 1000)
    largest = max(cat.forms.values(), key=lambda s: len(s.fields))
    opens, saves = [], []
    for _ in range(5):
        r = cases.start_response(store, 1000, largest.id, largest.version, largest.content_hash)
        t = time.perf_counter()
        page = FormPage(store, cat, r.id)
        page.show()
        app.processEvents()
        opens.append((time.perf_counter() - t) * 1000)
        for i in range(20):
            page.view.editors["overall_level"].set_value(["low", "medium", "high"][i % 3])
            t = time.perf_counter()
            page.view.flush()
            saves.append((time.perf_counter() - t) * 1000)
        page.close()
        page.deleteLater()
    widget.deleteLater()
    app.processEvents()  # delete the widgets while Qt and the store are still there
    store.close()
    saves.sort()
    print("ddassess desktop client benchmark")
    print(f"bare PySide6 window, cold process           {bare:8.1f} ms")
    print(f"unlocked window with 10,000 cases, cold     {cold_ms:8.1f} ms  ({cold_ms / bare:.1f}× bare; "
          f"targets ≤ 4× and < 1000 ms)")
    print(f"unlocked window with 100,000 cases, cold    {big[0]:8.1f} ms, peak memory {big[1]:.0f} MB (target ≤ 300 MB)")
    print(f"search keystroke → list, 100,000 cases      median {statistics.median(searches):.1f} ms, "
          f"max {max(searches):.1f} ms (target ≤ 50 ms)")
    print("    " + ", ".join(f"{t or '(cleared)'!r}: {ms:.0f}" for t, ms in zip(texts, searches, strict=True)))
    print(f"open the largest form ({largest.id}, {len(largest.fields)} fields)   median {statistics.median(opens):.1f} ms "
          "(target ≤ 150 ms)")
    print(f"autosave on the GUI thread                  median {statistics.median(saves):.2f} ms, "
          f"p95 {saves[int(len(saves) * 0.95) - 1]:.2f} ms (target ≤ 5 ms)")


if __name__ == "__main__":
    main()
