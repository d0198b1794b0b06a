"""The longest name register_person keeps and the longest answers a care plan form allows
(and a draft's answer at the most a draft keeps) go through export_care_plan into a
PDF that is read back whole. Fictional people only."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from pypdf import PdfReader

from ddassess.domain.limits import MAX_NAME, MAX_STORED_ANSWER
from ddassess.domain.models import PersonDetails
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes
from ddassess.services.careplan_files import export_care_plan

FORMS = Path(__file__).resolve().parents[2] / "forms"
CATALOGUE = load_catalogue(FORMS)


def numbered(prefix: str, chars: int) -> str:
    words = " ".join(f"{prefix}{i:05d}" for i in range(chars // 7 + 1))
    return words[: chars - chars % 7 - 1]


def _words(prefix: str, text: str) -> list[str]:
    return re.findall(rf"{prefix}\d{{5}}", text)


def _limit(field: str, column: str | None = None) -> int:
    f = CATALOGUE.get("care_plan").fields[field]
    if column is not None:
        f = next(c for c in f.fields if c.id == column)
    assert f.max_length, f"{field} has a limit in the form"
    return f.max_length


def test_the_longest_name_and_answers_export_and_read_back(store, tmp_path):
    given, family = "Testy-" + "G" * (MAX_NAME - 6), "McTestface-" + "F" * (MAX_NAME - 11)
    person = case_changes.register_person(store, PersonDetails(given, family, dt.date(1984, 3, 2), "9990000018"))
    case = case_changes.open_case(store, person.id, dt.date(2026, 11, 24))
    answers = {
        "lead_agency": "Fictional Mental Health Trust", "care_coordinator": "Casey Coordinator",
        "what_matters": numbered("m", _limit("what_matters")),
        "needs": [{"area": "housing", "need": numbered("n", _limit("needs", "need")), "goal": "Stay in my flat",
                   "action": numbered("a", _limit("needs", "action")), "responsible": "Pat Partner",
                   "status": "in_progress"},
                  # a draft may hold more than the form allows (finalising refuses it): the most a draft keeps
                  {"area": "housing", "need": "Rent", "goal": "Stay", "action": numbered("d", MAX_STORED_ANSWER),
                   "responsible": "Casey Coordinator", "status": "not_started"}],
        "risk_management": numbered("r", _limit("risk_management")),
        "information_sharing": "Both services and the GP",
    }
    spec = CATALOGUE.get("care_plan")
    case_changes.start_response(store, case.id, spec.id, spec.version, spec.content_hash, answers)
    out = tmp_path / "plan.pdf"
    export_care_plan(store, CATALOGUE, case.id, out)
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    flat = "".join(text.split())
    assert f"{given}{family}" in flat  # the summary's name cell wraps the name; every letter is there
    for prefix, written in (("m", answers["what_matters"]), ("n", answers["needs"][0]["need"]),
                            ("a", answers["needs"][0]["action"]), ("d", answers["needs"][1]["action"]),
                            ("r", answers["risk_management"])):
        assert _words(prefix, text) == _words(prefix, written), prefix
    for page in reader.pages:  # the identifiers head every page, however long the name
        assert "999 000 0018" in page.extract_text() and case.ref in page.extract_text()
