"""Score trajectories worked out by hand from constructed responses.

Bands are the published ones the forms carry: PHQ-9 (Kroenke, Spitzer & Williams 2001)
minimal 0–4, mild 5–9, moderate 10–14, moderately severe 15–19, severe 20–27; GAD-7
(Spitzer et al. 2006) minimal 0–4, mild 5–9, moderate 10–14, severe 15–21; SDS (Gossop et
al. 1995) has no generic band, five items scored 0–3.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from instrument_helpers import answers_totalling
from store_helpers import amend

from ddassess.domain.charts import Band
from ddassess.domain.models import PersonDetails
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes
from ddassess.services.trajectories import score_trajectories

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
PHQ9_ITEMS = [f"q{i}" for i in range(1, 10)]


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day + "T12:00:00+00:00")


def _case(store, nhs: str) -> int:
    person = case_changes.register_person(store, PersonDetails("Tra", "Jectory", nhs_number=nhs))
    return case_changes.open_case(store, person.id).id


def _final(store, case_id: int, form_id: str, answers: dict, day: str | None = None) -> int:
    spec = CATALOGUE.get(form_id)
    r = case_changes.start_response(store, case_id, form_id, spec.version, spec.content_hash, answers)
    if day is not None:
        case_changes.finalise_response(store, r.id, at=_at(day))
    return r.id


def _phq9(total: int) -> dict:
    return answers_totalling(CATALOGUE.get("phq9"), PHQ9_ITEMS, total, difficulty="somewhat")


def test_phq9_totals_over_time_with_the_form_bands(store):
    case_id = _case(store, "9990000077")
    other = _case(store, "9990000085")
    _final(store, case_id, "phq9", _phq9(14), "2026-02-14")
    _final(store, case_id, "phq9", _phq9(21), "2026-01-03")
    _final(store, case_id, "phq9", _phq9(6), "2026-03-30")
    _final(store, case_id, "phq9", _phq9(27))  # a draft: not a measurement yet
    _final(store, other, "phq9", _phq9(3), "2026-01-10")  # another person's
    (phq9,) = score_trajectories(store, CATALOGUE, case_id)
    assert phq9.form_id == "phq9" and phq9.name == "PHQ-9"
    assert [(p.on, p.value, p.band) for p in phq9.points] == [
        (dt.date(2026, 1, 3), 21, "Severe"), (dt.date(2026, 2, 14), 14, "Moderate"), (dt.date(2026, 3, 30), 6, "Mild")]
    chart = phq9.chart("%d %b %Y")
    assert chart.x_labels == ("03 Jan 2026", "14 Feb 2026", "30 Mar 2026")
    assert chart.series[0].values == (21.0, 14.0, 6.0)
    # Whole-number bands shaded half a point either side; the axis 0–27 likewise.
    assert chart.bands == (Band(-0.5, 4.5, "Minimal", "0–4"), Band(4.5, 9.5, "Mild", "5–9"),
                           Band(9.5, 14.5, "Moderate", "10–14"), Band(14.5, 19.5, "Moderately severe", "15–19"),
                           Band(19.5, 27.5, "Severe", "20–27"))
    assert chart.value_range() == (-0.5, 27.5)
    assert chart.text_alternative() == (
        "Line chart: PHQ-9 total. Bands: Minimal 0–4, Mild 5–9, Moderate 10–14, Moderately severe 15–19, "
        "Severe 20–27. 03 Jan 2026 21 (Severe); 14 Feb 2026 14 (Moderate); 30 Mar 2026 6 (Mild).")
    assert score_trajectories(store, CATALOGUE, other)[0].points[0].value == 3


def test_an_amendment_replaces_the_score_on_its_original_day(store):
    case_id = _case(store, "9990000077")
    first = _final(store, case_id, "gad7", answers_totalling(CATALOGUE.get("gad7"), [f"q{i}" for i in range(1, 8)],
                                                              16), "2026-01-05")
    amend(store, first, answers_totalling(CATALOGUE.get("gad7"), [f"q{i}" for i in range(1, 8)], 9),
          "Item 3 was recorded against the wrong answer")
    (gad7,) = score_trajectories(store, CATALOGUE, case_id)
    assert [(p.on, p.value, p.band) for p in gad7.points] == [(dt.date(2026, 1, 5), 9, "Mild")]
    assert [b.label for b in gad7.bands] == ["Minimal", "Mild", "Moderate", "Severe"]


def test_a_score_without_bands_is_drawn_on_its_full_range(store):
    case_id = _case(store, "9990000077")
    sds = CATALOGUE.get("sds")
    items = [f.id for f in sds.fields.values() if f.type == "scored_choice"][:5]
    answers = answers_totalling(sds, items, 7)
    _final(store, case_id, "sds", answers, "2026-04-01")
    (traj,) = score_trajectories(store, CATALOGUE, case_id)
    assert traj.bands == () and (traj.low, traj.high) == (0, 15)
    assert traj.chart().value_range() == (-0.5, 15.5)
    assert traj.chart().text_alternative() == "Line chart: SDS total. 01 Apr 2026 7."


def test_no_final_instrument_no_trajectory(store):
    case_id = _case(store, "9990000077")
    _final(store, case_id, "phq9", _phq9(10))  # draft only
    assert score_trajectories(store, CATALOGUE, case_id) == ()


def test_scores_pdf_reads_back_as_the_service_says_and_is_audited(store, tmp_path):
    import io
    import json

    from pypdf import PdfReader
    from sqlalchemy import select

    from ddassess.services.trajectories import export_scores
    from ddassess.store.records import AuditEventRecord

    case_id = _case(store, "9990000077")
    _final(store, case_id, "phq9", _phq9(21), "2026-01-03")
    _final(store, case_id, "phq9", _phq9(14), "2026-02-14")
    _final(store, case_id, "gad7", answers_totalling(CATALOGUE.get("gad7"), [f"q{i}" for i in range(1, 8)], 11),
           "2026-02-14")
    out = tmp_path / "scores.pdf"
    assert export_scores(store, CATALOGUE, case_id, out, dt.date(2026, 3, 1)) == 2
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages).split())
    for trajectory in score_trajectories(store, CATALOGUE, case_id):
        assert trajectory.text() in text  # each chart's text alternative, printed under it
    assert "Tra Jectory · case" in text and "printed 01 Mar 2026" in text
    assert out.stat().st_mode & 0o077 == 0
    with store.read() as s:
        event = s.scalars(select(AuditEventRecord).where(AuditEventRecord.entity_type == "case-report")).one()
    assert event.action == "export" and json.loads(event.changes_json)["charts"] == [None, 2]
    assert "Jectory" not in event.changes_json


def test_scores_pdf_refuses_a_folder_that_does_not_exist(store, tmp_path):
    import pytest

    from ddassess.errors import InvalidInputError
    from ddassess.services.trajectories import export_scores

    case_id = _case(store, "9990000077")
    with pytest.raises(InvalidInputError, match="does not exist"):
        export_scores(store, CATALOGUE, case_id, tmp_path / "missing" / "scores.pdf")
    assert not (tmp_path / "missing").exists()
