"""The conflicts service: conflicts listed in the form's words, for one case or all, and settled by a person."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from exchange_helpers import case_id, new_case, response_id, send
from sqlalchemy import select

from ddassess.formengine import load_catalogue
from ddassess.services import case_changes, conflicts
from ddassess.store.records import CaseRecord

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")


def _both_ways(a, b):
    send(a, b, CATALOGUE)
    send(b, a, CATALOGUE)


def _person_id(store, cid):
    with store.read() as s:
        return s.scalar(select(CaseRecord.person_id).where(CaseRecord.id == cid))


def test_a_person_detail_changed_two_ways_is_listed_with_both_names_and_times(pair):
    a, b = pair
    cid, cuuid = new_case(a)
    send(a, b, CATALOGUE)
    bid = case_id(b, cuuid)
    for store, case, phone in ((a, cid, "01632 960001"), (b, bid, "01632 960002")):
        pid = _person_id(store, case)
        case_changes.update_person(store, pid, replace(case_changes.person_details(store, pid), phone=phone))
    _both_ways(a, b)
    [c] = conflicts.list_conflicts(a, cid, catalogue=CATALOGUE)
    assert c.entity == "person" and c.form_title == "Person's details" and c.field_label == "phone"
    assert c.case_ref.startswith("DD-") and c.case_id == cid
    assert {(v.value, v.author) for v in c.values} == {("01632 960001", "Alex Example"),
                                                       ("01632 960002", "Bea Example")}
    assert all(v.at.tzinfo is not None and v.device for v in c.values)
    shown = case_changes.person_details(a, _person_id(a, cid)).phone
    assert shown == c.values[0].value


def test_listing_one_case_leaves_out_the_others(pair):
    a, b = pair
    first, first_uuid = new_case(a)
    second, _ = new_case(a, nhs="9990000034", given="Other", family="Person")
    spec = CATALOGUE.get("risk")
    r = case_changes.start_response(a, first, "risk", spec.version, spec.content_hash, {"self_present": True})
    send(a, b, CATALOGUE)
    case_changes.save_draft(a, r.id, {"self_present": True, "self_imminence": "weeks"})
    case_changes.save_draft(b, response_id(b, r.uuid), {"self_present": True, "self_imminence": "days"})
    _both_ways(a, b)
    assert len(conflicts.list_conflicts(a, catalogue=CATALOGUE)) == 1
    assert len(conflicts.list_conflicts(a, first, catalogue=CATALOGUE)) == 1
    assert conflicts.list_conflicts(a, second, catalogue=CATALOGUE) == []
    [c] = conflicts.list_conflicts(b, case_id(b, first_uuid), catalogue=CATALOGUE)
    assert {v.text for v in c.values} == {"Within weeks", "Within days"}


def test_a_value_of_ones_own_can_settle_a_conflict(pair):
    """Two texts may both be right: the person writes the one to keep (never merged by the app)."""
    a, b = pair
    cid, _ = new_case(a)
    spec = CATALOGUE.get("care_plan")
    r = case_changes.start_response(a, cid, "care_plan", spec.version, spec.content_hash, {"what_matters": "Home."})
    send(a, b, CATALOGUE)
    case_changes.save_draft(a, r.id, {"what_matters": "Home. My daughter."})
    case_changes.save_draft(b, response_id(b, r.uuid), {"what_matters": "Home. Work."})
    _both_ways(a, b)
    [c] = conflicts.list_conflicts(a, catalogue=CATALOGUE)
    conflicts.resolve_conflict(a, c.uuid, "Home. My daughter. Work.", "Both were said at the visit",
                               catalogue=CATALOGUE)
    send(a, b, CATALOGUE)
    for store, rid in ((a, r.id), (b, response_id(b, r.uuid))):
        assert case_changes.get_response(store, rid).answers["what_matters"] == "Home. My daughter. Work."
        assert conflicts.list_conflicts(store, catalogue=CATALOGUE) == []


def test_a_reason_too_long_is_refused(pair):
    a, b = pair
    cid, _ = new_case(a)
    spec = CATALOGUE.get("risk")
    r = case_changes.start_response(a, cid, "risk", spec.version, spec.content_hash, {"q1": 1})
    send(a, b, CATALOGUE)
    case_changes.save_draft(a, r.id, {"q1": 2})
    case_changes.save_draft(b, response_id(b, r.uuid), {"q1": 3})
    _both_ways(a, b)
    [c] = conflicts.list_conflicts(a, catalogue=CATALOGUE)
    from ddassess.errors import InvalidInputError

    with pytest.raises(InvalidInputError):
        conflicts.resolve_conflict(a, c.uuid, 0, "x" * 100_000, catalogue=CATALOGUE)
    assert len(conflicts.list_conflicts(a, catalogue=CATALOGUE)) == 1
