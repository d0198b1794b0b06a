"""``ddassess cases history REF``: the case's history in words, headless."""

from __future__ import annotations

import pytest
from store_helpers import PRACTITIONER

from ddassess.cli import main
from ddassess.domain.models import PersonDetails
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes

ME = PRACTITIONER["name"]


@pytest.fixture
def case_ref(store):
    person = case_changes.register_person(store, PersonDetails("Fictiona", "Historyton", nhs_number="9991000011"))
    case = case_changes.open_case(store, person.id)
    phq9 = load_catalogue().get("phq9")
    r = case_changes.start_response(store, case.id, "phq9", phq9.version, phq9.content_hash)
    case_changes.save_draft(store, r.id, {"q1": 3})
    store.close()
    return case.ref


def _said(out: str) -> list[str]:
    return [line.split(" — ", 1)[1] for line in out.splitlines()]


def test_the_history_prints_newest_first_and_filters_by_form(case_ref, capsys):
    assert main(["cases", "history", case_ref]) == 0
    assert _said(capsys.readouterr().out) == [
        f"{ME} answered 'Little interest or pleasure in doing things' in Patient Health Questionnaire (PHQ-9): "
        "'Nearly every day'",
        f"{ME} started Patient Health Questionnaire (PHQ-9)",
        f"{ME} joined the care team as care coordinator (opened the case)",
        f"{ME} opened the case {case_ref}",
        f"{ME} registered the person 'Fictiona Historyton'",
    ]
    assert main(["cases", "history", case_ref.lower(), "--form", "case"]) == 0
    assert _said(capsys.readouterr().out) == [f"{ME} joined the care team as care coordinator (opened the case)",
                                              f"{ME} opened the case {case_ref}",
                                              f"{ME} registered the person 'Fictiona Historyton'"]
    assert main(["cases", "history", case_ref, "--form", "gad7"]) == 0
    assert capsys.readouterr().out == "Nothing recorded.\n"
    assert main(["cases", "history", case_ref, "--page", "2"]) == 0
    assert capsys.readouterr().out == "There are 5 entries: page 2 is past the oldest.\n"


@pytest.mark.parametrize("args, words", [
    (["--page", "0"], "--page 0 is not a page: pages count from 1"),
    (["--form", "phq99"], "There is no form 'phq99' in the catalogue"),
])
def test_bad_options_are_refused_with_exit_2(case_ref, capsys, args, words):
    assert main(["cases", "history", case_ref, *args]) == 2
    assert words in capsys.readouterr().err


def test_an_unknown_case_is_said_so(case_ref, capsys):
    assert main(["cases", "history", "DD-1999-99999"]) != 0
    assert "There is no case DD-1999-99999 in this store" in capsys.readouterr().err
