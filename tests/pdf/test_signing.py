"""PAdES signing: two practitioners and a countersignature validate; tampering is caught."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from org_p12 import organisation_p12
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ddassess.errors import InvalidInputError
from ddassess.pdf import certs
from ddassess.pdf.signing import NotAPdfError, NotSignedError, sign_pdf
from ddassess.pdf.verification import verify_pdf


def simple_pdf(text: str = "Joint care plan for Testy McTestface (fictional)") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=0)
    c.drawString(72, 760, text)
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="module")
def team():
    ca = certs.new_team_ca("Fictional Joint Team")
    return {
        "ca": ca,
        "coordinator": certs.issue_certificate(ca, "Casey Coordinator", role="Care coordinator",
                                               agency="Fictional MH Trust"),
        "partner": certs.issue_certificate(ca, "Pat Partner", role="Dual diagnosis lead", agency="Fictional SMS"),
        "lead": certs.issue_certificate(ca, "Lee Lead", role="Team lead", agency="Fictional MH Trust"),
    }


def with_fields(pdf: bytes, boxes: dict[str, tuple[int, int, int, int]]) -> bytes:
    """``pdf`` with empty signature fields, as a plan has them before its first signature
    (a signature into a field added after the first signature is refused)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    w = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for name, box in boxes.items():
        fields.append_signature_field(w, fields.SigFieldSpec(sig_field_name=name, on_page=0, box=box))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _sign_three(team) -> bytes:
    pdf = with_fields(simple_pdf(), {"care_coordinator": (72, 500, 272, 560), "partner": (300, 500, 500, 560),
                                     "team_lead": (72, 400, 272, 460)})
    pdf = sign_pdf(pdf, team["coordinator"], field_name="care_coordinator")
    pdf = sign_pdf(pdf, team["partner"], field_name="partner")
    return sign_pdf(pdf, team["lead"], field_name="team_lead", reason="Countersigned")


def test_two_signatures_and_a_countersignature_all_validate(team):
    reports = verify_pdf(_sign_three(team), [team["ca"].certificate])
    assert [r.field for r in reports] == ["care_coordinator", "partner", "team_lead"]
    assert [r.signer for r in reports] == ["Casey Coordinator", "Pat Partner", "Lee Lead"]
    assert all(r.ok and r.bottom_line for r in reports), [r.summary for r in reports]


def test_flipping_one_signed_byte_is_reported_as_tampered(team):
    pdf = bytearray(_sign_three(team))
    pos = pdf.index(b"Testy McTestface")
    pdf[pos] ^= 0x20  # 'T' -> 't' inside the first revision's content
    reports = verify_pdf(bytes(pdf), [team["ca"].certificate])
    assert reports and all(not r.intact and not r.ok for r in reports)
    assert "tampered" in "\n".join(reports[0].lines())


def test_an_edit_appended_after_signing_is_detected(team):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    signed = _sign_three(team)
    w = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = w.root["/Pages"]["/Kids"][0].get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 700 Td (Plan cancelled) Tj ET")
    page["/Contents"] = w.add_object(stream)
    w.update_container(page)
    out = io.BytesIO()
    w.write(out)
    reports = verify_pdf(out.getvalue(), [team["ca"].certificate])
    assert all(r.intact for r in reports)  # the bytes each covers are untouched...
    assert all(not r.unchanged_after and not r.ok for r in reports)  # ...but the document changed after


def test_untrusted_certificate_is_reported(team):
    stranger_ca = certs.new_team_ca("Somebody Else's Team")
    stranger = certs.issue_certificate(stranger_ca, "Mallory Fictional")
    pdf = sign_pdf(simple_pdf(), stranger, field_name="care_coordinator", new_field=(0, (72, 500, 272, 560)))
    [report] = verify_pdf(pdf, [team["ca"].certificate])
    assert report.intact and not report.trusted and not report.ok


def test_expired_certificate_cannot_sign(team):
    old = certs.issue_certificate(team["ca"], "Old Cert", days=30,
                                  not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=60))
    with pytest.raises(InvalidInputError, match="expired"):
        sign_pdf(simple_pdf(), old, field_name="x", new_field=(0, (72, 500, 272, 560)))


def test_verify_refuses_non_pdf_and_unsigned_pdf(team):
    with pytest.raises(NotAPdfError):
        verify_pdf(b"PK\x03\x04 this is a zip", [team["ca"].certificate])
    with pytest.raises(NotSignedError):
        verify_pdf(simple_pdf(), [team["ca"].certificate])


def test_pkcs12_round_trip_and_bad_files(team):
    data = organisation_p12(team["partner"], "p12 password")
    back = certs.import_pkcs12(data, "p12 password")
    assert back.common_name == "Pat Partner"
    assert certs.fingerprint(back.certificate) == certs.fingerprint(team["partner"].certificate)
    with pytest.raises(certs.WrongCertificatePassword):
        certs.import_pkcs12(data, "not it")
    with pytest.raises(certs.CertificateProblem, match="not a PKCS#12"):
        certs.import_pkcs12(b"garbage bytes", "p12 password")


def test_encrypted_private_key_round_trip(team):
    pem = certs.encrypt_private_key(team["lead"].key, "key passphrase")
    assert b"ENCRYPTED PRIVATE KEY" in pem
    with pytest.raises(certs.WrongCertificatePassword):
        certs.decrypt_private_key(pem, "wrong")
    key = certs.decrypt_private_key(pem, "key passphrase")
    assert key.private_numbers() == team["lead"].key.private_numbers()


def _rsa_cert(subject: str, key, issuer_name, issuer_key, *, ca: bool):  # type: ignore[no-untyped-def]
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    usage = x509.KeyUsage(digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                          encipher_only=False, decipher_only=False)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name or name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(issuer_key or key, hashes.SHA256()))


def test_an_organisations_rsa_4096_certificate_with_a_chain_signs_and_verifies():
    """An imported .p12 is often RSA with an intermediate: the room kept for the signature
    (worked out from the certificates) must hold it, and the result must check out."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    root_key, mid_key, leaf_key = (rsa.generate_private_key(public_exponent=65537, key_size=4096) for _ in range(3))
    root = _rsa_cert("Fictional NHS Trust Root CA", root_key, None, None, ca=True)
    mid = _rsa_cert("Fictional NHS Trust Issuing CA", mid_key, root.subject, root_key, ca=True)
    leaf = _rsa_cert("Testy McTestface", leaf_key, mid.subject, mid_key, ca=False)
    data = pkcs12.serialize_key_and_certificates(b"org", leaf_key, leaf, [mid, root], BestAvailableEncryption(b"pw"))
    identity = certs.import_pkcs12(data, "pw")
    signed = sign_pdf(simple_pdf(), identity, field_name="partner", new_field=(0, (50, 50, 250, 110)))
    [report] = verify_pdf(signed, [root])
    assert report.ok, report.lines()
