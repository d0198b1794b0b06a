"""Joining a team from another laptop: request → admit → join across two real stores,
the certificates' key usages and chain, revocation honoured, and bad files refused."""

from __future__ import annotations

import json

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from sqlalchemy import select
from team_helpers import CA_PASSPHRASE, SIGNING_PASSPHRASE, join, laptop, team_lead

from ddassess.exchange import keys, membership
from ddassess.exchange.refusals import (
    MembershipForAnotherLaptop,
    RosterNotNewer,
    TeamFileDamaged,
    TeamFileError,
    TeamFileTooNew,
    TeamMembershipProblem,
)
from ddassess.pdf import certs
from ddassess.pdf.certs import WrongCertificatePassword
from ddassess.services import signing, team
from ddassess.store.check import check_store
from ddassess.store.records import ExchangeKeyRecord, SigningAuthorityRecord


def _certs(store, purpose):
    with store.read() as s:
        rows = s.query(ExchangeKeyRecord).filter_by(purpose=purpose, status="active").all()
        return [x509.load_pem_x509_certificate(r.certificate_pem.encode()) for r in rows]


def test_request_admit_join_across_two_stores(tmp_path):
    lead = team_lead(tmp_path)
    sam = laptop(tmp_path, "Sam Fictional", "Substance misuse social worker", "Fictional SMS")
    request = team.make_request(sam.store, SIGNING_PASSPHRASE)
    assert request.with_signing_certificate
    assert b"PRIVATE" not in request.data  # public keys only
    name, code = team.request_code(request.data)
    assert (name, code) == ("Sam Fictional", request.code)  # the lead sees the code the practitioner reads out
    admitted = team.admit(lead.store, request.data, CA_PASSPHRASE)
    joined = team.join(sam.store, admitted.data)
    assert joined.roster_version == admitted.roster_version == 1
    assert joined.team_name == "Fictional Joint Team"
    # Both laptops now hold the same roster: the lead (enrolled on first admit) and Sam.
    for lap in (lead, sam):
        team_name, version, members = team.members(lap.store)
        assert version == 1 and {m.name for m in members} == {"Lena Lead", "Sam Fictional"}
        assert all(m.active for m in members)
    # Sam is a practitioner with the same uuid on the lead's laptop.
    with lead.store.read() as s:
        from ddassess.store.records import PractitionerRecord

        row = s.query(PractitionerRecord).filter_by(uuid=sam.me).one()
        assert (row.name, row.agency) == ("Sam Fictional", "Fictional SMS")
    ca = signing.trusted_roots(sam.store)[0]
    assert certs.fingerprint(ca) == joined.team_fingerprint
    # Key usages: exchange signing signs only, encryption agrees keys only, chain to the team CA.
    (sig,) = _certs(sam.store, "signing")
    (enc,) = _certs(sam.store, "encryption")
    sig_usage = sig.extensions.get_extension_for_class(x509.KeyUsage).value
    enc_usage = enc.extensions.get_extension_for_class(x509.KeyUsage).value
    assert sig_usage.digital_signature and not sig_usage.content_commitment and not sig_usage.key_agreement
    assert enc_usage.key_agreement and not enc_usage.digital_signature and not enc_usage.content_commitment
    assert list(sig.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [membership.EXCHANGE_SIGNING]
    assert list(enc.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        membership.EXCHANGE_ENCRYPTION]
    for cert, purpose in ((sig, "signing"), (enc, "encryption")):
        assert cert.issuer == ca.subject and membership.certificate_fits(cert, ca, purpose)
        assert not membership.certificate_fits(cert, ca, "encryption" if purpose == "signing" else "signing")
    # The care plan signing certificate arrived too and signs with Sam's own passphrase.
    identity = signing.load_identity(sam.store, SIGNING_PASSPHRASE)
    usage = identity.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.content_commitment and not usage.key_agreement
    assert list(identity.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.EMAIL_PROTECTION]
    assert certs.certificate_problem(identity.certificate) is None and identity.chain == (ca,)
    with pytest.raises(WrongCertificatePassword):
        signing.load_identity(sam.store, "not the signing passphrase")
    for lap in (lead, sam):
        report = check_store(lap.store)
        assert report.ok, report.problems
        lap.store.close()


def test_revocation_reaches_a_member_through_a_roster_file(tmp_path):
    lead = team_lead(tmp_path)
    sam, kim = laptop(tmp_path, "Sam Fictional"), laptop(tmp_path, "Kim Fictional")
    join(lead, sam)
    join(lead, kim)
    name, version = team.revoke(lead.store, "kim fictional", CA_PASSPHRASE, "laptop lost")
    assert (name, version) == ("Kim Fictional", 3)
    old = team.roster_file(sam.store)
    assert team.import_roster(sam.store, team.roster_file(lead.store)) == 3
    states = {m.name: m.active for m in team.members(sam.store)[2]}
    assert states == {"Lena Lead": True, "Sam Fictional": True, "Kim Fictional": False}
    # An older roster never undoes a revocation.
    with pytest.raises(RosterNotNewer):
        team.import_roster(sam.store, old)
    assert {m.name: m.active for m in team.members(sam.store)[2]}["Kim Fictional"] is False
    for lap in (lead, sam, kim):
        assert check_store(lap.store).ok
        lap.store.close()


def test_bad_team_files_are_refused_and_change_nothing(tmp_path):
    lead = team_lead(tmp_path)
    sam, kim = laptop(tmp_path, "Sam Fictional"), laptop(tmp_path, "Kim Fictional")
    request = team.make_request(sam.store)
    # Not a request file: a roster, random bytes, a request from a newer version, one altered.
    with pytest.raises(TeamFileError, match="not a ddassess team request file"):
        team.admit(lead.store, b"\x00\x01 not json", CA_PASSPHRASE)
    outer = json.loads(request.data)
    newer = dict(outer, format=2)
    with pytest.raises(TeamFileTooNew, match="newer version"):
        team.admit(lead.store, json.dumps(newer).encode(), CA_PASSPHRASE)
    body = json.loads(membership._unb64(outer["body"]))
    body["practitioner"]["name"] = "Mallory Fictional"
    forged = dict(outer, body=membership._b64(json.dumps(body).encode()))
    with pytest.raises(TeamFileDamaged, match="signature does not hold"):
        team.admit(lead.store, json.dumps(forged).encode(), CA_PASSPHRASE)
    with pytest.raises(WrongCertificatePassword):
        team.admit(lead.store, request.data, "not the authority passphrase")
    admitted = team.admit(lead.store, request.data, CA_PASSPHRASE)
    with pytest.raises(TeamFileError, match="a team membership file, not a request file"):
        team.admit(lead.store, admitted.data, CA_PASSPHRASE)
    # Kim's laptop cannot use Sam's membership file.
    team.make_request(kim.store)
    with pytest.raises(MembershipForAnotherLaptop, match="another laptop"):
        team.join(kim.store, admitted.data)
    with pytest.raises(TeamMembershipProblem):
        team.members(kim.store)
    # A membership file altered after the authority signed it.
    mouter = json.loads(admitted.data)
    mbody = json.loads(membership._unb64(mouter["body"]))
    mbody["team"]["name"] = "Another Team"
    with pytest.raises(TeamFileDamaged):
        team.join(sam.store, json.dumps(dict(mouter, body=membership._b64(json.dumps(mbody).encode()))).encode())
    with pytest.raises(TeamMembershipProblem):
        team.members(sam.store)  # nothing was kept
    team.join(sam.store, admitted.data)
    with pytest.raises(MembershipForAnotherLaptop, match="no longer has"):
        team.join(sam.store, admitted.data)  # the request was used
    with pytest.raises(TeamMembershipProblem, match="already a member"):
        team.make_request(sam.store)
    for lap in (lead, sam, kim):
        assert check_store(lap.store).ok
        lap.store.close()


def test_a_roster_verified_once_still_refuses_a_forged_signature_or_another_authority(tmp_path):
    """A roster already checked is not checked again (a team of hundreds re-reads it on every
    sync), but only the very document, signed by the very authority, is taken as checked."""
    import dataclasses

    lead = team_lead(tmp_path)
    sam = laptop(tmp_path, "Sam Fictional")
    join(lead, sam)
    other = team_lead(tmp_path / "other", team_name="Another Fictional Team", name="Olu Lead")
    with lead.store.read() as s:
        team_id = keys.active_keys(s).team
        doc = membership.roster_document(s, team_id)
        ca = membership.team_authority_cert(s, team_id)
    with other.store.read() as s:
        other_ca = certs.load_cert_pem(s.scalars(select(SigningAuthorityRecord.certificate_pem)).one().encode())
    first = membership.verify_roster(doc, ca)
    again = membership.verify_roster(doc, ca)
    assert again == first and {m.practitioner for m in again.members.values()} >= {sam.store.owner_uuid}
    forged = dataclasses.replace(doc, signatures={"authority": other.store.store_id.encode() * 2})
    with pytest.raises(TeamFileDamaged):
        membership.verify_roster(forged, ca)
    with pytest.raises(TeamFileDamaged):  # signed by this team's authority, checked against another's
        membership.verify_roster(doc, other_ca)
    assert membership.verify_roster(doc, ca) == first
    for lap in (lead, sam, other):
        lap.store.close()
