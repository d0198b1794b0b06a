"""This laptop's exchange keys, case keys, and HPKE wrapping of case keys (RFC 9180).

Every laptop (store) has two key pairs of its own, both EC P-256, both certified by the
team authority once the team lead admits it (``membership.py``):

- a **signing key** (ECDSA with SHA-256) that signs what leaves the laptop: envelopes, key
  wraps, bundle manifests and requests. Its certificate has digitalSignature only and the
  ddassess exchange purpose, so it can never sign a care plan. It is a separate key from
  the practitioner's care plan signing key on purpose: a signature on a care plan is a
  person's act and needs their signing passphrase each time; sending changes happens many
  times a day, and what it proves is only "this came from that member's laptop". Keeping
  it unencrypted *inside* the encrypted store costs nothing: whoever can unlock the store
  can already read every case in it. Revoking the laptop revokes this key.
- an **encryption key** for HPKE key agreement (certificate: keyAgreement only).

A **case key** is 32 random bytes per case and epoch; the case also has a random routing
id (16 random bytes, never its reference, NHS number or name). A key is named by its own
random key id, so two laptops that rotate one case at the same time make two keys of the
same epoch and both stay usable. A case key travels only wrapped for a member's
encryption key with HPKE base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM;
the HPKE ``info`` binds the team, sender, recipient key, routing id, epoch and key id, so
a wrap lifted into another context does not open.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ddassess.store.records import CaseKeyRecord, ExchangeKeyRecord

HPKE_SUITE = Suite(KEM.P256, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
WRAP_INFO_LABEL = b"ddassess case key wrap v1\n"


def canonical(value: Any) -> bytes:
    """The one JSON encoding signed and compared: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def new_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_der(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: ec.EllipticCurvePublicKey) -> str:
    """A public key's id: SHA-256 of its SubjectPublicKeyInfo, hex."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(public_der(key))
    return digest.finalize().hex()


def private_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def load_private(pem: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError("an exchange key is an EC key")
    return key


def load_public_der(data: bytes) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(data)
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("not an EC P-256 public key")
    return key


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def verify(key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


# --- this laptop's own keys ---------------------------------------------------------------


@dataclass(frozen=True)
class DeviceKeys:
    """This laptop's active signing and encryption keys, with their certificates' ids."""

    signing: ec.EllipticCurvePrivateKey
    signing_id: str
    encryption: ec.EllipticCurvePrivateKey
    encryption_id: str
    team: str


def active_keys(session: Session) -> DeviceKeys | None:
    """The newest active pair (None before this laptop is admitted to a team)."""
    rows = session.scalars(select(ExchangeKeyRecord).where(ExchangeKeyRecord.status == "active")
                           .order_by(ExchangeKeyRecord.id.desc())).all()
    sig = next((r for r in rows if r.purpose == "signing"), None)
    enc = next((r for r in rows if r.purpose == "encryption"), None)
    if sig is None or enc is None:
        return None
    return DeviceKeys(load_private(sig.key_pem), sig.key_id, load_private(enc.key_pem), enc.key_id, sig.team)


def encryption_private_keys(session: Session) -> dict[str, ec.EllipticCurvePrivateKey]:
    """Every encryption key this laptop ever had a certificate for (old wraps still open)."""
    rows = session.scalars(select(ExchangeKeyRecord).where(ExchangeKeyRecord.purpose == "encryption",
                                                           ExchangeKeyRecord.status != "pending")).all()
    return {r.key_id: load_private(r.key_pem) for r in rows}


# --- case keys ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseKey:
    case_uuid: str
    routing_id: str
    epoch: int
    key_id: str
    secret: bytes


def _case_key(row: CaseKeyRecord) -> CaseKey:
    return CaseKey(row.case_uuid, row.routing_id, row.epoch, row.key_id, bytes.fromhex(row.secret))


NEW_KEYS = "ddassess.exchange.new_case_keys"


def case_key(session: Session, case_uuid: str, *, author: str = "") -> CaseKey:
    """The case's newest key, made (epoch 1, new routing id) the first time it is asked for.

    Keys made in this unit of work are remembered in ``session.info``, so sealing many
    cases in one transaction does not flush and query for each."""
    made: dict[str, CaseKey] = session.info.setdefault(NEW_KEYS, {})
    if case_uuid in made:
        return made[case_uuid]
    with session.no_autoflush:
        row = session.scalars(select(CaseKeyRecord).where(CaseKeyRecord.case_uuid == case_uuid)
                              .order_by(CaseKeyRecord.epoch.desc(), CaseKeyRecord.id.desc())).first()
    if row is not None:
        return _case_key(row)
    return _new_key(session, case_uuid, secrets.token_hex(16), 1, author)


def rotate_case_key(session: Session, case_uuid: str, *, author: str = "") -> CaseKey:
    """A new key for what follows (a member was removed): the next epoch, same routing id."""
    current = case_key(session, case_uuid, author=author)
    return _new_key(session, case_uuid, current.routing_id, current.epoch + 1, author)


def _new_key(session: Session, case_uuid: str, routing_id: str, epoch: int, author: str) -> CaseKey:
    key = CaseKey(case_uuid, routing_id, epoch, secrets.token_hex(16), secrets.token_bytes(32))
    session.add(CaseKeyRecord(key_id=key.key_id, case_uuid=case_uuid, routing_id=routing_id, epoch=epoch,
                              secret=key.secret.hex(), created_by=author))
    session.info.setdefault(NEW_KEYS, {})[case_uuid] = key
    return key


def case_keys(session: Session, case_uuid: str) -> list[CaseKey]:
    rows = session.scalars(select(CaseKeyRecord).where(CaseKeyRecord.case_uuid == case_uuid)
                           .order_by(CaseKeyRecord.epoch, CaseKeyRecord.id)).all()
    return [_case_key(r) for r in rows]


def key_by_id(session: Session, kid: str) -> CaseKey | None:
    row = session.scalars(select(CaseKeyRecord).where(CaseKeyRecord.key_id == kid)).first()
    return _case_key(row) if row is not None else None


def keys_by_id(session: Session, key_ids: list[str]) -> dict[str, CaseKey]:
    """The case keys held here among these ids (looked up in batches)."""
    out: dict[str, CaseKey] = {}
    for i in range(0, len(key_ids), 500):
        for row in session.scalars(select(CaseKeyRecord).where(CaseKeyRecord.key_id.in_(key_ids[i:i + 500]))).all():
            out[row.key_id] = _case_key(row)
    return out


def keys_of_cases(session: Session, case_uuids: list[str]) -> dict[str, list[CaseKey]]:
    """Every key of these cases, by case, oldest epoch first (looked up in batches)."""
    out: dict[str, list[CaseKey]] = {c: [] for c in case_uuids}
    for i in range(0, len(case_uuids), 500):
        rows = session.scalars(select(CaseKeyRecord).where(CaseKeyRecord.case_uuid.in_(case_uuids[i:i + 500]))
                               .order_by(CaseKeyRecord.epoch, CaseKeyRecord.id)).all()
        for row in rows:
            out[row.case_uuid].append(_case_key(row))
    return out


def keep_case_key(session: Session, key: CaseKey, author: str, *, checked: bool = False) -> bool:
    """Keep a received case key; False when it was already here (``checked``: the caller
    already looked, as ``open_bundle`` does for all of a bundle's keys at once)."""
    if not checked and session.scalar(select(func.count()).select_from(CaseKeyRecord)
                                      .where(CaseKeyRecord.key_id == key.key_id)):
        return False
    session.add(CaseKeyRecord(**_case_key_row(key, author)))
    return True


def _case_key_row(key: CaseKey, author: str) -> dict[str, Any]:
    return {"key_id": key.key_id, "case_uuid": key.case_uuid, "routing_id": key.routing_id, "epoch": key.epoch,
            "secret": key.secret.hex(), "created_by": author}


def keep_new_case_keys(session: Session, found: Sequence[CaseKey], author: str) -> int:
    """``keep_case_key`` for keys the caller checked are not here yet (``open_bundle`` does),
    in one statement: a bundle brings a key per case."""
    if found:
        session.execute(insert(CaseKeyRecord), [_case_key_row(k, author) for k in found])
    return len(found)


# --- HPKE wraps ---------------------------------------------------------------------------


def wrap_info(context: dict[str, Any]) -> bytes:
    """The HPKE info of a wrap: what it is bound to (team, sender, recipient, case, epoch)."""
    return WRAP_INFO_LABEL + canonical(context)


def wrap_case_key(key: CaseKey, recipient: ec.EllipticCurvePublicKey, context: dict[str, Any]) -> bytes:
    plaintext = canonical({"case": key.case_uuid, "secret": key.secret.hex()})
    return HPKE_SUITE.encrypt(plaintext, recipient, info=wrap_info(context))


def unwrap_case_key(sealed: bytes, private: ec.EllipticCurvePrivateKey, context: dict[str, Any]) -> CaseKey | None:
    """The case key in a wrap, or None when it does not open with this key and context."""
    try:
        plaintext = HPKE_SUITE.decrypt(sealed, private, info=wrap_info(context))
        body = json.loads(plaintext)
        secret = bytes.fromhex(body["secret"])
        case_uuid = str(body["case"])
    except (InvalidTag, ValueError, KeyError, TypeError):
        return None
    if len(secret) != 32:
        return None
    return CaseKey(case_uuid, str(context["routing"]), int(context["epoch"]), str(context["key"]), secret)
