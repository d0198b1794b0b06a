"""Signing identities in the store: issue, import, trust, and the wrong-passphrase paths."""

from __future__ import annotations

import pytest
from org_p12 import organisation_p12
from sample_plans import sample_plan
from sqlalchemy import select

from ddassess.errors import InvalidInputError, RecordNotFound, WeakPassphraseError
from ddassess.pdf import certs
from ddassess.pdf.careplan import prepare_for_signing, render_care_plan
from ddassess.pdf.signing import sign_pdf
from ddassess.pdf.verification import verify_pdf
from ddassess.services import signing
from ddassess.store.records import AuditEventRecord, SigningIdentityRecord

CA_PASS = "team lead's authority passphrase"
SIGN_PASS = "my own signing passphrase"


def test_team_authority_issues_a_working_identity(store):
    signing.create_team_authority(store, "Fictional Joint Team", CA_PASS)
    signing.issue_identity(store, CA_PASS, SIGN_PASS)
    me = signing.load_identity(store, SIGN_PASS)
    assert me.common_name == "Testy McTestface"
    pdf = sign_pdf(prepare_for_signing(render_care_plan(sample_plan())), me, field_name="care_coordinator")
    [report] = verify_pdf(pdf, signing.trusted_roots(store))
    assert report.ok and report.signer == "Testy McTestface"


def test_keys_are_stored_encrypted_and_audited_without_secrets(store):
    signing.create_team_authority(store, "Fictional Joint Team", CA_PASS)
    signing.issue_identity(store, CA_PASS, SIGN_PASS)
    with store.read() as s:
        rec = s.scalars(select(SigningIdentityRecord)).one()
        events = s.scalars(select(AuditEventRecord.changes_json)).all()
    assert rec.key_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert not any("PRIVATE KEY" in e or SIGN_PASS in e or CA_PASS in e for e in events)


def test_wrong_passphrases_are_clear(store):
    signing.create_team_authority(store, "Fictional Joint Team", CA_PASS)
    with pytest.raises(certs.WrongCertificatePassword):
        signing.issue_identity(store, "not the authority passphrase", SIGN_PASS)
    signing.issue_identity(store, CA_PASS, SIGN_PASS)
    with pytest.raises(certs.WrongCertificatePassword, match="passphrase for this signing key is wrong"):
        signing.load_identity(store, "not my signing passphrase")


def test_no_authority_or_identity_yet(store):
    with pytest.raises(RecordNotFound, match="no team authority"):
        signing.issue_identity(store, CA_PASS, SIGN_PASS)
    with pytest.raises(RecordNotFound, match="no signing certificate yet"):
        signing.load_identity(store, SIGN_PASS)


def test_weak_passphrases_and_second_authority_refused(store):
    with pytest.raises(WeakPassphraseError):
        signing.create_team_authority(store, "Fictional Joint Team", "short")
    signing.create_team_authority(store, "Fictional Joint Team", CA_PASS)
    with pytest.raises(InvalidInputError, match="already has a team authority"):
        signing.create_team_authority(store, "Another", CA_PASS)


def test_imported_organisation_identity_and_root(store):
    org_ca = certs.new_team_ca("Fictional NHS Trust PKI")
    mine = certs.issue_certificate(org_ca, "Testy McTestface", agency="Fictional NHS Trust")
    p12 = organisation_p12(mine, "p12 password")
    with pytest.raises(certs.WrongCertificatePassword):
        signing.import_identity(store, p12, "wrong", SIGN_PASS)
    signing.import_identity(store, p12, "p12 password", SIGN_PASS)
    pdf = sign_pdf(prepare_for_signing(render_care_plan(sample_plan())), signing.load_identity(store, SIGN_PASS),
                   field_name="partner")
    assert not verify_pdf(pdf, signing.trusted_roots(store) or [certs.new_team_ca("x").certificate])[0].trusted
    signing.trust_authority(store, certs.cert_pem(org_ca.certificate))
    assert verify_pdf(pdf, signing.trusted_roots(store))[0].ok
