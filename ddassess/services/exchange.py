"""Bundle files between laptops: what each practitioner has not been sent, sealed and carried.

``export_changes`` seals the operations made here since the last export into one envelope
per case (``exchange/envelope.py``; received operations travel in the envelopes they came
in, signed by their author, so one laptop forwards another's), then writes a bundle
(``exchange/bundle.py``) for one practitioner or for every member of the care teams of the
cases held here, with the envelopes each of them has not been sent, the case keys wrapped
for them, the roster and a signed manifest. The destination is checked before any work and
written through a temporary file, fsync and ``os.replace``.

``import_changes`` reads and checks the whole bundle first (``open_bundle`` writes nothing),
adopts its roster (so a colleague named by a care-team operation is known), then, in one
transaction, keeps the new envelopes and case keys and applies their operations. Envelopes
kept here are the record of what was applied: a repeated import finds every envelope kept
and changes nothing. An envelope whose author is not in that case's care team (or was
removed from it) is refused with the reason and not kept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ddassess.errors import InvalidInputError
from ddassess.exchange import bundle, envelope, keys, membership
from ddassess.exchange.apply import apply_operations
from ddassess.exchange.capture import STORE_KEY
from ddassess.exchange.collector import collector_paused
from ddassess.exchange.operations import FORMAT as OPS_FORMAT
from ddassess.exchange.operations import Operation, decode_operations, operation_of
from ddassess.exchange.refusals import EnvelopeError
from ddassess.fileio import atomic_write
from ddassess.formengine import Catalogue
from ddassess.services.interchange import check_writable
from ddassess.store import Store
from ddassess.store.audit import append_event
from ddassess.store.records import (
    CareTeamMemberRecord,
    CaseRecord,
    EnvelopeDeliveryRecord,
    EnvelopeRecord,
    MetaRecord,
    OperationRecord,
    PersonRecord,
    PractitionerRecord,
    ResponseRecord,
    WaitingEnvelopeRecord,
)

SUFFIX = ".ddbundle"
TEAM_SERVER = "team-server"  # the recipient recorded for envelopes the team server holds
SEALED_UP_TO = "exchange_sealed_seq"  # store_meta: every local operation up to this seq is in an envelope


@dataclass
class ExportReport:
    path: Path
    bundle_id: str
    recipients: list[str]  # names
    cases: int
    envelopes: int
    sealed_operations: int  # operations made here put in new envelopes by this export
    size: int
    not_members: list[str] = field(default_factory=list)  # care-team colleagues not (yet) in the team roster


@dataclass
class ImportReport:
    bundle_id: str
    sender: str  # name
    made_at: str
    envelopes: int  # new envelopes applied
    duplicates: int  # envelopes received before (or made here)
    operations: int  # operations applied
    waiting: int  # operations waiting for a record that has not arrived yet
    conflicts: int  # conflicts opened
    cases: dict[str, list[str]] = field(default_factory=dict)  # case ref -> forms changed
    authors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # reasons, one per envelope or operation refused
    skipped: int = 0  # envelopes of cases this laptop is not in the care team of
    new_keys: int = 0
    roster_adopted: bool = False
    waiting_for_key: int = 0  # envelopes addressed here kept until their case key arrives (all of them)
    released: int = 0  # envelopes kept waiting before, opened and applied now their key came
    newly_waiting: int = 0  # of those, brought by this bundle

    @property
    def nothing_new(self) -> bool:
        return not (self.envelopes or self.new_keys or self.roster_adopted or self.refused or self.released
                    or self.newly_waiting)


@dataclass(frozen=True)
class Waiting:
    practitioner: str  # uuid
    name: str
    cases: int
    operations: int


# --- what is shared with whom ------------------------------------------------------------


def audiences(s: Session) -> dict[str, list[str]]:
    """Case uuid → the practitioner uuids in its care team now (not removed)."""
    out: dict[str, set[str]] = defaultdict(set)
    rows = s.execute(select(CaseRecord.uuid, PractitionerRecord.uuid)
                     .join(CareTeamMemberRecord, CareTeamMemberRecord.case_id == CaseRecord.id)
                     .join(PractitionerRecord, PractitionerRecord.id == CareTeamMemberRecord.practitioner_id)
                     .where(CareTeamMemberRecord.removed_at.is_(None)))
    for case_uuid, who in rows:
        out[case_uuid].add(who)
    return {c: sorted(w) for c, w in out.items()}


def _sealed_up_to(s: Session) -> int:
    row = s.get(MetaRecord, SEALED_UP_TO)
    return int(row.value) if row else 0


def seal_pending(s: Session, store: Store, teams: Mapping[str, list[str]]) -> int:
    """Put every operation made here since the last export into one new envelope per case
    (a person's operations into each of their cases'); how many operations were sealed."""
    after = _sealed_up_to(s)
    rows = s.execute(select(OperationRecord.seq, OperationRecord.case_uuid, OperationRecord.entity,
                            OperationRecord.entity_uuid, OperationRecord.body_json)
                     .where(OperationRecord.origin == "local", OperationRecord.seq > after)
                     .order_by(OperationRecord.seq)).all()
    if not rows:
        return 0
    people = sorted({r.entity_uuid for r in rows if r.entity == "person"})
    cases_of: dict[str, list[str]] = defaultdict(list)
    for i in range(0, len(people), 500):
        for person_uuid, case_uuid in s.execute(select(PersonRecord.uuid, CaseRecord.uuid)
                                                .join(CaseRecord, CaseRecord.person_id == PersonRecord.id)
                                                .where(PersonRecord.uuid.in_(people[i:i + 500]))):
            cases_of[person_uuid].append(case_uuid)
    by_case: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        targets = cases_of.get(r.entity_uuid, []) if r.entity == "person" else [r.case_uuid] if r.case_uuid else []
        for case_uuid in targets:
            by_case[case_uuid].append(r.body_json)
    for case_uuid in sorted(by_case):
        envelope.seal_envelope(s, case_uuid=case_uuid, payload=_payload(by_case[case_uuid]),
                               sender=store.owner_uuid, device_id=store.store_id,
                               recipients=teams.get(case_uuid, []))
    last = max(r.seq for r in rows)
    row = s.get(MetaRecord, SEALED_UP_TO)
    if row is None:
        s.add(MetaRecord(key=SEALED_UP_TO, value=str(last)))
    else:
        row.value = str(last)
    return len(rows)


def _payload(bodies: list[str]) -> bytes:
    """``encode_operations`` of the operations whose stored bodies these are, without reading
    them back: a stored body is already the operation's canonical JSON (capture.py)."""
    return f'{{"format":{OPS_FORMAT},"operations":[{",".join(bodies)}]}}'.encode()


# --- sending -----------------------------------------------------------------------------


def export_changes(store: Store, *, to: str | None, out: Path) -> ExportReport:
    """A bundle for practitioner ``to`` (uuid), or for every colleague in the care team of a
    case held here (``to=None``), written to ``out`` (a ``.ddbundle`` file)."""
    check_writable(out, SUFFIX)
    me = store.owner_uuid
    with store.write() as s:
        _device, roster = membership.need_team(s)
        teams = audiences(s)
        not_members: list[str] = []
        if to is not None:
            if to == me:
                raise InvalidInputError("A bundle is for someone else: you cannot send changes to yourself.",
                                        hint="Name a colleague in the care team of your cases.")
            recipients = [to]
        else:
            everyone = sorted({p for members in teams.values() for p in members} - {me})
            recipients = [p for p in everyone if roster.encryption_keys(p)]
            not_members = [_name(s, p) for p in everyone if not roster.encryption_keys(p)]
            if not recipients:
                raise InvalidInputError("No colleague in the care teams of your cases is a member of the team yet: "
                                        "there is no one to send changes to.",
                                        hint="Share a case with a colleague (ddassess case share), or ask the team "
                                        "lead to admit them.")
        sealed = seal_pending(s, store, teams)
        data, summary = bundle.write_bundle(s, sender=me, device_id=store.store_id, recipients=recipients,
                                            cases=teams, only_waiting=True)
        atomic_write(out.expanduser(), data)  # before the commit: deliveries are recorded only with the file
    return ExportReport(out, summary.bundle_id, [roster.name_of(r) for r in recipients], summary.cases,
                        summary.envelopes, sealed, len(data), not_members)


def _name(s: Session, practitioner_uuid: str) -> str:
    found = s.scalar(select(PractitionerRecord.name).where(PractitionerRecord.uuid == practitioner_uuid))
    return found or "an unknown practitioner"


def waiting_to_send(store: Store) -> list[Waiting]:
    """Per colleague in a care team here: the cases and operations not yet sent to them
    (operations made here since the last export, and operations in envelopes never put in a
    bundle for them)."""
    me = store.owner_uuid
    with store.read() as s:
        teams = {c: [p for p in members if p != me] for c, members in audiences(s).items()}
        teams = {c: members for c, members in teams.items() if members}
        if not teams:  # no case shared with anyone: nothing to read (the status bar asks after every change)
            return []
        after = _sealed_up_to(s)
        pending: dict[str, int] = defaultdict(int)
        people_cases: dict[str, list[str]] = defaultdict(list)
        for person_uuid, case_uuid in s.execute(select(PersonRecord.uuid, CaseRecord.uuid)
                                                .join(CaseRecord, CaseRecord.person_id == PersonRecord.id)):
            people_cases[person_uuid].append(case_uuid)
        for case_uuid, entity, entity_uuid in s.execute(
                select(OperationRecord.case_uuid, OperationRecord.entity, OperationRecord.entity_uuid)
                .where(OperationRecord.origin == "local", OperationRecord.seq > after)):
            for c in (people_cases.get(entity_uuid, []) if entity == "person" else [case_uuid]):
                pending[c] += 1
        envelopes: dict[str, list[EnvelopeRecord]] = defaultdict(list)
        for rec in s.scalars(select(EnvelopeRecord)):
            envelopes[rec.case_uuid].append(rec)
        sent: dict[str, set[str]] = defaultdict(set)
        for env_id, who in s.execute(select(EnvelopeDeliveryRecord.envelope_id, EnvelopeDeliveryRecord.recipient)):
            sent[who].add(env_id)
        counts: dict[str, int] = {}
        per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for case_uuid, members in teams.items():
            for who in members:
                if who == me:
                    continue
                n = pending.get(case_uuid, 0)
                for rec in envelopes.get(case_uuid, []):
                    if rec.envelope_id not in sent[who]:
                        if rec.envelope_id not in counts:
                            counts[rec.envelope_id] = _count(s, rec)
                        n += counts[rec.envelope_id]
                if n:
                    per[who][0] += 1
                    per[who][1] += n
        return [Waiting(who, _name(s, who), c, n) for who, (c, n) in sorted(per.items())]


def _count(s: Session, rec: EnvelopeRecord) -> int:
    """How many operations an envelope kept here holds (opened with the case key held here)."""
    parsed = envelope.parse(rec.data)
    key = keys.key_by_id(s, parsed.header.key)
    if key is None:
        return 0
    _case, payload = envelope.decrypt(parsed, key)
    return len(decode_operations(payload))


def waiting_total(store: Store) -> int:
    """Operations waiting to be sent to anyone (each counted once per colleague)."""
    return sum(w.operations for w in waiting_to_send(store))


# --- receiving ---------------------------------------------------------------------------


def care_team_audience(s: Session, opened: bundle.OpenedBundle,
                        ops_of: Mapping[str, list[Operation]]) -> dict[str, str]:
    """Envelope id → why it is refused, for envelopes whose author is not in the case's care
    team: the team held here, grown by the members that accepted authors add in this bundle."""
    refused: dict[str, str] = {}
    by_case: dict[str, list[envelope.OpenedEnvelope]] = defaultdict(list)
    for env in opened.envelopes:
        if not env.duplicate:
            by_case[env.case_uuid].append(env)
    held: dict[str, int] = {}  # the cases held here, and their care teams, read 500 at a time
    members: dict[int, list[tuple[str, dt.datetime | None]]] = defaultdict(list)
    wanted = sorted(by_case)
    for i in range(0, len(wanted), 500):
        held.update((case_uuid, case_id) for case_uuid, case_id in s.execute(
            select(CaseRecord.uuid, CaseRecord.id).where(CaseRecord.uuid.in_(wanted[i:i + 500]))))
    ids = sorted(held.values())
    for i in range(0, len(ids), 500):
        for member_case, who, removed_at in s.execute(
                select(CareTeamMemberRecord.case_id, PractitionerRecord.uuid, CareTeamMemberRecord.removed_at)
                .join(PractitionerRecord, PractitionerRecord.id == CareTeamMemberRecord.practitioner_id)
                .where(CareTeamMemberRecord.case_id.in_(ids[i:i + 500]))
                .order_by(CareTeamMemberRecord.case_id, CareTeamMemberRecord.id)):
            members[member_case].append((who, removed_at))
    for case_uuid, envs in by_case.items():
        case_id = held.get(case_uuid)
        accepted: set[str] = set()
        removed: dict[str, dt.datetime] = {}
        if case_id is not None:
            for who, removed_at in members[case_id]:
                if removed_at is None:
                    accepted.add(who)
                else:
                    removed[who] = removed_at
            accepted -= {w for w in removed if w not in accepted}
        else:  # a case new here: whoever opened it starts its care team
            for env in envs:
                if any(op.entity == "case" and op.action == "create" for op in ops_of[env.header.id]):
                    accepted.add(env.header.sender)
        grew = True
        while grew:
            grew = False
            for env in envs:
                if env.header.sender not in accepted:
                    continue
                for op in ops_of[env.header.id]:
                    added = op.fields.get("practitioner_uuid")
                    if op.entity == "care_team_member" and isinstance(added, str) and added not in accepted \
                            and not op.fields.get("removed_at"):
                        accepted.add(added)
                        grew = True
        for env in envs:
            if env.header.sender in accepted:
                continue
            name = _name(s, env.header.sender)
            if env.header.sender in removed:
                refused[env.header.id] = (f"changes by {name} were refused: they were removed from the care team of "
                                          f"this case on {removed[env.header.sender]:%d %b %Y}")
            else:
                refused[env.header.id] = f"changes by {name} were refused: they are not in the care team of this case"
    return refused


@dataclass
class Received:
    """What a group of received envelopes did here."""

    envelopes: int = 0  # new envelopes kept (refused and duplicates not counted)
    applied: int = 0  # operations applied
    waiting: int = 0  # operations waiting for a record that has not arrived yet
    conflicts: int = 0
    refused: list[str] = field(default_factory=list)
    cases: set[str] = field(default_factory=set)
    authors: set[str] = field(default_factory=set)  # names

    def add(self, other: Received) -> None:
        self.envelopes += other.envelopes
        self.applied += other.applied
        self.waiting += other.waiting
        self.conflicts += other.conflicts
        self.refused += other.refused
        self.cases |= other.cases
        self.authors |= other.authors


@collector_paused()  # thousands of operations decoded and applied (exchange/collector.py)
def receive_envelopes(s: Session, store: Store, roster: membership.Roster, envs: list[envelope.OpenedEnvelope], *,
                      received_from: str, held_by: tuple[str, ...], via: str, catalogue: Catalogue) -> Received:
    """Envelopes of one author, opened and checked, applied as a bundle's are (the author's
    own changes only, the case's care team, the merge) inside the caller's transaction;
    ``held_by``: who already holds them (never sent back to them)."""
    me = store.owner_uuid
    sender = envs[0].header.sender
    assert all(e.header.sender == sender for e in envs)
    opened = bundle.OpenedBundle(via, sender, roster.name_of(sender), envs[0].header.device, "", None, b"", [], envs,
                                 0, {e.case_uuid for e in envs})
    ops_of: dict[str, list[Operation]] = {}
    refused: dict[str, str] = {}
    for env in envs:
        if env.duplicate:
            continue
        ops = decode_operations(env.payload)
        if any(op.author != env.header.sender or op.case_uuid not in ("", env.case_uuid) for op in ops):
            refused[env.header.id] = "changes were refused: their envelope holds changes by someone else"
        ops_of[env.header.id] = ops
    refused.update(care_team_audience(s, opened, {k: v for k, v in ops_of.items() if k not in refused}))
    keep = [e for e in envs if e.header.id not in refused and not e.duplicate]
    for env in keep:
        envelope.keep_envelope(s, env, received_from=received_from, checked=True)
    s.flush()
    ids = [e.header.id for e in envs]
    known = {(e, w) for e, w in s.execute(select(EnvelopeDeliveryRecord.envelope_id, EnvelopeDeliveryRecord.recipient)
                                          .where(EnvelopeDeliveryRecord.envelope_id.in_(ids)))}
    wanted = {(e.header.id, who) for e in keep for who in (*held_by, sender) if who != me}
    s.add_all(EnvelopeDeliveryRecord(envelope_id=e, recipient=who) for e, who in sorted(wanted - known))
    todo = [op for e in keep for op in ops_of[e.header.id]]
    applied = apply_operations(s, todo, received_from=opened.sender_name, via=via, catalogue=catalogue)
    return Received(len(keep), len(applied.applied), len(applied.waiting), len(applied.conflicts),
                    sorted(set(refused.values())) + [f"a change was refused: {why}" for _op, why in applied.refused],
                    applied.cases | {e.case_uuid for e in keep}, {opened.sender_name} if keep else set())


def release_waiting(s: Session, store: Store, roster: membership.Roster, catalogue: Catalogue) -> Received:
    """Open and apply the envelopes that waited for a case key this laptop holds now (it came
    in a bundle or from the team server), inside the caller's transaction."""
    out = Received()
    wanted = sorted(set(s.scalars(select(WaitingEnvelopeRecord.key_id).distinct()).all()))
    usable = keys.keys_by_id(s, wanted) if wanted else {}
    if not usable:
        return out
    records = s.scalars(select(WaitingEnvelopeRecord).where(WaitingEnvelopeRecord.key_id.in_(sorted(usable)))
                        .order_by(WaitingEnvelopeRecord.id)).all()
    kept = envelope.kept_ids(s, [r.envelope_id for r in records])
    groups: dict[tuple[str, str, str], list[envelope.OpenedEnvelope]] = defaultdict(list)
    for rec in records:
        try:
            env = envelope.open_parsed(s, envelope.parse(rec.data), roster, usable, kept)
        except EnvelopeError as e:
            out.refused.append(e.message)
            env = None
        if env is not None:
            groups[(rec.received_from, rec.via, env.header.sender)].append(env)
        s.delete(rec)
    for (handed_by, via, sender), envs in groups.items():
        server = handed_by == TEAM_SERVER
        out.add(receive_envelopes(s, store, roster, envs, received_from=sender if server else handed_by,
                                  held_by=(handed_by,), via=via, catalogue=catalogue))
    append_event(s, actor=store.owner_uuid, action="receive", entity_type="waiting-envelopes",
                 entity_id=store.store_id, changes={"opened": [None, len(records)], "kept": [None, out.envelopes],
                                                    "refused": [None, len(out.refused)]},
                 reason="their case key arrived")
    return out


def waiting_count(s: Session) -> int:
    """Envelopes addressed to this laptop kept until their case key arrives."""
    return int(s.scalar(select(func.count()).select_from(WaitingEnvelopeRecord)) or 0)


def waiting_for_key(store: Store) -> int:
    with store.read() as s:
        return waiting_count(s)


@collector_paused()
def import_changes(store: Store, path: Path, *, catalogue: Catalogue | None = None) -> ImportReport:
    """Receive a bundle file: all of it, in one transaction, or nothing (see the module)."""
    from ddassess.services.conflicts import _default_catalogue

    data = _read_bundle(path.expanduser())
    me = store.owner_uuid
    cat = catalogue or _default_catalogue()
    with store.write() as s:
        opened = bundle.open_bundle(s, data, me=me)
        data = b""  # what was needed of it is in ``opened``: not held while applying
        if opened.roster is not None:  # colleagues named by care-team operations are known before applying
            membership.adopt_roster(s, opened.roster, opened.roster_file, actor=me,
                                    via=f"bundle from {opened.sender_name}")
            opened = dataclasses.replace(opened, roster=None)
            roster_adopted = True
        else:
            roster_adopted = False
        ops_of: dict[str, list[Operation]] = {}
        refused: dict[str, str] = dict(opened.refused)  # envelopes signed by a revoked member
        for env in opened.envelopes:
            if env.duplicate:
                continue
            ops = decode_operations(env.payload)
            strangers = [op for op in ops if op.author != env.header.sender or op.case_uuid not in ("", env.case_uuid)]
            if strangers:
                refused[env.header.id] = "changes were refused: their envelope holds changes by someone else"
            ops_of[env.header.id] = ops
        refused.update(care_team_audience(s, opened, {k: v for k, v in ops_of.items() if k not in refused}))
        keep = [e for e in opened.envelopes if e.header.id not in refused]
        counts = bundle.keep_bundle(s, dataclasses.replace(opened, envelopes=keep), actor=me)
        # The author and the colleague who sent it already hold these envelopes: never send them back.
        known = {(env_id, who) for env_id, who in s.execute(
            select(EnvelopeDeliveryRecord.envelope_id, EnvelopeDeliveryRecord.recipient)
            .where(EnvelopeDeliveryRecord.envelope_id.in_([e.header.id for e in keep])))} if keep else set()
        held = {(e.header.id, who) for e in keep for who in (e.header.sender, opened.sender) if who != me} - known
        if held:  # one statement, not an object each (a bundle brings a thousand envelopes)
            s.execute(insert(EnvelopeDeliveryRecord),
                      [{"envelope_id": env_id, "recipient": who} for env_id, who in sorted(held)])
        todo = [op for e in keep if not e.duplicate for op in ops_of[e.header.id]]
        # The envelopes are kept and decoded: their bytes are not held while applying.
        keep = [dataclasses.replace(e, payload=b"", data=b"") for e in keep]
        opened = dataclasses.replace(opened, envelopes=[], new_keys=[])
        ops_of.clear()
        report = apply_operations(s, todo, received_from=opened.sender_name, via=f"bundle {opened.bundle_id[:8]}",
                                  catalogue=cat)
        reasons = sorted(set(refused.values())) + [f"a change was refused: {why}" for _op, why in report.refused]
        released = release_waiting(s, store, membership.need_team(s)[1], cat)
        reasons += released.refused
        cases: dict[str, list[str]] = {}
        changed_forms: dict[str, set[str]] = defaultdict(set)
        responses = sorted({op.entity_uuid for op in todo if op.entity == "response"})
        for i in range(0, len(responses), 500):
            for case_uuid, form_id in s.execute(select(CaseRecord.uuid, ResponseRecord.form_id)
                                                .join(ResponseRecord, ResponseRecord.case_id == CaseRecord.id)
                                                .where(ResponseRecord.uuid.in_(responses[i:i + 500]))):
                changed_forms[case_uuid].add(_form_title(cat, form_id))
        touched = sorted(report.cases | {e.case_uuid for e in keep if not e.duplicate} | released.cases)
        for i in range(0, len(touched), 500):
            for case_uuid, ref in s.execute(select(CaseRecord.uuid, CaseRecord.ref)
                                            .where(CaseRecord.uuid.in_(touched[i:i + 500]))):
                cases[ref] = sorted(changed_forms.get(case_uuid, set()))
        authors = sorted({_name(s, who) for who in {e.header.sender for e in keep if not e.duplicate}})
        if refused:
            append_event(s, actor=me, action="refuse", entity_type="bundle", entity_id=opened.bundle_id,
                         changes={"envelopes": [None, len(refused)], "refused": [None, sorted(refused)]},
                         reason="; ".join(sorted(set(refused.values()))))
        still_waiting = waiting_count(s)
    return ImportReport(opened.bundle_id, opened.sender_name, opened.made_at, counts["envelopes"] + released.envelopes,
                        counts["duplicates"], len(report.applied) + released.applied,
                        len(report.waiting) + released.waiting, len(report.conflicts) + released.conflicts, cases,
                        sorted(set(authors) | released.authors), reasons, counts["skipped"], counts["keys"],
                        roster_adopted, still_waiting, released.envelopes, counts["waiting"])


def _read_bundle(path: Path) -> bytes:
    """The bytes of a bundle file the user named, or a clear message (nothing is changed)."""
    from ddassess.fileio import FileTooLarge, NotARegularFile, read_regular_file

    try:
        return read_regular_file(path, bundle.MAX_BUNDLE)
    except FileNotFoundError:
        raise InvalidInputError(f"There is no file {path}.", hint="Check the path of the bundle file.") from None
    except NotARegularFile as exc:
        raise InvalidInputError(f"{path} is {exc.kind}, not a bundle file.") from None
    except FileTooLarge:
        raise InvalidInputError(f"{path} is far larger than any bundle: it is not one.") from None
    except OSError as exc:
        raise InvalidInputError(f"{path} cannot be read ({exc.strerror or type(exc).__name__}).",
                                hint="Choose the bundle file you were sent.") from None


def _form_title(catalogue: Catalogue, form_id: str) -> str:
    try:
        return str(catalogue.get(form_id).title)
    except (KeyError, LookupError, AttributeError):
        return form_id


def rotate_on_removal(session: Session, case_uuid: str, practitioner_uuid: str) -> None:
    """Care-team hook: a member left, so what follows is sealed with a new case key that is
    wrapped only for those still in the team (a case never sealed has no key to rotate)."""
    if keys.case_keys(session, case_uuid):
        store = session.info.get(STORE_KEY)
        actor = store.owner_uuid if store is not None else "system"
        new = keys.rotate_case_key(session, case_uuid, author=actor)
        append_event(session, actor=actor, action="rotate", entity_type="case-key", entity_id=case_uuid,
                     changes={"epoch": [new.epoch - 1, new.epoch], "removed": [practitioner_uuid, None]},
                     reason="a member left the care team")


__all__ = ["TEAM_SERVER", "ExportReport", "ImportReport", "Received", "Waiting", "audiences", "care_team_audience",
           "export_changes", "import_changes", "operation_of", "receive_envelopes", "release_waiting",
           "rotate_on_removal", "waiting_count", "waiting_for_key", "waiting_to_send", "waiting_total"]


def colleagues(store: Store) -> list[tuple[str, str]]:
    """(uuid, name) of each colleague in the care team of a case held here who is an active
    member of the team: those a bundle can be made for."""
    me = store.owner_uuid
    with store.read() as s:
        teams = audiences(s)
        roster = membership.current_roster(s, _team(s)) if _team(s) else None
        if roster is None:
            return []
        people = sorted({p for members in teams.values() for p in members} - {me})
        return sorted(((p, roster.name_of(p)) for p in people if roster.encryption_keys(p)), key=lambda x: x[1])


def _team(s: Session) -> str:
    device = keys.active_keys(s)
    return device.team if device is not None else ""
