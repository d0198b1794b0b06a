"""The case history in words and who last changed each answer (issue 14, "See who did what"),
on a real encrypted store, changes made through the services as the client makes them."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
from store_helpers import PRACTITIONER

from ddassess.domain.models import PersonDetails
from ddassess.errors import InvalidInputError, RecordNotFound
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes
from ddassess.services.audit_reading import events_of, own_reason, received_from
from ddassess.services.case_history import CASE_ONLY, case_history
from ddassess.services.case_pathway import finalise_form
from ddassess.services.case_risk import set_case_risk
from ddassess.services.flag_acknowledgements import acknowledge_flag
from ddassess.services.last_changed import answer_changes, form_changes
from ddassess.services.settings import set_setting

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
ME = PRACTITIONER["name"]
PHQ9 = "Patient Health Questionnaire (PHQ-9)"
AUDIT = "Alcohol Use Disorders Identification Test (AUDIT, UK units version)"
Q1 = "How often do you have a drink containing alcohol?"
Q2 = "How many units of alcohol do you drink on a typical day when you are drinking?"


def said(history) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{e.who} {e.what}" for e in history.entries]


def start(store, case_id, form_id, answers=None):  # type: ignore[no-untyped-def]
    spec = CATALOGUE.get(form_id)
    return case_changes.start_response(store, case_id, form_id, spec.version, spec.content_hash, answers or {})


@pytest.fixture
def case_id(store):
    person = case_changes.register_person(store, PersonDetails("Histora", "Fictional", nhs_number="9990000077"))
    return case_changes.open_case(store, person.id).id


def test_every_change_reads_as_a_sentence_in_the_forms_words(store, case_id):
    audit = start(store, case_id, "audit")
    case_changes.save_draft(store, audit.id, {"q1": 1})
    case_changes.save_draft(store, audit.id, {"q1": 2, "q2": 0})
    case_changes.save_draft(store, audit.id, {"q1": 2})  # q2 answered, then cleared again: no change left
    finalise_form(store, CATALOGUE, audit.id)
    draft = case_changes.start_amendment(store, audit.id, {})
    case_changes.save_draft(store, draft.id, {"q1": 3})
    finalise_form(store, CATALOGUE, draft.id, "The person corrected how often they drink")
    case_changes.update_person(store, _person_id(store, case_id),
                               PersonDetails("Histora", "Fictional", nhs_number="9990000077", phone="01632 960001"))
    set_case_risk(store, case_id, "high", "Discussed at the joint review")
    h = case_history(store, CATALOGUE, case_id)
    assert said(h) == [
        f"{ME} set the risk level by hand to HIGH, giving the reason 'Discussed at the joint review'",
        f"{ME} changed the case's risk level from NOT RAISED to HIGH",
        f"{ME} recorded the person's phone number: '01632 960001'",
        f"{ME} saved an amendment of {AUDIT}, changing '{Q1}', "
        "giving the reason 'The person corrected how often they drink'",
        f"{ME} changed '{Q1}' in {AUDIT} from '2 to 4 times per month' to '2 to 3 times per week'",
        f"{ME} started an amendment of {AUDIT}",
        f"{ME} moved the case to the step 'Screening'",
        f"{ME} finalised {AUDIT}",
        f"{ME} answered '{Q1}' in {AUDIT}: '2 to 4 times per month'",
        f"{ME} started {AUDIT}",
        f"{ME} joined the care team as care coordinator (opened the case)",
        f"{ME} opened the case {h.ref}",
        f"{ME} registered the person 'Histora Fictional'",
    ]
    assert h.total == 13 and not h.has_older


def _person_id(store, case_id):  # type: ignore[no-untyped-def]
    from ddassess.services.case_pathway import case_detail

    return case_detail(store, case_id).person_id


def test_when_is_local_time_in_the_chosen_date_format(store, case_id, monkeypatch):
    set_setting(store, "date_format", "%Y-%m-%d")
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30 all year: the shift is unmistakable
    time.tzset()
    try:
        h = case_history(store, CATALOGUE, case_id)
        (event,) = [e for e in events_of_case(store, case_id) if e.action == "create" and e.entity_type == "case"]
        local = event.at.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30)))
        opened = next(e for e in h.entries if e.what.startswith("opened the case"))
        assert opened.sentence(h.date_format) == f"{local:%Y-%m-%d %H:%M} — {ME} opened the case {h.ref}"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert os.environ.get("TZ") is None


def events_of_case(store, case_id):  # type: ignore[no-untyped-def]
    from ddassess.services.case_pathway import case_detail
    from ddassess.store.records import CaseRecord

    with store.read() as s:
        uuid = s.get(CaseRecord, case_id).uuid
        assert case_detail(store, case_id)
        return events_of(s, [uuid])


def test_a_flag_acknowledgement_and_a_cancelled_amendment_are_in_the_history(store, case_id):
    phq9 = start(store, case_id, "phq9", {f"q{i}": 0 for i in range(1, 9)} | {"q9": 1, "difficulty": "somewhat"})
    finalise_form(store, CATALOGUE, phq9.id)
    acknowledge_flag(store, CATALOGUE, case_id, phq9.uuid, "risk_to_self", "Crisis plan agreed with the person")
    draft = case_changes.start_amendment(store, phq9.id, {})
    case_changes.save_draft(store, draft.id, {**draft.answers, "q9": 0})
    case_changes.discard_amendment(store, draft.id)
    h = case_history(store, CATALOGUE, case_id, form_id="phq9")
    item9 = "Thoughts that you would be better off dead or of hurting yourself in some way"
    flag = ("Risk to self: thoughts of being better off dead or of self-harm (PHQ-9 item 9). Follow up now.")
    assert said(h)[:5] == [
        f"{ME} cancelled an amendment of {PHQ9}",
        f"{ME} changed '{item9}' in {PHQ9} from 'Several days' to 'Not at all'",
        f"{ME} started an amendment of {PHQ9}",
        f"{ME} acknowledged the flag '{flag}' of {PHQ9}, giving the reason 'Crisis plan agreed with the person'",
        f"{ME} finalised {PHQ9}",
    ]
    # Started with its answers: said with it, each in words.
    assert said(h)[5:8] == [f"{ME} started {PHQ9}",
                            f"{ME} answered 'Little interest or pleasure in doing things' in {PHQ9}: 'Not at all'",
                            f"{ME} answered 'Feeling down, depressed, or hopeless' in {PHQ9}: 'Not at all'"]
    assert said(h)[-2:] == [f"{ME} answered '{item9}' in {PHQ9}: 'Several days'",
                            f"{ME} answered 'If you checked off any problems, how difficult have these problems "
                            "made it for you to do your work, take care of things at home, or get along with other "
                            f"people?' in {PHQ9}: 'Somewhat difficult'"]
    assert {e.form_id for e in h.entries} == {"phq9"}


def test_rows_of_a_repeating_group_read_by_row_and_column(store, case_id):
    plan = start(store, case_id, "care_plan")
    row = {"name": "Sam Testworker", "role": "Care coordinator"}
    case_changes.save_draft(store, plan.id, {"care_team": [row]})
    h1 = case_history(store, CATALOGUE, case_id)
    case_changes.save_draft(store, plan.id, {"care_team": [row | {"role": "Team lead"}, {"name": "Jo Example"}]})
    # The same person saving again straight away is one run: the row as first saved to as last saved.
    h2 = case_history(store, CATALOGUE, case_id, form_id="care_plan")
    assert said(h1)[0] == f"{ME} added 'Care team 1 — Sam Testworker' to 'Care team' in Joint care plan"
    assert said(h2)[:2] == [
        f"{ME} added 'Care team 1 — Sam Testworker' to 'Care team' in Joint care plan",
        f"{ME} added 'Care team 2 — Jo Example' to 'Care team' in Joint care plan",
    ]
    # Another event on the draft in between ends the run: what follows is said row by row.
    case_changes.finalise_response(store, plan.id)
    draft = case_changes.start_amendment(store, plan.id, {})
    case_changes.save_draft(store, draft.id, {**draft.answers, "care_team": [row | {"role": "Team lead"}]})
    h3 = case_history(store, CATALOGUE, case_id, form_id="care_plan")
    assert said(h3)[0] == f"{ME} removed 'Care team 2 — Jo Example' from 'Care team' in Joint care plan"
    case_changes.save_draft(store, draft.id, {**draft.answers, "care_team": [row | {"role": "Care coordinator"}]})
    h4 = case_history(store, CATALOGUE, case_id, form_id="care_plan")
    assert said(h4)[0] == (f"{ME} changed 'Role' of 'Care team 1 — Sam Testworker' in Joint care plan from "
                           "'Team lead' to 'Care coordinator'")


def test_filter_and_pages(store, case_id):
    for form_id in ("phq9", "gad7"):
        r = start(store, case_id, form_id)
        case_changes.save_draft(store, r.id, {"q1": 1})
    everything = case_history(store, CATALOGUE, case_id)
    assert [t for _f, t in everything.forms] == ["Generalised Anxiety Disorder assessment (GAD-7)", PHQ9]
    case_only = case_history(store, CATALOGUE, case_id, form_id=CASE_ONLY)
    assert said(case_only) == [f"{ME} joined the care team as care coordinator (opened the case)",
                               f"{ME} opened the case {everything.ref}",
                               f"{ME} registered the person 'Histora Fictional'"]
    pages = [case_history(store, CATALOGUE, case_id, offset=o, limit=2) for o in range(0, everything.total, 2)]
    assert [line for p in pages for line in said(p)] == said(everything)
    assert [p.has_older for p in pages] == [True, True, True, False]
    assert all(p.total == everything.total == 7 for p in pages)
    assert case_history(store, CATALOGUE, case_id, offset=50).entries == ()


@pytest.mark.parametrize("offset, limit", [(-1, 10), (0, 0), (0, 10_000), (0, "10")])
def test_a_page_out_of_range_is_refused_with_a_message(store, case_id, offset, limit):
    with pytest.raises(InvalidInputError, match="starts at 0 or later and holds 1 to 5000"):
        case_history(store, CATALOGUE, case_id, offset=offset, limit=limit)


def test_a_case_not_in_the_store_is_said_so(store):
    with pytest.raises(RecordNotFound, match="no longer in the store"):
        case_history(store, CATALOGUE, 4242)
    with pytest.raises(RecordNotFound, match="no longer in the store"):
        answer_changes(store, 4242)


def test_who_last_changed_each_answer_and_each_form(store, case_id):
    audit = start(store, case_id, "audit", {"q1": 1})
    case_changes.save_draft(store, audit.id, {"q1": 1, "q2": 0})
    finalise_form(store, CATALOGUE, audit.id)
    draft = case_changes.start_amendment(store, audit.id, {})
    case_changes.save_draft(store, draft.id, {**draft.answers, "q3": 0})
    with store.read() as s:
        events = events_of(s, [audit.uuid, draft.uuid])
    at = {(e.action, tuple(sorted(e.changes))): e.at for e in events}
    created, q2_saved = at[("create", ("answers", "form", "status"))], at[("update", ("q2",))]
    changes = answer_changes(store, draft.id)
    # q1: given when the form was started; copying it into the amendment is no change of it.
    assert {k: (c.who, c.at) for k, c in changes.items()} == {
        "q1": (ME, created), "q2": (ME, q2_saved), "q3": (ME, at[("update", ("q3",))])}
    assert changes["q1"].words("%d %b %Y") == f"Last changed by {ME}, {created.astimezone():%d %b %Y %H:%M}"
    forms = form_changes(store, case_id)
    assert forms[draft.id].at == at[("update", ("q3",))]
    assert forms[audit.id].at == max(e.at for e in events if e.entity_id == audit.uuid)  # its finalising


def test_received_from_is_read_from_the_reason_of_an_applied_change():
    assert received_from("received from Jo Example (bundle file)") == "Jo Example"
    assert received_from("applied; received from Dr Sam O'Test (team server)") == "Dr Sam O'Test"
    assert received_from("received from Jo Example") == "Jo Example"
    assert received_from("care plan printed") == ""
    assert own_reason("Corrected the dose; received from Jo Example (bundle file)") == "Corrected the dose"
    assert own_reason("received from Jo Example (bundle file)") == ""
