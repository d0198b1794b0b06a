"""File → Export… and File → Import FHIR…, driven through the real boxes: the warning that the
file leaves the encrypted store, the reason asked for and audited, the destination checked
before any work, and nothing written or audited when an answer is wrong."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes, demo
from ddassess.services.case_pathway import case_detail
from ddassess.store.records import AuditEventRecord, CaseRecord, ResponseRecord
from ddassess.ui.interchange_dialog import ExportDialog, ImportDialog

PHQ9 = {f"q{i}": 3 for i in range(1, 10)}  # 27: severe (Kroenke, Spitzer and Williams 2001)


@pytest.fixture
def one_case(store, catalogue):
    person = case_changes.register_person(store, PersonDetails("Dialoga", "Exampleton", dt.date(1979, 5, 6),
                                                               "9991000011"))
    case_id = case_changes.open_case(store, person.id).id
    spec = catalogue.get("phq9")
    r = case_changes.start_response(store, case_id, spec.id, spec.version, spec.content_hash, PHQ9)
    case_changes.finalise_response(store, r.id)
    return case_id, case_detail(store, case_id).ref


def _events(store) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEventRecord))


def _dialog(qtbot, store, catalogue, case):
    d = ExportDialog(store, catalogue, case)
    qtbot.addWidget(d)
    d.show()
    return d


def test_the_open_case_exported_as_fhir_through_the_dialog(qtbot, store, catalogue, one_case, tmp_path):
    d = _dialog(qtbot, store, catalogue, one_case)
    assert d.fhir.isChecked() and "Personal data leaves the encrypted store" in d.findChildren(
        type(d.problem))[0].text()
    out = tmp_path / "out.json"
    qtbot.keyClicks(d.reason, "Referral to the GP practice")
    qtbot.keyClicks(d.path, str(out))
    qtbot.mouseClick(d.go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: d.written is not None, timeout=10_000)
    Bundle.model_validate(json.loads(out.read_text()))
    with store.read() as s:
        event = s.scalars(select(AuditEventRecord).order_by(AuditEventRecord.seq.desc())).first()
    assert (event.action, event.reason) == ("export", "Referral to the GP practice")


def test_a_missing_reason_or_an_unwritable_place_writes_and_audits_nothing(qtbot, store, catalogue, one_case,
                                                                           tmp_path):
    d = _dialog(qtbot, store, catalogue, one_case)
    before = _events(store)
    qtbot.keyClicks(d.path, str(tmp_path / "out.json"))
    qtbot.mouseClick(d.go, Qt.MouseButton.LeftButton)
    assert "Say why" in d.problem.text() and d.focusWidget() is d.reason
    qtbot.keyClicks(d.reason, "a reason")
    d.path.clear()
    qtbot.keyClicks(d.path, "/proc/ddassess-export.json")
    qtbot.mouseClick(d.go, Qt.MouseButton.LeftButton)
    assert "cannot write in /proc" in d.problem.text() and d.isVisible()
    assert _events(store) == before and not (tmp_path / "out.json").exists()


def test_a_form_exported_as_csv_with_its_codebook(qtbot, store, catalogue, one_case, tmp_path):
    d = _dialog(qtbot, store, catalogue, None)
    assert not d.fhir.isEnabled() and d.form_csv.isChecked()
    d.form_choice.setCurrentIndex(d.form_choice.findData("phq9"))
    qtbot.keyClicks(d.reason, "service evaluation")
    qtbot.keyClicks(d.path, str(tmp_path / "phq9"))  # the .csv is added
    qtbot.mouseClick(d.go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: d.written is not None, timeout=10_000)
    assert d.written == tmp_path / "phq9.csv"
    with (tmp_path / "phq9.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["case_ref"], r["q9"], r["score_total"], r["band_total"]) for r in rows] == [
        (one_case[1], "3", "27", "Severe")]
    assert (tmp_path / "phq9.codebook.csv").exists()


def test_answers_imported_onto_the_open_case_through_the_dialog(qtbot, store, catalogue, one_case, tmp_path):
    d = _dialog(qtbot, store, catalogue, one_case)
    qtbot.keyClicks(d.reason, "copy")
    qtbot.keyClicks(d.path, str(tmp_path / "case.json"))
    qtbot.mouseClick(d.go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: d.written is not None, timeout=10_000)
    i = ImportDialog(store, catalogue, one_case)
    qtbot.addWidget(i)
    i.show()
    assert i.onto_case.isChecked()
    qtbot.keyClicks(i.path, str(tmp_path / "case.json"))
    qtbot.keyClicks(i.reason, "answers given at the GP")
    qtbot.mouseClick(i.go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: i.imported is not None, timeout=10_000)
    with store.read() as s:
        drafts = s.scalars(select(ResponseRecord).where(ResponseRecord.status == "draft")).all()
        assert s.scalar(select(func.count()).select_from(CaseRecord)) == 1
    assert [json.loads(r.answers_json) for r in drafts] == [PHQ9]
    assert i.imported == f"1 draft form(s) added to case {one_case[1]}"


def test_the_care_plan_exported_as_a_fhir_document_through_the_dialog(qtbot, store, catalogue, tmp_path):
    demo.populate(store, catalogue, people=8)
    with store.read() as s:
        case = s.execute(select(CaseRecord.id, CaseRecord.ref).where(CaseRecord.stage == "review")).one()
    d = _dialog(qtbot, store, catalogue, tuple(case))
    assert d.fhir_document.isEnabled() and not d.fhir_document.isChecked()
    qtbot.mouseClick(d.fhir_document, Qt.MouseButton.LeftButton)
    assert d.kind() == "fhir_document" and d._suggested_name() == f"{case.ref}-care-plan.json"
    qtbot.keyClicks(d.reason, "Care plan to the GP practice")
    qtbot.keyClicks(d.path, str(tmp_path / "plan"))  # the .json is added
    qtbot.mouseClick(d.go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: d.written is not None, timeout=20_000)
    bundle = json.loads((tmp_path / "plan.json").read_text())
    Bundle.model_validate(bundle)
    assert bundle["type"] == "document" and bundle["entry"][0]["resource"]["resourceType"] == "Composition"
    with store.read() as s:
        event = s.scalars(select(AuditEventRecord).order_by(AuditEventRecord.seq.desc())).first()
    assert (event.action, event.reason) == ("export", "Care plan to the GP practice")
    assert "FHIR R4 document" in event.changes_json


def test_no_document_choice_without_an_open_case(qtbot, store, catalogue):
    d = _dialog(qtbot, store, catalogue, None)
    assert not d.fhir_document.isEnabled() and not d.fhir.isEnabled()
