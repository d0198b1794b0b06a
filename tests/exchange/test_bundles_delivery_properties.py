"""Hypothesis: real bundle files from three laptops delivered in any order, any number of
times, end in the same case on the laptop receiving them, with no risk dropped and every
conflict listed (the order and the repeats of a USB stick's files must not matter)."""

from __future__ import annotations

import shutil

import pytest
from exchange_helpers import case_id, new_case, response_id, visible
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import PASSPHRASE
from team_helpers import join, laptop, team_lead

from ddassess.services import care_team, case_changes, case_risk, team
from ddassess.services import exchange as ex
from ddassess.store import Credentials, open_store


@pytest.fixture(scope="module")
def world(tmp_path_factory, catalogue_for_properties):
    """Three laptops after a first exchange, each with offline edits, and each one's team
    bundle of them; the receiving laptop's store closed, to be copied for every example."""
    catalogue = catalogue_for_properties
    root = tmp_path_factory.mktemp("delivery")
    lead = team_lead(root)
    sam, kim = laptop(root, "Sam Fictional"), laptop(root, "Kim Fictional")
    join(lead, sam)
    join(lead, kim)
    team.import_roster(sam.store, team.roster_file(lead.store))
    cid, cuuid = new_case(sam.store, given="Tess", family="Fictional")
    spec = catalogue.get("risk")
    r = case_changes.start_response(sam.store, cid, "risk", spec.version, spec.content_hash, {"q1": 1})
    care_team.share_case(sam.store, catalogue, cid, kim.me)
    care_team.share_case(sam.store, catalogue, cid, lead.me, "team_lead", basis="safeguarding",
                         reason="Fictional safeguarding concern")
    first = root / "first.ddbundle"
    ex.export_changes(sam.store, to=None, out=first)
    for lap in (kim, lead):
        ex.import_changes(lap.store, first, catalogue=catalogue)
    case_changes.save_draft(sam.store, r.id, {"q1": 2, "q2": 2})
    case_changes.save_draft(kim.store, response_id(kim.store, r.uuid), {"q1": 3, "q4": 1})
    case_risk.set_case_risk(kim.store, case_id(kim.store, cuuid), "high", "Fictional threats")
    case_risk.set_case_risk(sam.store, cid, "", "Fictional: calmer")
    bundles = []
    for name, lap in (("sam", sam), ("kim", kim)):
        out = root / f"{name}.ddbundle"
        ex.export_changes(lap.store, to=lead.me if lap is sam else None, out=out)  # Kim's for Sam and Lena
        bundles.append(out)
    # Kim's bundle reaches Sam, and Sam forwards it with his own second edit.
    ex.import_changes(sam.store, bundles[1], catalogue=catalogue)
    case_changes.save_draft(sam.store, r.id, {"q5": 1})
    out = root / "sam-2.ddbundle"
    ex.export_changes(sam.store, to=lead.me, out=out)
    bundles.append(out)
    for lap in (sam, kim, lead):
        lap.store.close()
    yield root, lead.folder, bundles, cuuid, catalogue


def _receive(world, order, name: str):
    root, folder, bundles, _cuuid, catalogue = world
    copy = root / name
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(folder, copy)
    store = open_store(copy, Credentials(passphrase=PASSPHRASE, use_keyring=False))
    try:
        for i in order:
            ex.import_changes(store, bundles[i], catalogue=catalogue)
        return visible(store)
    finally:
        store.close()
        shutil.rmtree(copy)


@pytest.fixture(scope="module")
def reference(world):
    return _receive(world, [0, 1, 2], "reference")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.permutations([0, 1, 2]), st.lists(st.integers(0, 2), max_size=4), st.integers(0, 3))
def test_any_order_and_repeats_give_the_same_case(world, reference, order, repeats, at):
    deliveries = list(order)
    for i in repeats:
        deliveries.insert(min(at, len(deliveries)), i)
    seen = _receive(world, deliveries, "example")
    cuuid = world[3]
    assert seen == reference
    assert seen[cuuid]["risk_level"] == "high"  # raised on one laptop, cleared on another: raised wins
    assert sorted(c[1] for c in seen["conflicts"]) == ["answers.q1", "risk_override"]
