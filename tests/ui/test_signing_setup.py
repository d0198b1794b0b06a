"""Signing set-up from the client: team authority, my certificate, an imported .p12."""

from __future__ import annotations

from org_p12 import organisation_p12
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from ddassess.pdf import certs
from ddassess.services import signing
from ddassess.ui.signing_setup import SigningSetupDialog


def _dialog(qtbot, window) -> SigningSetupDialog:
    dialog = SigningSetupDialog(window.store, window)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_team_lead_creates_the_authority_then_issues_a_certificate(qtbot, window):
    d = _dialog(qtbot, window)
    qtbot.keyClicks(d.team_name, "Fictional Joint Team")
    qtbot.keyClicks(d.ca_new, "authority passphrase 1")
    qtbot.keyClicks(d.ca_new_again, "authority passphrase 2")
    qtbot.mouseClick(d.create_button, Qt.MouseButton.LeftButton)
    assert "Not done: The two passphrases differ." in d.status.text()
    assert d.ca_new.text() == "" and signing.trusted_roots(window.store) == []
    qtbot.keyClicks(d.ca_new, "authority passphrase 1")
    qtbot.keyClicks(d.ca_new_again, "authority passphrase 1")
    qtbot.mouseClick(d.create_button, Qt.MouseButton.LeftButton)
    assert "The team authority was created" in d.status.text()
    assert len(signing.trusted_roots(window.store)) == 1

    qtbot.keyClicks(d.ca_pass, "wrong authority passphrase")
    qtbot.keyClicks(d.sign_new, "my signing passphrase")
    qtbot.keyClicks(d.sign_new_again, "my signing passphrase")
    qtbot.mouseClick(d.issue_button, Qt.MouseButton.LeftButton)
    assert "Not done:" in d.status.text() and "wrong" in d.status.text()
    qtbot.keyClicks(d.ca_pass, "authority passphrase 1")
    qtbot.keyClicks(d.sign_new, "my signing passphrase")
    qtbot.keyClicks(d.sign_new_again, "my signing passphrase")
    qtbot.mouseClick(d.issue_button, Qt.MouseButton.LeftButton)
    assert "Your signing certificate was issued" in d.status.text()
    assert signing.load_identity(window.store, "my signing passphrase").common_name == "Testy McTestface"


def test_import_an_organisations_p12(qtbot, window, tmp_path, monkeypatch):
    ca = certs.new_team_ca("Fictional Trust")
    p12 = tmp_path / "me.p12"
    p12.write_bytes(organisation_p12(certs.issue_certificate(ca, "Testy McTestface"), "file password 1"))
    (tmp_path / "junk.p12").write_text("not a certificate")
    d = _dialog(qtbot, window)
    chosen = [str(tmp_path / "junk.p12"), str(p12)]
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (chosen.pop(0), ""))
    for _ in range(2):
        qtbot.keyClicks(d.p12_password, "file password 1")
        qtbot.keyClicks(d.imp_new, "my signing passphrase")
        qtbot.keyClicks(d.imp_new_again, "my signing passphrase")
        qtbot.mouseClick(d.import_button, Qt.MouseButton.LeftButton)
        if chosen:
            assert "Not done: This file is not a PKCS#12 certificate file" in d.status.text()
    assert "Your organisation's certificate was imported" in d.status.text()
    assert signing.load_identity(window.store, "my signing passphrase").common_name == "Testy McTestface"
