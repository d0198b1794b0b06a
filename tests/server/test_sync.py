"""Two real laptops syncing a shared case through a real team server and PostgreSQL:
their own TLS certificates (request, issue, keep), the sync client's push and pull, the
same checks and merge as a bundle, and a database dump with nothing readable in it."""

from __future__ import annotations

import pytest
from exchange_helpers import case_id, new_case, response_id, start, visible
from server_helpers import enrol_for_server, sync_client

from ddassess.services import care_team, case_changes
from ddassess.services import exchange as ex
from ddassess.store.check import check_store
from ddassess.sync import engine

pytestmark = pytest.mark.postgres

NAME, FAMILY, NHS = "Zebedee", "Quillfictional", "9990000018"
SECRET_ANSWER = "Fictional sentinel history: Marmalade Lighthouse"


def test_two_laptops_sync_a_shared_case_and_the_server_holds_nothing_readable(serve, team, catalogue, postgres,
                                                                            database):
    server = serve()
    alex, bea = team.members["alex"], team.members["bea"]
    for lap in (team.lead, alex, bea):
        enrol_for_server(team, lap)
    cid, cuuid = new_case(alex.store, nhs=NHS, given=NAME, family=FAMILY)
    r = start(alex.store, catalogue, cid, "risk", {"self_present": True, "self_history": SECRET_ANSWER})
    care_team.share_case(alex.store, catalogue, cid, bea.me, basis="safeguarding",
                         reason="Fictional safeguarding concern, authorised by a fictional lead")
    ca, cb = sync_client(alex, server), sync_client(bea, server)
    sent = engine.sync(alex.store, ca, catalogue=catalogue)
    assert sent.pushed >= 2 and sent.refused == [], sent  # key wraps and the envelope
    assert ex.waiting_to_send(alex.store) == []  # the server delivers it now
    got = engine.sync(bea.store, cb, catalogue=catalogue)
    assert got.applied > 0 and got.refused == [] and got.skipped == 0, got
    bid, rb = case_id(bea.store, cuuid), response_id(bea.store, r.uuid)
    # Bea edits; the change travels back.
    case_changes.save_draft(bea.store, rb, {"self_present": True, "self_history": SECRET_ANSWER,
                                            "self_indicators": "Fictional indicators"})
    engine.sync(bea.store, cb, catalogue=catalogue)
    back = engine.sync(alex.store, ca, catalogue=catalogue)
    assert back.applied > 0 and back.refused == [], back
    assert visible(alex.store) == visible(bea.store)
    assert visible(alex.store)[r.uuid]["answers"]["self_indicators"] == "Fictional indicators"
    # Nothing new: a sync moves nothing, twice.
    for lap, c in ((alex, ca), (bea, cb)):
        again = engine.sync(lap.store, c, catalogue=catalogue)
        assert (again.pushed, again.applied) == (0, 0), again
        assert check_store(lap.store).ok
    # The lead is not in this case's care team: the server gives them nothing of it.
    lead_report = engine.sync(team.lead.store, sync_client(team.lead, server), catalogue=catalogue)
    assert lead_report.applied == 0 and lead_report.pulled == 0
    del bid
    # The sentinel: a whole dump of the server's database names no one and says nothing.
    dump = postgres.dump(database.rsplit("/", 1)[1])
    assert b"COPY public.items" in dump and len(dump) > 2000  # the dump holds the items
    for sentinel in (NAME, FAMILY, NHS, "999 000 0018", "Marmalade", "Lighthouse", "Fictional indicators",
                     "Tess", alex.store.owner().name, bea.store.owner().name):
        assert sentinel.encode() not in dump, sentinel
        assert sentinel.lower().encode() not in dump.lower(), sentinel
