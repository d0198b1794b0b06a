"""The care plan from the client: printed through QPrinter, saved signed, verified."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from ddassess.domain.models import PersonDetails
from ddassess.services import cases, signing
from ddassess.services.careplans import build_care_plan
from ddassess.ui.careplan_actions import VerifyDialog, print_plan_to, save_plan

PLAN = {"lead_agency": "Fictional MH Trust", "care_coordinator": "Casey Coordinator", "partner_worker": "Pat Partner",
        "what_matters": "Seeing my sister", "needs": [{"area": "housing", "need": "Arrears", "goal": "Keep my flat",
                                                       "action": "Debt advice", "responsible": "Pat Partner",
                                                       "status": "in_progress"}],
        "risk_management": "Weekly calls", "crisis_summary": "Call the crisis line",
        "information_sharing": "Both services", "next_review": "2027-01-19"}


def _case_with_plan(window, catalogue):
    store = window.store
    person = cases.register_person(store, PersonDetails("Printy", "McTestface", dt.date(1970, 1, 1), "9990000026"))
    case_id = cases.open_case(store, person.id).id
    spec = catalogue.get("care_plan")
    cases.start_response(store, case_id, spec.id, spec.version, spec.content_hash, PLAN)
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
    monkeypatch.setattr(QMessageBox, "exec", lambda self: 0)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("my signing passphrase", True))
    assert save_plan(window, window.store, catalogue, case_id) == out
    dialog = VerifyDialog(window.store, window)
    dialog.verify(out)
    text = dialog.report.toPlainText()
    assert "OK: signature 'care_coordinator' by Testy McTestface" in text
    assert "All 1 signature(s) are intact, valid and trusted." in text
    data = bytearray(out.read_bytes())
    data[data.index(b"stream", 1000) + 20] ^= 0x01
    (tmp_path / "changed.pdf").write_bytes(bytes(data))
    dialog.verify(tmp_path / "changed.pdf")
    assert "FAILED: do not rely on this copy" in dialog.report.toPlainText()
    (tmp_path / "notes.txt").write_text("not a pdf")
    dialog.verify(tmp_path / "notes.txt")
    assert "not a PDF" in dialog.report.toPlainText()
    dialog.verify(tmp_path / "missing.pdf")
    assert "cannot be read" in dialog.report.toPlainText()
    assert build_care_plan(window.store, catalogue, case_id).version == 2  # version 1 is signed and frozen


def test_wrong_signing_passphrase_writes_nothing(qtbot, window, catalogue, tmp_path, monkeypatch):
    case_id = _case_with_plan(window, catalogue)
    signing.create_team_authority(window.store, "Fictional Joint Team", "authority passphrase 1")
    signing.issue_identity(window.store, "authority passphrase 1", "my signing passphrase")
    out = tmp_path / "plan.pdf"
    errors = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF (*.pdf)"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: errors.append(a[2]))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("wrong passphrase", True))
    assert save_plan(window, window.store, catalogue, case_id) is None
    assert errors and "passphrase for this signing key is wrong" in errors[0]
    assert not Path(out).exists()


def test_batch_print_with_progress_skips_cases_without_a_plan_and_can_be_cancelled(qtbot, window, catalogue,
                                                                                     tmp_path):
    from PySide6.QtWidgets import QProgressDialog

    from ddassess.ui.careplan_actions import print_many_to

    with_plan = _case_with_plan(window, catalogue)
    person = cases.register_person(window.store, PersonDetails("Noplan", "McTestface", nhs_number="9990000034"))
    without = cases.open_case(window.store, person.id).id
    window.case_list.apply()
    window.case_list.table.selectAll()
    assert set(window.case_list.selected_case_ids()) == {with_plan, without}

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "batch.pdf"))
    progress = QProgressDialog("Printing", "Cancel", 0, 2, window)
    printed, skipped = print_many_to(printer, window.store, catalogue, [with_plan, without], progress)
    assert (printed, skipped) == (1, [without])
    assert len(PdfReader(io.BytesIO((tmp_path / "batch.pdf").read_bytes())).pages) >= 1

    printer.setOutputFileName(str(tmp_path / "cancelled.pdf"))
    progress = QProgressDialog("Printing", "Cancel", 0, 2, window)
    progress.cancel()
    assert print_many_to(printer, window.store, catalogue, [with_plan, without], progress) == (0, [])
