"""Each instrument's items, options and scores against the published instrument.

The other instrument tests build answers from the forms' own option scores, so a wrong
score in a form would pass them. Here the published (label, score) pairs and item order
are written out independently, from the instruments as published (UK versions where the
UK changed the wording: units for AUDIT, AUDIT-C and FAST), and the forms must match.
"""

from __future__ import annotations

import re

import pytest

PAST_TWO_WEEKS = [("Not at all", 0), ("Several days", 1), ("More than half the days", 2), ("Nearly every day", 3)]
AUDIT_Q1 = [("Never", 0), ("Monthly or less", 1), ("2 to 4 times per month", 2), ("2 to 3 times per week", 3),
            ("4 or more times per week", 4)]
AUDIT_Q2 = [("0 to 2", 0), ("3 to 4", 1), ("5 to 6", 2), ("7 to 9", 3), ("10 or more", 4)]
AUDIT_FREQ = [("Never", 0), ("Less than monthly", 1), ("Monthly", 2), ("Weekly", 3), ("Daily or almost daily", 4)]
AUDIT_0_2_4 = [("No", 0), ("Yes, but not in the last year", 2), ("Yes, during the last year", 4)]
YES_1 = [("Yes", 1), ("No", 0)]
NO_1 = [("Yes", 0), ("No", 1)]
SADQ = [("Almost never", 0), ("Sometimes", 1), ("Often", 2), ("Nearly always", 3)]
SADQ_REINSTATEMENT = [("Not at all", 0), ("Slightly", 1), ("Moderately", 2), ("Quite a lot", 3)]  # questions 17-20
SDS_OFTEN = [("Never or almost never", 0), ("Sometimes", 1), ("Often", 2), ("Always or nearly always", 3)]
SDS_Q3 = [("Not at all", 0), ("A little", 1), ("Quite a lot", 2), ("A great deal", 3)]
SDS_Q5 = [("Not difficult", 0), ("Quite difficult", 1), ("Very difficult", 2), ("Impossible", 3)]

PUBLISHED: dict[str, dict[str, list[tuple[str, int]]]] = {
    "phq9": {f"q{i}": PAST_TWO_WEEKS for i in range(1, 10)},
    "gad7": {f"q{i}": PAST_TWO_WEEKS for i in range(1, 8)},
    "audit": {"q1": AUDIT_Q1, "q2": AUDIT_Q2, **{f"q{i}": AUDIT_FREQ for i in range(3, 9)},
              "q9": AUDIT_0_2_4, "q10": AUDIT_0_2_4},
    "audit_c": {"q1": AUDIT_Q1, "q2": AUDIT_Q2, "q3": AUDIT_FREQ},
    "fast": {"q1": AUDIT_FREQ, "q2": AUDIT_FREQ, "q3": AUDIT_FREQ, "q4": AUDIT_0_2_4},
    "dast10": {f"q{i}": (NO_1 if i == 3 else YES_1) for i in range(1, 11)},
    "sadq": {f"q{i}": (SADQ if i <= 16 else SADQ_REINSTATEMENT) for i in range(1, 21)},
    "sds": {"q1": SDS_OFTEN, "q2": SDS_OFTEN, "q3": SDS_Q3, "q4": SDS_OFTEN, "q5": SDS_Q5},
}

# Words that identify each question, in the published order.
ORDER: dict[str, list[str]] = {
    "audit": ["how often do you have a drink", "typical day", "6 or more units", "not able to stop",
              "failed to do what was normally expected", "in the morning", "guilt or remorse",
              "unable to remember what happened the night before", "injured", "concerned about your drinking"],
    # The OHID/PHE FAST form (2017): failed expectations is question 2, memory loss question 3.
    "fast": ["6 or more units", "failed to do what was normally expected",
             "unable to remember what happened the night before", "concerned about your drinking"],
    "audit_c": ["how often do you have a drink", "typical day", "6 or more units"],
    "dast10": ["other than those required for medical reasons", "more than one drug at a time",
               "always able to stop", "blackouts", "bad or guilty", "complain", "neglected your family",
               "illegal activities", "withdrawal", "medical problems"],
}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


@pytest.mark.parametrize("form_id", sorted(PUBLISHED))
def test_item_options_and_scores_are_the_published_ones(catalogue, form_id):
    spec = catalogue.get(form_id)
    items = [f.id for f in spec.fields.values() if f.type == "scored_choice"]
    assert items == list(PUBLISHED[form_id]), f"{form_id} has items {items}"
    for item, published in PUBLISHED[form_id].items():
        got = [(_norm(c.label), c.score) for c in spec.fields[item].choices]
        assert sorted(got, key=lambda p: p[1]) == sorted(((_norm(label), s) for label, s in published),
                                                         key=lambda p: p[1]), f"{form_id}.{item}"


@pytest.mark.parametrize("form_id", sorted(ORDER))
def test_questions_are_in_the_published_order(catalogue, form_id):
    spec = catalogue.get(form_id)
    items = [f for f in spec.fields.values() if f.type == "scored_choice"]
    assert len(items) == len(ORDER[form_id])
    for f, words in zip(items, ORDER[form_id], strict=True):
        assert words in _norm(f.label), f"{form_id}.{f.id} should ask about '{words}', not '{f.label}'"


def test_fast_older_versions_stay_loadable_for_saved_responses(catalogue):
    v1, v2, new = catalogue.get("fast", 1), catalogue.get("fast", 2), catalogue.get("fast")
    assert new.version == 3 and catalogue.versions("fast") == [1, 2, 3]
    assert "unable to remember" in _norm(v2.fields["q2"].label)  # version 2 followed Hodgson 2002's order
    assert "failed to do what was normally expected" in _norm(new.fields["q2"].label)
    for old in (v1, v2):
        assert catalogue.definition_for("fast", old.version, old.content_hash) is old
