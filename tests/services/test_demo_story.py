"""The demo store tells one consistent story: for every demo case, what the case page says
(``case_summary``) about its pathway steps, lead agency and next review agrees with its
forms' statuses and with its care plan PDF read back; a closed case has no review due; every
date lies within the case's life."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from ddassess.formengine import check, load_catalogue
from ddassess.pdf.careplan import render_care_plan
from ddassess.services import case_changes, demo
from ddassess.services.careplans import build_care_plan
from ddassess.services.case_header import case_summary
from ddassess.services.case_list import CaseQuery, list_cases
from ddassess.services.case_pathway import FORM_STAGE

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
TODAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def demo_cases(tmp_path_factory):
    """The demo built once (a real SQLCipher store): [(summary, responses with answers, plan text or None)]."""
    from store_helpers import FAST_KDF, PASSPHRASE

    from ddassess.store import create_store

    created = create_store(tmp_path_factory.mktemp("demo") / "store", PASSPHRASE,
                           practitioner=demo.DEMO_PRACTITIONER, kdf=FAST_KDF)
    store = created.store
    try:
        demo.populate(store, CATALOGUE, today=TODAY)
        out = []
        for row in list_cases(store, CaseQuery(open_only=False, sort="ref", descending=False), 0, 100):
            summary = case_summary(store, CATALOGUE, row.case_id, today=TODAY)
            responses = [case_changes.get_response(store, r.id) for r in summary.detail.responses]
            text = None
            if any(r.form_id == "care_plan" for r in responses):
                pdf = render_care_plan(build_care_plan(store, CATALOGUE, row.case_id)).pdf
                text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
            out.append((summary, responses, text))
        return out
    finally:
        store.close()


def _ids(cases_):
    return [summary.detail.ref for summary, _r, _t in cases_]


def test_the_demo_has_every_stage_drafts_and_closed_cases(demo_cases):
    stages = {s.detail.stage for s, _r, _t in demo_cases}
    assert stages == {"referral", "consent", "screening", "joint_assessment", "lead_agency", "care_plan", "review",
                      "discharged"}
    assert any(r.status == "draft" for _s, rs, _t in demo_cases for r in rs)
    assert any(s.detail.status == "closed" for s, _r, _t in demo_cases)


def test_each_step_is_done_exactly_when_a_form_of_it_is_final(demo_cases):
    for summary, responses, _text in demo_cases:
        final_stages = {FORM_STAGE[r.form_id] for r in responses if r.status in ("final", "superseded")}
        draft_only = {FORM_STAGE[r.form_id] for r in responses if r.status == "draft"} - final_stages
        for step in summary.steps:
            finished = step.state == "done" or (step.state == "current" and step.stage in final_stages)
            assert finished == (step.stage in final_stages), (summary.detail.ref, step)
            assert step.stage not in draft_only or step.state not in ("done", "current"), (summary.detail.ref, step)


def test_final_forms_are_complete(demo_cases):
    """Every final demo form passes the checks Finalise runs in the window."""
    for summary, responses, _text in demo_cases:
        for r in responses:
            if r.status == "final":
                spec = CATALOGUE.get(r.form_id, r.form_version)
                errors = [p.message for p in check(spec, r.answers, tables=CATALOGUE.tables) if p.severity == "error"]
                assert errors == [], (summary.detail.ref, r.form_id, errors)


def _lead_label(answers) -> str:
    field = CATALOGUE.get("lead_agency").fields["lead"]
    return field.choice(answers["lead"]).label


def test_lead_agency_agrees_with_the_decision_and_the_plan(demo_cases):
    for summary, responses, text in demo_cases:
        decisions = [r for r in responses if r.form_id == "lead_agency" and r.status == "final"]
        expected = _lead_label(decisions[0].answers) if decisions else ""
        assert summary.detail.lead_agency == expected, summary.detail.ref
        if text is not None:
            printed = re.search(r"Lead agency\n(.+?)\nQuadrant", text)
            assert printed and printed.group(1) == expected, (summary.detail.ref, printed and printed.group(1))


def test_next_review_agrees_with_the_plan_and_closed_cases_have_none(demo_cases):
    for summary, responses, text in demo_cases:
        d = summary.detail
        if d.status == "closed":
            assert d.next_review_due is None, d.ref
            assert all(step.state != "overdue" for step in summary.steps), d.ref
            continue
        plans = [r for r in responses if r.form_id == "care_plan" and r.status == "final"]
        if not plans:
            assert d.next_review_due is None, d.ref
            continue
        assert d.next_review_due == dt.date.fromisoformat(plans[0].answers["next_review"]), d.ref
        reviews = [r for r in responses if r.form_id == "joint_review" and r.status == "final"]
        if reviews:
            assert d.next_review_due == dt.date.fromisoformat(reviews[0].answers["next_review"]), d.ref
        printed = re.search(r"Next review\n(.+)", text)
        assert printed and printed.group(1).strip() == d.next_review_due.strftime("%d %b %Y"), d.ref
        review_step = next(s for s in summary.steps if s.stage == "review")
        if review_step.state in ("due", "overdue", "later"):  # "current": dated by the review that was held
            assert review_step.on == d.next_review_due, d.ref


def test_every_date_lies_within_the_case_life(demo_cases):
    for summary, responses, _text in demo_cases:
        d = summary.detail
        end = max((dt.date.fromisoformat(r.answers["discharge_date"]) for r in responses
                   if r.form_id == "discharge" and r.status == "final"), default=TODAY)
        for step in summary.steps:
            if step.state in ("done", "current") and step.on is not None:
                assert d.opened_on <= step.on <= end, (d.ref, step)
        # A step is dated by the day its first form was finalised; a later amendment does not move it.
        for step in summary.steps:
            days = [r.updated_at.astimezone().date() for r in responses
                    if FORM_STAGE[r.form_id] == step.stage and r.status in ("final", "superseded")]
            if step.state in ("done", "current") and days:
                assert step.on == min(days), (d.ref, step)
        referral = next(s for s in summary.steps if s.stage == "referral")
        assert referral.on == d.opened_on, (d.ref, referral)
        for r in responses:
            assert d.opened_on <= r.updated_at.astimezone().date() <= end, (d.ref, r.form_id)
