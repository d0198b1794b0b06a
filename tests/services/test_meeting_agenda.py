"""Who is on the complex case review agenda, and why (pathway step 11; the high/high
quadrant is the one NICE NG58 has secondary mental health services lead), on a store built
case by case: each reason alone, the cases that must not appear, the order, and the open
actions of the newest review."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from store_helpers import amend

from ddassess.domain.models import PersonDetails
from ddassess.errors import InvalidInputError
from ddassess.formengine import load_catalogue
from ddassess.formengine.row_ids import without_row_ids
from ddassess.services import case_changes
from ddassess.services.case_header import case_summary
from ddassess.services.case_pathway import finalise_form
from ddassess.services.case_risk import set_case_risk
from ddassess.services.flag_acknowledgements import acknowledge_flag
from ddassess.services.meeting_agenda import meeting_agenda, open_actions, start_review

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
TODAY = dt.date.today()


def _case(store, given: str) -> int:
    person = case_changes.register_person(store, PersonDetails(given, "Fictional"))
    return case_changes.open_case(store, person.id).id


def _form(store, case_id: int, form_id: str, answers: dict, final: bool = True, days_ago: int = 0) -> int:
    spec = CATALOGUE.get(form_id)
    r = case_changes.start_response(store, case_id, form_id, spec.version, spec.content_hash, answers)
    if final:
        at = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
        finalise_form(store, CATALOGUE, r.id, at=at)
    return r.id


def _day(days: int) -> str:
    return (TODAY + dt.timedelta(days=days)).isoformat()


def _lead_agency(mh: str, sm: str) -> dict:
    return {"phq9_seen": None, "mh_severity": mh, "sm_severity": sm, "lead": "mental_health",
            "care_coordinator": "Casey Coordinator", "link_worker": "Pat Partner",
            "rationale": "Agreed at the joint assessment.", "decided_on": _day(-20)}


def _joint_review(review_days: int, next_days: int) -> dict:
    return {"review_date": _day(review_days), "trigger": "scheduled", "person_attended": True,
            "attendees": [{"name": "Casey Coordinator", "service": "mental_health"},
                          {"name": "Pat Partner", "service": "substance_misuse"}],
            "progress": "Steady.", "next_review": _day(next_days)}


def _review(actions: list[dict], mh: bool = True) -> dict:
    return {"meeting_date": _day(-14), "chair": "Robin Chair", "mh_present": mh, "sm_present": True,
            "discussion": "Discussed.", "actions": actions, "next_meeting": _day(0)}


@pytest.fixture
def built(store):
    cases = {}
    cases["urgent"] = _case(store, "Urgent")
    set_case_risk(store, cases["urgent"], "urgent", "Threats to a neighbour reported by the housing officer")
    # High/high quadrant, its flag acknowledged and the level handed down: on for the quadrant alone.
    cases["quadrant"] = _case(store, "Quadrant")
    _form(store, cases["quadrant"], "lead_agency", _lead_agency("high", "high"))
    flag = case_summary(store, CATALOGUE, cases["quadrant"]).unacknowledged_risk_flags[0]
    acknowledge_flag(store, CATALOGUE, cases["quadrant"], flag.response_uuid, flag.flag_id, "Discussed with the team")
    set_case_risk(store, cases["quadrant"], "", "Stable for three months")
    cases["overdue"] = _case(store, "Overdue")
    _form(store, cases["overdue"], "joint_review", _joint_review(-40, -10))
    cases["flagged"] = _case(store, "Flagged")  # a draft review with one service absent: a warning flag
    _form(store, cases["flagged"], "complex_case_review", _review([], mh=False), final=False)
    # Not on the agenda: nothing raised; review not yet due; a closed urgent case; a low/low quadrant.
    cases["quiet"] = _case(store, "Quiet")
    cases["due_later"] = _case(store, "Later")
    _form(store, cases["due_later"], "joint_review", _joint_review(-5, 30))
    cases["closed"] = _case(store, "Closed")
    set_case_risk(store, cases["closed"], "urgent", "Was urgent before discharge")
    _form(store, cases["closed"], "discharge", {"discharge_date": _day(-1), "planned": "planned",
                                                 "reason": "goals_met", "follow_up": "GP letter sent.",
                                                 "summary": "Goals met."})
    cases["low_low"] = _case(store, "Lowlow")
    _form(store, cases["low_low"], "lead_agency", _lead_agency("low", "low"))
    return cases


def test_each_reason_puts_its_case_on_the_agenda_and_no_other_case_is(store, built):
    agenda = meeting_agenda(store, CATALOGUE, TODAY)
    by_case = {i.case_id: i for i in agenda.items}
    assert set(by_case) == {built["urgent"], built["quadrant"], built["overdue"], built["flagged"]}
    assert by_case[built["urgent"]].reasons == ("Risk level urgent",)
    assert by_case[built["quadrant"]].reasons == ("High mental illness / high substance misuse quadrant",)
    assert by_case[built["quadrant"]].coordinator == "Casey Coordinator"
    assert by_case[built["quadrant"]].partner == "Pat Partner"
    due = TODAY - dt.timedelta(days=10)
    assert by_case[built["overdue"]].reasons == (f"Review overdue by 10 days (due {due:%d %b %Y})",)
    assert by_case[built["overdue"]].last_joint_review == TODAY - dt.timedelta(days=40)
    assert by_case[built["overdue"]].next_review == due
    assert by_case[built["flagged"]].reasons == (
        "1 risk flag not acknowledged: Both services should attend the complex case review.",)
    # Urgent first; then the rest by how long overdue, then by reference.
    assert agenda.items[0].case_id == built["urgent"]
    assert agenda.items[1].case_id == built["overdue"]


def test_acknowledging_the_flag_takes_the_case_off(store, built):
    flag = case_summary(store, CATALOGUE, built["flagged"]).unacknowledged_risk_flags[0]
    acknowledge_flag(store, CATALOGUE, built["flagged"], flag.response_uuid, flag.flag_id, "Both attend next time")
    assert built["flagged"] not in {i.case_id for i in meeting_agenda(store, CATALOGUE, TODAY).items}


def test_open_actions_come_from_the_newest_final_review_and_not_the_done_ones(store, built):
    case_id = built["urgent"]
    old = _form(store, case_id, "complex_case_review", _review([
        {"action": "Old action", "owner": "Casey Coordinator", "due": _day(-3), "done": False}]), days_ago=28)
    assert [a.action for a in open_actions(store, case_id)] == ["Old action"]
    newer = _review([{"action": "Arrange naloxone training", "owner": "Pat Partner", "due": _day(7), "done": False},
                     {"action": "Old action", "owner": "Casey Coordinator", "due": _day(-3), "done": True},
                     {"action": "Ask GP for bloods", "owner": "Casey Coordinator", "due": _day(-2)}])
    newest = _form(store, case_id, "complex_case_review", newer, days_ago=1)
    actions = open_actions(store, case_id)
    assert [(a.action, a.owner, a.due, a.response_id) for a in actions] == [
        ("Ask GP for bloods", "Casey Coordinator", TODAY - dt.timedelta(days=2), newest),
        ("Arrange naloxone training", "Pat Partner", TODAY + dt.timedelta(days=7), newest)]
    assert actions[0].overdue(TODAY) and not actions[1].overdue(TODAY)
    assert old != newest and open_actions(store, built["quiet"]) == ()
    # An amendment of the newest review that ticks an action off closes it.
    amended = dict(newer, actions=[dict(row, done=True) if row["action"] == "Ask GP for bloods" else row
                                   for row in newer["actions"]])
    amend(store, newest, amended, "Bloods were taken on Monday")
    assert [a.action for a in open_actions(store, case_id)] == ["Arrange naloxone training"]
    assert {a.case_id for a in open_actions(store)} == {case_id}
    item = next(i for i in meeting_agenda(store, CATALOGUE, TODAY).items if i.case_id == case_id)
    assert [a.action for a in item.actions] == ["Arrange naloxone training"]


def test_a_review_started_from_the_agenda_carries_the_reasons_and_open_actions(store, built):
    case_id = built["urgent"]
    _form(store, case_id, "complex_case_review", _review([
        {"action": "Arrange naloxone training", "owner": "Pat Partner", "due": _day(7), "done": False}]))
    item = next(i for i in meeting_agenda(store, CATALOGUE, TODAY).items if i.case_id == case_id)
    response_id = start_review(store, CATALOGUE, item, TODAY)
    draft = case_changes.get_response(store, response_id)
    assert draft.status == "draft" and draft.form_id == "complex_case_review" and draft.form_version == 3
    assert draft.answers["meeting_date"] == TODAY.isoformat()
    assert draft.answers["discussion"].startswith("On the agenda: Risk level urgent.")
    assert without_row_ids(draft.answers["actions"]) == [{"action": "Arrange naloxone training", "owner": "Pat Partner",
                                         "due": _day(7), "done": False}]
    assert start_review(store, CATALOGUE, item, TODAY) == response_id  # the same draft, not a second one


def test_a_closed_case_is_not_reviewed_from_an_old_agenda(store, built):
    item = next(i for i in meeting_agenda(store, CATALOGUE, TODAY).items if i.case_id == built["overdue"])
    _form(store, built["overdue"], "discharge", {"discharge_date": _day(0), "planned": "unplanned",
                                                   "reason": "disengaged", "follow_up": "GP letter sent.",
                                                   "summary": "Disengaged."})
    with pytest.raises(InvalidInputError, match="closed"):
        start_review(store, CATALOGUE, item, TODAY)


def test_an_empty_store_has_an_empty_agenda(store):
    assert meeting_agenda(store, CATALOGUE, TODAY).items == ()


def test_the_printed_agenda_reads_back_as_the_service_made_it_and_is_audited(store, built, tmp_path):
    import io
    import json

    from pypdf import PdfReader
    from sqlalchemy import select

    from ddassess.services.meeting_agenda import export_agenda
    from ddassess.store.records import AuditEventRecord

    _form(store, built["urgent"], "complex_case_review", _review([
        {"action": "Ask GP for bloods", "owner": "Casey Coordinator", "due": _day(-2), "done": False},
        {"action": "Arrange naloxone training", "owner": "Pat Partner", "due": _day(7), "done": False}]))
    out = tmp_path / "agenda.pdf"
    agenda = export_agenda(store, CATALOGUE, out, TODAY)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages).split())
    for number, item in enumerate(agenda.items, 1):
        assert f"{number}. {item.ref} — {item.person_name}" in text
        for reason in item.reasons:
            assert reason in text
    assert f"Ask GP for bloods Casey Coordinator {TODAY - dt.timedelta(days=2):%d %b %Y} — OVERDUE" in text
    assert f"Arrange naloxone training Pat Partner {TODAY + dt.timedelta(days=7):%d %b %Y}" in text
    assert "Quiet Fictional" not in text and "Closed Fictional" not in text
    with store.read() as s:
        event = s.scalars(select(AuditEventRecord).where(AuditEventRecord.entity_type == "team-report")).one()
        assert (event.action, event.entity_id) == ("export", "agenda")
        assert json.loads(event.changes_json)["cases"] == [None, 4]
        assert "Urgent" not in event.changes_json  # no names in the audit trail
