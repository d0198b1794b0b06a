"""CSV export of a form's responses and of the cases (docs/interchange.md): read back with the
csv module, every cell gives the stored answer; scores as the forms engine works them out."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ddassess.errors import InvalidInputError, UnknownFormError
from ddassess.formengine import evaluate, load_catalogue
from ddassess.formengine.row_ids import without_row_ids
from ddassess.interchange import csv_rows
from ddassess.services import demo
from ddassess.services.interchange import codebook_path, export_cases_csv, export_form_csv
from ddassess.store.records import AuditEventRecord, CaseRecord, ResponseRecord

FORMS = Path(__file__).resolve().parents[2] / "forms"
CATALOGUE = load_catalogue(FORMS)


@pytest.fixture
def populated(store):
    demo.populate(store, CATALOGUE, people=10, today=dt.date(2026, 11, 1))
    return store


def _read(path):
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("form_id", ["phq9", "audit", "consent", "joint_assessment", "care_plan"])
def test_the_csv_reads_back_as_the_stored_answers(populated, tmp_path, form_id):
    out = tmp_path / f"{form_id}.csv"
    done = export_form_csv(populated, CATALOGUE, form_id, out, "service evaluation")
    rows = _read(out)
    spec = CATALOGUE.get(form_id)
    with populated.read() as s:
        stored = {r.uuid: r for r in s.scalars(select(ResponseRecord).where(ResponseRecord.form_id == form_id,
                                                                             ResponseRecord.status != "superseded"))}
        refs = {c.id: c.ref for c in s.scalars(select(CaseRecord))}
    assert done.rows == len(rows) == len(stored) > 0
    fields = csv_rows.answer_fields(spec)
    for row in rows:
        r = stored[row["response_id"]]
        answers = json.loads(r.answers_json)
        assert row["case_ref"] == refs[r.case_id] and row["status"] == r.status
        expected = {f.id: without_row_ids(answers.get(f.id)) for f in fields  # a row's id is no answer
                    if answers.get(f.id) not in (None, "", [])}
        back = {f.id: csv_rows.read_cell(f, row[f.id]) for f in fields if row[f.id] != ""}
        assert back == expected
        ev = evaluate(CATALOGUE.get(form_id, r.form_version), answers, tables=CATALOGUE.tables)
        for sc in spec.scores:
            res = ev.scores[sc.id]
            assert row[f"score_{sc.id}"] == (json.dumps(res.value) if res.complete else "")
            assert row[f"band_{sc.id}"] == (res.band if res.complete else "")
        assert row["flags"] == "|".join(f.id for f in ev.flags)


def test_the_codebook_says_what_each_code_means(populated, tmp_path):
    out = tmp_path / "phq9.csv"
    export_form_csv(populated, CATALOGUE, "phq9", out, "audit of practice")
    book = _read(codebook_path(out))
    q1 = [r for r in book if r["column"] == "q1"]
    assert q1[0]["question_or_meaning"] == "Little interest or pleasure in doing things"
    assert [(r["code"], r["code_label"], r["score"]) for r in q1[1:]] == [
        ("0", "Not at all", "0"), ("1", "Several days", "1"), ("2", "More than half the days", "2"),
        ("3", "Nearly every day", "3")]
    assert any("44261-6" in r["question_or_meaning"] for r in book if r["column"] == "score_total")
    assert {r["column"] for r in book} >= set(csv_rows.header(CATALOGUE.get("phq9")))


def test_the_cases_csv_has_a_row_per_case_and_is_audited(populated, tmp_path):
    out = tmp_path / "cases.csv"
    done = export_cases_csv(populated, out, "caseload review")
    rows = _read(out)
    with populated.read() as s:
        cases = {c.ref: c for c in s.scalars(select(CaseRecord))}
        event = s.scalars(select(AuditEventRecord).order_by(AuditEventRecord.seq.desc())).first()
    assert done.rows == len(rows) == len(cases) == 10
    for row in rows:
        c = cases[row["case_ref"]]
        assert (row["case_id"], row["stage"], row["opened_on"]) == (c.uuid, c.stage, c.opened_on.isoformat())
    assert (event.action, event.reason) == ("export", "caseload review") and str(out) in event.changes_json
    assert out.stat().st_mode & 0o777 == 0o600


def test_bad_csv_exports_say_why_and_write_nothing(populated, tmp_path):
    with pytest.raises(UnknownFormError):
        export_form_csv(populated, CATALOGUE, "phq10", tmp_path / "x.csv", "reason")
    with pytest.raises(InvalidInputError, match="does not exist"):
        export_form_csv(populated, CATALOGUE, "phq9", tmp_path / "nowhere" / "x.csv", "reason")
    with pytest.raises(InvalidInputError, match="cannot write"):
        export_cases_csv(populated, Path("/proc/ddassess-cases.csv"), "reason")
    with pytest.raises(InvalidInputError, match="Say why"):
        export_cases_csv(populated, tmp_path / "x.csv", "")
    assert not list(tmp_path.glob("*.csv"))
