"""A care plan's risk summary says when a flag comes from a form with answers missing.

The app finalises a form only when every required answer is given, but the summary reads
whatever final record the case holds (an older or imported one may lack answers): a flag
raised by the answers given so far must not read as if the form were complete.
"""

from __future__ import annotations

from pathlib import Path

from ddassess.domain.models import PersonDetails
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes
from ddassess.services.careplans import build_care_plan

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")


def _final(store, case_id: int, form_id: str, answers: dict) -> None:
    spec = CATALOGUE.get(form_id)
    r = case_changes.start_response(store, case_id, spec.id, spec.version, spec.content_hash, answers)
    case_changes.finalise_response(store, r.id)


def test_a_flag_from_a_final_sadq_with_answers_missing_says_so(store):
    """SADQ (Stockwell et al. 1983): 16 or more; ten answers of 3 already make 30."""
    person = case_changes.register_person(store, PersonDetails("Planna", "Fictiva"))
    case_id = case_changes.open_case(store, person.id).id
    spec = CATALOGUE.get("care_plan")
    case_changes.start_response(store, case_id, "care_plan", spec.version, spec.content_hash, {})
    _final(store, case_id, "sadq", {f"q{i}": 3 for i in range(1, 11)})
    [flag] = build_care_plan(store, CATALOGUE, case_id).risk_flags
    assert flag.severity == "high" and flag.source.endswith(", form not finished")
    assert flag.source.startswith(CATALOGUE.get("sadq").title)
    finished = {f"q{i}": 3 if i <= 10 else 0 for i in range(1, 21)} | {"heavy_month": "May"}  # still 30
    _final(store, case_id, "sadq", finished)
    [flag] = build_care_plan(store, CATALOGUE, case_id).risk_flags  # the newest final: every answer given
    assert "not finished" not in flag.source
