"""Bundle files: envelopes, case key wraps, the roster and a signed manifest, in one file.

Layout (big-endian integers)::

    "DDBN" | format u16 | section* | manifest section | signature section

    section = kind (1 byte) | length u32 | bytes
    kinds   = R roster file, W case key wrap, E envelope, M manifest (JSON), S signature

The manifest names the bundle, team, sender (practitioner, device, signing key), the
recipients (practitioner ids and encryption key ids) and the SHA-256 of every section
before it, in order; the signature, by the sender's exchange signing key, covers every
byte before it. A wrap is ``{"ctx": {...}, "sealed": BASE64}``: a case key sealed with
HPKE for one recipient key, ``ctx`` being exactly the HPKE info (team, sender, recipient
key, routing id, epoch, key id). Nothing in clear names a case, a person or an answer:
envelopes carry only their routing header, wraps only ids.

A bundle is read completely and every part checked before anything is kept
(``open_bundle`` writes nothing; ``keep_bundle`` keeps what it brought inside the
caller's transaction, beside applying the operations): a bundle cut short, altered, of
another team, for someone else, signed by an unknown or revoked member, holding a
section twice, or of a newer format is refused whole. Envelopes of cases this laptop
holds no key for (a team bundle carries every member's cases) are skipped and counted, unless
they are addressed to this laptop: those wait, kept as received, for their case key (which
comes in a later bundle or from the team server) and are applied when it arrives. An
envelope signed by a member whose membership was revoked (forwarded by a colleague who had
not heard of the revocation yet) is refused on its own, with the reason (``refused``); the
rest of the bundle is received.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import json
import struct
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ddassess.exchange import envelope, keys, membership
from ddassess.exchange.refusals import (
    DuplicateInBundle,
    NotAnEnvelope,
    NotForYou,
    RevokedSigner,
    Tampered,
    TeamFileError,
    TeamMembershipProblem,
    TooNew,
    Truncated,
)
from ddassess.store.audit import append_event
from ddassess.store.records import EnvelopeDeliveryRecord, EnvelopeRecord

MAGIC = b"DDBN"
FORMAT = 1
ROSTER, WRAP, ENVELOPE, MANIFEST, SIGNATURE = b"R", b"W", b"E", b"M", b"S"
KINDS = {ROSTER, WRAP, ENVELOPE, MANIFEST, SIGNATURE}
MAX_BUNDLE = 512 * 1024 * 1024


def _section(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack(">I", len(data)) + data


@dataclass
class BundleSummary:
    bundle_id: str
    recipients: list[str]
    cases: int = 0
    envelopes: int = 0
    wraps: int = 0


def _deliverable(roster: membership.Roster, rec: EnvelopeRecord) -> bool:
    """An envelope may travel on while its author's key is in the roster, not revoked."""
    m = roster.members.get(rec.signer)
    return m is not None and m.status == "active"


def write_bundle(session: Session, *, sender: str, device_id: str, recipients: Sequence[str],
                 cases: Mapping[str, Sequence[str]], only_waiting: bool = False) -> tuple[bytes, BundleSummary]:
    """A bundle for ``recipients`` (practitioner uuids): for each case in ``cases`` (case
    uuid → the practitioners who may receive it, its care team), every kept envelope of the
    case (or only those not yet sent to one of them, ``only_waiting``) and every key of the
    case wrapped for each recipient who may receive it; the roster in force; the manifest.
    Records what was sent to whom. Refuses a recipient who is not an active member."""
    device, roster = membership.need_team(session)
    for r in recipients:
        if not roster.encryption_keys(r):
            raise TeamMembershipProblem(f"{roster.name_of(r)} is not an active member of the team: no bundle can be "
                                        "made for them.", hint="The team lead admits them first.")
    roster_file = membership.roster_file(session, roster.team)
    assert roster_file is not None
    sections = [_section(ROSTER, roster_file)]
    summary = BundleSummary(str(uuid.uuid4()), sorted(set(recipients)))
    deliveries: list[tuple[str, str]] = []
    wanted = sorted(c for c in cases if set(cases[c]) & set(recipients) - {sender})
    case_keys_by_case = keys.keys_of_cases(session, wanted)
    records_by_case: dict[str, list[EnvelopeRecord]] = {c: [] for c in wanted}
    for i in range(0, len(wanted), 500):
        for rec in session.scalars(select(EnvelopeRecord).where(EnvelopeRecord.case_uuid.in_(wanted[i:i + 500]))
                                   .order_by(EnvelopeRecord.id)).all():
            records_by_case[rec.case_uuid].append(rec)
    sent: dict[str, set[str]] = {}
    if only_waiting:
        for r in recipients:
            sent[r] = set(session.scalars(select(EnvelopeDeliveryRecord.envelope_id)
                                          .where(EnvelopeDeliveryRecord.recipient == r)).all())
    for case_uuid in wanted:
        audience = sorted(set(cases[case_uuid]) & set(recipients) - {sender})
        case_keys = case_keys_by_case[case_uuid]
        if not case_keys:
            continue
        chosen = [rec for rec in records_by_case[case_uuid] if _deliverable(roster, rec)
                  and (not only_waiting or any(rec.envelope_id not in sent[r] for r in audience))]
        for r in audience:
            for member in roster.encryption_keys(r):
                for k in case_keys:
                    ctx = {"team": roster.team, "sender": sender, "device": device_id, "recipient": member.key_id,
                           "routing": k.routing_id, "epoch": k.epoch, "key": k.key_id}
                    sealed = keys.wrap_case_key(k, member.public_key, ctx)
                    sections.append(_section(WRAP, keys.canonical(
                        {"ctx": ctx, "sealed": base64.b64encode(sealed).decode("ascii")})))
                    summary.wraps += 1
        for rec in chosen:
            sections.append(_section(ENVELOPE, rec.data))
            deliveries += [(rec.envelope_id, r) for r in audience]
        summary.cases += 1
        summary.envelopes += len(chosen)
    recipient_keys = sorted(m.key_id for r in recipients for m in roster.encryption_keys(r))
    manifest = {"id": summary.bundle_id, "team": roster.team, "sender": sender, "device": device_id,
                "signer": device.signing_id, "recipients": summary.recipients, "recipient_keys": recipient_keys,
                "sections": [[s[:1].decode("ascii"), hashlib.sha256(s[5:]).hexdigest()] for s in sections],
                "made_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    body = MAGIC + struct.pack(">H", FORMAT) + b"".join(sections) + _section(MANIFEST, keys.canonical(manifest))
    data = body + _section(SIGNATURE, keys.sign(device.signing, body))
    pairs = set(deliveries)
    for r in recipients:
        if r in sent:
            pairs = {(e, who) for e, who in pairs if who != r or e not in sent[r]}
        else:
            mine = [e for e, who in pairs if who == r]
            already: set[str] = set()
            for i in range(0, len(mine), 500):
                already.update(session.scalars(select(EnvelopeDeliveryRecord.envelope_id).where(
                    EnvelopeDeliveryRecord.recipient == r,
                    EnvelopeDeliveryRecord.envelope_id.in_(mine[i:i + 500]))).all())
            pairs = {(e, who) for e, who in pairs if who != r or e not in already}
    session.add_all(EnvelopeDeliveryRecord(envelope_id=e, recipient=r) for e, r in sorted(pairs))
    append_event(session, actor=sender, action="send", entity_type="bundle", entity_id=summary.bundle_id,
                 changes={"recipients": [None, summary.recipients], "envelopes": [None, summary.envelopes],
                          "cases": [None, summary.cases]})
    return data, summary


def waiting(session: Session, cases: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """For each practitioner, how many kept envelopes of their cases were never sent to them."""
    out: dict[str, int] = {}
    for case_uuid, audience in cases.items():
        ids = session.scalars(select(EnvelopeRecord.envelope_id).where(EnvelopeRecord.case_uuid == case_uuid)).all()
        for r in audience:
            sent = set(session.scalars(select(EnvelopeDeliveryRecord.envelope_id).where(
                EnvelopeDeliveryRecord.recipient == r, EnvelopeDeliveryRecord.envelope_id.in_(ids))).all())
            out[r] = out.get(r, 0) + len(set(ids) - sent)
    return out


# --- reading ------------------------------------------------------------------------------


def _cut(part: str) -> Truncated:
    return Truncated(f"This bundle is cut short (in its {part}).",
                     hint="Nothing was changed. Ask the sender for the file again (it may not have been "
                     "copied completely).")


def _sections(data: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The sections and the bytes the signature covers."""
    if len(data) < 4:
        if data and MAGIC.startswith(data):
            raise _cut("header")
        raise NotAnEnvelope("This is not a ddassess bundle file.", hint="Choose the bundle file you were sent.")
    if data[:4] != MAGIC:
        raise NotAnEnvelope("This is not a ddassess bundle file.", hint="Choose the bundle file you were sent.")
    if len(data) < 6:
        raise _cut("header")
    (version,) = struct.unpack(">H", data[4:6])
    if version > FORMAT:
        raise TooNew(f"This bundle was made by a newer version of ddassess (format {version}).",
                     hint="Nothing was changed. Install the newer ddassess, then receive it again.")
    if version != FORMAT:
        raise NotAnEnvelope("This is not a ddassess bundle file (unknown format 0).")
    at, out, signed_end = 6, [], -1
    while at < len(data):
        if at + 5 > len(data):
            raise _cut("sections")
        kind = data[at:at + 1]
        (n,) = struct.unpack(">I", data[at + 1:at + 5])
        if kind not in KINDS:
            raise Tampered("This bundle was altered: it holds a part of an unknown kind.",
                           hint="Nothing was changed. Ask the sender for the file again.")
        if at + 5 + n > len(data):
            raise _cut({MANIFEST: "manifest", SIGNATURE: "signature"}.get(kind, "sections"))
        if kind == SIGNATURE:
            signed_end = at
        out.append((kind, data[at + 5:at + 5 + n]))
        at += 5 + n
        if kind == SIGNATURE:
            break
    if at != len(data):
        raise Tampered("This bundle was altered: there are bytes after its end.",
                       hint="Nothing was changed. Ask the sender for the file again.")
    if len(out) < 2 or out[-1][0] != SIGNATURE or out[-2][0] != MANIFEST:
        if any(k in (MANIFEST, SIGNATURE) for k, _ in out[:-1]) or (out and out[-1][0] == SIGNATURE):
            raise Tampered("This bundle was altered: its manifest is not where it belongs.",
                           hint="Nothing was changed. Ask the sender for the file again.")
        raise _cut("manifest" if not out or out[-1][0] != MANIFEST else "signature")
    if any(k in (MANIFEST, SIGNATURE) for k, _ in out[:-2]):
        raise Tampered("This bundle was altered: it has more than one manifest.",
                       hint="Nothing was changed. Ask the sender for the file again.")
    return out, data[:signed_end]


@dataclass
class OpenedBundle:
    """Everything a bundle brought, checked; nothing of it written yet."""

    bundle_id: str
    sender: str
    sender_name: str
    device: str
    made_at: str
    roster: membership.Roster | None  # newer than the one in force here, to adopt
    roster_file: bytes
    new_keys: list[keys.CaseKey]
    envelopes: list[envelope.OpenedEnvelope]
    skipped: int = 0  # envelopes of cases this laptop has no key for
    cases: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)  # envelope id -> why (its author's membership revoked)
    unread: list[envelope.Parsed] = field(default_factory=list)  # addressed here, their case key not here yet

    @property
    def duplicates(self) -> int:
        return sum(1 for e in self.envelopes if e.duplicate)


def _manifest(raw: bytes) -> dict[str, Any]:
    try:
        m = json.loads(raw)
        if not isinstance(m, dict):
            raise ValueError("manifest")
        for name in ("id", "team", "sender", "device", "signer", "made_at"):
            if not isinstance(m[name], str):
                raise ValueError(name)
        if not isinstance(m["recipients"], list) or not isinstance(m["sections"], list):
            raise ValueError("lists")
        return m
    except (ValueError, KeyError, UnicodeDecodeError):
        raise Tampered("This bundle was altered: its manifest cannot be read.",
                       hint="Nothing was changed. Ask the sender for the file again.") from None


def open_bundle(session: Session, data: bytes, *, me: str) -> OpenedBundle:
    """Read and check a whole bundle addressed to practitioner ``me``; writes nothing."""
    sections, signed = _sections(data)
    manifest = _manifest(sections[-2][1])
    body = sections[:-2]
    listed = [[kind.decode("ascii"), hashlib.sha256(raw).hexdigest()] for kind, raw in body]
    digests = [d for _, d in listed]
    if len(set(digests)) != len(digests):
        raise DuplicateInBundle("This bundle holds the same part twice: it was altered or badly made.",
                                hint="Nothing was changed. Ask the sender for a new bundle.")
    if manifest["sections"] != listed:
        raise Tampered("This bundle was altered: its parts are not those its manifest lists.",
                       hint="Nothing was changed. Ask the sender for the file again.")
    _device, held = membership.need_team(session)
    ca = membership.team_authority_cert(session, held.team)
    assert ca is not None
    roster, newer, roster_file, roster_problem = held, None, b"", False
    for kind, raw in body:
        if kind == ROSTER:
            try:
                theirs = membership.verify_roster(membership.read_document(raw, membership.ROSTER), ca)
            except TeamFileError:
                roster_problem = True  # judged once the sender is known: another team, or altered
                continue
            if theirs.version > roster.version:
                roster, newer, roster_file = theirs, theirs, raw
    signer = roster.members.get(manifest["signer"])
    fake = envelope.Parsed(envelope.EnvelopeHeader(manifest["id"], manifest["team"], "", "", 0, manifest["device"],
                                                   manifest["sender"], manifest["signer"], (), 0),
                           b"", signed, b"", b"", sections[-1][1])
    envelope.check_signer(fake, roster)  # another team / unknown / altered / revoked: refused like an envelope
    del fake, signed  # a copy of the whole bundle: not held while the envelopes are opened
    assert signer is not None
    if roster_problem:
        raise Tampered("This bundle was altered: the roster in it does not hold.",
                       hint="Nothing was changed. Ask the sender for the file again.")
    if me not in manifest["recipients"]:
        raise NotForYou(f"This bundle is for {', '.join(roster.name_of(r) for r in manifest['recipients']) or 'nobody'}"
                        ", not for you: it cannot be read here.",
                        hint="Nothing was changed. Ask the sender to make a bundle for you.")
    mine = keys.encryption_private_keys(session)
    new_keys: dict[str, keys.CaseKey] = {}
    for kind, raw in body:
        if kind != WRAP:
            continue
        try:
            wrap = json.loads(raw)
            ctx, sealed = dict(wrap["ctx"]), base64.b64decode(wrap["sealed"], validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise Tampered("This bundle was altered: a key in it cannot be read.",
                           hint="Nothing was changed. Ask the sender for the file again.") from None
        if ctx.get("team") != held.team or ctx.get("sender") != manifest["sender"]:
            raise Tampered("This bundle was altered: a key in it names another sender or team.",
                           hint="Nothing was changed. Ask the sender for the file again.")
        private = mine.get(str(ctx.get("recipient")))
        if private is None:
            continue  # a key for another recipient of a team bundle
        key = keys.unwrap_case_key(sealed, private, ctx)
        if key is None:
            raise Tampered("This bundle was altered: a case key in it does not open.",
                           hint="Nothing was changed. Ask the sender for the file again.")
        if new_keys.get(key.key_id, key) != key:
            raise Tampered("This bundle holds two case keys of the same id that disagree.",
                           hint="Nothing was changed. Tell your team lead.")
        new_keys[key.key_id] = key
    for known in keys.keys_by_id(session, sorted(new_keys)).values():
        if known != new_keys[known.key_id]:
            raise Tampered("This bundle holds a case key that disagrees with the one kept here.",
                           hint="Nothing was changed. Tell your team lead.")
        del new_keys[known.key_id]
    # Each envelope is parsed again when it is opened, so that only one parsed copy is held at
    # a time (a bundle of a thousand cases is tens of megabytes); an opened one keeps the
    # bytes of its section (the same bytes) rather than a new copy.
    raws = [raw for kind, raw in body if kind == ENVELOPE]
    headers = [envelope.parse(raw).header for raw in raws]
    ids = [h.id for h in headers]
    if len(set(ids)) != len(ids):
        raise DuplicateInBundle("This bundle holds two different envelopes with the same id: it was altered or "
                                "badly made.", hint="Nothing was changed. Ask the sender for a new bundle.")
    usable = keys.keys_by_id(session, sorted({h.key for h in headers} - set(new_keys)))
    usable.update(new_keys)
    kept = envelope.kept_ids(session, ids)
    opened: list[envelope.OpenedEnvelope] = []
    skipped = 0
    unread: list[envelope.Parsed] = []
    refused: dict[str, str] = {}
    for raw in raws:
        p = envelope.parse(raw)
        try:
            env = envelope.open_parsed(session, p, roster, usable, kept)
        except RevokedSigner:  # forwarded by a member who had not heard of the revocation yet
            if p.header.key not in usable:
                skipped += 1
            elif p.header.id not in kept:
                member = roster.members[p.header.signer]
                refused[p.header.id] = (f"changes by {roster.name_of(member.practitioner)} were refused: their "
                                        f"membership of the team was revoked on {str(member.revoked_at)[:10]}")
            continue
        if env is None:
            if envelope.addressed_to(p, mine) and p.header.id not in kept:
                unread.append(p)  # its case key has not arrived yet: kept until it does
            else:
                skipped += 1
        else:
            opened.append(dataclasses.replace(env, data=raw))
    return OpenedBundle(manifest["id"], manifest["sender"], roster.name_of(manifest["sender"]), manifest["device"],
                        manifest["made_at"], newer, roster_file, list(new_keys.values()), opened, skipped,
                        {e.case_uuid for e in opened}, refused, unread)


def keep_bundle(session: Session, opened: OpenedBundle, *, actor: str) -> dict[str, int]:
    """Keep what a checked bundle brought (newer roster, case keys, envelopes), inside the
    caller's transaction, with one audit event; counts of what was new."""
    adopted = False
    if opened.roster is not None:
        adopted = membership.adopt_roster(session, opened.roster, opened.roster_file, actor=actor,
                                          via=f"bundle from {opened.sender_name}")
    new_keys = keys.keep_new_case_keys(session, opened.new_keys, opened.sender)
    # ``envelope.keep_envelope`` for each new one, in one statement (a bundle brings thousands).
    rows = [{"envelope_id": e.header.id, "case_uuid": e.case_uuid, "sender": e.header.sender,
             "signer": e.header.signer, "origin": "received", "received_from": opened.sender, "data": e.data}
            for e in opened.envelopes if not e.duplicate]
    waiting = sum(envelope.keep_waiting(session, p, received_from=opened.sender, via=f"bundle {opened.bundle_id[:8]}")
                  for p in opened.unread)
    session.flush()
    if rows:
        session.execute(insert(EnvelopeRecord), rows)
    new_envelopes = len(rows)
    append_event(session, actor=actor, action="receive", entity_type="bundle", entity_id=opened.bundle_id,
                 changes={"from": [None, opened.sender], "envelopes": [None, new_envelopes],
                          "duplicates": [None, opened.duplicates], "keys": [None, new_keys],
                          "roster": [None, adopted], "waiting": [None, waiting]})
    return {"envelopes": new_envelopes, "duplicates": opened.duplicates, "keys": new_keys,
            "skipped": opened.skipped, "roster": int(adopted), "waiting": waiting}
