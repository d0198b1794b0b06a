"""Finalising through the services: a discharge closes the case with no review left due, and
a form given a time (``at``) is recorded as made then, so a history built later (the demo)
reads as it happened."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ddassess.domain.models import PersonDetails
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes
from ddassess.services.case_header import case_summary
from ddassess.services.case_pathway import case_detail, finalise_form

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")


def _case(store):
    person = case_changes.register_person(store, PersonDetails(given_name="Fictiona", family_name="Historyton"))
    return case_changes.open_case(store, person.id, opened_on=dt.date(2026, 8, 3))


def _final(store, case_id, form_id, answers, at=None, reason=None):
    spec = CATALOGUE.get(form_id)
    when = {"at": at} if at is not None else {}
    rid = case_changes.start_response(store, case_id, spec.id, spec.version, spec.content_hash, answers, **when).id
    return finalise_form(store, CATALOGUE, rid, reason, **when)


def test_a_discharge_clears_the_next_review(store):
    case = _case(store)
    _final(store, case.id, "joint_review", {"next_review": "2027-01-10"})
    assert case_detail(store, case.id).next_review_due == dt.date(2027, 1, 10)
    _final(store, case.id, "discharge", {"discharge_date": "2026-11-20"})
    detail = case_detail(store, case.id)
    assert detail.status == "closed" and detail.next_review_due is None


def test_forms_given_a_time_are_dated_then(store):
    case = _case(store)
    at = dt.datetime(2026, 8, 3, 11, 0, tzinfo=dt.UTC)
    referral = _final(store, case.id, "referral", {}, at=at)
    assert referral.updated_at == at
    later = dt.datetime(2026, 9, 1, 11, 0, tzinfo=dt.UTC)
    _final(store, case.id, "discharge", {}, at=later)
    with store.read() as s:
        from ddassess.store.records import CaseRecord, ResponseRecord

        assert s.get(ResponseRecord, referral.id).finalised_at == at
        assert s.get(CaseRecord, case.id).closed_on == dt.date(2026, 9, 1)
    steps = {s.stage: s for s in case_summary(store, CATALOGUE, case.id, today=dt.date(2026, 11, 30)).steps}
    assert steps["referral"].on == dt.date(2026, 8, 3)
    assert steps["discharged"].on == dt.date(2026, 9, 1)


def test_an_amendment_given_a_time_keeps_the_step_dated_by_the_first_final(store):
    case = _case(store)
    first = dt.datetime(2026, 8, 20, 11, 0, tzinfo=dt.UTC)
    plan = _final(store, case.id, "care_plan", {"next_review": "2026-11-12"}, at=first)
    fields = {f.id: f.type for f in CATALOGUE.get("care_plan").fields.values()}
    review_day = dt.datetime(2026, 10, 1, 11, 0, tzinfo=dt.UTC)
    draft = case_changes.start_amendment(store, plan.id, fields, at=review_day)
    case_changes.save_draft(store, draft.id, {"next_review": "2027-01-05"}, at=review_day)
    amended = finalise_form(store, CATALOGUE, draft.id, "Updated at the joint review", at=review_day)
    assert amended.updated_at == review_day
    assert case_detail(store, case.id).next_review_due == dt.date(2027, 1, 5)
    steps = {s.stage: s for s in case_summary(store, CATALOGUE, case.id, today=dt.date(2026, 11, 30)).steps}
    assert steps["care_plan"].on == dt.date(2026, 8, 20)
