"""Envelopes: one case's changes, encrypted with the case key and signed by their author.

Layout (big-endian integers)::

    "DDEV" | format u16 | header length u32 | header (canonical JSON)
           | ciphertext length u32 | AES-256-GCM ciphertext
           | signature length u16 | ECDSA P-256 / SHA-256 signature (DER)

The clear header holds routing data only: envelope id, team (the authority's
fingerprint), the case's random routing id, case key id and epoch, sender device and
practitioner, the signing key id, the recipients' encryption key ids, the nonce and the
payload's size. Never a case reference, NHS number, name or answer.

The ciphertext is AES-256-GCM under the case key with the whole clear part before it
(magic, format, header) as associated data; its plaintext is ``{"case": uuid, "id":
envelope id}`` and a newline, then the opaque payload (``encode_operations`` output). The
signature covers every byte before it, by the author's exchange signing key, so an
envelope can be forwarded by anyone and still proves who wrote it.

Opening checks, in this order, each with its own refusal (``refusals.py``): the layout
(cut short, not an envelope, a newer format, bytes after its end), the team, the signer
(in the roster, not revoked, the sender it claims), the signature, the case key (held
here: otherwise it is for someone else), the decryption, and that the case inside is the
case the key is for (an envelope replayed into another case).
"""

from __future__ import annotations

import json
import secrets
import struct
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

from ddassess.exchange import keys
from ddassess.exchange.membership import Roster
from ddassess.exchange.refusals import (
    AlreadyReceived,
    NotAnEnvelope,
    NotForYou,
    OtherCase,
    OtherTeam,
    RevokedSigner,
    Tampered,
    TooNew,
    Truncated,
    UnknownSigner,
)
from ddassess.store.records import EnvelopeRecord, WaitingEnvelopeRecord

MAGIC = b"DDEV"
FORMAT = 1
MAX_HEADER = 1 << 20


@dataclass(frozen=True)
class EnvelopeHeader:
    id: str
    team: str
    routing: str
    key: str
    epoch: int
    device: str
    sender: str
    signer: str
    recipients: tuple[str, ...]
    size: int


@dataclass(frozen=True)
class Parsed:
    header: EnvelopeHeader
    clear: bytes  # magic .. header: the associated data
    signed: bytes  # everything the signature covers
    nonce: bytes
    ciphertext: bytes
    signature: bytes


@dataclass(frozen=True)
class OpenedEnvelope:
    header: EnvelopeHeader
    case_uuid: str
    payload: bytes
    data: bytes
    duplicate: bool = False  # already kept here (received before, or made here)


def _take(data: bytes, at: int, n: int, part: str) -> bytes:
    if at + n > len(data):
        raise Truncated(f"This envelope is cut short (in its {part}).",
                        hint="Ask the sender for the file again: nothing of it was used.")
    return data[at:at + n]


def parse(data: bytes) -> Parsed:
    """The layout of an envelope, or the refusal that says what is wrong with it."""
    if len(data) < len(MAGIC):
        if data and MAGIC.startswith(data):
            raise Truncated("This envelope is cut short (in its header).",
                            hint="Ask the sender for the file again: nothing of it was used.")
        raise NotAnEnvelope("This is not a ddassess envelope.")
    if data[:4] != MAGIC:
        raise NotAnEnvelope("This is not a ddassess envelope.")
    (version,) = struct.unpack(">H", _take(data, 4, 2, "header"))
    if version > FORMAT:
        raise TooNew(f"This envelope was made by a newer version of ddassess (format {version}).",
                     hint="Install the newer ddassess, then receive it again: nothing of it was used.")
    if version != FORMAT:
        raise NotAnEnvelope("This is not a ddassess envelope (unknown format 0).")
    (hlen,) = struct.unpack(">I", _take(data, 6, 4, "header"))
    if hlen > MAX_HEADER:
        raise Tampered("This envelope was altered: its header length is impossible.")
    raw_header = _take(data, 10, hlen, "header")
    at = 10 + hlen
    clear = data[:at]
    (clen,) = struct.unpack(">I", _take(data, at, 4, "body"))
    ciphertext = _take(data, at + 4, clen, "body")
    at += 4 + clen
    signed = data[:at]
    (slen,) = struct.unpack(">H", _take(data, at, 2, "signature"))
    signature = _take(data, at + 2, slen, "signature")
    if at + 2 + slen != len(data):
        raise Tampered("This envelope was altered: there are bytes after its end.")
    header, nonce = _header(raw_header)
    return Parsed(header, clear, signed, nonce, ciphertext, signature)


def _field(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(name)
    return value


def _header(raw: bytes) -> tuple[EnvelopeHeader, bytes]:
    try:
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("header")
        recipients = _field(body, "recipients", list)
        nonce = bytes.fromhex(_field(body, "nonce", str))
        if len(nonce) != 12:
            raise ValueError("nonce")
        return EnvelopeHeader(
            id=_field(body, "id", str), team=_field(body, "team", str), routing=_field(body, "routing", str),
            key=_field(body, "key", str), epoch=_field(body, "epoch", int), device=_field(body, "device", str),
            sender=_field(body, "sender", str), signer=_field(body, "signer", str),
            recipients=tuple(str(r) for r in recipients), size=_field(body, "size", int)), nonce
    except (ValueError, KeyError, UnicodeDecodeError):
        raise Tampered("This envelope was altered: its header cannot be read.") from None


def encode(header: dict[str, Any], inner: dict[str, Any], payload: bytes, secret: bytes,
           signing: keys.ec.EllipticCurvePrivateKey) -> bytes:
    """The bytes of an envelope (low level: ``seal_envelope`` is what callers use)."""
    raw_header = keys.canonical(header)
    clear = MAGIC + struct.pack(">HI", FORMAT, len(raw_header)) + raw_header
    plaintext = keys.canonical(inner) + b"\n" + payload
    ciphertext = AESGCM(secret).encrypt(bytes.fromhex(header["nonce"]), plaintext, clear)
    signed = clear + struct.pack(">I", len(ciphertext)) + ciphertext
    signature = keys.sign(signing, signed)
    return signed + struct.pack(">H", len(signature)) + signature


def seal_envelope(session: Session, *, case_uuid: str, payload: bytes, sender: str, device_id: str,
                  recipients: Sequence[str] = ()) -> bytes:
    """Seal ``payload`` for the case with its newest key (made the first time), keep the
    envelope here (to send and to forward) and return its bytes. ``recipients``: the
    practitioner uuids of the case's care team; the header lists their encryption key ids,
    for routing only (who can read it is who holds the case key)."""
    from ddassess.exchange.membership import need_team

    device, roster = need_team(session)
    recipient_keys = tuple(m.key_id for r in recipients for m in roster.encryption_keys(r))
    key = keys.case_key(session, case_uuid, author=sender)
    envelope_id = str(uuid.uuid4())
    header = {"id": envelope_id, "team": device.team, "routing": key.routing_id, "key": key.key_id,
              "epoch": key.epoch, "device": device_id, "sender": sender, "signer": device.signing_id,
              "recipients": sorted(recipient_keys), "nonce": secrets.token_bytes(12).hex(), "size": len(payload)}
    data = encode(header, {"case": case_uuid, "id": envelope_id}, payload, key.secret, device.signing)
    session.add(EnvelopeRecord(envelope_id=envelope_id, case_uuid=case_uuid, sender=sender,
                               signer=device.signing_id, origin="local", received_from="", data=data))
    return data


def check_signer(parsed: Parsed, roster: Roster) -> None:
    """The signer is a member of this team, the signature holds, the member is not revoked.

    The signature is checked as soon as the signer's key is known, so a header altered
    anywhere (its team, its sender) is "altered", not a misleading other reason."""
    h = parsed.header
    member = roster.members.get(h.signer)
    if member is None or member.purpose != "signing":
        if h.team != roster.team:
            raise OtherTeam("This was sealed by a member of another team: this laptop cannot use it.",
                            hint="Nothing of it was used. Exchange bundles only within your own team.")
        raise UnknownSigner("This was signed by a key that is not in your team's roster.",
                            hint="Nothing of it was used. If a colleague joined recently, receive the newest "
                            "roster (from the team lead, or a bundle of theirs) and try again.")
    if not keys.verify(member.public_key, parsed.signature, parsed.signed) or member.practitioner != h.sender \
            or member.device != h.device or h.team != roster.team:
        raise Tampered("This was altered after it was sealed: its signature does not hold.",
                       hint="Nothing of it was used. Ask the sender for the file again.")
    if member.status == "revoked":
        raise RevokedSigner(f"This was signed by {roster.name_of(member.practitioner)}, whose membership of the "
                            f"team was revoked on {str(member.revoked_at)[:10]}.",
                            hint="Nothing of it was used. Ask the team lead if this is unexpected.")


def decrypt(parsed: Parsed, key: keys.CaseKey) -> tuple[str, bytes]:
    """(case uuid, payload) of a parsed envelope whose signer was checked."""
    h = parsed.header
    if key.routing_id != h.routing:
        raise OtherCase("This envelope was moved into another case: its routing does not match its key.",
                        hint="Nothing of it was used.")
    try:
        plaintext = AESGCM(key.secret).decrypt(parsed.nonce, parsed.ciphertext, parsed.clear)
    except InvalidTag:
        raise Tampered("This envelope was altered after it was sealed: it does not decrypt.",
                       hint="Nothing of it was used. Ask the sender for the file again.") from None
    inner_raw, _, payload = plaintext.partition(b"\n")
    try:
        inner = json.loads(inner_raw)
        case_uuid, inner_id = str(inner["case"]), str(inner["id"])
    except (ValueError, KeyError, TypeError):
        raise Tampered("This envelope was altered: its contents cannot be read.") from None
    if case_uuid != key.case_uuid:
        raise OtherCase("This envelope was replayed into another case: what it holds is for a different case.",
                        hint="Nothing of it was used. Tell your team lead: it was made on purpose.")
    if inner_id != h.id or len(payload) != h.size:
        raise Tampered("This envelope was altered: its contents do not match its header.")
    return case_uuid, payload


def open_parsed(session: Session, parsed: Parsed, roster: Roster,
                extra_keys: dict[str, keys.CaseKey] | None = None,
                known: set[str] | None = None) -> OpenedEnvelope | None:
    """Check and open; None when this laptop holds no key for it (someone else's case).
    ``extra_keys``: case keys by id already looked up (or just unwrapped); ``known``: the
    envelope ids already kept here, when the caller looked them up for many at once."""
    check_signer(parsed, roster)
    key = (extra_keys or {}).get(parsed.header.key)
    if key is None and extra_keys is None:
        key = keys.key_by_id(session, parsed.header.key)
    if key is None:
        return None
    case_uuid, payload = decrypt(parsed, key)
    if known is None:
        duplicate = session.scalar(select(EnvelopeRecord.id).where(EnvelopeRecord.envelope_id == parsed.header.id))
        is_duplicate = duplicate is not None
    else:
        is_duplicate = parsed.header.id in known
    return OpenedEnvelope(parsed.header, case_uuid, payload, parsed.signed + parsed_tail(parsed),
                          duplicate=is_duplicate)


def kept_ids(session: Session, envelope_ids: Sequence[str]) -> set[str]:
    """Which of these envelopes are already kept here (looked up in batches)."""
    found: set[str] = set()
    ids = list(envelope_ids)
    for i in range(0, len(ids), 500):
        found.update(session.scalars(select(EnvelopeRecord.envelope_id)
                                     .where(EnvelopeRecord.envelope_id.in_(ids[i:i + 500]))).all())
    return found


def keep_envelope(session: Session, opened: OpenedEnvelope, *, received_from: str, checked: bool = False) -> bool:
    """Keep a received envelope (to forward it); False when it was already here.
    ``checked``: the caller already knows whether it is (``opened.duplicate``)."""
    if opened.duplicate or (not checked and session.scalar(
            select(EnvelopeRecord.id).where(EnvelopeRecord.envelope_id == opened.header.id)) is not None):
        return False
    session.add(EnvelopeRecord(envelope_id=opened.header.id, case_uuid=opened.case_uuid, sender=opened.header.sender,
                               signer=opened.header.signer, origin="received", received_from=received_from,
                               data=opened.data))
    return True


def keep_waiting(session: Session, parsed: Parsed, *, received_from: str, via: str) -> bool:
    """Keep, as received (still encrypted), an envelope addressed to this laptop whose case
    key has not arrived yet; it is opened when the key comes. False when already kept."""
    h = parsed.header
    if session.scalar(select(WaitingEnvelopeRecord.id).where(WaitingEnvelopeRecord.envelope_id == h.id)) is not None:
        return False
    session.add(WaitingEnvelopeRecord(envelope_id=h.id, key_id=h.key, received_from=received_from, via=via,
                                      data=parsed.signed + parsed_tail(parsed)))
    return True


def addressed_to(parsed: Parsed, key_ids: Iterable[str]) -> bool:
    """Whether one of these encryption keys (this laptop's) is among the envelope's recipients."""
    return bool(set(parsed.header.recipients) & set(key_ids))


def parsed_tail(parsed: Parsed) -> bytes:
    return struct.pack(">H", len(parsed.signature)) + parsed.signature


def open_envelope(session: Session, data: bytes) -> tuple[EnvelopeHeader, bytes]:
    """Check and open one envelope with this laptop's roster and case keys (nothing is
    written): (header, payload). Every problem is its own refusal; one already received
    here is ``AlreadyReceived``."""
    from ddassess.exchange.membership import need_team

    _device, roster = need_team(session)
    parsed = parse(data)
    opened = open_parsed(session, parsed, roster)
    if opened is None:
        raise NotForYou("This envelope is for someone else: this laptop holds no key for it, so it cannot "
                        "be read.", hint="Nothing of it was used. Only the case's care team can read it.")
    if opened.duplicate:
        raise AlreadyReceived("This envelope was received before: there is nothing new in it.")
    return opened.header, opened.payload
