"""Whose word a signature rests on: the signer's clock, their certificate's validity and
key usage, and a timestamp token when there is one."""

from __future__ import annotations

import datetime as dt

import pytest
from sample_plans import sample_plan
from signing_clock import plan_made_at, sign_at

from ddassess.errors import InvalidInputError
from ddassess.pdf import certs
from ddassess.pdf.careplan import prepare_for_signing, render_care_plan
from ddassess.pdf.plan_verdict import verdict
from ddassess.pdf.signing import sign_pdf
from ddassess.pdf.verification import check_plan


@pytest.fixture(scope="module")
def ca() -> certs.Identity:
    return certs.new_team_ca("Fictional Joint Team")


@pytest.fixture
def now() -> dt.datetime:
    """The test's own start: certificates issued now are valid from 5 minutes before it."""
    return dt.datetime.now(dt.UTC)




def _refused(pdf: bytes, ca: certs.Identity, words: str) -> None:
    check = check_plan(pdf, [ca.certificate])
    assert not check.ok
    line = verdict(check)
    assert line.startswith("NOT TRUSTWORTHY: ") and words in line, line


def test_an_expired_certificate_with_a_backdated_time_is_refused(now, monkeypatch, ca):
    """The certificate expired before the plan was made; the signer set their clock back
    into its validity. The plan's own record (covered by the signature) says when it was made."""
    expired = certs.issue_certificate(ca, "Casey Coordinator", days=5, not_before=now - dt.timedelta(days=10))
    pdf = sign_at(monkeypatch, now - dt.timedelta(days=8), expired, plan_made_at(monkeypatch, now), "care_coordinator")
    _refused(pdf, ca, "is before this plan version was made")


def test_a_not_yet_valid_certificate_with_a_future_time_is_refused(now, monkeypatch, ca):
    early = certs.issue_certificate(ca, "Casey Coordinator", not_before=now + dt.timedelta(days=1))
    pdf = sign_at(monkeypatch, now + dt.timedelta(days=2), early, plan_made_at(monkeypatch, now), "care_coordinator")
    _refused(pdf, ca, "is in the future")


def test_a_valid_certificate_claiming_a_time_two_years_ahead_is_refused(now, monkeypatch, ca):
    casey = certs.issue_certificate(ca, "Casey Coordinator")
    pdf = sign_at(monkeypatch, now + dt.timedelta(days=730), casey, plan_made_at(monkeypatch, now), "care_coordinator")
    _refused(pdf, ca, "is in the future")


def test_a_time_a_few_minutes_ahead_is_within_the_stated_skew(now, monkeypatch, ca):
    casey = certs.issue_certificate(ca, "Casey Coordinator")
    pdf = sign_at(monkeypatch, now + dt.timedelta(minutes=3), casey, plan_made_at(monkeypatch, now), "care_coordinator")
    assert check_plan(pdf, [ca.certificate]).ok


def test_a_signature_dated_before_the_previous_one_is_refused(now, monkeypatch, ca):
    plan = plan_made_at(monkeypatch, now - dt.timedelta(hours=3))
    day = now - dt.timedelta(days=1)
    pdf = sign_at(monkeypatch, now - dt.timedelta(hours=1),
                   certs.issue_certificate(ca, "Casey Coordinator", not_before=day), plan, "care_coordinator")
    pdf = sign_at(monkeypatch, now - dt.timedelta(hours=2), certs.issue_certificate(ca, "Pat Partner", not_before=day),
                   pdf, "partner")
    _refused(pdf, ca, "signature 2 (Pat Partner, partner practitioner): its signing time")
    _refused(pdf, ca, "is before the previous signature (Casey Coordinator")


def test_the_time_is_called_the_signers_own_claim(ca):
    pdf = sign_pdf(prepare_for_signing(render_care_plan(sample_plan())), certs.issue_certificate(ca, "Casey"),
                   field_name="care_coordinator")
    [report] = check_plan(pdf, [ca.certificate]).reports
    assert "the signer's own claim (their computer's clock); no timestamp token" in "\n".join(report.lines())


def _tsa(ca: certs.Identity):  # type: ignore[no-untyped-def]
    """An RFC 3161 timestamp authority the team trusts, run in-process (pyHanko's test TSA)."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    today = dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's test TSA signs with RSA
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fictional Trust Timestamp Service")]))
            .issuer_name(ca.certificate.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(today - dt.timedelta(days=1)).not_valid_after(today + dt.timedelta(days=365))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(ca.key, hashes.SHA256()))
    der_key = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return DummyTimeStamper(tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
                            tsa_key=asn1_keys.PrivateKeyInfo.load(der_key))


def test_a_trusted_timestamp_token_is_used_and_said(now, monkeypatch, ca):
    """The signer's clock claims two years ahead; the token's time (now) is what counts."""
    casey = certs.issue_certificate(ca, "Casey Coordinator")
    pdf = sign_at(monkeypatch, now + dt.timedelta(days=730), casey, plan_made_at(monkeypatch, now), "care_coordinator",
                   timestamper=_tsa(ca))
    check = check_plan(pdf, [ca.certificate])
    assert check.ok, check.lines()
    [report] = check.reports
    assert "from a trusted RFC 3161 timestamp token (Fictional Trust Timestamp Service)" in report.time_source
    assert abs(report.signed_when - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_a_timestamp_token_from_an_untrusted_authority_fails(now, monkeypatch, ca):
    stranger = certs.new_team_ca("Somebody Else's Team")
    casey = certs.issue_certificate(ca, "Casey Coordinator")
    pdf = sign_pdf(plan_made_at(monkeypatch, now), casey, field_name="care_coordinator", timestamper=_tsa(stranger))
    _refused(pdf, ca, "its timestamp token does not check out")


# --- key usage: only a practitioner's signing certificate signs --------------------------------


def _no_signing_usage(ca: certs.Identity) -> certs.Identity:
    """A certificate from the team authority for key encipherment only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    today = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Enc Only")]))
            .issuer_name(ca.certificate.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(today - dt.timedelta(days=1)).not_valid_after(today + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=True,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(ca.key, hashes.SHA256()))
    return certs.Identity(key, cert, (ca.certificate,))


@pytest.mark.parametrize(("who", "words"), [
    ("authority", "is a certificate authority's, which issues certificates and may not sign documents"),
    ("no usage", "is not allowed to sign documents"),
])
def test_an_authority_or_a_certificate_without_signing_usage_cannot_sign(ca, who, words):
    identity = ca if who == "authority" else _no_signing_usage(ca)
    with pytest.raises(InvalidInputError, match=words):
        sign_pdf(prepare_for_signing(render_care_plan(sample_plan())), identity, field_name="care_coordinator")


@pytest.mark.parametrize(("who", "words"), [
    ("authority", "is a certificate authority's"),
    ("no usage", "is not allowed to sign documents"),
])
def test_a_plan_signed_by_one_anyway_is_refused_by_verify(monkeypatch, ca, who, words):
    """Another program (or an old version) signed with it: verification refuses it too."""
    from ddassess.pdf import signing

    identity = ca if who == "authority" else _no_signing_usage(ca)
    monkeypatch.setattr(signing, "certificate_problem", lambda cert: None)  # the signing-side check skipped
    pdf = sign_pdf(prepare_for_signing(render_care_plan(sample_plan())), identity, field_name="care_coordinator")
    monkeypatch.undo()
    check = check_plan(pdf, [ca.certificate])
    assert not check.ok
    assert any(words in p for p in check.reports[0].problems), check.lines()
