"""Screenshots of the main screens in a real X window (run under Xvfb):

    xvfb-run -a -s "-screen 0 2600x1800x24" .venv/bin/python tests/support/take_screenshots.py OUT_DIR [SCALE]

With SCALE (e.g. 1.5 or 2) Qt draws at that factor and every file name ends in
"-<percent>" (case-page-200.png). Uses a throwaway demo store (fictional people) in a
temporary DDASSESS_HOME; nothing touches a practitioner's store.
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
SCALE = sys.argv[2] if len(sys.argv) > 2 else ""
if SCALE:
    os.environ["QT_SCALE_FACTOR"] = SCALE

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget  # noqa: E402

from ddassess.ui.app import build_window  # noqa: E402
from ddassess.ui.mainwindow import MainWindow  # noqa: E402

SUFFIX = f"-{round(float(SCALE) * 100)}" if SCALE else ""


def settle(app: QApplication, seconds: float = 0.4) -> None:
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.02)


def shot(app: QApplication, w: QWidget, out: Path, name: str) -> None:
    settle(app)
    w.screen().grabWindow(w.winId()).save(str(out / f"{name}{SUFFIX}.png"))
    print("wrote", out / f"{name}{SUFFIX}.png")


def scroll_to(widget: QWidget) -> None:
    scroll = widget.parentWidget()
    while scroll is not None and not isinstance(scroll, QScrollArea):
        scroll = scroll.parentWidget()
    if scroll is not None:
        scroll.ensureWidgetVisible(widget, 0, 0)


def first_run(app: QApplication, out: Path) -> None:
    from ddassess.formengine import load_catalogue
    from ddassess.paths import store_dir

    first = MainWindow(store_dir(), load_catalogue())
    first.resize(1200, 780)
    first.show()
    page = first.setup_page
    page.name.setText("Testy McTestface")
    page.role.setText("Substance misuse social worker")
    page.agency.setText("Fictional Substance Misuse Service")
    page.passphrase.setText("correct horse battery staple")
    page.confirm.setText("correct horse battery staple")
    shot(app, first, out, "first-run")
    page.create_button.click()
    for _ in range(200):  # the store is made off the GUI thread
        settle(app, 0.05)
        if page.test_passphrase.isVisible():
            break
    shot(app, first, out, "recovery-key")
    first.close()


def case_with_flags(w: MainWindow) -> int:
    """The first demo case with an urgent flag, scores and a care plan."""
    from ddassess.services.case_header import case_summary

    for case_id in range(1, 40):
        s = case_summary(w.store, w.catalogue, case_id)
        if s.flags and s.scores and any(r.form_id == "care_plan" for r in s.responses):
            return case_id
    raise SystemExit("the demo store has no case with flags, scores and a care plan")


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    first_run(app, out)

    w = build_window(demo=True)
    w.resize(1200, 780)
    w.show()
    shot(app, w, out, "unlock")
    w.unlock_page.unlock()
    while w.store is None:
        settle(app, 0.1)
    shot(app, w, out, "case-list")

    from ddassess.ui.referral import NewReferralDialog

    referral = NewReferralDialog(w.store, w)
    referral.show()
    settle(app)
    QTest.keyClicks(referral.given, "Examplia")
    QTest.keyClicks(referral.family, "Demoson")
    QTest.keyClicks(referral.dob, "31/02/1990")
    QTest.keyClicks(referral.nhs, "999 100 0011")
    shot(app, referral, out, "new-referral")
    referral.reject()

    case_id = case_with_flags(w)
    page = w.open_case(case_id)
    settle(app)
    shot(app, w, out, "case-page")

    page.new_form.setCurrentIndex(page.new_form.findData("phq9"))
    page.start_form()
    view = page.form_page.view
    for i, score in enumerate([1, 2, 2, 1, 0, 1], 1):  # six of nine answered: in progress
        view.editors[f"q{i}"].buttons[score][1].click()
    settle(app, 1.0)
    shot(app, w, out, "phq9")

    page.new_form.setCurrentIndex(page.new_form.findData("substance_profile"))
    page.start_form()
    rows = page.form_page.view.editors["substances"]
    rows.add_button.click()
    settle(app)
    rows.rows[0].editors["substance"].widget.setCurrentIndex(3)
    QTest.keyClicks(rows.rows[0].editors["days_last_28"].widget, "40")
    rows.add_button.click()  # a second, untouched row: no errors yet
    settle(app)
    scroll_to(rows.rows[0].group)
    shot(app, w, out, "substance-profile")

    plan = next(r for r in page.summary.responses if r.form_id == "care_plan")
    page.open_response(plan.id)
    settle(app)
    sig = page.form_page.view.editors["person_signed"]
    sig.pad.clear()
    scroll_to(sig.widget)
    settle(app)
    QTest.mousePress(sig.pad, Qt.MouseButton.LeftButton, pos=QPoint(40, 90))
    for k in range(1, 60):
        QTest.mouseMove(sig.pad, QPoint(40 + k * 5, 90 - (k % 12) * 4 + (k // 12) * 3))
    QTest.mouseRelease(sig.pad, Qt.MouseButton.LeftButton, pos=QPoint(340, 80))
    settle(app)
    shot(app, w, out, "signature")

    from ddassess.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(w.store, w)
    dialog.show()
    shot(app, dialog, out, "settings")
    dialog.reject()

    verify_window(app, w, case_id, out)
    team_view(app, w, out)
    w.lock()
    shot(app, w, out, "locked")
    w.close()


def verify_window(app: QApplication, w: MainWindow, case_id: int, out: Path) -> None:
    from ddassess.services import signing
    from ddassess.services.careplan_files import export_care_plan
    from ddassess.ui.careplan_actions import VerifyDialog

    signing.create_team_authority(w.store, "Fictional Joint Team", "authority passphrase (demo)")
    signing.issue_identity(w.store, "authority passphrase (demo)", "signing passphrase (demo)")
    pdf = Path(os.environ["DDASSESS_HOME"]) / "care-plan.pdf"
    export_care_plan(w.store, w.catalogue, case_id, pdf,
                     identity=signing.load_identity(w.store, "signing passphrase (demo)"))
    dialog = VerifyDialog(w.store, w)
    dialog.show()
    dialog.verify(pdf)
    shot(app, dialog, out, "verify")
    dialog.reject()


def team_view(app: QApplication, w: MainWindow, out: Path) -> None:
    """View → Team view on the demo store (its figures, then its charts), then a figure's cases
    in the list."""
    from ddassess.ui import menu_commands

    menu_commands.open_team_view(w)
    assert w.workspace is not None
    page = w.workspace.team_view()
    assert page is not None
    while page.shown is None:
        settle(app, 0.1)
    shot(app, w, out, "team-view")
    page.tabs.setCurrentIndex(1)
    shot(app, w, out, "team-view-charts")
    page.tabs.setCurrentIndex(0)
    item = page.period_tree.figure_item("p.referrals", "all")
    page.period_tree.itemActivated.emit(item, 0)
    settle(app, 1.0)
    shot(app, w, out, "team-figure-cases")


if __name__ == "__main__":
    main()

