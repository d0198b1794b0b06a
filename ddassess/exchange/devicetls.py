"""A laptop's TLS client certificate for the team server (mutual TLS).

The team server knows a laptop by a certificate the team authority issued for a key of
its own: a third key pair beside the exchange signing and encryption keys, because those
certificates stay single-purpose (an envelope signing key never answers a TLS handshake,
an encryption key can only agree keys). The certificate has digitalSignature only and the
TLS client authentication purpose (RFC 5280 id-kp-clientAuth); it names the practitioner
(userId) and the laptop (a URI ``urn:ddassess:device:<store id>`` in the subject
alternative name), never a case. The server looks both up in the roster it holds to find
the laptop's encryption key ids (what it may receive) and whether it was revoked.
"""

from __future__ import annotations

import datetime as dt
import re

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ddassess.pdf import certs

DEVICE_URI = "urn:ddassess:device:"
CERT_DAYS = 3 * 365
_ID = re.compile(r"^[0-9a-fA-F-]{8,64}$")


def issue_device_certificate(ca: certs.Identity, public_key: ec.EllipticCurvePublicKey, *, practitioner: str,
                             device: str, days: int = CERT_DAYS) -> x509.Certificate:
    """The TLS client certificate of ``device`` (a store id) of ``practitioner``."""
    if not _ID.match(practitioner) or not _ID.match(device):
        raise ValueError("a practitioner and a device are named by their ids")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ddassess laptop"),
                                 x509.NameAttribute(NameOID.USER_ID, practitioner)]))
        .issuer_name(ca.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(DEVICE_URI + device)]),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )


def device_identity(cert: x509.Certificate, ca_cert: x509.Certificate) -> tuple[str, str] | None:
    """(practitioner, device) named by a laptop's TLS certificate issued by ``ca_cert`` for
    TLS client authentication only, or None when it is not one."""
    ca_key = ca_cert.public_key()
    if not isinstance(ca_key, ec.EllipticCurvePublicKey) or cert.issuer != ca_cert.subject:
        return None
    try:
        ca_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        eku = list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        uris = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value \
            .get_values_for_type(x509.UniformResourceIdentifier)
        users = cert.subject.get_attributes_for_oid(NameOID.USER_ID)
    except (InvalidSignature, x509.ExtensionNotFound, ValueError, TypeError):
        return None
    if is_ca or not usage.digital_signature or usage.key_agreement or eku != [ExtendedKeyUsageOID.CLIENT_AUTH]:
        return None
    now = dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        return None
    devices = [u[len(DEVICE_URI):] for u in uris if u.startswith(DEVICE_URI)]
    if len(devices) != 1 or len(users) != 1:
        return None
    practitioner = str(users[0].value)
    if not _ID.match(practitioner) or not _ID.match(devices[0]):
        return None
    return practitioner, devices[0]


def issue_server_certificate(ca: certs.Identity, public_key: ec.EllipticCurvePublicKey, *, hosts: list[str],
                             days: int = 825) -> x509.Certificate:
    """The team server's own TLS certificate, from the team authority: laptops trust the
    server because the authority they already hold vouches for it (no public CA needed)."""
    import ipaddress

    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    if not names:
        raise ValueError("a server certificate names at least one host")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
