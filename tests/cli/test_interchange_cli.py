"""``ddassess export fhir|csv`` and ``ddassess import fhir`` (README, "Exporting and importing")."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle

from ddassess.cli import main
from ddassess.domain.models import PersonDetails
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes
from ddassess.services.case_pathway import case_id_for_ref

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
PHQ9 = {f"q{i}": 1 for i in range(1, 10)}  # 9: mild (Kroenke, Spitzer and Williams 2001)


@pytest.fixture
def two_cases(store):
    refs = []
    for given, nhs in (("Fictiona", "9991000011"), ("Madeup", None)):
        person = case_changes.register_person(store, PersonDetails(given, "Exampleton", dt.date(1980, 2, 3), nhs))
        refs.append(case_changes.open_case(store, person.id).ref)
    spec = CATALOGUE.get("phq9")
    r = case_changes.start_response(store, case_id_for_ref(store, refs[0]), spec.id, spec.version,
                                    spec.content_hash, PHQ9)
    case_changes.finalise_response(store, r.id)
    store.close()
    return refs


def test_export_fhir_then_import_the_answers_onto_another_case(two_cases, tmp_path, capsys):
    out = tmp_path / "case.json"
    assert main(["export", "fhir", two_cases[0].lower(), "--out", str(out), "--reason", "GP letter"]) == 0
    said = capsys.readouterr()
    assert "personal data" in said.err and f"Wrote case {two_cases[0]}" in said.out
    bundle = json.loads(out.read_text())
    Bundle.model_validate(bundle)
    obs = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    assert [(o["code"]["coding"][0]["code"], o["valueInteger"]) for o in obs] == [("44261-6", 9)]
    assert main(["import", "fhir", str(out), "--case", two_cases[1], "--reason", "copied"]) == 0
    assert f"Added 1 draft form(s) to case {two_cases[1]}" in capsys.readouterr().out


def test_export_csv_of_a_form_and_of_the_cases(two_cases, tmp_path, capsys):
    out = tmp_path / "phq9.csv"
    assert main(["export", "csv", "--form", "phq9", "--out", str(out)]) == 0
    assert "Wrote 1 responses of phq9" in capsys.readouterr().out
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["case_ref"], r["q1"], r["score_total"], r["band_total"]) for r in rows] == [
        (two_cases[0], "1", "9", "Mild")]
    assert (tmp_path / "phq9.codebook.csv").exists()
    cases = tmp_path / "cases.csv"
    assert main(["export", "csv", "--cases", "--out", str(cases)]) == 0
    with cases.open(newline="") as fh:
        assert sorted(r["case_ref"] for r in csv.DictReader(fh)) == sorted(two_cases)


def test_a_whole_case_into_a_store_that_has_it_and_bad_input_exit_2(two_cases, tmp_path, capsys):
    out = tmp_path / "case.json"
    assert main(["export", "fhir", two_cases[0], "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["import", "fhir", str(out)]) == 2
    assert "already has case" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{")
    assert main(["import", "fhir", str(tmp_path / "bad.json"), "--case", two_cases[1]]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["export", "fhir", two_cases[0], "--out", str(tmp_path / "no" / "case.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["export", "csv", "--form", "phq10", "--out", str(tmp_path / "x.csv")]) != 0
    assert not (tmp_path / "x.csv").exists()


def test_a_care_plan_document_of_a_case_without_a_plan_is_refused(two_cases, tmp_path, capsys):
    out = tmp_path / "doc.json"
    assert main(["export", "fhir", two_cases[0], "--document", "--out", str(out)]) == 17
    assert "no joint care plan" in capsys.readouterr().err and not out.exists()
