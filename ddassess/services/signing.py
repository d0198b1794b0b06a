"""Signing identities kept in the store: the team authority, practitioners' keys, trust.

Keys are stored encrypted (PKCS#8) under a passphrase of their own — the team lead's for
the team authority, each practitioner's signing passphrase for theirs — inside the
encrypted store. Every change writes an audit event; no secret ever goes into one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from ddassess.domain.limits import MAX_TEAM_NAME, check_text
from ddassess.errors import InvalidInputError, NoSigningCertificateError, RecordNotFound
from ddassess.keys import check_new_passphrase
from ddassess.pdf import certs
from ddassess.store import Store
from ddassess.store.audit import append_event
from ddassess.store.records import PractitionerRecord, SigningAuthorityRecord, SigningIdentityRecord

if TYPE_CHECKING:
    from ddassess.pdf.plan_verdict import PlanCheck


def _practitioner(session: Session, store: Store, practitioner_uuid: str | None) -> PractitionerRecord:
    uuid = practitioner_uuid or store.owner_uuid
    p: PractitionerRecord | None = session.scalars(
        select(PractitionerRecord).where(PractitionerRecord.uuid == uuid)).first()
    if p is None:
        raise RecordNotFound("That practitioner is not in this store.")
    return p


def create_team_authority(store: Store, team_name: str, ca_passphrase: str) -> str:
    """Make the team's certificate authority; returns its fingerprint."""
    check_text(team_name, "The team's name", MAX_TEAM_NAME)
    check_new_passphrase(ca_passphrase)
    with store.read() as s:
        if s.scalars(select(SigningAuthorityRecord).where(SigningAuthorityRecord.key_pem.is_not(None))).first():
            raise InvalidInputError("This store already has a team authority: issue certificates from it.")
    ca = certs.new_team_ca(team_name)
    record = SigningAuthorityRecord(name=team_name.strip(), certificate_pem=certs.cert_pem(ca.certificate).decode(),
                                    fingerprint=certs.fingerprint(ca.certificate),
                                    key_pem=certs.encrypt_private_key(ca.key, ca_passphrase).decode())
    with store.write() as s:
        s.add(record)
        s.flush()
        append_event(s, actor=store.owner_uuid, action="create", entity_type="signing-authority",
                     entity_id=record.fingerprint, changes={"name": [None, record.name]})
    return record.fingerprint


def trust_authority(store: Store, pem: bytes, name: str = "") -> str:
    """Trust an organisation's root certificate (its key stays with the organisation)."""
    cert = certs.load_cert_pem(pem)
    fp = certs.fingerprint(cert)
    with store.write() as s:
        if s.scalars(select(SigningAuthorityRecord).where(SigningAuthorityRecord.fingerprint == fp)).first():
            return fp
        s.add(SigningAuthorityRecord(name=name or certs.common_name(cert), certificate_pem=pem.decode("ascii"),
                                     fingerprint=fp, key_pem=None))
        append_event(s, actor=store.owner_uuid, action="create", entity_type="signing-authority", entity_id=fp,
                     changes={"name": [None, name or certs.common_name(cert)]}, reason="imported root")
    return fp


def trusted_roots(store: Store) -> list[x509.Certificate]:
    with store.read() as s:
        pems = s.scalars(select(SigningAuthorityRecord.certificate_pem)).all()
    return [certs.load_cert_pem(p.encode("ascii")) for p in pems]


def team_authority(store: Store, ca_passphrase: str) -> certs.Identity:
    """The team authority's identity (key and certificate) held in the team lead's store,
    opened with its passphrase; the team lead only."""
    with store.read() as s:
        rec = s.scalars(select(SigningAuthorityRecord).where(SigningAuthorityRecord.key_pem.is_not(None))).first()
    if rec is None or rec.key_pem is None:
        raise NoSigningCertificateError("This store has no team authority yet: the team lead creates one first.")
    cert = certs.load_cert_pem(rec.certificate_pem.encode("ascii"))
    return certs.Identity(certs.decrypt_private_key(rec.key_pem.encode("ascii"), ca_passphrase), cert, (cert,))


def _save_identity(store: Store, identity: certs.Identity, source: str, signing_passphrase: str,
                   practitioner_uuid: str | None) -> str:
    check_new_passphrase(signing_passphrase)
    fp = certs.fingerprint(identity.certificate)
    chain = b"".join(certs.cert_pem(c) for c in identity.chain).decode("ascii")
    with store.write() as s:
        p = _practitioner(s, store, practitioner_uuid)
        if s.scalars(select(SigningIdentityRecord).where(SigningIdentityRecord.fingerprint == fp)).first():
            raise InvalidInputError("This certificate is already in the store.")
        s.add(SigningIdentityRecord(
            practitioner_id=p.id, source=source, certificate_pem=certs.cert_pem(identity.certificate).decode(),
            chain_pem=chain, key_pem=certs.encrypt_private_key(identity.key, signing_passphrase).decode(),
            fingerprint=fp, not_after=identity.certificate.not_valid_after_utc))
        append_event(s, actor=store.owner_uuid, action="create", entity_type="signing-identity", entity_id=fp,
                     changes={"practitioner": [None, p.uuid], "source": [None, source],
                              "subject": [None, identity.common_name]})
    return fp


def issue_identity(store: Store, ca_passphrase: str, signing_passphrase: str,
                   practitioner_uuid: str | None = None) -> str:
    """A certificate from the team authority for a practitioner (the owner by default)."""
    ca = team_authority(store, ca_passphrase)
    with store.read() as s:
        p = _practitioner(s, store, practitioner_uuid)
        name, role, agency = p.name, p.role, p.agency
    identity = certs.issue_certificate(ca, name, role=role, agency=agency)
    return _save_identity(store, identity, "team-ca", signing_passphrase, practitioner_uuid)


def import_identity(store: Store, p12: bytes, p12_password: str, signing_passphrase: str,
                    practitioner_uuid: str | None = None) -> str:
    identity = certs.import_pkcs12(p12, p12_password)
    problem = certs.certificate_problem(identity.certificate)
    if problem:
        raise InvalidInputError(problem)
    return _save_identity(store, identity, "pkcs12", signing_passphrase, practitioner_uuid)


def has_signing_certificate(store: Store, practitioner_uuid: str | None = None) -> bool:
    """True when the practitioner (the owner by default) has a signing certificate in the
    store: asked before a signing passphrase is, so nobody types one for nothing."""
    with store.read() as s:
        p = _practitioner(s, store, practitioner_uuid)
        return s.scalars(select(SigningIdentityRecord.id)
                         .where(SigningIdentityRecord.practitioner_id == p.id)).first() is not None


def load_identity(store: Store, signing_passphrase: str, practitioner_uuid: str | None = None) -> certs.Identity:
    """The practitioner's newest signing identity, decrypted for one signing."""
    with store.read() as s:
        p = _practitioner(s, store, practitioner_uuid)
        rec = s.scalars(select(SigningIdentityRecord).where(SigningIdentityRecord.practitioner_id == p.id)
                        .order_by(SigningIdentityRecord.not_after.desc())).first()
    if rec is None:
        raise NoSigningCertificateError("You have no signing certificate yet: ask the team lead to issue one, "
                                        "or import your organisation's .p12 file.")
    cert = certs.load_cert_pem(rec.certificate_pem.encode("ascii"))
    chain = tuple(x509.load_pem_x509_certificates(rec.chain_pem.encode("ascii"))) if rec.chain_pem else ()
    key = certs.decrypt_private_key(rec.key_pem.encode("ascii"), signing_passphrase)
    return certs.Identity(key, cert, chain)


def verify_file(path: Path, roots: list[x509.Certificate]) -> PlanCheck:
    """Every signature of the PDF at ``path``, and the plan's signature blocks; a clear
    message when the file cannot be read."""
    from ddassess.pdf.verification import check_plan

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"{path} cannot be read ({exc.strerror or exc.__class__.__name__}).") from None
    return check_plan(data, roots)
