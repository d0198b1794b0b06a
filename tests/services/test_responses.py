"""Drafts, finalising and amendments keep every earlier word and say who and why."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from store_helpers import amend

from ddassess.domain.models import PersonDetails
from ddassess.errors import InvalidInputError
from ddassess.services import case_changes
from ddassess.store.records import AuditEventRecord, ResponseRecord


@pytest.fixture
def draft(store):
    person = case_changes.register_person(store, PersonDetails("Draft", "Fictional", nhs_number="9990000077"))
    case = case_changes.open_case(store, person.id)
    return case_changes.start_response(store, case.id, "phq9", 1, "a" * 64, {"q1": 1})


def test_final_response_cannot_be_edited_as_a_draft(store, draft):
    final = case_changes.finalise_response(store, draft.id)
    assert final.status == "final"
    with pytest.raises(InvalidInputError, match="amend it instead"):
        case_changes.save_draft(store, draft.id, {"q1": 3})
    assert case_changes.get_response(store, draft.id).answers == {"q1": 1}


def test_amendment_keeps_the_old_answers_and_the_reason(store, draft):
    case_changes.finalise_response(store, draft.id)
    with pytest.raises(InvalidInputError, match="Give a reason"):
        amend(store, draft.id, {"q1": 2}, "   ")
    new = amend(store, draft.id, {"q1": 2}, "Client corrected their answer at review")
    assert new.amends_id == draft.id and new.status == "final"
    assert case_changes.get_response(store, draft.id).status == "superseded"
    assert case_changes.get_response(store, draft.id).answers == {"q1": 1}
    with store.read() as s:
        ev = s.scalars(select(AuditEventRecord).order_by(AuditEventRecord.seq.desc())).first()
        finalised_by = s.scalar(select(ResponseRecord.finalised_by_id).where(ResponseRecord.id == new.id))
    assert ev.action == "amend" and ev.reason == "Client corrected their answer at review"
    assert json.loads(ev.changes_json)["q1"] == [1, 2]
    assert finalised_by is not None


def test_only_drafts_are_finalised_and_only_finals_amended(store, draft):
    with pytest.raises(InvalidInputError, match="a draft can simply be edited"):
        amend(store, draft.id, {"q1": 2}, "reason")
    case_changes.finalise_response(store, draft.id)
    with pytest.raises(InvalidInputError, match="already final"):
        case_changes.finalise_response(store, draft.id)


def test_person_input_problems_are_reported_together(store):
    import datetime as dt

    from ddassess.errors import InvalidInputError as Bad

    with pytest.raises(Bad) as info:
        case_changes.register_person(store, PersonDetails(" ", "X", dt.date.today() + dt.timedelta(days=1),
                                                          "1234567890"))
    msg = str(info.value)
    assert "given name" in msg and "future" in msg and "check digit" in msg


def test_duplicate_nhs_number_is_refused_without_losing_the_first(store):
    case_changes.register_person(store, PersonDetails("First", "Fictional", nhs_number="9990000085"))
    with pytest.raises(InvalidInputError, match="already recorded"):
        case_changes.register_person(store, PersonDetails("Second", "Fictional", nhs_number="999 000 0085"))
    assert case_changes.find_person_by_nhs(store, "9990000085").given_name == "First"


TYPES = {"q1": "scored_choice", "signed": "signature", "note": "long_text"}


def test_an_amendment_is_a_draft_until_saved_with_a_reason(store, draft):
    case_changes.save_draft(store, draft.id, {"q1": 1, "note": "first", "signed": {"strokes": [[[0, 0], [9, 9]]]}})
    case_changes.finalise_response(store, draft.id)
    amendment = case_changes.start_amendment(store, draft.id, TYPES)
    # The signature signed the old words: it is not carried into the changed ones.
    assert amendment.status == "draft" and amendment.amends_id == draft.id
    assert amendment.answers == {"q1": 1, "note": "first"}
    assert case_changes.start_amendment(store, draft.id, TYPES).id == amendment.id  # never two at once
    case_changes.save_draft(store, amendment.id, {"q1": 3, "note": "first"})  # autosaved like any draft
    assert case_changes.get_response(store, draft.id).status == "final"  # untouched until the amendment is saved
    with pytest.raises(InvalidInputError, match="save it with the reason"):
        case_changes.finalise_response(store, amendment.id)
    with pytest.raises(InvalidInputError, match="Give a reason"):
        case_changes.finalise_amendment(store, amendment.id, "  ")
    final = case_changes.finalise_amendment(store, amendment.id, "Client corrected item 1")
    assert final.status == "final" and final.amendment_reason == "Client corrected item 1"
    assert case_changes.get_response(store, draft.id).status == "superseded"
    with store.read() as s:
        ev = s.scalars(select(AuditEventRecord).order_by(AuditEventRecord.seq.desc())).first()
    assert ev.action == "amend" and ev.reason == "Client corrected item 1"
    assert json.loads(ev.changes_json)["q1"] == [1, 3]


def test_a_cancelled_amendment_leaves_the_final_form_as_it_was(store, draft):
    case_changes.finalise_response(store, draft.id)
    amendment = case_changes.start_amendment(store, draft.id, TYPES)
    case_changes.save_draft(store, amendment.id, {"q1": 3})
    kept = case_changes.discard_amendment(store, amendment.id)
    assert kept.id == draft.id and kept.status == "final" and kept.answers == {"q1": 1}
    from ddassess.errors import RecordNotFound

    with pytest.raises(RecordNotFound):
        case_changes.get_response(store, amendment.id)
    with store.read() as s:
        ev = s.scalars(select(AuditEventRecord).order_by(AuditEventRecord.seq.desc())).first()
    assert ev.action == "discard" and ev.reason == "amendment cancelled"
    with pytest.raises(InvalidInputError, match="Only an amendment in progress"):
        case_changes.discard_amendment(store, draft.id)  # a final form is never discarded


def test_only_a_final_form_is_amended(store, draft):
    with pytest.raises(InvalidInputError, match="a draft can simply be edited"):
        case_changes.start_amendment(store, draft.id, TYPES)


def test_a_case_whose_person_was_deleted_behind_its_back_is_named(store, draft):
    """The foreign key keeps a person while they have a case; a store edited with it off
    (here by SQL) gets a clear message, not a crash deep in the case view."""
    from ddassess.errors import RecordNotFound
    from ddassess.services.case_pathway import case_detail

    conn = store.raw_connection()
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DELETE FROM people")
    conn.close()
    with pytest.raises(RecordNotFound, match="The person of case DD-.* is missing from the store") as info:
        case_detail(store, draft.case_id)
    assert "ddassess store check" in info.value.hint
