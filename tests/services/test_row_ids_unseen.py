"""A row's id (``_row``, formengine/row_ids.py) is never shown to a person nor exported as an
answer: the engine neither checks nor reports it, the form's words, the care plan PDF, the
CSV and FHIR exports and the case history leave it out. A real store, real files read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

from pypdf import PdfReader

from ddassess.domain.models import PersonDetails
from ddassess.formengine import evaluate, load_catalogue
from ddassess.formengine.display import answer_text
from ddassess.formengine.row_ids import ROW_KEY
from ddassess.interchange.fhir_forms import response_items
from ddassess.services import case_changes
from ddassess.services.careplan_files import export_care_plan
from ddassess.services.case_history import case_history
from ddassess.services.interchange import export_form_csv

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
NEEDS = [{"area": "housing", "need": "Rent arrears", "goal": "Stay in my flat", "action": "Debt advice",
          "responsible": "Pat Partner", "status": "in_progress"},
         {"area": "finance", "need": "Benefits", "goal": "Enough to live on", "action": "Benefit check",
          "responsible": "Casey Coordinator", "status": "not_started"}]
PLAN = {"what_matters": "Keeping my flat", "needs": NEEDS, "risk_management": "Daily contact",
        "crisis_summary": "See crisis plan", "information_sharing": "Both services", "next_review": "2027-01-19",
        "carer_involved": False}


def test_a_row_id_is_never_shown_nor_exported_as_an_answer(store, tmp_path):
    person = case_changes.register_person(store, PersonDetails("Rowena", "Fictional", dt.date(1984, 3, 2),
                                                               "9990000018"))
    case_id = case_changes.open_case(store, person.id).id
    spec = CATALOGUE.get("care_plan")
    r = case_changes.start_response(store, case_id, spec.id, spec.version, spec.content_hash, PLAN)
    case_changes.save_draft(store, r.id, {**case_changes.get_response(store, r.id).answers, "what_matters": "My flat"})
    answers = case_changes.get_response(store, r.id).answers
    ids = [row[ROW_KEY] for row in answers["needs"]]
    assert len(set(ids)) == 2  # the store keeps them...
    # ...the engine does not see them as answers, nor warn of them,
    ev = evaluate(spec, answers, tables=CATALOGUE.tables)
    assert not [p for p in ev.problems if "_row" in p.message or ROW_KEY in (p.field or "")]
    assert all(ROW_KEY not in row for row in ev.values["needs"])
    assert answer_text(spec.fields["needs"], answers["needs"]) == "2 rows"
    # ...nor FHIR, the CSV export, the care plan PDF or the case history.
    items = response_items(spec, answers, ev)
    # FHIR carries a row's id as its item's element id (what lets a moved case keep its rows'
    # identity), never as an answer.
    rows = [i for section in items for i in section.get("item", []) if i["linkId"] == "needs"]
    assert [r["id"] for r in rows] == ids
    fhir = json.dumps([_without_element_ids(i) for i in items])
    csv_path = tmp_path / "care_plan.csv"
    export_form_csv(store, CATALOGUE, "care_plan", csv_path, "service evaluation")
    [row] = list(csv.DictReader(csv_path.open(newline="", encoding="utf-8")))
    assert json.loads(row["needs"]) == NEEDS
    pdf = tmp_path / "plan.pdf"
    export_care_plan(store, CATALOGUE, case_id, pdf)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "Rent arrears" in text and "Benefit check" in text
    history = " ".join(e.what for e in case_history(store, CATALOGUE, case_id).entries)
    assert "Rent arrears" in history or "Needs" in history
    for shown in (fhir, csv_path.read_text(encoding="utf-8"), text, history):
        assert ROW_KEY not in shown
        for rid in ids:
            assert rid not in shown and rid[:8] not in shown


def _without_element_ids(item):
    if isinstance(item, dict):
        return {k: _without_element_ids(v) for k, v in item.items() if k != "id"}
    if isinstance(item, list):
        return [_without_element_ids(v) for v in item]
    return item
