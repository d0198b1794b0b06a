"""At 150% and 200% (QT_SCALE_FACTOR, read when the QApplication starts, hence a child
process) no label or button of the main screens and dialogs cuts its text off."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CHILD = r'''
import json, os, sys, time
from pathlib import Path
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget
from store_helpers import FAST_KDF, PASSPHRASE, PRACTITIONER
from ddassess.formengine import load_catalogue
from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.services.case_pathway import advance_stage
from ddassess.store import create_store
import datetime as dt

folder, forms = Path(sys.argv[1]), sys.argv[2]
catalogue = load_catalogue(forms)
store = create_store(folder, PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF).store
person = case_changes.register_person(store, PersonDetails("Testy", "McTestface", dt.date(1980, 2, 29), "9990000018"))
case_id = case_changes.open_case(store, person.id).id
phq9 = catalogue.get("phq9")
r = case_changes.start_response(store, case_id, "phq9", phq9.version, phq9.content_hash,
                         {**{f"q{i}": 1 for i in range(1, 10)}, "difficulty": "somewhat"})
case_changes.finalise_response(store, r.id)
advance_stage(store, case_id, "phq9")
store.close()

app = QApplication([])
from ddassess.ui.mainwindow import MainWindow
w = MainWindow(folder, catalogue)
w.resize(1200, 800)
w.show()

def geometry():
    return [(x.objectName(), x.geometry().getRect()) for x in [w, *w.findChildren(QWidget)] if x.isVisible()]

def settle(seconds=0.3):
    """Until every visible widget has kept its place and size for ``seconds``: laying out a
    new screen takes several passes (the window grows to its new minimum size last), and a
    loaded machine may need more than a fixed pause for them."""
    end, last, still_since = time.time() + 30, None, time.time()
    while time.time() < end:
        app.processEvents()
        now = geometry()
        if now != last:
            last, still_since = now, time.time()
        elif time.time() - still_since >= seconds:
            return
        time.sleep(0.01)

def clipped(root: QWidget, where: str) -> list[str]:
    out = []
    for wdg in root.findChildren(QWidget):
        if not wdg.isVisible() or wdg.width() <= 0 or not wdg.visibleRegion().boundingRect().isValid():
            continue
        if isinstance(wdg, QLabel) and wdg.text() and not wdg.pixmap():
            if wdg.wordWrap():
                need_h, need_w = wdg.heightForWidth(wdg.width()), 0
            else:
                need_w, need_h = wdg.sizeHint().width(), wdg.sizeHint().height()
            if need_w > wdg.width() + 1 or need_h > wdg.height() + 1:
                out.append(f"{where}: label {wdg.text()[:60]!r} needs {need_w}x{need_h}, "
                           f"has {wdg.width()}x{wdg.height()}")
        elif isinstance(wdg, QAbstractButton) and wdg.text():
            hint = wdg.sizeHint()
            if hint.width() > wdg.width() + 1 or hint.height() > wdg.height() + 1:
                out.append(f"{where}: button {wdg.text()[:60]!r} needs {hint.width()}x{hint.height()}, "
                           f"has {wdg.width()}x{wdg.height()}")
    return out

problems = []
settle()
problems += clipped(w.unlock_page, "unlock")
w.unlock_page.passphrase.setText(PASSPHRASE)
w.unlock_page.unlock()
while w.store is None:
    settle(0.05)
settle()
problems += clipped(w.case_list, "case list")
page = w.open_case(case_id)
settle()
problems += clipped(page.header, "case header")
page.new_form.setCurrentIndex(page.new_form.findData("gad7"))
page.start_form()
settle()
problems += clipped(page.form_page, "form")
from ddassess.ui.referral import NewReferralDialog
from ddassess.ui.settings_dialog import SettingsDialog
dialog = NewReferralDialog(w.store, w)
dialog.show()
dialog.dob.setText("31/02/2001")  # a message that wraps
settle()
problems += clipped(dialog, "new referral")
dialog.reject()
dialog = SettingsDialog(w.store, w)
dialog.show()
settle()
problems += clipped(dialog, "settings")
dialog.reject()
print(json.dumps({"scale": os.environ["QT_SCALE_FACTOR"], "ratio": w.devicePixelRatio(), "problems": problems}))
w.store.close()
'''


@pytest.mark.parametrize("scale", ["1.5", "2"])
def test_no_text_is_cut_off_at_high_scale(subprocess_env, data_home, tmp_path, scale):
    from ui_helpers import FORMS

    # The offscreen screen is 800×800 pixels unless told otherwise: at 200% that is a 400×400
    # desktop where no dialog fits. A HiDPI laptop panel (2560×1600) is what people scale up.
    screen = tmp_path / "screen.json"
    screen.write_text(json.dumps({"screens": [{"name": "hidpi", "x": 0, "y": 0, "width": 2560, "height": 1600,
                                               "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}))
    env = {**subprocess_env, "QT_SCALE_FACTOR": scale, "QT_QPA_PLATFORM": f"offscreen:configfile={screen}"}
    done = subprocess.run([sys.executable, "-c", CHILD, str(data_home / "store"), str(FORMS)], env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["ratio"] == float(scale)  # the factor really applied
    assert report["problems"] == []
