"""Each merge rule, on real stores exchanging operations (docs/exchange.md, "Merge rules")."""

from __future__ import annotations

import json

import pytest
from exchange_helpers import (
    add_colleague,
    case_id,
    local_operations,
    new_case,
    open_conflicts,
    response_id,
    send,
    start,
    visible,
)
from sqlalchemy import func, select

from ddassess.services import case_changes, case_risk, conflicts
from ddassess.services.case_pathway import finalise_form
from ddassess.store.check import check_store
from ddassess.store.records import AuditEventRecord, CaseRecord, OperationRecord


def both_ways(a, b, catalogue):
    send(a, b, catalogue)
    send(b, a, catalogue)


def shared_draft(stores, catalogue, form_id="risk", answers=None):
    """Alex opens a case and starts a form (a pathway form: anyone in the care team may
    change it, unlike a scored instrument); Bea receives both."""
    a, b = stores(2)
    cid, cuuid = new_case(a)
    r = start(a, catalogue, cid, form_id, answers if answers is not None else {"q1": 1})
    send(a, b, catalogue)
    return a, b, cid, cuuid, r, response_id(b, r.uuid)


def checked(*stores):
    for s in stores:
        report = check_store(s)
        assert report.ok, report.problems


def test_different_fields_merge(stores, catalogue):
    a, b, _cid, _cu, r, rb = shared_draft(stores, catalogue)
    case_changes.save_draft(a, r.id, {"q1": 1, "q2": 2})
    case_changes.save_draft(b, rb, {"q1": 1, "q3": 3})
    both_ways(a, b, catalogue)
    assert case_changes.get_response(a, r.id).answers == {"q1": 1, "q2": 2, "q3": 3}
    assert visible(a) == visible(b)
    assert open_conflicts(a) == []
    checked(a, b)


def test_the_same_change_on_both_sides_is_no_conflict(stores, catalogue):
    a, b, _cid, _cu, r, rb = shared_draft(stores, catalogue)
    case_changes.save_draft(a, r.id, {"q1": 2})
    case_changes.save_draft(b, rb, {"q1": 2})
    both_ways(a, b, catalogue)
    assert open_conflicts(a) == open_conflicts(b) == []
    assert visible(a) == visible(b)


def test_one_field_changed_two_ways_is_a_conflict_listed_on_both_laptops(stores, catalogue):
    a, b, _cid, _cu, r, rb = shared_draft(stores, catalogue, "risk", {"self_present": True})
    add_colleague(a, b)
    add_colleague(b, a)
    case_changes.save_draft(a, r.id, {"self_present": True, "self_severity": "high"})
    case_changes.save_draft(b, rb, {"self_present": True, "self_severity": "low"})
    both_ways(a, b, catalogue)
    assert visible(a) == visible(b)  # the same value shown on both, the same conflict listed
    listed_a, listed_b = conflicts.list_conflicts(a, catalogue=catalogue), conflicts.list_conflicts(b,
                                                                                                  catalogue=catalogue)
    assert [c.uuid for c in listed_a] == [c.uuid for c in listed_b] and len(listed_a) == 1
    c = listed_a[0]
    assert c.kind == "field" and c.form_title == "Risk assessment" and c.field_label == "Severity"
    assert sorted((v.value, v.author) for v in c.values) == [("high", "Alex Example"), ("low", "Bea Example")]
    assert {v.text for v in c.values} == {"High", "Low"}
    shown = case_changes.get_response(a, r.id).answers["self_severity"]
    assert shown == c.values[0].value  # the record shows the first value listed
    checked(a, b)


def test_free_text_is_never_interleaved(stores, catalogue):
    """Two edits of one text are a conflict of whole texts, side by side."""
    a, b, _cid, _cu, r, rb = shared_draft(stores, catalogue, "care_plan", {"what_matters": "Staying in my flat."})
    case_changes.save_draft(a, r.id, {"what_matters": "Staying in my flat. Seeing my daughter."})
    case_changes.save_draft(b, rb, {"what_matters": "Staying in my flat. Getting back to work."})
    both_ways(a, b, catalogue)
    shown = case_changes.get_response(a, r.id).answers["what_matters"]
    assert shown in ("Staying in my flat. Seeing my daughter.", "Staying in my flat. Getting back to work.")
    assert case_changes.get_response(b, rb).answers["what_matters"] == shown
    [c] = conflicts.list_conflicts(a, catalogue=catalogue)
    assert {v.value for v in c.values} == {"Staying in my flat. Seeing my daughter.",
                                           "Staying in my flat. Getting back to work."}


def test_a_resolution_is_audited_travels_and_settles_the_conflict_everywhere(stores, catalogue):
    a, b, _cid, _cu, r, rb = shared_draft(stores, catalogue)
    case_changes.save_draft(a, r.id, {"q1": 3})
    case_changes.save_draft(b, rb, {"q1": 0})
    both_ways(a, b, catalogue)
    [c] = conflicts.list_conflicts(b, catalogue=catalogue)
    keep = [v.value for v in c.values].index(3)
    conflicts.resolve_conflict(b, c.uuid, keep, "Checked with the person: nearly every day", catalogue=catalogue)
    assert conflicts.list_conflicts(b, catalogue=catalogue) == []
    assert case_changes.get_response(b, rb).answers["q1"] == 3
    with b.read() as s:
        event = s.scalars(select(AuditEventRecord).where(AuditEventRecord.action == "resolve")).one()
    assert event.reason == "Checked with the person: nearly every day" and event.actor == b.owner_uuid
    assert json.loads(event.changes_json)["kept"] == [None, 3]
    assert local_operations(b)[-1]["action"] == "resolve"
    send(b, a, catalogue)
    assert conflicts.list_conflicts(a, catalogue=catalogue) == []
    assert visible(a) == visible(b)
    checked(a, b)


def test_a_conflict_is_settled_only_by_a_person_choosing(stores, catalogue):
    """Editing the field shown (without resolving) keeps the other side's value listed."""
    a, b, _cid, _cu, r, rb = shared_draft(stores, catalogue)
    case_changes.save_draft(a, r.id, {"q1": 3})
    case_changes.save_draft(b, rb, {"q1": 0})
    both_ways(a, b, catalogue)
    case_changes.save_draft(a, r.id, {"q1": 2})
    [c] = conflicts.list_conflicts(a, catalogue=catalogue)
    assert sorted(v.value for v in c.values) in ([0, 2], [2, 3])
    both_ways(a, b, catalogue)
    assert len(conflicts.list_conflicts(b, catalogue=catalogue)) == 1
    assert visible(a) == visible(b)


def test_bad_resolutions_are_refused_and_change_nothing(stores, catalogue):
    a, b, _cid, _cu, r, rb = shared_draft(stores, catalogue)
    case_changes.save_draft(a, r.id, {"q1": 3})
    case_changes.save_draft(b, rb, {"q1": 0})
    both_ways(a, b, catalogue)
    [c] = conflicts.list_conflicts(a, catalogue=catalogue)
    before = len(local_operations(a))
    from ddassess.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="Say why"):
        conflicts.resolve_conflict(a, c.uuid, 0, "   ", catalogue=catalogue)
    with pytest.raises(conflicts.ConflictNotOpenError, match="Choose one of the 2 values"):
        conflicts.resolve_conflict(a, c.uuid, 5, "a reason", catalogue=catalogue)
    with pytest.raises(conflicts.ConflictNotOpenError, match="not open any more"):
        conflicts.resolve_conflict(a, "00000000-0000-4000-8000-000000000000", 0, "a reason", catalogue=catalogue)
    assert len(local_operations(a)) == before and len(conflicts.list_conflicts(a, catalogue=catalogue)) == 1
    conflicts.resolve_conflict(a, c.uuid, 0, "agreed", catalogue=catalogue)
    with pytest.raises(conflicts.ConflictNotOpenError, match="not open any more"):
        conflicts.resolve_conflict(a, c.uuid, 0, "again", catalogue=catalogue)


def test_an_edit_made_while_the_form_was_finalised_elsewhere_is_listed_not_merged(stores, catalogue):
    a, b, _cid, _cu, r, rb = shared_draft(stores, catalogue)
    finalise_form(a, catalogue, r.id)
    case_changes.save_draft(b, rb, {"q1": 1, "q2": 3})  # Bea had not heard
    both_ways(a, b, catalogue)
    assert case_changes.get_response(a, r.id).answers == {"q1": 1}
    assert case_changes.get_response(b, rb).answers == {"q1": 1} and case_changes.get_response(b, rb).status == "final"
    [ca] = conflicts.list_conflicts(a, catalogue=catalogue)
    [cb] = conflicts.list_conflicts(b, catalogue=catalogue)
    assert ca.uuid == cb.uuid and ca.kind == "final" and ca.field == "answers.q2"
    assert [v.value for v in ca.values] == [3]
    conflicts.resolve_conflict(a, ca.uuid, 0, "Seen; the form is amended if needed", catalogue=catalogue)
    send(a, b, catalogue)
    assert conflicts.list_conflicts(b, catalogue=catalogue) == [] and visible(a) == visible(b)
    checked(a, b)


def test_raising_the_risk_wins_over_a_concurrent_clearing(stores, catalogue):
    a, b = stores(2)
    cid, cuuid = new_case(a)
    case_risk.set_case_risk(a, cid, "high", "Threats to a neighbour")
    send(a, b, catalogue)
    bid = case_id(b, cuuid)
    case_risk.set_case_risk(a, cid, "urgent", "Weapon mentioned at the visit")
    case_risk.set_case_risk(b, bid, None, "Neighbour moved away")
    both_ways(a, b, catalogue)
    for store, id_ in ((a, cid), (b, bid)):
        assert case_risk.case_risk(store, id_).level == "urgent"
    [c] = conflicts.list_conflicts(a, catalogue=catalogue)
    assert c.field == "risk_override" and c.values[0].value["level"] == "urgent"
    assert visible(a) == visible(b)
    checked(a, b)


def test_a_lowered_risk_decision_cannot_hide_a_concurrently_raised_one(stores, catalogue):
    a, b = stores(2)
    cid, cuuid = new_case(a)
    send(a, b, catalogue)
    bid = case_id(b, cuuid)
    case_risk.set_case_risk(b, bid, "high", "Relapse after a bereavement")
    case_risk.set_case_risk(a, cid, "", "Doing well at the review")
    send(b, a, catalogue)
    case_risk.set_case_risk(a, cid, "", "Still doing well")  # edited again during the conflict
    both_ways(a, b, catalogue)
    assert case_risk.case_risk(a, cid).level == case_risk.case_risk(b, bid).level == "high"
    va, vb = visible(a), visible(b)
    assert va == vb, _differences(va[cuuid], vb[cuuid])


def test_a_risk_flag_in_a_received_final_form_raises_the_case(stores, catalogue):
    a, b, cid, cuuid, r, rb = shared_draft(stores, catalogue)
    own = start(b, catalogue, case_id(b, cuuid), "phq9", {**{f"q{i}": 0 for i in range(1, 9)}, "q9": 2})
    finalise_form(b, catalogue, own.id)
    assert case_risk.case_risk(b, case_id(b, cuuid)).level == "urgent"
    send(b, a, catalogue)
    assert case_risk.case_risk(a, cid).level == "urgent"
    assert visible(a) == visible(b)
    checked(a, b)


def test_a_scored_instrument_is_changed_only_by_its_author(stores, catalogue):
    """A merged PHQ-9 would be a score nobody obtained (docs/exchange.md): a colleague's
    change is refused on their laptop, and a forged one is refused (and kept) on receipt."""
    from ddassess.exchange.instruments import InstrumentAuthorError
    from ddassess.exchange.operations import Operation

    a, b, cid, cuuid, _r, _rb = shared_draft(stores, catalogue)
    phq = start(a, catalogue, cid, "phq9", {"q1": 1})
    send(a, b, catalogue)
    add_colleague(b, a)
    with pytest.raises(InstrumentAuthorError, match="given by Alex Example") as info:
        case_changes.save_draft(b, response_id(b, phq.uuid), {"q1": 3})
    assert "Start a new one of your own" in str(info.value)
    assert case_changes.get_response(b, response_id(b, phq.uuid)).answers == {"q1": 1}
    own = start(b, catalogue, case_id(b, cuuid), "phq9", {"q1": 3})  # Bea's own is hers to change
    case_changes.save_draft(b, own.id, {"q1": 2})
    created = [o for o in conflicts.case_operations(a, [cid]) if o.entity_uuid == phq.uuid][0]
    forged = Operation(id="01a22e60-0000-7000-8000-000000000001", case_uuid=cuuid, entity="response",
                       entity_uuid=phq.uuid, action="set", fields={"answers.q1": 3},
                       base={"answers.q1": (created.id,)}, hlc="009999999999999-000000", author=b.owner_uuid,
                       device=b.store_id)
    report = conflicts.receive_operations(a, [forged], received_from="Bea Example", via="test", catalogue=catalogue)
    assert report.refused == [(forged.id, report.refused[0][1])] and "only by the practitioner" in report.refused[0][1]
    assert case_changes.get_response(a, phq.id).answers == {"q1": 1}
    checked(a, b)


def test_an_amendment_travels_and_supersedes_the_form_it_amends(stores, catalogue):
    a, b, cid, cuuid, r, rb = shared_draft(stores, catalogue)
    finalise_form(a, catalogue, r.id)
    send(a, b, catalogue)
    draft = case_changes.start_amendment(b, rb, {})
    case_changes.save_draft(b, draft.id, {"q1": 2})
    finalise_form(b, catalogue, draft.id, "The person corrected item 1")
    send(b, a, catalogue)
    assert case_changes.get_response(a, r.id).status == "superseded"
    new = case_changes.get_response(a, response_id(a, draft.uuid))
    assert new.status == "final" and new.answers == {"q1": 2} and new.amendment_reason == "The person corrected item 1"
    assert visible(a) == visible(b)
    checked(a, b)


def test_a_cancelled_amendment_is_a_tombstone_everywhere(stores, catalogue):
    a, b, cid, cuuid, r, rb = shared_draft(stores, catalogue)
    finalise_form(a, catalogue, r.id)
    draft = case_changes.start_amendment(a, r.id, {})
    send(a, b, catalogue)
    assert response_id(b, draft.uuid)
    case_changes.discard_amendment(a, draft.id)
    send(a, b, catalogue)
    assert draft.uuid not in visible(b) and visible(a) == visible(b)
    checked(a, b)


def test_the_stage_follows_the_merged_final_forms(stores, catalogue):
    a, b = stores(2)
    cid, cuuid = new_case(a)
    send(a, b, catalogue)
    bid = case_id(b, cuuid)
    r = start(b, catalogue, bid, "phq9", {f"q{i}": 0 for i in range(1, 10)})
    finalise_form(b, catalogue, r.id)
    send(b, a, catalogue)
    with a.read() as s:
        assert s.get(CaseRecord, cid).stage == "screening"
    assert visible(a) == visible(b)


def test_operations_arriving_before_their_case_wait_for_it(stores, catalogue):
    a, b = stores(2)
    add_colleague(b, a)  # known from the roster (else the care-team member waits for it: the next test)
    cid, cuuid = new_case(a)
    r = start(a, catalogue, cid, "phq9", {"q1": 1})
    ops = conflicts.case_operations(a, [cid])
    late_first = [o for o in ops if o.entity == "response"]
    report = conflicts.receive_operations(b, late_first, received_from="Alex Example", via="test",
                                          catalogue=catalogue)
    assert sorted(report.waiting) == sorted(o.id for o in late_first) and report.applied == []
    report = conflicts.receive_operations(b, ops, received_from="Alex Example", via="test", catalogue=catalogue)
    assert report.waiting == [] and r.uuid in visible(b)
    assert visible(a) == visible(b)
    checked(a, b)


def test_a_care_team_member_naming_a_colleague_not_known_yet_waits_for_the_roster(stores, catalogue):
    a, b = stores(2)
    cid, cuuid = new_case(a)
    ops = conflicts.case_operations(a, [cid])
    report = conflicts.receive_operations(b, ops, received_from="Alex Example", via="test", catalogue=catalogue)
    member_ops = sorted(o.id for o in ops if o.entity == "care_team_member")
    assert member_ops and sorted(report.waiting) == member_ops and report.refused == []
    add_colleague(b, a)  # the roster arrives
    report = conflicts.receive_operations(b, [], received_from="Alex Example", via="test", catalogue=catalogue)
    assert report.refused == []
    with b.read() as s:
        assert s.scalar(select(OperationRecord.id).where(OperationRecord.status == "waiting")) is None
    assert cuuid in visible(b)
    checked(a, b)


def test_a_person_whose_nhs_number_is_already_here_is_refused_and_kept(stores, catalogue):
    a, b = stores(2)
    new_case(a)
    new_case(b)  # the same NHS number, registered separately
    report = send(a, b, catalogue)
    assert report.refused and "same NHS number" in report.refused[0][1]
    assert conflicts.refused_operations(b)[0][2] == report.refused[0][1]
    checked(a, b)


def test_receiving_twice_changes_nothing(stores, catalogue):
    a, b, _cid, _cu, r, rb = shared_draft(stores, catalogue)
    case_changes.save_draft(a, r.id, {"q1": 3})
    send(a, b, catalogue)
    with b.read() as s:
        events = s.scalar(select(func.count()).select_from(AuditEventRecord))
        ops = s.scalar(select(func.count()).select_from(OperationRecord))
    state = visible(b)
    report = send(a, b, catalogue)
    assert report.applied == [] and len(report.duplicates) == ops
    with b.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEventRecord)) == events
        assert s.scalar(select(func.count()).select_from(OperationRecord)) == ops
    assert visible(b) == state


def test_applying_writes_no_local_operation(stores, catalogue):
    a, b, _cid, _cu, r, rb = shared_draft(stores, catalogue)
    case_changes.save_draft(a, r.id, {"q1": 3, "q9": 1})
    finalise_form(a, catalogue, r.id)
    send(a, b, catalogue)
    assert local_operations(b) == []


def test_received_changes_are_audited_with_author_and_sender(stores, catalogue):
    a, b, _cid, _cu, r, rb = shared_draft(stores, catalogue)
    case_changes.save_draft(a, r.id, {"q1": 3})
    send(a, b, catalogue)
    with b.read() as s:
        events = s.scalars(select(AuditEventRecord).where(AuditEventRecord.entity_id == r.uuid)).all()
    assert events and all(e.actor == a.owner_uuid for e in events)
    assert any(e.reason == "received from Alex Example (test)" and json.loads(e.changes_json) == {"q1": [1, 3]}
               for e in events)


def _differences(x, y):
    """What differs between two views of one case (the assertion's message)."""
    return {k: (x.get(k), y.get(k)) for k in set(x) | set(y) if x.get(k) != y.get(k)}
