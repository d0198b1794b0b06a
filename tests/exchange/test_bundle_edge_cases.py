"""Bundle edge cases between real stores exchanging real bundle files: an envelope of a
revoked member forwarded by a colleague who had not heard of the revocation is refused on
its own, with the reason, and the rest of the bundle is received."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from exchange_helpers import case_id, new_case, response_id, visible
from sqlalchemy import select
from team_helpers import CA_PASSPHRASE, join, laptop, team_lead

from ddassess.services import care_team, case_changes, team
from ddassess.services import exchange as ex
from ddassess.store.check import check_store
from ddassess.store.records import AuditEventRecord


@pytest.fixture
def trio(tmp_path):
    lead = team_lead(tmp_path)
    sam, kim = laptop(tmp_path, "Sam Fictional"), laptop(tmp_path, "Kim Fictional")
    for lap in (sam, kim):
        join(lead, lap)
    team.import_roster(sam.store, team.roster_file(lead.store))  # Kim joined after Sam: Sam learns of Kim
    yield lead, sam, kim
    for lap in (lead, sam, kim):
        lap.store.close()


def start(store, catalogue, cid, form_id, answers):
    spec = catalogue.get(form_id)
    return case_changes.start_response(store, cid, form_id, spec.version, spec.content_hash, answers)


def move(src, dst, path: Path, to, catalogue):
    ex.export_changes(src.store, to=to.me, out=path)
    return ex.import_changes(dst.store, path, catalogue=catalogue)


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
