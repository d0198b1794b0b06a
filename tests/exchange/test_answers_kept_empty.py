"""An answer kept with no value (its key there, its value None) and an answer removed (its
key gone) are different answers dicts: both laptops must hold the same one (docs/exchange.md)."""

from __future__ import annotations

import json

from exchange_helpers import new_case, response_id, send, start, visible
from sqlalchemy import select

from ddassess.services import case_changes
from ddassess.store.records import ResponseRecord


def answers_of(store, response_uuid: str) -> dict:
    with store.read() as s:
        raw = s.scalar(select(ResponseRecord.answers_json).where(ResponseRecord.uuid == response_uuid))
    assert raw is not None, "the response has not arrived"
    return json.loads(raw)


def test_an_answer_kept_empty_arrives_kept_and_one_removed_arrives_removed(stores, catalogue):
    a, b = stores(2)
    cid, _case_uuid = new_case(a)
    draft = start(a, catalogue, cid, "phq9", {"q1": None, "q2": 1})  # made with an empty answer
    send(a, b, catalogue)
    assert answers_of(b, draft.uuid) == answers_of(a, draft.uuid) == {"q1": None, "q2": 1}

    case_changes.save_draft(a, draft.id, {"q1": None, "q2": 2, "q3": None})  # a key added, empty
    send(a, b, catalogue)
    assert answers_of(b, draft.uuid) == answers_of(a, draft.uuid) == {"q1": None, "q2": 2, "q3": None}

    case_changes.save_draft(a, draft.id, {"q2": None, "q3": None})  # q1 removed; q2 emptied, kept
    send(a, b, catalogue)
    assert answers_of(b, draft.uuid) == answers_of(a, draft.uuid) == {"q2": None, "q3": None}

    case_changes.save_draft(a, draft.id, {"q2": 2})  # both empty answers removed
    send(a, b, catalogue)
    assert answers_of(b, draft.uuid) == answers_of(a, draft.uuid) == {"q2": 2}


def test_an_answer_emptied_on_the_other_laptop_is_kept_empty_on_both(stores, catalogue):
    a, b = stores(2)
    cid, _case_uuid = new_case(a)
    draft = start(a, catalogue, cid, "joint_assessment", {"mh_summary": "fictional", "sm_summary": "fictional"})
    send(a, b, catalogue)
    on_b = response_id(b, draft.uuid)
    case_changes.save_draft(b, on_b, {"mh_summary": None, "sm_summary": "fictional"})  # emptied, kept
    send(b, a, catalogue)
    assert answers_of(a, draft.uuid) == answers_of(b, draft.uuid) == {"mh_summary": None, "sm_summary": "fictional"}
    assert visible(a) == visible(b)
