"""Bundle edge cases between real stores exchanging real bundle files: an envelope of a
revoked member forwarded by a colleague who had not heard of the revocation is refused on
its own, with the reason, and the rest of the bundle is received."""

from __future__ import annotations

import json

import pytest
from exchange_helpers import case_id, new_case, response_id, start, visible
from sqlalchemy import select
from team_helpers import CA_PASSPHRASE, move

from ddassess.services import care_team, case_changes, team
from ddassess.services import exchange as ex
from ddassess.store.check import check_store
from ddassess.store.records import AuditEventRecord


def test_a_revoked_members_envelope_is_refused_alone(trio, catalogue, tmp_path):
    lead, sam, kim = trio
    cid, cuuid = new_case(sam.store, given="Tess", family="Fictional")
    r = start(sam.store, catalogue, cid, "risk", {"q1": 1})
    care_team.share_case(sam.store, catalogue, cid, kim.me)
    care_team.share_case(sam.store, catalogue, cid, lead.me, "team_lead", basis="safeguarding",
                         reason="Fictional safeguarding concern for the team lead")
    move(sam, lead, tmp_path / "sam-lead.ddbundle", lead, catalogue)
    move(sam, kim, tmp_path / "sam-kim.ddbundle", kim, catalogue)
    # Sam answers q2 and sends it to Kim only; then Sam's laptop is lost and revoked by the lead.
    case_changes.save_draft(sam.store, r.id, {"q1": 1, "q2": 2})
    move(sam, kim, tmp_path / "sam-kim-2.ddbundle", kim, catalogue)
    team.revoke(lead.store, "Sam Fictional", CA_PASSPHRASE, "laptop lost")
    # Kim, not told yet, answers q3 and sends the lead everything the lead has not had: Sam's
    # q2 envelope (forwarded) and Kim's own.
    case_changes.save_draft(kim.store, response_id(kim.store, r.uuid), {"q1": 1, "q2": 2, "q3": 1})
    got = move(kim, lead, tmp_path / "kim-lead.ddbundle", lead, catalogue)
    assert got.envelopes == 1 and got.authors == ["Kim Fictional"]
    [why] = got.refused
    assert why.startswith("changes by Sam Fictional were refused: their membership of the team was revoked on 20")
    seen = visible(lead.store)[r.uuid]["answers"]
    assert seen["q3"] == 1  # Kim's change is received
    assert "q2" not in seen  # it came only in Sam's refused envelope (Kim's change set q3 alone)
    with lead.store.read() as s:
        [event] = s.scalars(select(AuditEventRecord).where(AuditEventRecord.action == "refuse")).all()
    assert "revoked" in event.reason and json.loads(event.changes_json)["envelopes"] == [None, 1]
    assert check_store(lead.store).ok
    # Receiving the same bundle again refuses the same envelope again and changes nothing else.
    before = visible(lead.store)
    again = ex.import_changes(lead.store, tmp_path / "kim-lead.ddbundle", catalogue=catalogue)
    assert again.refused == got.refused and again.envelopes == 0
    assert visible(lead.store) == before
    assert case_id(lead.store, cuuid)


@pytest.mark.parametrize("first", ["alex", "bea"])
def test_one_flag_acknowledged_on_two_laptops_is_one_acknowledged_flag(stores, catalogue, first):
    """Both acknowledgements kept, shown as one acknowledged flag with both names and times,
    the same on both laptops whichever hears of the other first; nothing refused."""
    from exchange_helpers import send

    from ddassess.services import flag_acknowledgements

    alex, bea = stores(2)
    cid, cuuid = new_case(alex, given="Tess", family="Fictional")
    spec = catalogue.get("phq9")
    r = case_changes.start_response(alex, cid, "phq9", spec.version, spec.content_hash,
                                    {f"q{i}": 3 for i in range(1, 10)} | {"q10": "extremely"})
    case_changes.finalise_response(alex, r.id)
    send(alex, bea, catalogue)
    flag = spec.flags[0].id
    flag_acknowledgements.acknowledge_flag(alex, catalogue, cid, r.uuid, flag, "Fictional: duty worker called")
    flag_acknowledgements.acknowledge_flag(bea, catalogue, case_id(bea, cuuid), r.uuid, flag,
                                           "Fictional: discussed at the joint visit")
    pair = (alex, bea) if first == "alex" else (bea, alex)
    for src, dst in (pair, pair[::-1], pair):  # each way, then a repeat
        report = send(src, dst, catalogue)
        assert report.refused == [] and report.waiting == []
    seen = [flag_acknowledgements.acknowledgements(s, case_id(s, cuuid))[(r.uuid, flag)] for s in (alex, bea)]
    assert seen[0] == seen[1]
    ack = seen[0]
    assert (ack.by, ack.reason) == ("Alex Example", "Fictional: duty worker called")  # the earlier one
    assert [(o.by, o.reason) for o in ack.others] == [("Bea Example", "Fictional: discussed at the joint visit")]
    assert ack.at < ack.others[0].at
    assert visible(alex) == visible(bea)
    for s in (alex, bea):
        assert check_store(s).ok, check_store(s).problems
