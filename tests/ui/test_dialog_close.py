"""Every dialog of the client has a Close or Cancel button, and Escape closes it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from ddassess.ui.careplan_actions import VerifyDialog
from ddassess.ui.referral import NewReferralDialog
from ddassess.ui.settings_dialog import RecoveryKeyDialog, SettingsDialog
from ddassess.ui.sign_received import SignReceivedDialog
from ddassess.ui.signing_setup import SigningSetupDialog

DIALOGS = {
    "signing set-up": lambda w: SigningSetupDialog(w.store, w),
    "signing set-up, to sign": lambda w: SigningSetupDialog(w.store, w, for_signing=True),
    "verify": lambda w: VerifyDialog(w.store, w),
    "sign a received plan": lambda w: SignReceivedDialog(w.store, w),
    "settings": lambda w: SettingsDialog(w.store, w),
    "new recovery key": lambda w: RecoveryKeyDialog("ABCD-EFGH", w.store.store_id, w),
    "new referral": lambda w: NewReferralDialog(w.store, w),
}


def _closing_button(dialog: QDialog):  # type: ignore[no-untyped-def]
    for box in dialog.findChildren(QDialogButtonBox):
        for button in box.buttons():
            if box.buttonRole(button) == QDialogButtonBox.ButtonRole.RejectRole:
                return button
    return None


@pytest.mark.parametrize("name", list(DIALOGS))
def test_the_dialog_has_a_close_button_that_closes_it(qtbot, window, name):
    dialog = DIALOGS[name](window)
    qtbot.addWidget(dialog)
    dialog.show()
    button = _closing_button(dialog)
    assert button is not None and button.isVisible() and button.text().replace("&", "") in ("Close", "Cancel")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected


@pytest.mark.parametrize("name", list(DIALOGS))
def test_escape_closes_the_dialog(qtbot, window, name):
    dialog = DIALOGS[name](window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
