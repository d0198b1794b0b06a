"""Saving a care plan PDF through the real boxes and dialogs, as a practitioner does it:
the warning that the file leaves the encrypted store, a real (Qt's own) save dialog that
starts in the folder used last, and signing that checks for a certificate before it asks
for a role or a passphrase, offering the signing set-up instead."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from ddassess.domain.models import PersonDetails
from ddassess.domain.nhs import fictional_nhs_numbers
from ddassess.pdf.signing import NotSignedError
from ddassess.pdf.verification import verify_pdf
from ddassess.services import case_changes, signing
from ddassess.services.settings import get_setting
from ddassess.ui.careplan_actions import save_plan
from ddassess.ui.signing_setup import SigningSetupDialog

PLAN = {"lead_agency": "Fictional MH Trust", "care_coordinator": "Casey Coordinator", "partner_worker": "Pat Partner",
        "what_matters": "Seeing my sister", "needs": [{"area": "housing", "need": "Arrears", "goal": "Keep my flat",
                                                       "action": "Debt advice", "responsible": "Pat Partner",
                                                       "status": "in_progress"}],
        "risk_management": "Weekly calls", "crisis_summary": "Call the crisis line",
        "information_sharing": "Both services", "next_review": "2027-01-19", "carer_involved": False,
        "person_signed": {"strokes": [[[0, 0], [10, 5], [20, 0]]], "signed_at": "2026-11-20T10:00:00+00:00"}}
_NHS = iter(fictional_nhs_numbers(20, start=999000500))
Answer = Callable[[QWidget], None]


@pytest.fixture(autouse=True)
def qt_file_dialogs():
    """Qt's own file dialog (not the desktop's), so the test can type into it."""
    before = QApplication.testAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs)
    QApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, True)
    yield
    QApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, before)


def _case_with_plan(window, catalogue) -> int:
    store = window.store
    person = case_changes.register_person(store, PersonDetails("Exporty", "McTestface", dt.date(1971, 3, 4),
                                                               next(_NHS)))
    case_id = case_changes.open_case(store, person.id).id
    spec = catalogue.get("care_plan")
    case_changes.start_response(store, case_id, spec.id, spec.version, spec.content_hash, PLAN)
    return case_id


class Answers:
    """Answer each modal box or dialog the app puts up, in turn, as a person would; record
    each one's title (and a box's text) in ``seen``. A box no answer fits (or one more than
    expected) is recorded and closed, so a flow that differs fails the test's assertions
    rather than hanging it."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers, self.seen, self.errors = answers, [], []
        QTimer.singleShot(0, self._poll)

    def _poll(self) -> None:
        box = QApplication.activeModalWidget()
        up = box is not None and box.isVisible()
        if up and not box.property("answered"):
            box.setProperty("answered", True)
            self.seen.append(box.windowTitle() + (f": {box.text()}" if isinstance(box, QMessageBox) else ""))
            try:
                self.answers.pop(0)(box)
            except Exception as exc:  # noqa: BLE001 - not the box expected: say so, and close it
                self.errors.append(exc)
                box.reject()
        if self.answers or up:
            QTimer.singleShot(20, self._poll)


def click(text: str) -> Answer:
    def answer(box: QWidget) -> None:
        button = next(b for b in box.findChildren(QPushButton) if b.text().replace("&", "") == text)
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    return answer


def save_as(qtbot, path: Path, opened_in: list[str]) -> Answer:
    def answer(dialog: QWidget) -> None:
        assert isinstance(dialog, QFileDialog)
        opened_in.append(dialog.directory().absolutePath())
        if dialog.directory().absolutePath() != str(path.parent):
            dialog.setDirectory(str(path.parent))  # (browsing there, as a person would)
        name = dialog.findChild(QLineEdit, "fileNameEdit")
        name.selectAll()
        qtbot.keyClicks(name, path.name)
        qtbot.keyClick(name, Qt.Key.Key_Return)
    return answer


def pick_first(qtbot) -> Answer:
    def answer(dialog: QWidget) -> None:
        assert isinstance(dialog, QInputDialog)
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
    return answer


def type_and_enter(qtbot, text: str) -> Answer:
    def answer(dialog: QWidget) -> None:
        box = dialog.findChild(QLineEdit)
        qtbot.keyClicks(box, text)
        qtbot.keyClick(box, Qt.Key.Key_Return)
    return answer


def set_up_signing(qtbot) -> Answer:
    def answer(dialog: QWidget) -> None:
        assert isinstance(dialog, SigningSetupDialog) and dialog.for_signing
        qtbot.keyClicks(dialog.team_name, "Fictional Joint Team")
        qtbot.keyClicks(dialog.ca_new, "authority passphrase 1")
        qtbot.keyClicks(dialog.ca_new_again, "authority passphrase 1")
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
        assert dialog.isVisible()  # an authority is not yet a certificate: the dialog stays
        qtbot.keyClicks(dialog.ca_pass, "authority passphrase 1")
        qtbot.keyClicks(dialog.sign_new, "my signing passphrase")
        qtbot.keyClicks(dialog.sign_new_again, "my signing passphrase")
        qtbot.mouseClick(dialog.issue_button, Qt.MouseButton.LeftButton)
    return answer


WARNING = ("Personal data leaves the encrypted store: This PDF holds personal data. Saved as a file it is outside "
           "ddassess's encrypted store and is not encrypted: save it only where your service allows, and delete it "
           "once it is no longer needed.")


def test_signing_with_no_certificate_offers_the_set_up_before_any_passphrase(qtbot, window, catalogue, tmp_path):
    case_id = _case_with_plan(window, catalogue)
    out = tmp_path / "plan.pdf"
    opened_in: list[str] = []
    answers = Answers([click("Choose where to save…"), save_as(qtbot, out, opened_in), click("Yes"),
                       click("Set up signing…"), set_up_signing(qtbot), pick_first(qtbot),
                       type_and_enter(qtbot, "my signing passphrase"), click("Close")])
    assert save_plan(window, window.store, catalogue, case_id) == out
    assert [s.split(":")[0] for s in answers.seen] == [
        "Personal data leaves the encrypted store", "Save the joint care plan", "Sign the plan?",
        "No signing certificate", "Signing set-up", "Sign as", "Signing passphrase", "Saved"]
    assert answers.seen[3] == ("No signing certificate: You have no signing certificate yet, so you cannot sign. "
                               "Set one up now? It takes a minute; then signing goes on.")
    [report] = verify_pdf(out.read_bytes(), signing.trusted_roots(window.store))
    assert report.field == "care_coordinator" and report.ok and report.signer == "Testy McTestface"


def test_no_certificate_and_save_unsigned_saves_the_plan_unsigned(qtbot, window, catalogue, tmp_path):
    case_id = _case_with_plan(window, catalogue)
    out = tmp_path / "plan.pdf"
    answers = Answers([click("Choose where to save…"), save_as(qtbot, out, []), click("Yes"),
                       click("Save unsigned"), click("Close")])
    assert save_plan(window, window.store, catalogue, case_id) == out
    assert [s.split(":")[0] for s in answers.seen][-2:] == ["No signing certificate", "Saved"]
    assert out.read_bytes().startswith(b"%PDF")
    with pytest.raises(NotSignedError):
        verify_pdf(out.read_bytes(), [])


def test_no_certificate_and_cancel_saves_nothing(qtbot, window, catalogue, tmp_path):
    case_id = _case_with_plan(window, catalogue)
    out = tmp_path / "plan.pdf"
    answers = Answers([click("Choose where to save…"), save_as(qtbot, out, []), click("Yes"), click("Cancel")])
    assert save_plan(window, window.store, catalogue, case_id) is None
    assert len(answers.seen) == 4 and not out.exists()


def test_each_export_warns_and_the_save_dialog_starts_where_the_last_one_went(qtbot, window, catalogue, tmp_path):
    case_id = _case_with_plan(window, catalogue)
    folder = tmp_path / "exports"
    folder.mkdir()
    opened_in: list[str] = []
    answers = Answers([click("Choose where to save…"), save_as(qtbot, folder / "first.pdf", opened_in), click("No"),
                       click("Close")])
    assert save_plan(window, window.store, catalogue, case_id) == folder / "first.pdf"
    assert answers.seen[0] == WARNING
    assert get_setting(window.store, "export_folder") == str(folder)
    answers = Answers([click("Choose where to save…"), save_as(qtbot, folder / "second.pdf", opened_in),
                       click("No"), click("Close")])
    assert save_plan(window, window.store, catalogue, case_id) == folder / "second.pdf"
    assert answers.seen[0] == WARNING  # once per export
    assert opened_in[1] == str(folder)  # the second save dialog opened where the first file went
    assert (folder / "second.pdf").read_bytes().startswith(b"%PDF")


def test_cancel_at_the_warning_writes_nothing_and_opens_no_save_dialog(qtbot, window, catalogue, tmp_path):
    case_id = _case_with_plan(window, catalogue)
    answers = Answers([click("Cancel")])
    assert save_plan(window, window.store, catalogue, case_id) is None
    assert answers.seen == [WARNING] and QApplication.activeModalWidget() is None
    assert get_setting(window.store, "export_folder") == "" and list(tmp_path.glob("*.pdf")) == []


def test_the_signing_set_up_for_signing_stays_open_until_there_is_a_certificate(qtbot, window):
    dialog = SigningSetupDialog(window.store, window, for_signing=True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.ca_pass, "no authority yet")
    qtbot.keyClicks(dialog.sign_new, "my signing passphrase")
    qtbot.keyClicks(dialog.sign_new_again, "my signing passphrase")
    qtbot.mouseClick(dialog.issue_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.status.text().startswith("Not done: This store has no team authority yet")
    assert not signing.has_signing_certificate(window.store)


def _received_plan_and_no_certificate(window, tmp_path) -> Path:
    """A plan a colleague signed as care coordinator, with a certificate from this store's team
    authority; the practitioner here has no certificate of their own yet."""
    from sample_plans import sample_plan

    from ddassess.pdf import certs
    from ddassess.pdf.careplan import prepare_for_signing, render_care_plan
    from ddassess.pdf.signing import sign_pdf

    signing.create_team_authority(window.store, "Fictional Joint Team", "authority passphrase 1")
    ca = signing.team_authority(window.store, "authority passphrase 1")
    casey = certs.issue_certificate(ca, "Casey Coordinator", role="Care coordinator", agency="Fictional MH Trust")
    path = tmp_path / "received.pdf"
    path.write_bytes(sign_pdf(prepare_for_signing(render_care_plan(sample_plan())), casey,
                              field_name="care_coordinator"))
    return path


def issue_mine(qtbot) -> Answer:
    def answer(dialog: QWidget) -> None:
        assert isinstance(dialog, SigningSetupDialog) and dialog.for_signing
        qtbot.keyClicks(dialog.ca_pass, "authority passphrase 1")
        qtbot.keyClicks(dialog.sign_new, "my signing passphrase")
        qtbot.keyClicks(dialog.sign_new_again, "my signing passphrase")
        qtbot.mouseClick(dialog.issue_button, Qt.MouseButton.LeftButton)
    return answer


def test_a_received_plan_with_no_certificate_offers_the_set_up_before_the_passphrase(qtbot, window, tmp_path):
    from ddassess.ui.sign_received import SignReceivedDialog

    received = _received_plan_and_no_certificate(window, tmp_path)
    dialog = SignReceivedDialog(window.store, window)
    qtbot.addWidget(dialog)
    dialog.show()
    answers = Answers([click("Cancel")])
    dialog.load(received)
    assert [s.split(":")[0] for s in answers.seen] == ["No signing certificate"]
    assert dialog.status.text().startswith("Not signed: you have no signing certificate yet.")
    assert not dialog.passphrase.isEnabled() and not dialog.sign_button.isEnabled()

    answers = Answers([click("Set up signing…"), issue_mine(qtbot)])
    dialog.load(received)
    assert [s.split(":")[0] for s in answers.seen] == ["No signing certificate", "Signing set-up"]
    assert dialog.passphrase.isEnabled() and dialog.sign_button.isEnabled()  # now the passphrase is asked for
    out = tmp_path / "countersigned.pdf"
    qtbot.keyClicks(dialog.passphrase, "my signing passphrase")
    answers = Answers([click("Choose where to save…"), save_as(qtbot, out, [])])
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert answers.seen[0] == WARNING
    assert [r.field for r in verify_pdf(out.read_bytes(), signing.trusted_roots(window.store))] == [
        "care_coordinator", "partner"]
