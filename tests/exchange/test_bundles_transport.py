"""Two and three real laptops that joined one team through real request and membership
files, exchanging real bundle files (services/exchange.py): edits on all sides, every order
of delivery, repeats and forwarding end with the same case everywhere, every conflict listed."""

from __future__ import annotations

import itertools

import pytest
from exchange_helpers import case_id, new_case, response_id, start, visible
from team_helpers import move

from ddassess.errors import UserFacingError
from ddassess.services import care_team, case_changes, case_risk
from ddassess.services import exchange as ex
from ddassess.store.check import check_store


def shared_case(sam, kim, catalogue, lead=None):
    cid, cuuid = new_case(sam.store, given="Tess", family="Fictional")
    r = start(sam.store, catalogue, cid, "risk", {"q1": 1})
    care_team.share_case(sam.store, catalogue, cid, kim.me)
    if lead is not None:
        care_team.share_case(sam.store, catalogue, cid, lead.me, "team_lead", basis="safeguarding",
                             reason="Fictional safeguarding concern for the team lead")
    return cid, cuuid, r


def test_two_laptops_edit_both_sides_and_repeat(trio, catalogue, tmp_path):
    _lead, sam, kim = trio
    cid, cuuid, r = shared_case(sam, kim, catalogue)
    got = move(sam, kim, tmp_path / "first.ddbundle", to=kim, catalogue=catalogue)
    assert got.envelopes == 1 and got.refused == [] and got.sender == "Sam Fictional"
    kid, rk = case_id(kim.store, cuuid), response_id(kim.store, r.uuid)
    # Offline: both edit the case; one field both ways (a conflict), others on one side each.
    case_changes.save_draft(sam.store, r.id, {"q1": 3, "q2": 1})
    case_changes.save_draft(kim.store, rk, {"q1": 0, "q3": 2})
    case_risk.set_case_risk(kim.store, kid, "high", "Fictional threats to a neighbour")
    to_kim, to_sam = tmp_path / "to-kim.ddbundle", tmp_path / "to-sam.ddbundle"
    ex.export_changes(sam.store, to=kim.me, out=to_kim)
    ex.export_changes(kim.store, to=sam.me, out=to_sam)
    a = ex.import_changes(kim.store, to_kim, catalogue=catalogue)
    b = ex.import_changes(sam.store, to_sam, catalogue=catalogue)
    assert a.conflicts == 1 and b.conflicts == 1
    assert visible(sam.store) == visible(kim.store)
    seen = visible(sam.store)
    assert seen[r.uuid]["answers"]["q2"] == 1 and seen[r.uuid]["answers"]["q3"] == 2
    assert seen[cuuid]["risk_level"] == "high"
    assert [c[1] for c in seen["conflicts"]] == ["answers.q1"]
    again = ex.import_changes(kim.store, to_kim, catalogue=catalogue)  # a repeat changes nothing, and says so
    assert again.nothing_new and again.duplicates == a.envelopes and again.operations == 0
    assert visible(kim.store) == seen
    for lap in (sam, kim):
        report = check_store(lap.store)
        assert report.ok, report.problems
    # Nothing more is waiting once both ways are done; a new edit is.
    assert ex.waiting_to_send(sam.store) == []
    case_changes.save_draft(sam.store, r.id, {"q4": 1})
    [w] = ex.waiting_to_send(sam.store)
    assert (w.name, w.cases, w.operations) == ("Kim Fictional", 1, 1)
    assert cid


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_three_laptops_every_order_of_delivery_and_forwarding(trio, catalogue, tmp_path, order):
    lead, sam, kim = trio
    laps = [lead, sam, kim]
    _cid, cuuid, r = shared_case(sam, kim, catalogue, lead=lead)
    # Kim gets the case forwarded by the team lead, not from Sam.
    move(sam, lead, tmp_path / "sam-lead.ddbundle", to=lead, catalogue=catalogue)
    fwd = move(lead, kim, tmp_path / "lead-kim.ddbundle", to=kim, catalogue=catalogue)
    assert fwd.envelopes >= 1 and fwd.authors == ["Sam Fictional"]
    case_changes.save_draft(sam.store, r.id, {"q1": 2, "q2": 2})
    case_changes.save_draft(kim.store, response_id(kim.store, r.uuid), {"q1": 3, "q4": 1})
    case_risk.set_case_risk(lead.store, case_id(lead.store, cuuid), "high", "Fictional relapse")
    case_risk.set_case_risk(kim.store, case_id(kim.store, cuuid), "", "Fictional: doing well")
    for rnd in range(2):  # each sends a team bundle; each receives the others' in this test's order, twice
        files = {}
        for i in order:
            files[i] = tmp_path / f"r{rnd}-{i}.ddbundle"
            ex.export_changes(laps[i].store, to=None, out=files[i])
        for i in order:
            for j in order:
                if i != j:
                    ex.import_changes(laps[j].store, files[i], catalogue=catalogue)
                    ex.import_changes(laps[j].store, files[i], catalogue=catalogue)  # duplicated delivery
    views = [visible(lap.store) for lap in laps]
    assert views[0] == views[1] == views[2]
    assert views[0][cuuid]["risk_level"] == "high"  # raised on one side, cleared on another: raised wins
    assert sorted(c[1] for c in views[0]["conflicts"]) == ["answers.q1", "risk_override"]
    for lap in laps:
        report = check_store(lap.store)
        assert report.ok, report.problems


def test_removed_member_gets_nothing_more_and_is_refused(trio, catalogue, tmp_path):
    lead, sam, kim = trio
    cid, cuuid, r = shared_case(sam, kim, catalogue)
    move(sam, kim, tmp_path / "1.ddbundle", to=kim, catalogue=catalogue)
    care_team.remove_from_case(sam.store, cid, kim.me, "Fictional: moved to another team")
    case_changes.save_draft(sam.store, r.id, {"q2": 2})
    out = tmp_path / "2.ddbundle"
    ex.export_changes(sam.store, to=kim.me, out=out)
    got = ex.import_changes(kim.store, out, catalogue=catalogue)
    assert got.envelopes == 0  # the case was not in it: Kim left its care team
    # Kim, not yet told, edits; Sam refuses it with the reason.
    case_changes.save_draft(kim.store, response_id(kim.store, r.uuid), {"q3": 1})
    back = tmp_path / "3.ddbundle"
    ex.export_changes(kim.store, to=sam.me, out=back)
    before = visible(sam.store)
    got = ex.import_changes(sam.store, back, catalogue=catalogue)
    assert got.envelopes == 0 and any("removed from the care team" in why for why in got.refused)
    after = visible(sam.store)
    assert after == before
    assert lead


def test_bad_destination_refused_before_any_work(trio, catalogue, tmp_path):
    _lead, sam, kim = trio
    shared_case(sam, kim, catalogue)
    for bad in (tmp_path / "missing" / "x.ddbundle", tmp_path / "x.txt", tmp_path):
        with pytest.raises(UserFacingError):
            ex.export_changes(sam.store, to=kim.me, out=bad)
    assert ex.waiting_to_send(sam.store)[0].operations > 0  # nothing was marked sent
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == []


def test_a_sealed_payload_is_exactly_encode_operations(trio, catalogue):
    """Export joins the stored bodies rather than reading each operation back: the bytes must
    be the canonical encoding the receiver decodes (names with accents included)."""
    from ddassess.exchange.operations import decode_operations, encode_operations, operation_of
    from ddassess.store.records import OperationRecord

    _lead, sam, kim = trio
    cid, _cuuid, r = shared_case(sam, kim, catalogue)
    case_changes.save_draft(sam.store, r.id, {"q2": 1, "note": "Siân Żółć — “quoted”"})
    with sam.store.read() as s:
        rows = s.query(OperationRecord).order_by(OperationRecord.seq).all()
        bodies = [row.body_json for row in rows]
        ops = [operation_of(row) for row in rows]
    payload = ex._payload(bodies)
    assert payload == encode_operations(ops)
    assert decode_operations(payload) == ops
    assert cid
