"""``ddassess cases list``: find a case headless, with the case list's own search."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from ddassess.cli import main
from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.services.case_pathway import advance_stage, set_lead


@pytest.fixture
def three_cases(store):
    """Three fictional people: one at screening, one discharged, one with a lead agency and review."""
    opened = []
    for given, family, born, nhs in (("Fictiona", "Listington", dt.date(1980, 2, 3), "9991000011"),
                                     ("Madeup", "Closedcase", dt.date(1975, 7, 8), None),
                                     ("Testy", "Reviewsworth", dt.date(1990, 6, 3), None)):
        person = case_changes.register_person(store, PersonDetails(given_name=given, family_name=family,
                                                            date_of_birth=born, nhs_number=nhs))
        opened.append(case_changes.open_case(store, person.id, opened_on=dt.date(2026, 9, 1)))
    advance_stage(store, opened[0].id, "phq9")
    advance_stage(store, opened[1].id, "discharge")
    advance_stage(store, opened[2].id, "care_plan")
    set_lead(store, opened[2].id, "Mental health service", dt.date(2026, 12, 6))
    store.close()
    return [c.ref for c in opened]


def _rows(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_lists_open_cases_with_their_reference_name_stage_lead_and_review(three_cases, capsys):
    assert main(["cases", "list"]) == 0
    lines = _rows(capsys)
    assert lines[0].split() == ["case", "name", "stage", "lead", "agency", "next", "review"]
    assert len(lines) == 3  # the discharged case is closed: not listed without --all
    # Sorted by reference (random since references are unique across laptops: docs/exchange.md).
    assert [line.split()[0] for line in lines[1:]] == sorted([three_cases[0], three_cases[2]])
    by_ref = {line.split()[0]: line for line in lines[1:]}
    assert by_ref[three_cases[0]].split()[:5] == [three_cases[0], "Fictiona", "Listington", "Screening", "-"]
    third = by_ref[three_cases[2]]
    assert "Testy Reviewsworth" in third
    assert "Care plan" in third and "Mental health service" in third and third.endswith("2026-12-06")


@pytest.mark.parametrize("search, found", [
    ("listing", 0), ("999 100 0011", 0), ("03/02/1980", 0), ("3 Jun 1990", 2), ("1990-06-03", 2), ("reviews", 2),
])
def test_search_by_name_nhs_number_date_of_birth(three_cases, capsys, search, found):
    assert main(["cases", "list", "--search", search]) == 0
    lines = _rows(capsys)
    assert len(lines) == 2 and lines[1].startswith(three_cases[found])


def test_search_by_case_reference(three_cases, capsys):
    assert main(["cases", "list", "--search", three_cases[2].lower()]) == 0
    lines = _rows(capsys)
    assert [line.split()[0] for line in lines[1:]] == [three_cases[2]]


def test_stage_filter_and_closed_cases(three_cases, capsys):
    assert main(["cases", "list", "--stage", "discharged"]) == 0
    assert [line.split()[0] for line in _rows(capsys)[1:]] == [three_cases[1]]
    assert main(["cases", "list", "--all"]) == 0
    assert [line.split()[0] for line in _rows(capsys)[1:]] == sorted(three_cases)
    assert main(["cases", "list", "--stage", "review"]) == 0
    assert _rows(capsys) == ["No case matches. Closed cases are left out: add --all to include them."]


def test_a_stage_that_does_not_exist_is_bad_input(three_cases, capsys):
    with pytest.raises(SystemExit) as e:
        main(["cases", "list", "--stage", "nonsense"])
    assert e.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_names_reach_stdout_only(three_cases, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    assert main(["-v", "cases", "list", "--all"]) == 0
    out, err = capsys.readouterr()
    assert "Listington" in out
    assert "Listington" not in err and "Listington" not in caplog.text


def test_no_store_says_so(capsys):
    assert main(["cases", "list"]) == 3


def test_no_demo_store_says_how_to_make_one(capsys):
    assert main(["--demo", "cases", "list"]) == 3
    assert "Create it with `ddassess demo create`" in capsys.readouterr().err
