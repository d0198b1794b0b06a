"""An envelope that arrives before its case key is kept (still encrypted) and applied when
the key comes: in a later page, a later sync, or a bundle. Real laptops, a real team
server over TLS and a real PostgreSQL; the pushes are the laptop's own batches, sent with
the wraps after the envelopes (a push split or retried out of order)."""

from __future__ import annotations

import dataclasses

import pytest
from exchange_helpers import case_id, new_case, response_id, start, visible
from server_helpers import enrol_for_server, sync_client
from sqlalchemy import select
from store_helpers import PASSPHRASE

from ddassess.cli import main
from ddassess.services import care_team
from ddassess.services import exchange as ex
from ddassess.store.check import check_store
from ddassess.store.records import AuditEventRecord, EnvelopeRecord, WaitingEnvelopeRecord
from ddassess.sync import engine

pytestmark = pytest.mark.postgres


def _shared_case(team, catalogue, history: str = "Fictional history"):
    alex, bea = team.members["alex"], team.members["bea"]
    cid, cuuid = new_case(alex.store, nhs="9990000042", given="Fictional", family="Waiter")
    r = start(alex.store, catalogue, cid, "risk", {"self_present": True, "self_history": history})
    care_team.share_case(alex.store, catalogue, cid, bea.me, basis="safeguarding",
                         reason="Fictional safeguarding concern, authorised by a fictional lead")
    return cuuid, r


def _alex_batches(team):
    """Alex's push, as the sync engine makes it: (envelopes, key wraps)."""
    report = engine.SyncReport()
    batches = engine._outgoing(team.members["alex"].store, report, 400)
    items = [item for batch in batches for item in batch]
    envelopes = [(kind, data) for kind, _id, data in items if kind == "envelope"]
    wraps = [(kind, data) for kind, _id, data in items if kind == "wrap"]
    assert envelopes and wraps
    return envelopes, wraps


def _waiting(lap) -> int:
    with lap.store.read() as s:
        return len(s.scalars(select(WaitingEnvelopeRecord.id)).all())


def _ahead_of_its_key(serve, team, catalogue):
    """Alex's envelopes of a case shared with Bea are on the server; the case key is not yet."""
    server = serve()
    alex, bea = team.members["alex"], team.members["bea"]
    for lap in (alex, bea):
        enrol_for_server(team, lap)
    cuuid, r = _shared_case(team, catalogue)
    envelopes, wraps = _alex_batches(team)
    ca = sync_client(alex, server)
    ca.send_roster(team.roster())
    ca.push(envelopes)
    return server, alex, bea, cuuid, r, envelopes, wraps, ca


def test_the_key_in_a_later_page_applies_the_envelope_that_came_first(serve, team, catalogue):
    server, alex, bea, cuuid, r, envelopes, wraps, ca = _ahead_of_its_key(serve, team, catalogue)
    ca.push(wraps)  # the server now holds the envelopes before the key they need
    got = engine.sync(bea.store, sync_client(bea, server), page_size=1, catalogue=catalogue)
    assert got.pages >= 2 and got.refused == [] and got.skipped == 0, got
    assert got.released == len(envelopes) and got.waiting == 0 and got.applied > 0, got
    case_id(bea.store, cuuid)
    response_id(bea.store, r.uuid)
    engine.sync(alex.store, ca, catalogue=catalogue)
    assert visible(alex.store) == visible(bea.store)
    assert _waiting(bea) == 0
    assert check_store(bea.store).ok


def test_the_key_in_a_later_sync_applies_what_waited_and_the_cli_says_so(serve, team, catalogue, tmp_path,
                                                                          monkeypatch, capsys):
    server, alex, bea, cuuid, r, envelopes, wraps, ca = _ahead_of_its_key(serve, team, catalogue)
    cb = sync_client(bea, server)
    first = engine.sync(bea.store, cb, catalogue=catalogue)
    # Nothing can be read yet, and nothing is lost: the envelope is kept, as received.
    assert first.applied == 0 and first.skipped == 0 and first.waiting == len(envelopes), first
    assert ex.waiting_for_key(bea.store) == len(envelopes)
    with bea.store.read() as s:
        kept = s.scalars(select(WaitingEnvelopeRecord)).all()
        assert {w.data for w in kept} == {d for _k, d in envelopes}  # still sealed, byte for byte
        assert s.scalars(select(EnvelopeRecord.id)).all() == []
        assert "waiting" in " ".join(e.changes_json for e in s.scalars(select(AuditEventRecord)
                                                                       .where(AuditEventRecord.entity_type
                                                                              == "team-server")))
    assert check_store(bea.store).ok
    again = engine.sync(bea.store, cb, catalogue=catalogue)  # a sync with nothing new keeps it
    assert again.waiting == len(envelopes) and again.applied == 0
    # `ddassess sync` says how many wait.
    cb.close()
    bea.store.close()
    home = tmp_path / "bea-home"
    home.mkdir()
    (home / "store").symlink_to(bea.folder)
    monkeypatch.setenv("DDASSESS_HOME", str(home))
    monkeypatch.setenv("DDASSESS_PASSPHRASE", PASSPHRASE)
    assert main(["sync", "--server", server.url]) == 0
    assert f"{len(envelopes)} changes wait for their case key" in capsys.readouterr().out
    ca.push(wraps)  # the key arrives
    assert main(["sync", "--server", server.url]) == 0
    out = capsys.readouterr().out
    assert f"{len(envelopes)} change(s) that waited for their case key were applied" in out
    assert "wait for their case key" not in out
    from ddassess.store import Credentials, open_store

    reopened = open_store(bea.folder, Credentials(passphrase=PASSPHRASE, use_keyring=False))
    try:
        case_id(reopened, cuuid)
        response_id(reopened, r.uuid)
        assert visible(reopened)[r.uuid]["answers"]["self_history"] == "Fictional history"
        assert ex.waiting_for_key(reopened) == 0
        assert check_store(reopened).ok
    finally:
        reopened.close()


def test_the_key_by_bundle_applies_what_waited_from_the_server(serve, team, catalogue, tmp_path):
    server, alex, bea, cuuid, r, envelopes, _wraps, ca = _ahead_of_its_key(serve, team, catalogue)
    cb = sync_client(bea, server)
    assert engine.sync(bea.store, cb, catalogue=catalogue).waiting == len(envelopes)
    # Alex's own sync marks the envelopes delivered to Bea: the bundle then carries only the key.
    engine.sync(alex.store, ca, catalogue=catalogue)
    made = ex.export_changes(alex.store, to=bea.me, out=tmp_path / "to-bea.ddbundle")
    assert made.envelopes == 0
    got = ex.import_changes(bea.store, made.path, catalogue=catalogue)
    assert got.released == len(envelopes) and got.waiting_for_key == 0 and got.operations > 0, got
    assert got.refused == [] and not got.nothing_new
    from ddassess.ui.exchange_dialog import describe  # what the Receive dialog shows

    assert f"{len(envelopes)} change(s) that waited for their case key were applied" in describe(got)
    assert "wait for their case key" not in describe(got)
    assert "3 change(s) wait for their case key" in describe(dataclasses.replace(got, waiting_for_key=3))
    case_id(bea.store, cuuid)
    response_id(bea.store, r.uuid)
    later = engine.sync(bea.store, cb, catalogue=catalogue)  # the server's copy of the key changes nothing
    assert later.applied == 0 and later.refused == [] and later.waiting == 0, later
    assert visible(alex.store) == visible(bea.store)
    with bea.store.read() as s:
        assert len(s.scalars(select(EnvelopeRecord.id)).all()) == len(envelopes)  # kept once
    assert check_store(bea.store).ok
