"""An answer as people read it (formengine/display.py): the form's labels, never stored values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ddassess.formengine import load_catalogue
from ddassess.formengine.display import answer_text, row_title

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")


def test_choices_yes_no_dates_and_lists_read_as_labels():
    joint = CATALOGUE.get("joint_assessment").fields
    assert answer_text(joint["housing"], "at_risk") == "At risk of losing home"
    assert answer_text(joint["intoxicated"], True) == "Yes" and answer_text(joint["intoxicated"], False) == "No"
    assert answer_text(joint["assessed_on"], "2026-11-03") == "3 Nov 2026"
    assert answer_text(joint["interaction_pattern"], ["primary_mh", "unclear"]) == \
        "A primary mental illness leads to substance use; Not clear yet"
    assert answer_text(joint["phq9_total"], 12.0) == "12" and answer_text(joint["phq9_total"], None) == ""
    assert answer_text(joint["housing"], "not_an_option") == "not_an_option"  # shown as kept, never lost


def test_a_computed_value_reads_as_its_listed_words_or_yes_no():
    lead = CATALOGUE.get("lead_agency").fields
    assert answer_text(lead["quadrant"], "high_mh_low_sm") == "High mental illness / low substance misuse"
    profile = CATALOGUE.get("substance_profile").fields
    assert answer_text(profile["poly_use"], True) == "Yes"
    assert answer_text(CATALOGUE.get("consent").fields["days_left"], dt.date(2026, 11, 3)) == "3 Nov 2026"


def test_rows_and_signatures():
    plan = CATALOGUE.get("care_plan").fields
    assert row_title(plan["needs"], 1, {"area": "housing", "need": "Rent arrears"}) == "Need 1 — Housing"
    assert row_title(plan["needs"], 2, {}) == "Need 2"
    sharing = CATALOGUE.get("consent").fields["sharing"]
    assert row_title(sharing, 1, {"agency": "primary_care"}) == "Row 1 — GP / primary care"
    assert answer_text(plan["needs"], [{}, {}]) == "2 rows"
    signed = {"strokes": [[[0, 0], [1, 1]]], "signed_at": "2026-11-20T10:15:00+00:00", "signed_by": "Pat Partner"}
    assert answer_text(plan["partner_signed"], signed) == "Signed by Pat Partner on 20 Nov 2026"
