"""Signing identities: a team certificate authority and practitioners' certificates.

A team without an organisational PKI gets one from the app: a team CA (EC P-256) whose
certificate is the trust root for verifying the team's care plans, and practitioner
certificates it issues. An organisation's own identity can instead be imported from a
PKCS#12 file. Private keys leave this module only encrypted (PKCS#8 with the caller's
passphrase, or PKCS#12); where they are kept is the store's business.

Every problem a user can cause — a wrong PKCS#12 password, a file that is not PKCS#12,
an expired or not-yet-valid certificate, one that may not sign — is a UserFacingError.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ddassess.codes import Code
from ddassess.errors import InvalidInputError, UserFacingError

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class CertificateProblem(UserFacingError):
    code = Code.SIGN_001
    exit_code = 10


class WrongCertificatePassword(CertificateProblem):
    code = Code.SIGN_002


@dataclass(frozen=True)
class Identity:
    """A private key, its certificate and the chain up to (and including) the root."""

    key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def common_name(self) -> str:
        return common_name(self.certificate)


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def role_and_agency(cert: x509.Certificate) -> tuple[str, str]:
    """The holder's role (OU) and agency (O), as the team authority wrote them."""
    def first(oid: x509.ObjectIdentifier) -> str:
        values = cert.subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    return first(NameOID.ORGANIZATIONAL_UNIT_NAME), first(NameOID.ORGANIZATION_NAME)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


X509_ATTRIBUTE_MAX = 64  # X.509's upper bound for a common name, organisation or unit


def _fit(text: str) -> str:
    """An attribute within X.509's 64 characters: longer text (a role or service the settings
    allow, or a name saved before names were limited) ends with "…" rather than failing."""
    return text if len(text) <= X509_ATTRIBUTE_MAX else text[: X509_ATTRIBUTE_MAX - 1] + "…"


def _name(cn: str, org: str = "", unit: str = "") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, _fit(cn))]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(org)))
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _fit(unit)))
    return x509.Name(attrs)


def new_team_ca(team_name: str, *, years: int = 10) -> Identity:
    """A self-signed team CA that may issue certificates and nothing else."""
    if not team_name.strip():
        raise InvalidInputError("Give the team a name: it appears on every certificate the team issues.")
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"{team_name.strip()} — ddassess team CA", team_name.strip())
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Identity(key, cert, (cert,))


def issue_certificate(ca: Identity, name: str, *, role: str = "", agency: str = "", days: int = 3 * 365,
                      not_before: dt.datetime | None = None) -> Identity:
    """A practitioner's signing certificate from the team CA."""
    if not name.strip():
        raise InvalidInputError("Give the practitioner's name: it is what a signature shows.")
    key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or (_now() - dt.timedelta(minutes=5))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name.strip(), agency.strip(), role.strip()))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return Identity(key, cert, (ca.certificate,))


def certificate_problem(cert: x509.Certificate, at: dt.datetime | None = None) -> str | None:
    """Why this certificate cannot sign now, in words; None when it can."""
    when = at or _now()
    if when < cert.not_valid_before_utc:
        return f"The certificate of {common_name(cert)} is not valid until {cert.not_valid_before_utc:%d %b %Y}."
    if when > cert.not_valid_after_utc:
        return (f"The certificate of {common_name(cert)} expired on {cert.not_valid_after_utc:%d %b %Y}: "
                "ask the team lead to issue a new one.")
    problem = usage_problem(cert)
    return f"The certificate of {common_name(cert)} {problem}." if problem else None


def usage_problem(cert: x509.Certificate) -> str:
    """Why this certificate may not sign a care plan ("" when it may): only a practitioner's
    certificate, one that is not an authority's and whose key usage includes
    digitalSignature or nonRepudiation. The team authority's own certificate (keyCertSign
    only) and one with no key usage at all are refused, when signing and when verifying."""
    try:
        if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return "is a certificate authority's, which issues certificates and may not sign documents"
    except x509.ExtensionNotFound:
        pass
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return "does not say it may sign documents (no key usage)"
    if not (usage.digital_signature or usage.content_commitment):
        return "is not allowed to sign documents (its key usage has neither digitalSignature nor nonRepudiation)"
    return ""


# --- storage formats -------------------------------------------------------------------


def import_pkcs12(data: bytes, password: str) -> Identity:
    """An organisation's identity from a .p12/.pfx file, with clear messages for bad files."""
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode("utf-8") or None)
    except ValueError as exc:
        text = str(exc).lower()
        if "password" in text or "mac" in text or "decrypt" in text:
            raise WrongCertificatePassword(
                "The password of this certificate file is wrong.",
                hint="Use the password your organisation gave with the file.",
            ) from None
        raise CertificateProblem(
            "This file is not a PKCS#12 certificate file (.p12 or .pfx).",
            hint="Ask your organisation for your signing certificate as a .p12 or .pfx file.",
        ) from None
    if key is None or cert is None:
        raise CertificateProblem("This certificate file holds no private key and certificate pair: it cannot sign.")
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise CertificateProblem("This certificate file's key type is not supported: use an EC or RSA key.")
    return Identity(key, cert, tuple(extra or ()))


def encrypt_private_key(key: PrivateKey, passphrase: str) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(passphrase.encode("utf-8")))


def decrypt_private_key(pem: bytes, passphrase: str) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, passphrase.encode("utf-8"))
    except (ValueError, TypeError):
        raise WrongCertificatePassword("The passphrase for this signing key is wrong.") from None
    assert isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
    return key


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_cert_pem(data: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        raise CertificateProblem("This is not a PEM certificate file.") from None


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()
