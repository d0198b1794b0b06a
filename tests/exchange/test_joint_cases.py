"""Two and three laptops editing one case offline, exchanging in every order, with repeats:
the same case on every laptop, every conflict listed, no risk dropped (docs/exchange.md)."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

from exchange_helpers import (
    case_id,
    copy_store,
    deliver,
    new_case,
    open_conflicts,
    own_operations,
    response_id,
    send,
    start,
    visible,
)
from sqlalchemy import select

from ddassess.services import case_changes, case_risk
from ddassess.services.case_pathway import finalise_form
from ddassess.store.check import check_store
from ddassess.store.records import CaseRecord


def orders(batches: dict[str, list], seed: int) -> list[list[list]]:
    """Ways the other laptops' operations can arrive: each order of their bundles, each
    bundle's operations back to front (a response before its case), all in a random mix
    with repeats."""
    names = sorted(batches)
    out = [[batches[n] for n in perm] for perm in itertools.permutations(names)]
    out.append([list(reversed(batches[n])) for n in reversed(names)])
    out.append([[op] for n in names for op in reversed(batches[n])])  # one operation per bundle
    rng = random.Random(seed)
    mixed = [op for n in names for op in batches[n]] * 2
    rng.shuffle(mixed)
    out.append([mixed[i:i + 3] for i in range(0, len(mixed), 3)] + [batches[n] for n in names])
    return out


def settle(stores, tmp_path, catalogue, name_of):
    """Every laptop receives every other laptop's own operations, in every order (on copies):
    all the results are the same case. Returns one result's view."""
    own = {name_of[s]: own_operations(s) for s in stores}
    for s in stores:
        s.close()
    results = []
    for n, s in enumerate(stores):
        others = {k: v for k, v in own.items() if k != name_of[s]}
        for m, order in enumerate(orders(others, seed=n)):
            copy = copy_store(s, tmp_path / f"copy-{n}-{m}")
            try:
                deliver(copy, order, catalogue)
                report = check_store(copy)
                assert report.ok, report.problems
                results.append(visible(copy))
            finally:
                copy.close()
    first = results[0]
    for other in results[1:]:
        assert other == first
    return first


def test_two_laptops_editing_one_case_offline_end_with_the_same_case(stores, catalogue, tmp_path):
    a, b = stores(2)
    cid, cuuid = new_case(a)
    r = start(a, catalogue, cid, "risk", {"q1": 1})
    plan = start(a, catalogue, cid, "care_plan", {"what_matters": "Staying in my flat."})
    send(a, b, catalogue)
    bid, rb, pb = case_id(b, cuuid), response_id(b, r.uuid), response_id(b, plan.uuid)
    # Offline for days: Alex and Bea both work on the case.
    case_changes.save_draft(a, r.id, {"q1": 3, "q2": 1})
    case_changes.save_draft(b, rb, {"q1": 0, "q3": 2})
    case_changes.save_draft(a, plan.id, {"what_matters": "Staying in my flat. Seeing my daughter."})
    case_changes.save_draft(b, pb, {"what_matters": "Staying in my flat. Getting back to work."})
    case_risk.set_case_risk(a, cid, "high", "Threats to a neighbour")
    case_risk.set_case_risk(b, bid, "", "Neighbour moved away")
    with b.read() as s:
        person_id = s.scalar(select(CaseRecord.person_id).where(CaseRecord.id == bid))
    case_changes.update_person(b, person_id, replace(case_changes.person_details(b, person_id),
                                                     preferred_name="Tess", phone="01632 960001"))
    result = settle([a, b], tmp_path, catalogue, {a: "a", b: "b"})
    case = result[cuuid]
    assert case["risk_level"] == "high"  # raised on one side, cleared on the other: raised wins
    assert case["person"]["preferred_name"] == "Tess"
    assert result[r.uuid]["answers"]["q2"] == 1 and result[r.uuid]["answers"]["q3"] == 2
    fields = sorted(c[1] for c in result["conflicts"])
    assert fields == ["answers.q1", "answers.what_matters", "risk_override"]


def test_three_laptops_in_every_order_of_delivery(stores, catalogue, tmp_path):
    a, b, c = stores(3)
    cid, cuuid = new_case(a)
    r = start(a, catalogue, cid, "risk", {"q1": 1})
    send(a, b, catalogue)
    send(a, c, catalogue)
    rb, rc = response_id(b, r.uuid), response_id(c, r.uuid)
    bid, ccid = case_id(b, cuuid), case_id(c, cuuid)
    case_changes.save_draft(a, r.id, {"q1": 2, "q2": 2})
    case_changes.save_draft(b, rb, {"q1": 3, "q4": 1})
    case_changes.save_draft(c, rc, {"q1": 1, "q5": 0})
    finalise_form(c, catalogue, rc)
    phq = start(c, catalogue, ccid, "phq9", {**{f"q{i}": 0 for i in range(1, 9)}, "q9": 1})  # risk to self
    finalise_form(c, catalogue, phq.id)
    case_risk.set_case_risk(b, bid, "high", "Relapse after a bereavement")
    gad = start(a, catalogue, cid, "gad7", {"q1": 2})
    finalise_form(a, catalogue, gad.id)
    case_risk.set_case_risk(c, ccid, "", "Doing well at the review")
    result = settle([a, b, c], tmp_path, catalogue, {a: "a", b: "b", c: "c"})
    case = result[cuuid]
    assert case["risk_level"] == "urgent"  # the final PHQ-9's item 9 flag: never dropped by the merge
    assert case["stage"] == "joint_assessment"
    form = result[r.uuid]
    assert form["status"] == "final"
    # Cal finalised what Cal saw; Alex's and Bea's edits made meanwhile are listed, not merged in.
    assert form["answers"] == {"q1": 1, "q5": 0}
    kinds = sorted((c[1], c[2]) for c in result["conflicts"])
    assert ("answers.q2", "final") in kinds and ("answers.q4", "final") in kinds
    assert ("risk_override", "field") in kinds


def test_relaying_through_a_colleague_is_the_same_as_direct(stores, catalogue, tmp_path):
    """Cal's changes reach Alex through Bea's store (forwarded operations keep their author)."""
    a, b, c = stores(3)
    cid, cuuid = new_case(a)
    r = start(a, catalogue, cid, "risk", {"q1": 1})
    send(a, b, catalogue)
    send(a, c, catalogue)
    case_changes.save_draft(c, response_id(c, r.uuid), {"q1": 1, "q6": 2})
    send(c, b, catalogue)
    send(b, a, catalogue)
    assert case_changes.get_response(a, r.id).answers == {"q1": 1, "q6": 2}
    send(c, a, catalogue)  # and directly again: nothing changes
    assert visible(a) == visible(b) == visible(c)
    assert open_conflicts(a) == []
