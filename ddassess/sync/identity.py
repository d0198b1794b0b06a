"""This laptop's TLS identity for the team server, and the server's own certificate.

A laptop admitted by this version gets its certificate with its membership (``team.admit``
certifies the TLS key its request carries; ``team.join`` keeps it). A laptop admitted from
an older request, or whose certificate is to be replaced, takes three steps, as for joining
the team, with files that hold no secret:

1. ``certificate_request(store)`` makes a TLS key pair in the encrypted store (purpose
   ``tls``, pending) and returns a request: practitioner, laptop, public key, signed with
   the laptop's exchange signing key (so the lead knows which admitted laptop asks).
2. ``issue_certificate(lead_store, request, ca_passphrase)`` on the team lead's laptop
   checks the signature against the roster (an active member's laptop) and returns the
   certificate (``exchange/devicetls.py``): TLS client authentication only.
3. ``keep_certificate(store, pem)`` checks it answers this laptop's pending key and was
   issued by its team's authority, and makes it active.

The private key never leaves the store; ``client.tls_context`` hands it to OpenSSL
encrypted with a one-time password.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from ddassess.errors import InvalidInputError
from ddassess.exchange import devicetls, keys, membership
from ddassess.exchange.refusals import TeamMembershipProblem
from ddassess.pdf import certs
from ddassess.services.signing import team_authority
from ddassess.store import Store
from ddassess.store.audit import append_event
from ddassess.store.records import ExchangeKeyRecord

REQUEST_KIND = "server-certificate-request"
TLS = "tls"


def certificate_request(store: Store) -> bytes:
    """A request for this laptop's server certificate (a new TLS key pair, kept pending)."""
    with store.write() as s:
        device, roster = membership.need_team(s)
        key = keys.new_private_key()
        kid = keys.key_id(key.public_key())
        for old in s.scalars(select(ExchangeKeyRecord).where(ExchangeKeyRecord.purpose == TLS,
                                                             ExchangeKeyRecord.status == "pending")).all():
            s.delete(old)
        s.add(ExchangeKeyRecord(key_id=kid, purpose=TLS, key_pem=keys.private_pem(key), team=roster.team,
                                request_id=kid[:36], status="pending"))
        body = keys.canonical({"practitioner": store.owner_uuid, "device": store.store_id, "team": roster.team,
                               "signer": device.signing_id,
                               "public_key": base64.b64encode(keys.public_der(key.public_key())).decode("ascii")})
        signature = keys.sign(device.signing, body)
        append_event(s, actor=store.owner_uuid, action="create", entity_type="server-certificate-request",
                     entity_id=kid[:36], changes={"key": [None, kid]})
    return json.dumps({"ddassess": REQUEST_KIND, "body": base64.b64encode(body).decode("ascii"),
                       "signature": base64.b64encode(signature).decode("ascii")}).encode("ascii") + b"\n"


def _bad_request() -> InvalidInputError:
    return InvalidInputError("This is not a server certificate request, or it was altered.",
                             hint="Ask the practitioner to make it again with `ddassess sync request`.")


def issue_certificate(lead_store: Store, request: bytes, ca_passphrase: str) -> bytes:
    """The certificate (PEM) answering ``request``, issued by this laptop's team authority."""
    try:
        outer = json.loads(request)
        raw = base64.b64decode(outer["body"], validate=True)
        signature = base64.b64decode(outer["signature"], validate=True)
        body = json.loads(raw)
        if outer.get("ddassess") != REQUEST_KIND or not isinstance(body, dict):
            raise ValueError("kind")
        practitioner, device, signer = str(body["practitioner"]), str(body["device"]), str(body["signer"])
        public = keys.load_public_der(base64.b64decode(body["public_key"], validate=True))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, binascii.Error):
        raise _bad_request() from None
    ca = team_authority(lead_store, ca_passphrase)
    with lead_store.write() as s:
        roster = membership.current_roster(s, certs.fingerprint(ca.certificate))
        member = roster.members.get(signer) if roster is not None else None
        if member is None or member.purpose != "signing" or member.practitioner != practitioner \
                or member.device != device or not keys.verify(member.public_key, signature, raw):
            raise _bad_request()
        if member.status != "active":
            raise TeamMembershipProblem(f"{roster.name_of(practitioner) if roster else 'This laptop'} was revoked: "
                                        "no server certificate is issued for it.", hint="Admit the laptop again.")
        cert = devicetls.issue_device_certificate(ca, public, practitioner=practitioner, device=device)
        append_event(s, actor=lead_store.owner_uuid, action="issue", entity_type="server-certificate",
                     entity_id=device, changes={"practitioner": [None, practitioner],
                                                "serial": [None, format(cert.serial_number, "x")]})
    return certs.cert_pem(cert)


def keep_certificate(store: Store, pem: bytes) -> None:
    """Make the certificate the lead issued this laptop's server certificate."""
    try:
        cert = certs.load_cert_pem(pem)
    except (ValueError, certs.CertificateProblem):
        raise InvalidInputError("This is not a server certificate file.",
                                hint="Choose the file the team lead gave you.") from None
    with store.write() as s:
        device, roster = membership.need_team(s)
        ca = membership.team_authority_cert(s, roster.team)
        public = cert.public_key()
        kid = keys.key_id(public) if isinstance(public, ec.EllipticCurvePublicKey) else ""
        rec = s.scalars(select(ExchangeKeyRecord).where(ExchangeKeyRecord.purpose == TLS,
                                                        ExchangeKeyRecord.key_id == kid)).first()
        who = devicetls.device_identity(cert, ca) if ca is not None else None
        if rec is None or who != (store.owner_uuid, store.store_id):
            raise InvalidInputError("This server certificate is not for this laptop's request, or not from your "
                                    "team's authority.", hint="Make a new request and ask the team lead again.")
        for old in s.scalars(select(ExchangeKeyRecord).where(ExchangeKeyRecord.purpose == TLS,
                                                             ExchangeKeyRecord.status == "active")).all():
            old.status = "retired"
        rec.certificate_pem = certs.cert_pem(cert).decode("ascii")
        rec.status = "active"
        append_event(s, actor=store.owner_uuid, action="receive", entity_type="server-certificate",
                     entity_id=store.store_id, changes={"key": [None, kid]})
        del device


@dataclass(frozen=True)
class TlsIdentity:
    authority_pem: bytes
    cert_pem: bytes
    key: ec.EllipticCurvePrivateKey


def tls_identity(store: Store) -> TlsIdentity:
    """This laptop's server certificate, key and team authority, or a clear refusal."""
    with store.read() as s:
        _device, roster = membership.need_team(s)
        ca = membership.team_authority_cert(s, roster.team)
        rec = s.scalars(select(ExchangeKeyRecord).where(ExchangeKeyRecord.purpose == TLS,
                                                        ExchangeKeyRecord.status == "active")
                        .order_by(ExchangeKeyRecord.id.desc())).first()
        if rec is None or ca is None:
            raise TeamMembershipProblem("This laptop has no certificate for the team server yet.",
                                        hint="A membership made by an older ddassess carries none: make a request "
                                        "with `ddassess sync request --out FILE`, give it to the team lead (who "
                                        "issues it with `ddassess sync issue`), and keep the certificate they give "
                                        "back with `ddassess sync certificate CERT`.")
        return TlsIdentity(certs.cert_pem(ca), rec.certificate_pem.encode("ascii"), keys.load_private(rec.key_pem))


def server_certificate(lead_store: Store, ca_passphrase: str, hosts: list[str]) -> tuple[bytes, bytes, bytes]:
    """(certificate, private key, team authority certificate) for the team server, as PEM."""
    ca = team_authority(lead_store, ca_passphrase)
    key = keys.new_private_key()
    cert: x509.Certificate = devicetls.issue_server_certificate(ca, key.public_key(), hosts=hosts)
    with lead_store.write() as s:
        append_event(s, actor=lead_store.owner_uuid, action="issue", entity_type="server-certificate",
                     entity_id=hosts[0], changes={"hosts": [None, hosts]})
    return certs.cert_pem(cert), keys.private_pem(key).encode("ascii"), certs.cert_pem(ca.certificate)
