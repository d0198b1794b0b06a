"""The care plan from the client: printed through QPrinter, saved signed, verified."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox
from ui_helpers import when_a_box_is_up

from ddassess.domain.models import PersonDetails
from ddassess.domain.nhs import fictional_nhs_numbers
from ddassess.pdf.verification import verify_pdf
from ddassess.services import case_changes, signing
from ddassess.services.careplans import build_care_plan
from ddassess.ui.careplan_actions import VerifyDialog, print_plan_to, save_plan
from ddassess.ui.export_path import GO

PLAN = {"lead_agency": "Fictional MH Trust", "care_coordinator": "Casey Coordinator", "partner_worker": "Pat Partner",
        "what_matters": "Seeing my sister", "needs": [{"area": "housing", "need": "Arrears", "goal": "Keep my flat",
                                                       "action": "Debt advice", "responsible": "Pat Partner",
                                                       "status": "in_progress"}],
        "risk_management": "Weekly calls", "crisis_summary": "Call the crisis line",
        "information_sharing": "Both services", "next_review": "2027-01-19", "carer_involved": False,
        "person_signed": {"strokes": [[[0, 0], [10, 5], [20, 0]]], "signed_at": "2026-11-20T10:00:00+00:00"}}


_NHS = iter(fictional_nhs_numbers(40, start=999000100))


def _boxes_answered(box: QMessageBox) -> int:
    """QMessageBox.exec for tests that answer by patching: the export warning goes on to the
    save dialog ("Choose where to save…"), the "Saved" box is closed."""
    for button in box.buttons():
        if button.text() == GO:
            button.click()
    return 0


def _case_with_plan(window, catalogue):
    store = window.store
    person = case_changes.register_person(store, PersonDetails("Printy", "McTestface", dt.date(1970, 1, 1), next(_NHS)))
    case_id = case_changes.open_case(store, person.id).id
    spec = catalogue.get("care_plan")
    case_changes.start_response(store, case_id, spec.id, spec.version, spec.content_hash, PLAN)
    return case_id


def test_print_path_produces_the_plan_through_qprinter(qtbot, window, catalogue, tmp_path):
    case_id = _case_with_plan(window, catalogue)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    pages = print_plan_to(printer, window.store, catalogue, case_id)
    reader = PdfReader(io.BytesIO((tmp_path / "printed.pdf").read_bytes()))
    assert pages >= 1 and len(reader.pages) == pages
    assert (tmp_path / "printed.pdf").stat().st_size > 20_000  # real page images, not blank pages


def test_save_signed_then_verify_in_the_window(qtbot, window, catalogue, tmp_path, monkeypatch):
    case_id = _case_with_plan(window, catalogue)
    signing.create_team_authority(window.store, "Fictional Joint Team", "authority passphrase 1")
    signing.issue_identity(window.store, "authority passphrase 1", "my signing passphrase")
    out = tmp_path / "plan.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF (*.pdf)"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "exec", _boxes_answered)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("my signing passphrase", True))
    monkeypatch.setattr(QInputDialog, "getItem", lambda _p, _t, _l, items, *a, **k: (items[0], True))
    assert save_plan(window, window.store, catalogue, case_id) == out
    dialog = VerifyDialog(window.store, window)
    dialog.verify(out)
    text = dialog.report.toPlainText()
    assert text.splitlines()[0] == (  # the verdict first, in words, naming every block of the plan
        "OK: intact and trusted: signed by Testy McTestface (care coordinator); person signed by hand on the plan; "
        "partner practitioner's block unsigned; team lead's block unsigned")
    assert "OK: signature 'care_coordinator' by Testy McTestface" in text
    assert "All 1 signature(s) are intact, valid and trusted." in text
    data = bytearray(out.read_bytes())
    data[data.index(b"stream", 1000) + 20] ^= 0x01
    (tmp_path / "changed.pdf").write_bytes(bytes(data))
    dialog.verify(tmp_path / "changed.pdf")
    assert "FAILED: do not rely on this copy" in dialog.report.toPlainText()
    assert dialog.report.toPlainText().splitlines()[0] == \
        "NOT TRUSTWORTHY: the document was changed after signature 1 (Testy McTestface)"
    (tmp_path / "notes.txt").write_text("not a pdf")
    dialog.verify(tmp_path / "notes.txt")
    assert "not a PDF" in dialog.report.toPlainText()
    dialog.verify(tmp_path / "missing.pdf")
    assert "cannot be read" in dialog.report.toPlainText()
    assert build_care_plan(window.store, catalogue, case_id).version == 1  # unchanged: still the signed version


def test_save_plan_signs_in_the_role_chosen(qtbot, window, catalogue, tmp_path, monkeypatch):
    case_id = _case_with_plan(window, catalogue)
    signing.create_team_authority(window.store, "Fictional Joint Team", "authority passphrase 1")
    signing.issue_identity(window.store, "authority passphrase 1", "my signing passphrase")
    out = tmp_path / "plan.pdf"
    offered = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF (*.pdf)"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "exec", _boxes_answered)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("my signing passphrase", True))

    def pick(_parent, _title, _label, items, *a, **k):  # type: ignore[no-untyped-def]
        offered.extend(items)
        return "Partner-service practitioner", True

    monkeypatch.setattr(QInputDialog, "getItem", pick)
    assert save_plan(window, window.store, catalogue, case_id) == out
    assert offered == ["Care coordinator", "Partner-service practitioner", "Team lead (countersignature)"]
    [report] = verify_pdf(out.read_bytes(), signing.trusted_roots(window.store))
    assert report.field == "partner" and report.ok


def test_wrong_signing_passphrase_writes_nothing(qtbot, window, catalogue, tmp_path, monkeypatch):
    case_id = _case_with_plan(window, catalogue)
    signing.create_team_authority(window.store, "Fictional Joint Team", "authority passphrase 1")
    signing.issue_identity(window.store, "authority passphrase 1", "my signing passphrase")
    out = tmp_path / "plan.pdf"
    errors = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF (*.pdf)"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: errors.append(a[2]))
    monkeypatch.setattr(QMessageBox, "exec", _boxes_answered)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("wrong passphrase", True))
    monkeypatch.setattr(QInputDialog, "getItem", lambda _p, _t, _l, items, *a, **k: (items[0], True))
    assert save_plan(window, window.store, catalogue, case_id) is None
    assert errors and "passphrase for this signing key is wrong" in errors[0]
    assert not Path(out).exists()


def _pdf_printer(path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def test_batch_print_skips_cases_without_a_plan_and_goes_on_after_a_failure(qtbot, window, catalogue, tmp_path):
    from PySide6.QtWidgets import QProgressDialog

    from ddassess.ui.careplan_actions import batch_summary, print_many_to

    with_plan = _case_with_plan(window, catalogue)
    person = case_changes.register_person(window.store, PersonDetails("Noplan", "McTestface", nhs_number="9990000034"))
    without = case_changes.open_case(window.store, person.id).id
    # A case whose lead agency decision was made with a form version this copy does not have.
    broken = _case_with_plan(window, catalogue)
    case_changes.start_response(window.store, broken, "lead_agency", 99, "0" * 64, {"mh_severity": "high"})
    last = _case_with_plan(window, catalogue)
    window.case_list.apply()
    window.case_list.table.selectAll()
    assert set(window.case_list.selected_case_ids()) == {with_plan, without, broken, last}

    progress = QProgressDialog("Printing", "Cancel", 0, 4, window)
    result = print_many_to(_pdf_printer(tmp_path / "batch.pdf"), window.store, catalogue,
                           [with_plan, without, broken, last], progress)
    assert (result.printed, result.skipped, [c for c, _ in result.failed]) == (2, [without], [broken])
    assert not result.cancelled
    pages = PdfReader(io.BytesIO((tmp_path / "batch.pdf").read_bytes())).pages
    single = print_plan_to(_pdf_printer(tmp_path / "one.pdf"), window.store, catalogue, with_plan)
    assert len(pages) == 2 * single  # both good plans, whole
    summary = batch_summary(result, {without: "DD-A", broken: "DD-B"})
    assert "2 care plan(s) sent to the printer." in summary and "DD-A" in summary
    assert "DD-B was not printed:" in summary


def test_batch_print_cancel_mid_job_aborts_the_printer_job(qtbot, window, catalogue, tmp_path):
    from PySide6.QtWidgets import QProgressDialog

    from ddassess.ui.careplan_actions import batch_summary, print_many_to

    ids = [_case_with_plan(window, catalogue) for _ in range(3)]
    progress = QProgressDialog("Printing", "Cancel", 0, 3, window)
    progress.setMinimumDuration(0)
    # The user clicks Cancel while the job runs: the click is handled between two plans
    # (the first plan takes far longer to draw than the 200 ms until the click).
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QPushButton

    progress.show()
    cancel = progress.findChild(QPushButton)
    QTimer.singleShot(200, lambda: qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton))
    printer = _pdf_printer(tmp_path / "cancelled.pdf")
    result = print_many_to(printer, window.store, catalogue, ids, progress)
    assert result.cancelled and 1 <= result.printed < len(ids)
    # A real printer's job is aborted; printing to a file cannot abort, so no half file is left.
    assert not (tmp_path / "cancelled.pdf").exists()
    assert batch_summary(result, {}) == "Printing was cancelled: nothing was sent to the printer."

    # Cancelled before the first plan: nothing printed either.
    progress = QProgressDialog("Printing", "Cancel", 0, 3, window)
    progress.cancel()
    printer = _pdf_printer(tmp_path / "before.pdf")
    result = print_many_to(printer, window.store, catalogue, ids, progress)
    assert result.cancelled and result.printed == 0
    assert not (tmp_path / "before.pdf").exists()


def _received_plan(window, tmp_path) -> Path:
    """A plan signed as care coordinator by a colleague, with a certificate from the same team."""
    from sample_plans import sample_plan

    from ddassess.pdf import certs
    from ddassess.pdf.careplan import prepare_for_signing, render_care_plan
    from ddassess.pdf.signing import sign_pdf

    signing.create_team_authority(window.store, "Fictional Joint Team", "authority passphrase 1")
    signing.issue_identity(window.store, "authority passphrase 1", "my signing passphrase")
    ca = signing.team_authority(window.store, "authority passphrase 1")
    casey = certs.issue_certificate(ca, "Casey Coordinator", role="Care coordinator", agency="Fictional MH Trust")
    path = tmp_path / "received.pdf"
    path.write_bytes(sign_pdf(prepare_for_signing(render_care_plan(sample_plan())), casey,
                              field_name="care_coordinator"))
    return path


def test_sign_a_received_plan_as_team_lead(qtbot, window, tmp_path, monkeypatch):
    from ddassess.ui.sign_received import SignReceivedDialog

    received = _received_plan(window, tmp_path)
    original = received.read_bytes()
    out = tmp_path / "countersigned.pdf"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(received), "PDF (*.pdf)"))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF (*.pdf)"))
    monkeypatch.setattr(QMessageBox, "exec", _boxes_answered)
    dialog = SignReceivedDialog(window.store, window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.sign_button.isEnabled()
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    assert "OK: signature 'care_coordinator' by Casey Coordinator" in dialog.report.toPlainText()
    assert [dialog.role.itemText(i) for i in range(dialog.role.count())] == [
        "Partner-service practitioner", "Team lead (countersignature)"]  # the signed block is not offered
    dialog.role.setFocus()
    qtbot.keyClick(dialog.role, Qt.Key.Key_Down)
    assert dialog.role.currentData() == "team_lead"
    qtbot.keyClicks(dialog.passphrase, "not my passphrase")
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert "Not signed: The passphrase for this signing key is wrong" in dialog.status.text()
    assert not out.exists() and dialog.passphrase.text() == ""
    qtbot.keyClicks(dialog.passphrase, "my signing passphrase")
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert "Signed as team lead (countersignature) and saved to" in dialog.status.text()
    reports = verify_pdf(out.read_bytes(), signing.trusted_roots(window.store))
    assert [(r.field, r.signer, r.ok) for r in reports] == [("care_coordinator", "Casey Coordinator", True),
                                                           ("team_lead", "Testy McTestface", True)]
    assert received.read_bytes() == original  # the file received is left as it came


def test_a_received_plan_whose_signature_fails_cannot_be_signed(qtbot, window, tmp_path, monkeypatch):
    from ddassess.ui.sign_received import SignReceivedDialog

    received = _received_plan(window, tmp_path)
    data = bytearray(received.read_bytes())
    data[data.index(b"stream", 1000) + 20] ^= 0x01
    received.write_bytes(bytes(data))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(received), "PDF (*.pdf)"))
    dialog = SignReceivedDialog(window.store, window)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    assert "FAILED: do not rely on this copy" in dialog.report.toPlainText()
    assert dialog.report.toPlainText().startswith("NOT TRUSTWORTHY: the document was changed after signature 1 (")
    assert dialog.status.text().startswith(  # the same words as Verify and `pdf verify`
        "Not signed: NOT TRUSTWORTHY: the document was changed after signature 1 (Casey Coordinator)")
    assert not dialog.sign_button.isEnabled() and not dialog.passphrase.isEnabled()
    (tmp_path / "notes.txt").write_text("not a pdf")
    dialog.load(tmp_path / "notes.txt")
    assert "not a PDF" in dialog.report.toPlainText() and not dialog.sign_button.isEnabled()


def test_sign_received_plan_opens_the_dialog(qtbot, window):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ddassess.ui.careplan_actions import sign_received_plan

    seen = []

    def close() -> None:
        dialog = QApplication.activeModalWidget()
        seen.append(dialog.windowTitle())
        dialog.reject()

    QTimer.singleShot(0, close)
    sign_received_plan(window, window.store)
    assert seen == ["Sign a received care plan"]


def test_a_lock_during_sign_the_plan_writes_nothing(qtbot, window, catalogue, tmp_path, monkeypatch):
    """The lock closes the open question; its 'answer' must not carry the export on."""
    from PySide6.QtWidgets import QApplication

    case_id = _case_with_plan(window, catalogue)
    out = tmp_path / "plan.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF (*.pdf)"))
    asked: list[str] = []

    def go_on(box: QMessageBox) -> None:  # the export warning: go on to the save dialog
        asked.append(box.text())
        next(b for b in box.buttons() if b.text() == GO).click()
        when_a_box_is_up(lambda box: (asked.append(box.text()), window.lock()), QMessageBox)

    when_a_box_is_up(go_on, QMessageBox)
    store = window.store
    assert save_plan(window, store, catalogue, case_id) is None
    assert len(asked) == 2 and "personal data" in asked[0]
    assert "Sign this version" in asked[1]  # the real question was up when the lock came
    assert window.store is None and store.closed
    assert not out.exists() and list(tmp_path.glob("*.pdf")) == []
    assert QApplication.activeModalWidget() is None  # no error box left over the lock screen
