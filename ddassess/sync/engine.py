"""Sync with the team server: push what waits to be sent, pull what is new, apply it.

The same envelopes and case key wraps a bundle carries, through the server instead:

- **push**: operations made here are sealed into envelopes (as ``export`` does, in its own
  transaction first); every envelope of a shared case not yet pushed goes up in batches,
  with the case's keys wrapped for each care-team member. A batch is marked pushed (and
  delivered to the care team, so "waiting to send" drops) only after the server said it
  kept it; a batch the server kept whose answer was lost is pushed again and the server,
  idempotent by envelope id, keeps nothing twice.
- **pull**: pages after the cursor kept in the store. Each page is applied through the
  same path as a received bundle (its case keys kept, the signatures, the care team and
  the authors checked, the operations applied) in one transaction **with the new cursor**:
  a laptop killed mid-page applies that page again on the next sync, whole, never half.
- the roster: the one held here goes to the server (the server keeps the newest the team
  authority signed) and a newer one from the server is adopted here, so a revocation
  reaches everyone.

``sync`` takes a ``progress(done, note)`` callback and a ``cancelled()`` check between
batches and pages, so a GUI can run it off its thread and stop it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ddassess.exchange import envelope, keys, membership
from ddassess.exchange.refusals import EnvelopeError, TeamFileError
from ddassess.formengine import Catalogue
from ddassess.services import exchange
from ddassess.store import Store
from ddassess.store.audit import append_event
from ddassess.store.records import EnvelopeDeliveryRecord, EnvelopeRecord, MetaRecord
from ddassess.sync.client import Page, ServerClient

SERVER = exchange.TEAM_SERVER  # the recipient recorded for envelopes the server holds
CURSOR = "sync.cursor"
PUSH_ITEMS = 400


@dataclass
class SyncReport:
    sealed: int = 0
    pushed: int = 0
    already_on_server: int = 0
    pulled: int = 0
    applied: int = 0
    conflicts: int = 0
    pages: int = 0
    skipped: int = 0  # envelopes this laptop holds no key for and is not a recipient of
    released: int = 0  # envelopes that waited for their case key, applied now it came
    waiting: int = 0  # envelopes addressed here still waiting for their case key (after this sync)
    refused: list[str] = field(default_factory=list)
    roster_adopted: bool = False
    server_restored: bool = False
    cancelled: bool = False


Progress = Callable[[int, str], None]


def _stored(s: Session) -> tuple[str, int]:
    """(server generation, sequence) of the cursor: what was applied from which database."""
    row = s.get(MetaRecord, CURSOR)
    if row is None:
        return "", 0
    generation, _, seq = row.value.rpartition(":")
    return generation, int(seq)


def cursor(store: Store) -> int:
    with store.read() as s:
        return _stored(s)[1]


def _set_cursor(s: Session, generation: str, value: int) -> None:
    row = s.get(MetaRecord, CURSOR)
    text = f"{generation}:{value}"
    if row is None:
        s.add(MetaRecord(key=CURSOR, value=text))
    else:
        row.value = text


def sync(store: Store, client: ServerClient, *, page_size: int = 500, push_items: int = PUSH_ITEMS,
         catalogue: Catalogue | None = None, progress: Progress | None = None,
         cancelled: Callable[[], bool] | None = None, wait: int = 0) -> SyncReport:
    """Push, then pull. ``wait``: when nothing is new, the first pull waits on the server up to
    that many seconds for something to arrive (long-polling: a loop of ``sync(wait=25)`` receives
    a colleague's change as soon as it is pushed)."""
    report = SyncReport()
    note = progress or (lambda _n, _t: None)
    stop = cancelled or (lambda: False)
    exchange_roster(store, client, report)
    check_generation(store, str(client.health().get("generation", "")), report)
    push(store, client, report, note, stop, push_items=push_items)
    if not report.cancelled:
        pull(store, client, report, note, stop, page_size=page_size, catalogue=catalogue, wait=wait)
    return report


def check_generation(store: Store, generation: str, report: SyncReport) -> None:
    """A server restored from a backup lacks what came after it and counts from an older
    number: push everything again and pull from the start (the server and this laptop keep
    nothing twice)."""
    with store.write() as s:
        held, _seq = _stored(s)
        if not held or held == generation:
            return
        s.execute(delete(EnvelopeDeliveryRecord).where(EnvelopeDeliveryRecord.recipient == SERVER))
        _set_cursor(s, generation, 0)
        append_event(s, actor=store.owner_uuid, action="update", entity_type="team-server",
                     entity_id=store.store_id, changes={"generation": [held, generation]},
                     reason="the team server was restored: everything is sent and received again")
    report.server_restored = True


def exchange_roster(store: Store, client: ServerClient, report: SyncReport) -> None:
    with store.read() as s:
        _device, held = membership.need_team(s)
        mine = membership.roster_file(s, held.team)
    if mine is not None:
        client.send_roster(mine)
    theirs = client.roster()
    with store.write() as s:
        _device, held = membership.need_team(s)
        ca = membership.team_authority_cert(s, held.team)
        assert ca is not None
        try:
            roster = membership.verify_roster(membership.read_document(theirs, membership.ROSTER), ca)
        except TeamFileError as e:
            report.refused.append(f"the server's roster was refused: {e.message}")
            return
        if roster.version > held.version:
            report.roster_adopted = membership.adopt_roster(s, roster, theirs, actor=store.owner_uuid,
                                                            via="team server")


def _outgoing(store: Store, report: SyncReport, limit: int) -> list[list[tuple[str, str, bytes]]]:
    """Batches of (kind, envelope id or "", bytes) to push: per case, its key wraps first."""
    with store.write() as s:
        teams = exchange.audiences(s)
        report.sealed = exchange.seal_pending(s, store, teams)
    with store.read() as s:
        device, roster = membership.need_team(s)
        shared = sorted(c for c, who in teams.items() if set(who) - {store.owner_uuid})
        pushed = set(s.scalars(select(EnvelopeDeliveryRecord.envelope_id)
                               .where(EnvelopeDeliveryRecord.recipient == SERVER)).all())
        case_keys = keys.keys_of_cases(s, shared)
        batches: list[list[tuple[str, str, bytes]]] = []
        batch: list[tuple[str, str, bytes]] = []
        for i in range(0, len(shared), 500):
            records: dict[str, list[EnvelopeRecord]] = defaultdict(list)
            for rec in s.scalars(select(EnvelopeRecord).where(EnvelopeRecord.case_uuid.in_(shared[i:i + 500]))
                                 .order_by(EnvelopeRecord.id)).all():
                member = roster.members.get(rec.signer)
                if rec.envelope_id not in pushed and member is not None and member.status == "active":
                    records[rec.case_uuid].append(rec)
            for case_uuid in shared[i:i + 500]:
                if not records[case_uuid]:
                    continue
                wraps = []
                for who in teams[case_uuid]:
                    for m in roster.encryption_keys(who):
                        for k in case_keys.get(case_uuid, []):
                            ctx = {"team": roster.team, "sender": store.owner_uuid, "device": store.store_id,
                                   "recipient": m.key_id, "routing": k.routing_id, "epoch": k.epoch,
                                   "key": k.key_id}
                            sealed = keys.wrap_case_key(k, m.public_key, ctx)
                            wraps.append(("wrap", "", keys.canonical(
                                {"ctx": ctx, "sealed": base64.b64encode(sealed).decode("ascii")})))
                if len(batch) + len(wraps) + 1 > limit and batch:
                    batches.append(batch)
                    batch = []
                batch.extend(wraps)
                for rec in records[case_uuid]:
                    if len(batch) >= limit:
                        batches.append(batch)
                        batch = list(wraps)  # each batch carries the keys its envelopes need
                    batch.append(("envelope", rec.envelope_id, rec.data))
        if batch:
            batches.append(batch)
        del device
    return batches


def push(store: Store, client: ServerClient, report: SyncReport, note: Progress, stop: Callable[[], bool], *,
         push_items: int = PUSH_ITEMS) -> None:
    for batch in _outgoing(store, report, max(push_items, 2)):
        if stop():
            report.cancelled = True
            return
        answer = client.push([(kind, data) for kind, _id, data in batch])
        ids = [i for kind, i, _d in batch if kind == "envelope"]
        with store.write() as s:
            teams = exchange.audiences(s)
            case_of = {e: c for e, c in s.execute(select(EnvelopeRecord.envelope_id, EnvelopeRecord.case_uuid)
                                                  .where(EnvelopeRecord.envelope_id.in_(ids)))}
            known = {(e, w) for e, w in s.execute(select(EnvelopeDeliveryRecord.envelope_id,
                                                         EnvelopeDeliveryRecord.recipient)
                                                  .where(EnvelopeDeliveryRecord.envelope_id.in_(ids)))}
            wanted = {(e, who) for e in ids for who in [SERVER, *teams.get(case_of.get(e, ""), [])]
                      if who != store.owner_uuid}
            s.add_all(EnvelopeDeliveryRecord(envelope_id=e, recipient=who) for e, who in sorted(wanted - known))
            append_event(s, actor=store.owner_uuid, action="send", entity_type="team-server",
                         entity_id=store.store_id, changes={"envelopes": [None, len(ids)],
                                                            "stored": [None, int(answer.get("stored", 0))]})
        report.pushed += int(answer.get("stored", 0))
        report.already_on_server += int(answer.get("duplicates", 0))
        note(report.pushed, "sent")


def pull(store: Store, client: ServerClient, report: SyncReport, note: Progress, stop: Callable[[], bool], *,
         page_size: int, catalogue: Catalogue | None, wait: int = 0) -> None:
    with store.read() as s:
        held = _stored(s)
    generation, since = held
    while True:
        if stop():
            report.cancelled = True
            return
        page = client.pull(since, page_size, wait=wait)
        wait = 0  # only the first request waits: the pages after it are there already
        if page.generation != generation:
            if since != 0:  # another database (restored from a backup): everything again, nothing twice
                generation, since = page.generation, 0
                continue
            generation = page.generation
        if not apply_page(store, page, held, generation, report, catalogue=catalogue):
            return  # another sync of this laptop moved the cursor meanwhile
        held = (generation, page.next)
        report.pages += 1
        note(report.pulled, "received")
        since = page.next
        if not page.more:
            return


def apply_page(store: Store, page: Page, held: tuple[str, int], generation: str, report: SyncReport, *,
               catalogue: Catalogue | None) -> bool:
    """Apply one page and move the cursor past it, in one transaction; False (nothing
    done) when the cursor is no longer ``held``."""
    from ddassess.services.conflicts import _default_catalogue

    cat = catalogue or _default_catalogue()
    with store.write() as s:
        if _stored(s) != held:
            return False
        _device, roster = membership.need_team(s)
        mine = keys.encryption_private_keys(s)
        new_keys: dict[str, tuple[keys.CaseKey, str]] = {}
        for item in page.items:
            if item.kind != "wrap":
                continue
            try:
                wrap = json.loads(item.data)
                ctx, sealed = dict(wrap["ctx"]), base64.b64decode(wrap["sealed"], validate=True)
            except (ValueError, KeyError, TypeError, binascii.Error):
                report.refused.append("a case key from the server could not be read")
                continue
            private = mine.get(str(ctx.get("recipient")))
            sender_active = any(m.practitioner == ctx.get("sender") and m.status == "active"
                                for m in roster.members.values())
            if private is None or not sender_active or ctx.get("team") != roster.team:
                continue
            key = keys.unwrap_case_key(sealed, private, ctx)
            if key is None:
                report.refused.append("a case key from the server does not open: it was altered")
                continue
            new_keys.setdefault(key.key_id, (key, str(ctx.get("sender"))))
        known_keys = keys.keys_by_id(s, sorted(new_keys))
        for kid, (key, author) in new_keys.items():
            if kid in known_keys:
                if known_keys[kid] != key:
                    report.refused.append("a case key from the server disagrees with the one kept here")
                continue
            keys.keep_case_key(s, key, author, checked=True)
        parsed = []
        for item in page.items:
            if item.kind == "envelope":
                try:
                    parsed.append(envelope.parse(item.data))
                except EnvelopeError as e:
                    report.refused.append(e.message)
        # Envelopes that waited for a key held now are opened first: they came before this page.
        released = exchange.release_waiting(s, store, roster, cat)
        report.released += released.envelopes
        _count(report, released)
        kept = envelope.kept_ids(s, [p.header.id for p in parsed])
        usable = keys.keys_by_id(s, sorted({p.header.key for p in parsed}))
        by_sender: dict[str, list[envelope.OpenedEnvelope]] = defaultdict(list)
        waiting = 0
        for p in parsed:
            try:
                env = envelope.open_parsed(s, p, roster, usable, kept)
            except EnvelopeError as e:
                report.refused.append(e.message)
                continue
            if env is not None:
                by_sender[env.header.sender].append(env)
            elif envelope.addressed_to(p, mine) and p.header.id not in kept:
                # Its case key has not arrived yet (a later page, sync or bundle brings it):
                # kept as received, so moving the cursor past it loses nothing.
                waiting += envelope.keep_waiting(s, p, received_from=SERVER, via="team server")
            else:
                report.skipped += 1
        report.pulled += len(page.items)
        for sender, envs in sorted(by_sender.items()):
            _receive(s, store, roster, sender, envs, report, cat)
        if waiting:
            append_event(s, actor=store.owner_uuid, action="receive", entity_type="team-server",
                         entity_id=store.store_id, changes={"waiting": [None, waiting]},
                         reason="envelopes kept until their case key arrives")
        _set_cursor(s, generation, page.next)
        report.waiting = exchange.waiting_count(s)
    return True


def _receive(s: Session, store: Store, roster: membership.Roster, sender: str, envs: list[envelope.OpenedEnvelope],
             report: SyncReport, cat: Catalogue) -> None:
    """The envelopes of one author from one page, checked and applied as a bundle's are."""
    got = exchange.receive_envelopes(s, store, roster, envs, received_from=sender, held_by=(SERVER,),
                                     via="team server", catalogue=cat)
    _count(report, got)
    append_event(s, actor=store.owner_uuid, action="receive", entity_type="team-server", entity_id=store.store_id,
                 changes={"from": [None, sender], "envelopes": [None, got.envelopes],
                          "refused": [None, len(envs) - got.envelopes - sum(e.duplicate for e in envs)]})


def _count(report: SyncReport, got: exchange.Received) -> None:
    report.applied += got.applied
    report.conflicts += got.conflicts
    report.refused += got.refused
