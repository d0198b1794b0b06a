"""A shared case's forms received from the other service count in the team figures of the
laptop that receives them, as they do on the laptop that finalised them: the case's facts
(``case_facts``) are worked out again when received operations are applied, also when the
case row itself does not change (an amended referral moves no step)."""

from __future__ import annotations

import datetime as dt

from exchange_helpers import case_id, new_case, send
from facts_check import stale_facts
from store_helpers import amend

from ddassess.domain.periods import Period
from ddassess.services import case_changes
from ddassess.services.case_pathway import finalise_form
from ddassess.services.team_kpis import team_period

TODAY = dt.date.today()
# The period the case was referred in (today), to see its referral counted.
PERIOD = Period("custom", TODAY - dt.timedelta(days=3), TODAY + dt.timedelta(days=3))


def _final(store, catalogue, cid: int, form_id: str, answers: dict) -> int:
    spec = catalogue.get(form_id)
    rid = case_changes.start_response(store, cid, form_id, spec.version, spec.content_hash, answers).id
    finalise_form(store, catalogue, rid)
    return rid


def _sources(store, catalogue) -> dict[str, int]:
    return {f.group: f.count for f in team_period(store, PERIOD, catalogue).table("p.source").figures if f.count}


def test_received_forms_and_amendments_count_in_the_receivers_figures(stores, catalogue):
    a, b = stores(2)
    cid, cuuid = new_case(a)
    ref = _final(a, catalogue, cid, "referral", {"self_referral": False, "referrer_agency": "housing"})
    _final(a, catalogue, cid, "sadq", {f"q{i}": 2 for i in range(1, 21)})  # 40: severe
    send(a, b, catalogue)
    assert _sources(b, catalogue) == _sources(a, catalogue) == {"housing": 1}
    bands = team_period(b, PERIOD, catalogue).table("p.sadq").figures
    assert {f.group: f.count for f in bands if f.count} == {"severe": 1}
    assert stale_facts(b) == []

    amend(a, ref, {"self_referral": True}, "The person referred themselves (test)")
    send(a, b, catalogue)
    assert _sources(b, catalogue) == _sources(a, catalogue) == {"self": 1}  # the amendment, on both laptops
    assert stale_facts(b) == []
    assert case_id(b, cuuid)
