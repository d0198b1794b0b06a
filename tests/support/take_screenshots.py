"""Screenshots of the main screens in a real X window (run under Xvfb):

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python tests/support/take_screenshots.py OUT_DIR [SCALE]

Uses a throwaway demo store (fictional people) in a temporary DDASSESS_HOME.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
os.environ["DDASSESS_HOME"] = tempfile.mkdtemp(prefix="ddassess-shots-")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
if len(sys.argv) > 2:
    os.environ["QT_SCALE_FACTOR"] = sys.argv[2]

from PySide6.QtWidgets import QApplication  # noqa: E402

from ddassess.ui.app import build_window  # noqa: E402
from ddassess.ui.mainwindow import MainWindow  # noqa: E402


def settle(app: QApplication, seconds: float = 0.4) -> None:
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.02)


def shot(app: QApplication, w: MainWindow, out: Path, name: str) -> None:
    settle(app)
    screen = w.screen()
    screen.grabWindow(w.winId()).save(str(out / f"{name}.png"))
    print("wrote", out / f"{name}.png")


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    from ddassess.paths import store_dir

    # First run, on an empty home.
    from ddassess.formengine import load_catalogue

    first = MainWindow(store_dir(), load_catalogue())
    first.resize(1200, 780)
    first.show()
    first.setup_page.name.setText("Testy McTestface")
    first.setup_page.role.setText("Substance misuse social worker")
    first.setup_page.passphrase.setText("correct horse battery staple")
    first.setup_page.confirm.setText("correct horse battery")
    shot(app, first, out, "first-run")
    first.close()

    w = build_window(demo=True)
    w.resize(1200, 780)
    w.show()
    shot(app, w, out, "unlock")
    w.unlock_page.unlock()
    while w.store is None:
        settle(app, 0.1)
    shot(app, w, out, "case-list")
    page = w.open_case(1)
    page.new_form.setCurrentIndex(page.new_form.findData("phq9"))
    page.start_form()
    view = page.form_page.view
    for i, score in enumerate([1, 2, 2, 1, 0, 1, 1, 0, 1], 1):
        view.editors[f"q{i}"].buttons[score][1].click()
    settle(app, 1.0)
    shot(app, w, out, "phq9")
    page.new_form.setCurrentIndex(page.new_form.findData("substance_profile"))
    page.start_form()
    rows = page.form_page.view.editors["substances"]
    rows.add_button.click()
    settle(app)
    shot(app, w, out, "substance-profile")
    from ddassess.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(w.store, w)
    dialog.show()
    settle(app)
    dialog.screen().grabWindow(dialog.winId()).save(str(out / "settings.png"))
    print("wrote", out / "settings.png")
    dialog.reject()
    w.lock()
    shot(app, w, out, "locked")
    w.close()


if __name__ == "__main__":
    main()
