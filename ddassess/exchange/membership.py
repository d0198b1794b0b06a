"""Team membership across laptops: request, membership and roster files, and certificates.

A practitioner on another laptop joins in three steps (no network needed):

1. ``team request`` makes this laptop's keys (``keys.py``) and writes a **request file**:
   their practitioner id, name, role and service, the laptop (store) id and the public
   keys, signed by each new signing key to prove it is held. It holds no secret.
2. The team lead's ``team admit`` checks it and writes a **membership file**: the team
   authority's certificate, a certificate for each key and the new **roster**, signed by
   the team authority. Before admitting, the lead compares the request's short code
   (shown on both laptops) with the practitioner, by phone or in person.
3. ``team join`` on the practitioner's laptop checks that the file answers a request made
   on this laptop, that the certificates are for its own keys and issued by that
   authority, then keeps them.

Certificates (all EC P-256, from the team authority of ``pdf/certs.py``): the exchange
signing key's has digitalSignature only and the exchange-signing purpose; the encryption
key's keyAgreement only and the exchange-encryption purpose; a care plan signing key gets
the same certificate ``signing issue`` gives (digitalSignature, nonRepudiation,
emailProtection). An exchange certificate can therefore never sign a care plan, and a
care plan certificate never seals an envelope. The purposes are OIDs under the UUID arc
2.25 (ITU-T X.667), which needs no registration.

The **roster** lists every member's certificates and which were revoked, with a version
that only goes up; it is signed by the team authority's own key (like a certificate
revocation list: the authority's certificate allows cRLSign). A laptop keeps the newest
roster it has seen, from a membership file, a bundle or a roster file; an older one
never undoes a revocation.

Every file is JSON: ``{"ddassess": KIND, "format": N, "body": BASE64, "signatures": {...}}``
where ``body`` is canonical JSON, so what was signed is exactly what is read.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ddassess.exchange import keys
from ddassess.exchange.refusals import (
    RosterNotNewer,
    TeamFileDamaged,
    TeamFileError,
    TeamFileTooNew,
    TeamMembershipProblem,
)
from ddassess.pdf import certs
from ddassess.store.audit import append_event
from ddassess.store.records import (
    PractitionerRecord,
    SigningAuthorityRecord,
    TeamMemberRecord,
    TeamRosterRecord,
)

FORMAT = 1
REQUEST, MEMBERSHIP, ROSTER = "team-request", "team-membership", "team-roster"
KIND_WORDS = {REQUEST: "request", MEMBERSHIP: "membership", ROSTER: "roster"}
EXCHANGE_SIGNING = x509.ObjectIdentifier("2.25.283578785644603982193316494935024883379")
EXCHANGE_ENCRYPTION = x509.ObjectIdentifier("2.25.201496553357491042286758727034046272954")
MAX_TEAM_FILE = 4 * 1024 * 1024
CERT_DAYS = 3 * 365


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# --- signed documents ---------------------------------------------------------------------


def make_document(kind: str, body: dict[str, Any], signers: dict[str, ec.EllipticCurvePrivateKey]) -> bytes:
    raw = keys.canonical(body)
    sigs = {name: _b64(keys.sign(key, raw)) for name, key in signers.items()}
    return json.dumps({"ddassess": kind, "format": FORMAT, "body": _b64(raw), "signatures": sigs},
                      indent=1, sort_keys=True).encode("utf-8") + b"\n"


@dataclass(frozen=True)
class Document:
    kind: str
    body: dict[str, Any]
    raw: bytes
    signatures: dict[str, bytes]

    def signed_by(self, name: str, key: ec.EllipticCurvePublicKey) -> bool:
        sig = self.signatures.get(name)
        return sig is not None and keys.verify(key, sig, self.raw)


def read_document(data: bytes | str | dict[str, Any], kind: str) -> Document:
    """A team file of ``kind``, or a refusal saying what it is instead."""
    want = KIND_WORDS[kind]
    try:
        outer = data if isinstance(data, dict) else json.loads(data)
    except (ValueError, UnicodeDecodeError):
        outer = None
    if not isinstance(outer, dict) or not str(outer.get("ddassess", "")).startswith("team-"):
        raise TeamFileError(f"This is not a ddassess team {want} file.",
                            hint=f"Check that you chose the {want} file you were given.")
    if outer["ddassess"] != kind:
        theirs = KIND_WORDS.get(str(outer["ddassess"]), "different")
        raise TeamFileError(f"This is a team {theirs} file, not a {want} file.",
                            hint=f"Check that you chose the {want} file you were given.")
    version = outer.get("format")
    if isinstance(version, int) and version > FORMAT:
        raise TeamFileTooNew(f"This {want} file was made by a newer version of ddassess (format {version}).",
                             hint="Install the newer ddassess on this laptop, then try again.")
    try:
        raw = _unb64(outer.get("body"))
        body = json.loads(raw)
        sigs = {str(k): _unb64(v) for k, v in dict(outer.get("signatures") or {}).items()}
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise TeamFileDamaged(f"This {want} file is damaged: it cannot be read.",
                              hint="Ask for a new copy of it.") from None
    if version != FORMAT or not isinstance(body, dict):
        raise TeamFileDamaged(f"This {want} file is damaged: it cannot be read.", hint="Ask for a new copy of it.")
    return Document(kind, body, raw, sigs)


def damaged(what: str) -> TeamFileDamaged:
    return TeamFileDamaged(f"This {what} file was altered or damaged: its signature does not hold.",
                           hint="Nothing was changed. Ask for a new copy of it.")


def short_code(doc_raw: bytes) -> str:
    """A request's code to read out loud: 16 hex digits in four groups."""
    h = hashlib.sha256(doc_raw).hexdigest()[:16].upper()
    return "-".join(h[i:i + 4] for i in range(0, 16, 4))


# --- certificates -------------------------------------------------------------------------


def _usage(*, signature: bool = False, commitment: bool = False, agreement: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=signature, content_commitment=commitment, key_encipherment=False,
                         data_encipherment=False, key_agreement=agreement, key_cert_sign=False, crl_sign=False,
                         encipher_only=False, decipher_only=False)


def issue(ca: certs.Identity, public_key: ec.EllipticCurvePublicKey, purpose: str, *, name: str, role: str,
          agency: str, practitioner: str) -> x509.Certificate:
    """A certificate for a member's key: ``purpose`` signing, encryption or pdf-signing."""
    if purpose == "signing":
        usage, eku = _usage(signature=True), [EXCHANGE_SIGNING]
    elif purpose == "encryption":
        usage, eku = _usage(agreement=True), [EXCHANGE_ENCRYPTION]
    else:
        usage, eku = _usage(signature=True, commitment=True), [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, certs._fit(name.strip()))]
    if agency.strip():
        subject.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, certs._fit(agency.strip())))
    if role.strip():
        subject.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, certs._fit(role.strip())))
    if purpose != "pdf-signing":
        subject.append(x509.NameAttribute(NameOID.USER_ID, practitioner))
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name(subject))
        .issuer_name(ca.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage(eku), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )


def certificate_fits(cert: x509.Certificate, ca_cert: x509.Certificate, purpose: str) -> bool:
    """Issued by this authority, for this purpose only, and not a certificate authority."""
    ca_key = ca_cert.public_key()
    if not isinstance(ca_key, ec.EllipticCurvePublicKey) or cert.issuer != ca_cert.subject:
        return False
    try:
        ca_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        eku = list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except (InvalidSignature, x509.ExtensionNotFound, ValueError, TypeError):
        return False
    if is_ca or not isinstance(cert.public_key(), ec.EllipticCurvePublicKey):
        return False
    if purpose == "signing":
        return usage.digital_signature and not usage.key_agreement and not usage.content_commitment \
            and eku == [EXCHANGE_SIGNING]
    if purpose == "encryption":
        return usage.key_agreement and not usage.digital_signature and eku == [EXCHANGE_ENCRYPTION]
    return usage.digital_signature and eku == [ExtendedKeyUsageOID.EMAIL_PROTECTION]


def cert_key_id(cert: x509.Certificate) -> str:
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return keys.key_id(key)


# --- the roster ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    key_id: str
    practitioner: str
    device: str
    purpose: str  # signing / encryption
    certificate: x509.Certificate
    status: str  # active / revoked
    revoked_at: str | None

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        key = self.certificate.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey)
        return key


@dataclass(frozen=True)
class Roster:
    """A verified roster: the team, its version, and every member certificate by key id."""

    team: str
    version: int
    members: dict[str, Member]
    people: list[dict[str, Any]]
    document: bytes

    def encryption_keys(self, practitioner: str) -> list[Member]:
        return [m for m in self.members.values()
                if m.practitioner == practitioner and m.purpose == "encryption" and m.status == "active"]

    def name_of(self, practitioner: str) -> str:
        return next((str(p["name"]) for p in self.people if p["practitioner"] == practitioner), "someone")


def team_authority_cert(session: Session, team: str) -> x509.Certificate | None:
    rec = session.scalars(select(SigningAuthorityRecord).where(SigningAuthorityRecord.fingerprint == team)).first()
    return certs.load_cert_pem(rec.certificate_pem.encode("ascii")) if rec is not None else None


# Rosters already verified, by (the document's hash, the authority's signature of it, the
# authority): a team of 200 laptops has 400 member certificates, each checked against the
# authority, and a sync, a bundle or a server request reads the same roster several times.
# The checks are a pure function of those three (nothing in them depends on the time), so a
# document verified once is the same roster the next time; a refusal is never kept.
_VERIFIED: OrderedDict[tuple[bytes, bytes, bytes], Roster] = OrderedDict()
_VERIFIED_MAX = 8
_VERIFIED_LOCK = threading.Lock()


def verify_roster(doc: Document, ca_cert: x509.Certificate) -> Roster:
    """The roster in ``doc`` if the authority signed it and every certificate in it fits."""
    seen = (hashlib.sha256(doc.raw).digest(), doc.signatures.get("authority", b""),
            ca_cert.fingerprint(hashes.SHA256()))
    with _VERIFIED_LOCK:
        known = _VERIFIED.get(seen)
        if known is not None:
            _VERIFIED.move_to_end(seen)
            return known
    roster = _verify_roster(doc, ca_cert)
    with _VERIFIED_LOCK:
        _VERIFIED[seen] = roster
        while len(_VERIFIED) > _VERIFIED_MAX:
            _VERIFIED.popitem(last=False)
    return roster


def _verify_roster(doc: Document, ca_cert: x509.Certificate) -> Roster:
    ca_key = ca_cert.public_key()
    if not isinstance(ca_key, ec.EllipticCurvePublicKey) or not doc.signed_by("authority", ca_key):
        raise damaged("roster")
    body = doc.body
    team = certs.fingerprint(ca_cert)
    if body.get("team") != team:
        raise RosterNotNewer("This roster is of another team: it was ignored.",
                             hint="Use the roster of your own team.")
    members: dict[str, Member] = {}
    people: list[dict[str, Any]] = []
    try:
        version = int(body["version"])
        for entry in body["members"]:
            people.append(entry)
            for purpose in ("signing", "encryption"):
                cert = certs.load_cert_pem(str(entry[purpose]).encode("ascii"))
                if not certificate_fits(cert, ca_cert, purpose):
                    raise damaged("roster")
                kid = cert_key_id(cert)
                members[kid] = Member(kid, str(entry["practitioner"]), str(entry["device"]), purpose, cert,
                                      "revoked" if entry.get("revoked_at") else "active", entry.get("revoked_at"))
    except (KeyError, TypeError, ValueError):
        raise damaged("roster") from None
    return Roster(team, version, members, people, doc.raw)


def roster_document(session: Session, team: str) -> Document | None:
    row = session.scalars(select(TeamRosterRecord).where(TeamRosterRecord.team == team)
                          .order_by(TeamRosterRecord.version.desc())).first()
    return read_document(row.document, ROSTER) if row is not None else None


def roster_file(session: Session, team: str) -> bytes | None:
    """The newest roster file as it was signed and received."""
    row = session.scalars(select(TeamRosterRecord.document).where(TeamRosterRecord.team == team)
                          .order_by(TeamRosterRecord.version.desc())).first()
    return row.encode("utf-8") if row is not None else None


def current_roster(session: Session, team: str) -> Roster | None:
    doc = roster_document(session, team)
    ca = team_authority_cert(session, team)
    if doc is None or ca is None:
        return None
    return verify_roster(doc, ca)


def adopt_roster(session: Session, roster: Roster, document: bytes, *, actor: str, via: str) -> bool:
    """Keep ``roster`` if it is newer than the one in force: its members become the table
    used to check signatures, and each member a practitioner here (created or updated).
    False (nothing written) when it is not newer."""
    held = session.scalars(select(TeamRosterRecord.version).where(TeamRosterRecord.team == roster.team)
                           .order_by(TeamRosterRecord.version.desc())).first()
    if held is not None and held >= roster.version:
        return False
    session.info.pop(TEAM_CACHE, None)
    session.add(TeamRosterRecord(team=roster.team, version=roster.version, document=document.decode("utf-8")))
    session.execute(delete(TeamMemberRecord))
    for m in roster.members.values():
        session.add(TeamMemberRecord(key_id=m.key_id, practitioner_uuid=m.practitioner, device=m.device,
                                     purpose=m.purpose, certificate_pem=certs.cert_pem(m.certificate).decode(),
                                     status=m.status,
                                     revoked_at=dt.datetime.fromisoformat(m.revoked_at) if m.revoked_at else None))
    for person in roster.people:
        _practitioner(session, person, actor)
    revoked = sorted({m.practitioner for m in roster.members.values() if m.status == "revoked"})
    append_event(session, actor=actor, action="receive", entity_type="team-roster", entity_id=roster.team,
                 changes={"version": [held, roster.version], "revoked": [None, revoked]}, reason=via)
    return True


PRACTITIONER_FIELDS = ("name", "role", "agency")
TEAM_CACHE = "ddassess.exchange.team"


def _practitioner(session: Session, person: dict[str, Any], actor: str) -> None:
    """Create or update the practitioner a roster names, audited as any change of one is."""
    uuid = str(person["practitioner"])
    rec = session.scalars(select(PractitionerRecord).where(PractitionerRecord.uuid == uuid)).first()
    values = {k: str(person.get(k) or "")[:200] for k in PRACTITIONER_FIELDS}
    if rec is None:
        rec = PractitionerRecord(uuid=uuid, email="", phone="", **values)
        session.add(rec)
        session.flush()
        append_event(session, actor=actor, action="create", entity_type="practitioner", entity_id=uuid,
                     changes={k: [None, getattr(rec, k)] for k in (*PRACTITIONER_FIELDS, "email", "phone")},
                     reason="team roster")
        return
    changes = {k: [getattr(rec, k), v] for k, v in values.items() if getattr(rec, k) != v}
    if changes:
        for k, (_old, new) in changes.items():
            setattr(rec, k, new)
        append_event(session, actor=actor, action="update", entity_type="practitioner", entity_id=uuid,
                     changes=changes, reason="team roster")


@dataclass(frozen=True)
class TeamInForce:
    device: keys.DeviceKeys
    roster: Roster


def need_team(session: Session) -> tuple[keys.DeviceKeys, Roster]:
    """This laptop's keys and the roster in force, or a clear refusal before it joined.

    Kept for the rest of the unit of work (``session.info``): sealing a thousand envelopes
    in one transaction reads the keys and checks the roster once. Adopting a roster or
    changing keys in that session forgets it."""
    cached = session.info.get(TEAM_CACHE)
    if isinstance(cached, TeamInForce):
        return cached.device, cached.roster
    device = keys.active_keys(session)
    roster = current_roster(session, device.team) if device is not None else None
    if device is None or roster is None:
        raise TeamMembershipProblem("This laptop is not a member of a team yet.",
                                    hint="Make a request with `ddassess team request --out FILE`, give it to "
                                    "your team lead, and join with the membership file they give back.")
    session.info[TEAM_CACHE] = TeamInForce(device, roster)
    return device, roster
