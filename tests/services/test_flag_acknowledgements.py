"""Acknowledging a risk flag: who, when and why, audited; the flag stays in the record and
leaves only the banner's count (issue 13, "Less re-keying": the risk banner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text
from store_helpers import amend

from ddassess.domain.models import PersonDetails
from ddassess.errors import InvalidInputError, RecordNotFound
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes
from ddassess.services.case_header import case_summary
from ddassess.services.flag_acknowledgements import acknowledge_flag, acknowledgements
from ddassess.store.check import check_store
from ddassess.store.records import AuditEventRecord, FlagAcknowledgementRecord

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
PHQ9_ITEM_9 = {f"q{i}": 0 for i in range(1, 9)} | {"q9": 1, "difficulty": "somewhat"}


@pytest.fixture
def case(store):
    person = case_changes.register_person(store, PersonDetails("Acky", "Fictional", nhs_number="9990000077"))
    case_id = case_changes.open_case(store, person.id).id
    phq9 = CATALOGUE.get("phq9")
    r = case_changes.start_response(store, case_id, "phq9", phq9.version, phq9.content_hash, PHQ9_ITEM_9)
    case_changes.finalise_response(store, r.id)
    return case_id


def the_flag(store, case_id):
    (flag,) = [f for f in case_summary(store, CATALOGUE, case_id).risk_flags if f.flag_id == "risk_to_self"]
    return flag


def test_an_acknowledged_flag_stays_in_the_record_and_leaves_the_banner_count(store, case):
    flag = the_flag(store, case)
    assert flag.acknowledged is None and flag.response_uuid
    assert flag in case_summary(store, CATALOGUE, case).unacknowledged_risk_flags
    ack = acknowledge_flag(store, CATALOGUE, case, flag.response_uuid, "risk_to_self",
                           "  Safety plan agreed at visit;\nGP informed ")
    assert ack.reason == "Safety plan agreed at visit;\nGP informed" and ack.by == "Testy McTestface"
    summary = case_summary(store, CATALOGUE, case)
    again = the_flag(store, case)
    assert again.acknowledged == ack and again.message == flag.message  # still there, marked
    assert summary.unacknowledged_risk_flags == ()
    assert acknowledgements(store, case) == {(flag.response_uuid, "risk_to_self"): ack}
    with store.read() as s:
        event = s.scalars(select(AuditEventRecord).order_by(AuditEventRecord.seq.desc())).first()
    assert (event.action, event.entity_type, event.reason) == ("acknowledge", "flag-acknowledgement", ack.reason)
    changes = json.loads(event.changes_json)
    assert changes["response"] == [None, flag.response_uuid] and changes["flag"] == [None, "risk_to_self"]
    assert check_store(store).ok, check_store(store).problems


def test_an_acknowledgement_needs_a_reason_and_is_made_once(store, case):
    flag = the_flag(store, case)
    for reason in ("", "   \n "):
        with pytest.raises(InvalidInputError, match="Say why"):
            acknowledge_flag(store, CATALOGUE, case, flag.response_uuid, "risk_to_self", reason)
    assert acknowledgements(store, case) == {}
    acknowledge_flag(store, CATALOGUE, case, flag.response_uuid, "risk_to_self", "Seen with the duty worker")
    with pytest.raises(InvalidInputError, match="already acknowledged by Testy McTestface"):
        acknowledge_flag(store, CATALOGUE, case, flag.response_uuid, "risk_to_self", "Again")
    with pytest.raises(InvalidInputError, match="has no flag 'no_such_flag'"):
        acknowledge_flag(store, CATALOGUE, case, flag.response_uuid, "no_such_flag", "A reason")
    with pytest.raises(RecordNotFound):
        acknowledge_flag(store, CATALOGUE, case, "00000000-0000-4000-8000-000000000000", "risk_to_self", "A reason")


def test_an_amendment_raises_its_flags_afresh(store, case):
    """An amendment is a new response: its flag is named by its own uuid, so it is new."""
    flag = the_flag(store, case)
    acknowledge_flag(store, CATALOGUE, case, flag.response_uuid, "risk_to_self", "Seen")
    response_id = case_summary(store, CATALOGUE, case).responses[0].id
    amend(store, response_id, PHQ9_ITEM_9 | {"q9": 3}, "Person corrected item 9")
    fresh = the_flag(store, case)
    assert fresh.response_uuid != flag.response_uuid and fresh.acknowledged is None


def test_store_check_finds_an_acknowledgement_changed_outside_ddassess(store, case):
    flag = the_flag(store, case)
    acknowledge_flag(store, CATALOGUE, case, flag.response_uuid, "risk_to_self", "Seen")
    with store.write() as s:
        s.execute(text("UPDATE flag_acknowledgements SET reason = 'edited behind the app'"))
    report = check_store(store)
    assert not report.ok
    assert any("flag acknowledgement" in p and "reason" in p for p in report.problems), report.problems
    with store.read() as s:
        assert s.scalar(select(FlagAcknowledgementRecord.flag_id)) == "risk_to_self"
