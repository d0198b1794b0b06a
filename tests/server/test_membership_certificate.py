"""The laptop's team server certificate travels inside its membership: ``team admit``
certifies the TLS key the request carries, ``team join`` keeps it, and the laptop syncs
with no extra round. A request made by an older ddassess (no TLS key) still admits, only
without it; a membership whose server certificate is not for this laptop is refused whole."""

from __future__ import annotations

import pytest
from exchange_helpers import case_id, new_case, start, visible
from server_helpers import sync_client
from sqlalchemy import select
from team_helpers import CA_PASSPHRASE, laptop, older_request

from ddassess.exchange import devicetls, keys, membership
from ddassess.exchange.refusals import TeamFileDamaged, TeamMembershipProblem
from ddassess.pdf import certs
from ddassess.services import care_team, signing
from ddassess.services import team as team_service
from ddassess.store.check import check_store
from ddassess.store.records import ExchangeKeyRecord
from ddassess.sync import engine, identity


def _authority(team_):
    return certs.load_cert_pem(team_.authority.read_bytes())


def test_a_joined_laptop_holds_its_server_certificate(team):
    authority = _authority(team)
    for lap in (team.lead, *team.members.values()):  # the lead's own laptop too, from its first admission
        ident = identity.tls_identity(lap.store)
        cert = certs.load_cert_pem(ident.cert_pem)
        assert devicetls.device_identity(cert, authority) == (lap.me, lap.store.store_id)
        assert keys.key_id(ident.key.public_key()) == membership.cert_key_id(cert)
        assert check_store(lap.store).ok


@pytest.mark.postgres
def test_a_laptop_syncs_with_only_its_membership(serve, team, catalogue):
    server = serve()
    alex, bea = team.members["alex"], team.members["bea"]
    cid, cuuid = new_case(alex.store, nhs="9990000042", given="Fictional", family="Member")
    start(alex.store, catalogue, cid, "risk", {"self_present": True, "self_history": "Fictional history"})
    care_team.share_case(alex.store, catalogue, cid, bea.me, basis="safeguarding",
                         reason="Fictional safeguarding concern, authorised by a fictional lead")
    sent = engine.sync(alex.store, sync_client(alex, server), catalogue=catalogue)
    got = engine.sync(bea.store, sync_client(bea, server), catalogue=catalogue)
    assert sent.pushed > 0 and got.applied > 0 and got.refused == [], (sent, got)
    case_id(bea.store, cuuid)
    assert visible(alex.store) == visible(bea.store)


def _admit(team_, lap, request: bytes):
    admitted = team_service.admit(team_.lead.store, request, CA_PASSPHRASE)
    return admitted, team_service.join(lap.store, admitted.data)


def test_an_older_request_still_admits_without_a_server_certificate(tmp_path, team):
    cal = laptop(tmp_path, "Cal Example", agency="Fictional Substance Misuse Service")
    try:
        admitted, joined = _admit(team, cal, older_request(cal))
        assert admitted.server_certificate is False and joined.server_certificate is False
        assert "server_certificate" not in membership.read_document(admitted.data, membership.MEMBERSHIP).body
        with pytest.raises(TeamMembershipProblem) as e:
            identity.tls_identity(cal.store)
        assert "sync request" in (e.value.hint or "")
        with cal.store.read() as s:  # no TLS key left waiting for a certificate that will not come
            assert s.scalars(select(ExchangeKeyRecord).where(ExchangeKeyRecord.purpose == "tls")).all() == []
        # The separate round still gives it one.
        pem = identity.issue_certificate(team.lead.store, identity.certificate_request(cal.store), CA_PASSPHRASE)
        identity.keep_certificate(cal.store, pem)
        assert identity.tls_identity(cal.store).cert_pem == pem
        assert check_store(cal.store).ok
    finally:
        cal.store.close()


def test_a_membership_whose_server_certificate_is_not_for_this_laptop_is_refused(tmp_path, team):
    cal = laptop(tmp_path, "Cal Example", agency="Fictional Substance Misuse Service")
    dan = laptop(tmp_path, "Dan Example", agency="Fictional Mental Health Trust")
    try:
        admitted = team_service.admit(team.lead.store, team_service.make_request(cal.store).data, CA_PASSPHRASE)
        doc = membership.read_document(admitted.data, membership.MEMBERSHIP)
        ca = signing.team_authority(team.lead.store, CA_PASSPHRASE)
        assert isinstance(ca.key, keys.ec.EllipticCurvePrivateKey)
        wrong = {  # the authority's own certificate, for a key that is not Cal's / for another laptop
            "another key": devicetls.issue_device_certificate(ca, keys.new_private_key().public_key(),
                                                              practitioner=cal.me, device=cal.store.store_id),
            "another laptop": devicetls.issue_device_certificate(
                ca, certs.load_cert_pem(str(doc.body["server_certificate"]).encode()).public_key(),
                practitioner=dan.me, device=dan.store.store_id),
        }
        with cal.store.read() as s:
            before = s.scalars(select(ExchangeKeyRecord.key_id, ExchangeKeyRecord.status)).all()
        for why, cert in wrong.items():
            body = {**doc.body, "server_certificate": certs.cert_pem(cert).decode("ascii")}
            forged = membership.make_document(membership.MEMBERSHIP, body, {"authority": ca.key})
            with pytest.raises(TeamFileDamaged, match="team server certificate"):
                team_service.join(cal.store, forged)
            with cal.store.read() as s:
                assert s.scalars(select(ExchangeKeyRecord.key_id, ExchangeKeyRecord.status)).all() == before, why
        garbled = {**doc.body, "server_certificate": "not a certificate"}
        with pytest.raises(TeamFileDamaged):
            team_service.join(cal.store, membership.make_document(membership.MEMBERSHIP, garbled,
                                                                  {"authority": ca.key}))
        joined = team_service.join(cal.store, admitted.data)  # the real one still joins
        assert joined.server_certificate
        assert devicetls.device_identity(certs.load_cert_pem(identity.tls_identity(cal.store).cert_pem),
                                         _authority(team)) == (cal.me, cal.store.store_id)
    finally:
        cal.store.close()
        dan.store.close()
