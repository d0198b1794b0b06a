"""A case's care team: who it is shared with, in what role, and why they may see it.

A case travels only to the practitioners in its care team, so adding someone is a
disclosure and follows the rules of the consent form (docs/exchange.md, "Care team and
consent"):

* a practitioner of a service that already holds the case — the sharer's own, or the case's
  lead agency — needs no consent (basis ``same_agency``);
* another service needs the case's latest **final** consent form to say the person consents,
  to name that service in its rows, and to be within its review date (basis ``consent``);
* otherwise only a lawful basis for sharing without consent — a serious risk to the person
  or others, safeguarding, or a legal requirement — recorded with its reason (basis
  ``risk``, ``safeguarding`` or ``legal``). The refusal says what was missing and what to do.

Every share and removal is audited; a share on a lawful basis that consent would have
refused keeps, in its audit event, what consent lacked. Removing someone calls
``on_member_removed`` in the same transaction, so what follows can be kept from them (the
case key is rotated there once the exchange keys exist).

Services are named by their free text ("Your service"); the consent form names agencies
from its shared choice list. A service is taken to be an agency of that list when its text
is the agency's value or label, or names it (the label without "service", e.g. "Fictional
Mental Health Trust" is the mental health service); text that names none, or several, is
compared as text only and is never taken as named by a consent form.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ddassess.domain import limits
from ddassess.errors import (
    FormDefinitionError,
    InvalidInputError,
    RecordNotFound,
    SharingRefusedError,
    UnknownFormError,
)
from ddassess.formengine import Catalogue, evaluate
from ddassess.formengine.spec import FieldSpec
from ddassess.store import Store
from ddassess.store.audit import append_event
from ddassess.store.records import (
    CareTeamMemberRecord,
    CaseRecord,
    PractitionerRecord,
    ResponseRecord,
    utcnow,
)

ENTITY = "care-team-member"  # the audit trail's name for a membership

# The roles a practitioner can have in a care team, in the order the team is listed.
ROLES = {
    "care_coordinator": "care coordinator",
    "partner_worker": "partner-service worker",
    "team_lead": "team lead",
    "member": "member of the care team",
}
# Why a practitioner may see the case, in words.
BASES = {
    "same_agency": "same service",
    "consent": "consent",
    "risk": "without consent: serious risk to the person or others",
    "safeguarding": "without consent: safeguarding",
    "legal": "without consent: legal requirement or court order",
    "recorded": "on the case before care teams were kept",
}
LAWFUL_BASES = ("risk", "safeguarding", "legal")  # sharing without consent; each needs a reason
# The consent form's "Basis for sharing without consent" as a care team basis.
FORM_BASES = {"risk_to_self": "risk", "risk_to_others": "risk", "safeguarding_child": "safeguarding",
              "safeguarding_adult": "safeguarding", "legal": "legal"}
CONSENT_FORM = "consent"

# Called with (session, case uuid, practitioner uuid) inside the transaction that removes a
# member, after the membership is marked removed; an exception undoes the removal.
MemberRemovedHook = Callable[[Session, str, str], None]


def _rotate_case_key(session: Session, case_uuid: str, practitioner_uuid: str) -> None:
    from ddassess.services.exchange import rotate_on_removal

    rotate_on_removal(session, case_uuid, practitioner_uuid)


MEMBER_REMOVED_HOOKS: list[MemberRemovedHook] = [_rotate_case_key]


def on_member_removed(session: Session, case_uuid: str, practitioner_uuid: str) -> None:
    """The practitioner left the case's care team: what follows must not reach them.

    Runs every hook in ``MEMBER_REMOVED_HOOKS``; the exchange's case-key rotation
    (``rotate_case_key(session, case_uuid)``) belongs here, so a new epoch's key is wrapped
    only for those still in the team.
    """
    for hook in MEMBER_REMOVED_HOOKS:
        hook(session, case_uuid, practitioner_uuid)


@dataclass(frozen=True)
class Practitioner:
    uuid: str
    name: str
    role: str  # their job ("Mental health nurse")
    agency: str  # their service, as they wrote it

    def describe(self) -> str:
        """"Pat Partner — Mental health nurse, Fictional MH Trust"."""
        about = ", ".join(t for t in (self.role, self.agency) if t)
        return f"{self.name} — {about}" if about else self.name


@dataclass(frozen=True)
class Member:
    uuid: str  # the membership's
    practitioner: Practitioner
    role: str
    basis: str
    reason: str
    added_by: str  # a name
    added_at: dt.datetime

    @property
    def role_words(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def basis_words(self) -> str:
        return BASES.get(self.basis, self.basis)

    def describe(self) -> str:
        """One line: who, their role in the team, their service, and why they may see the case."""
        p = self.practitioner
        service = f", {p.agency}" if p.agency else ""
        why = f"{self.basis_words} ({self.reason})" if self.reason else self.basis_words
        return f"{p.name} — {self.role_words}{service}; why: {why}"


@dataclass(frozen=True)
class SharingCheck:
    """What consent says about sharing the case with one practitioner, before any lawful basis."""

    allowed: bool
    basis: str | None  # same_agency or consent when allowed
    words: str  # why it is allowed, or what is missing and what to do
    form_basis: str | None = None  # a basis for sharing without consent the consent form records
    form_reason: str = ""  # and its details


# --- reading --------------------------------------------------------------------------


def _practitioner(r: PractitionerRecord) -> Practitioner:
    return Practitioner(r.uuid, r.name, r.role, r.agency)


def _active(s: Session, case_id: int) -> list[tuple[CareTeamMemberRecord, PractitionerRecord]]:
    rows = s.execute(select(CareTeamMemberRecord, PractitionerRecord)
                     .join(PractitionerRecord, PractitionerRecord.id == CareTeamMemberRecord.practitioner_id)
                     .where(CareTeamMemberRecord.case_id == case_id, CareTeamMemberRecord.removed_at.is_(None))
                     .order_by(CareTeamMemberRecord.added_at, CareTeamMemberRecord.uuid)).all()
    return [(m, p) for m, p in rows]


def care_team(store: Store, case_id: int) -> list[Member]:
    """The case's care team now: each practitioner once (the earliest membership, should two
    laptops have added them at once), care coordinators first, then by when they joined."""
    with store.read() as s:
        if s.get(CaseRecord, case_id) is None:
            raise RecordNotFound("That case is no longer in the store.")
        names: dict[str, str] = {u: n for u, n in s.execute(select(PractitionerRecord.uuid, PractitionerRecord.name))}
        seen: set[int] = set()
        members = []
        for m, p in _active(s, case_id):
            if p.id in seen:
                continue
            seen.add(p.id)
            members.append(Member(m.uuid, _practitioner(p), m.role, m.basis, m.reason,
                                  names.get(m.added_by, "a practitioner not known here"), m.added_at))
    order = list(ROLES)
    return sorted(members, key=lambda m: order.index(m.role) if m.role in order else len(order))


def candidates(store: Store, case_id: int) -> list[Practitioner]:
    """The practitioners of the team who can be added: active, known on this laptop, not in
    the case's care team already; by name."""
    with store.read() as s:
        inside = {p.id for _m, p in _active(s, case_id)}
        rows = s.scalars(select(PractitionerRecord).where(PractitionerRecord.active.is_(True))
                         .order_by(PractitionerRecord.name, PractitionerRecord.uuid))
        return [_practitioner(p) for p in rows if p.id not in inside]


def find_practitioner(store: Store, text: str) -> Practitioner:
    """A practitioner named by uuid or by full name (letter case and spacing aside);
    RecordNotFound, listing who is known, if no one or several match."""
    limits.check_text(text, "The practitioner", limits.MAX_PRACTITIONER_NAME)
    wanted = " ".join(str(text).split()).casefold()
    if not wanted:
        raise InvalidInputError("Name the practitioner: their full name or their id.")
    with store.read() as s:
        everyone = [_practitioner(p) for p in s.scalars(select(PractitionerRecord).order_by(PractitionerRecord.name))]
    found = [p for p in everyone if p.uuid == wanted] or \
        [p for p in everyone if " ".join(p.name.split()).casefold() == wanted]
    if len(found) == 1:
        return found[0]
    if found:
        raise RecordNotFound(f"{len(found)} practitioners are called {text.strip()}: name one by its id "
                             f"({', '.join(p.uuid for p in found)}).")
    known = "; ".join(f"{p.name} ({p.uuid})" for p in everyone)
    raise RecordNotFound(f"No practitioner {text.strip()} is known on this laptop.",
                         hint=f"Known here: {known}. Colleagues from other laptops are added when they join "
                              "the team.")


# --- services and agencies --------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(str(text).replace("-", " ").casefold().split())


def _phrases(label: str) -> list[str]:
    """"GP / primary care" -> ["gp", "primary care"]; "Mental health service" -> ["mental health"]."""
    out = []
    for part in re.split(r"\s*/\s*", _norm(label)):
        part = re.sub(r"\s+services?$", "", part).strip()
        if part:
            out.append(part)
    return out


def agency_of(text: str, agencies: Iterable[tuple[str, str]]) -> str | None:
    """The agency (value of the consent form's agency list, given as (value, label) pairs)
    that a free-text service names; None when it names none, or several."""
    t = _norm(text)
    if not t:
        return None
    pairs = list(agencies)
    for value, label in pairs:
        if t in (_norm(value), _norm(label)):
            return value
    hits = {value for value, label in pairs if value != "other"
            for phrase in _phrases(label) if re.search(rf"\b{re.escape(phrase)}\b", t)}
    return hits.pop() if len(hits) == 1 else None


def _same_service(a: str, b: str, agencies: list[tuple[str, str]]) -> bool:
    if not _norm(a) or not _norm(b):
        return False
    ka, kb = agency_of(a, agencies), agency_of(b, agencies)
    return (ka is not None and ka == kb) or _norm(a) == _norm(b)


def _agency_choices(catalogue: Catalogue, spec_fields: dict[str, FieldSpec] | None = None) -> list[tuple[str, str]]:
    fields = spec_fields
    if fields is None:
        try:
            fields = catalogue.get(CONSENT_FORM).fields
        except UnknownFormError:
            return []
    group = fields.get("sharing")
    column = next((c for c in group.fields if c.id == "agency"), None) if group is not None else None
    return [(c.value, c.label) for c in column.choices] if column is not None else []


def _labels(fields: Any, column: str, values: Any) -> list[str]:
    """The labels of a sharing row's ticked values, in the form's words ("nothing ticked" if none)."""
    group = fields.get("sharing")
    col = next((c for c in group.fields if c.id == column), None) if group is not None else None
    words = {c.value: c.label for c in col.choices} if col is not None else {}
    ticked = [words.get(str(v), str(v)) for v in values] if isinstance(values, list) else []
    return [w[:1].lower() + w[1:] for w in ticked] or ["nothing ticked"]


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _rows(value: Any) -> list[dict[str, Any]]:
    """The rows of a repeating group, as a list of rows or rows by row id."""
    rows = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [r for r in rows if isinstance(r, dict)]


def _on(d: dt.date) -> str:
    return f"{d.day} {d:%b %Y}"


# --- the rules ----------------------------------------------------------------------------


def _latest_consent(s: Session, case_id: int) -> ResponseRecord | None:
    return s.scalars(select(ResponseRecord).where(ResponseRecord.case_id == case_id,
                                                  ResponseRecord.form_id == CONSENT_FORM,
                                                  ResponseRecord.status == "final")
                     .order_by(ResponseRecord.finalised_at.desc(), ResponseRecord.id.desc())).first()


def _check(s: Session, catalogue: Catalogue, case: CaseRecord, who: PractitionerRecord, sharer: str,
           today: dt.date) -> SharingCheck:
    me = s.scalar(select(PractitionerRecord).where(PractitionerRecord.uuid == sharer))
    agencies = _agency_choices(catalogue)
    mine = me.agency if me is not None else ""
    for held_by in (mine, case.lead_agency):
        if _same_service(who.agency, held_by, agencies):
            return SharingCheck(True, "same_agency", f"{who.name} works for {who.agency}, a service that already "
                                                     "holds this case: no consent is needed.")
    theirs = who.agency.strip() or "a service not recorded"
    other = f"{who.name} works for {theirs}, another service than this case's"
    what_to_do = ("or share without consent on a lawful basis (a serious risk to the person or others, "
                  "safeguarding, or a legal requirement), giving the reason.")
    consent = _latest_consent(s, case.id)
    if consent is None:
        return SharingCheck(False, None, f"{other}, and the case has no final consent form. Record the person's "
                                         "consent (the form 'Consent and information sharing', naming that service) "
                                         f"and finalise it, {what_to_do}")
    try:
        spec = catalogue.definition_for(consent.form_id, consent.form_version, consent.definition_hash)
    except (UnknownFormError, FormDefinitionError):  # its definition is gone: the answers are read as stored
        spec = None
    answers = json.loads(consent.answers_json)
    if spec is not None:
        visible = evaluate(spec, answers, tables=catalogue.tables).visible
        answers = {k: v for k, v in answers.items() if k in visible}
        agencies = _agency_choices(catalogue, dict(spec.fields)) or agencies
    signed = (consent.finalised_at or consent.updated_at).astimezone().date()
    form = f"the consent form of {_on(signed)}"
    form_basis = FORM_BASES.get(str(answers.get("basis")))
    form_reason = str(answers.get("basis_details") or "").strip()
    recorded = (f" The consent form records a basis for sharing without consent ({BASES[form_basis]}): "
                "choose it and give the reason to share on it.") if form_basis else ""

    def refused(missing: str) -> SharingCheck:
        return SharingCheck(False, None, f"{other}, and {missing} Ask the person again and record it on a new or "
                                         f"amended consent form, {what_to_do}{recorded}", form_basis, form_reason)

    if answers.get("consent_given") is not True:
        return refused(f"{form} records that the person does not consent to sharing.")
    expires = _date(answers.get("expires_on"))
    if expires is None:
        return refused(f"{form} has no review date, so whether consent still holds is not known.")
    if expires < today:
        return refused(f"the consent on {form} passed its review date on {_on(expires)}.")
    labels = dict(agencies)
    named = [str(r.get("agency")) for r in _rows(answers.get("sharing"))]
    wanted = agency_of(who.agency, agencies)
    allowed = ", ".join(labels.get(a, a) for a in named) or "no service"
    if wanted is None:
        return refused(f"their service names none of the agencies a consent form lists "
                       f"({', '.join(label for _v, label in agencies)}), so consent cannot cover it "
                       f"({form} allows {allowed}).")
    if wanted not in named:
        return refused(f"{form} allows sharing with {allowed} only, not with {labels.get(wanted, wanted)}.")
    # The agency's own ticks: what the person agreed may go to *that* agency (every row naming it).
    ticked = [v for r in _rows(answers.get("sharing")) if str(r.get("agency")) == wanted
              for v in (r["information"] if isinstance(r.get("information"), list) else [])]
    if not ticked:
        return refused(f"{form} names {labels.get(wanted, wanted)} but ticks nothing that may be shared with it.")
    kinds = ", ".join(_labels(spec.fields if spec is not None else {}, "information", list(dict.fromkeys(ticked))))
    return SharingCheck(True, "consent", f"Consent allows sharing with {labels.get(wanted, wanted)}: {form}, to be "
                                         f"reviewed by {_on(expires)} (what may be shared: {kinds}).",
                        form_basis, form_reason)


def sharing_check(store: Store, catalogue: Catalogue, case_id: int, practitioner_uuid: str,
                  today: dt.date | None = None) -> SharingCheck:
    """Whether the case's consent (or a service that holds it) allows sharing it with this
    practitioner, in words: what the "Add to care team…" dialog shows before anything is asked."""
    with store.read() as s:
        case, who = _case_and_practitioner(s, case_id, practitioner_uuid)
        return _check(s, catalogue, case, who, store.owner_uuid, today or dt.date.today())


def _case_and_practitioner(s: Session, case_id: int, practitioner_uuid: str) -> tuple[CaseRecord, PractitionerRecord]:
    case = s.get(CaseRecord, case_id)
    if case is None:
        raise RecordNotFound("That case is no longer in the store.")
    who = s.scalar(select(PractitionerRecord).where(PractitionerRecord.uuid == practitioner_uuid))
    if who is None:
        raise RecordNotFound("That practitioner is not known on this laptop.",
                             hint="Colleagues from other laptops are added when they join the team.")
    return case, who


# --- changing the care team -----------------------------------------------------------------


def share_case(store: Store, catalogue: Catalogue, case_id: int, practitioner_uuid: str, role: str = "member",
               basis: str | None = None, reason: str = "", *, today: dt.date | None = None) -> Member:
    """Add a practitioner to the case's care team, in ``role``.

    ``basis`` None or "consent": allowed for a service that holds the case, or with the
    consent form's agreement (see the module's rules), else SharingRefusedError saying what
    is missing. "risk", "safeguarding" or "legal": shared without consent on that basis;
    ``reason`` is required and kept. Audited; nothing is written when refused.
    """
    if role not in ROLES:
        raise InvalidInputError(f"'{role}' is not a role in a care team: use one of {', '.join(ROLES)}.")
    if basis not in (None, "consent", *LAWFUL_BASES):
        raise InvalidInputError(f"'{basis}' is not a basis for sharing: use consent, or, without consent, "
                                f"{', '.join(LAWFUL_BASES)}.")
    limits.check_text(reason, "The reason", limits.MAX_REASON, lines=True)
    reason = (reason or "").strip()
    if basis in LAWFUL_BASES and not reason:
        raise InvalidInputError(f"Sharing without consent ({BASES[basis]}) needs the reason: what the risk or "
                                "concern is, and who authorised it. It is kept with the care team.")
    with store.write() as s:
        case, who = _case_and_practitioner(s, case_id, practitioner_uuid)
        if not who.active:
            raise InvalidInputError(f"{who.name} is no longer an active member of the team.")
        now_in = next((m for m, p in _active(s, case_id) if p.id == who.id), None)
        if now_in is not None:
            raise InvalidInputError(f"{who.name} is already in the care team of {case.ref}, as "
                                    f"{ROLES.get(now_in.role, now_in.role)}.")
        me = store.owner_uuid
        check = _check(s, catalogue, case, who, me, today or dt.date.today())
        if basis in LAWFUL_BASES:
            chosen, kept = str(basis), reason
        elif check.allowed and check.basis is not None:
            chosen, kept = check.basis, ""
        else:
            raise SharingRefusedError(f"Not shared: {check.words}")
        record = CareTeamMemberRecord(case_id=case.id, practitioner_id=who.id, role=role, basis=chosen, reason=kept,
                                      added_by=me, added_at=utcnow())
        s.add(record)
        s.flush()
        changes: dict[str, Any] = {"case": [None, case.uuid], "practitioner": [None, who.uuid], "role": [None, role],
                                   "basis": [None, chosen]}
        if chosen in LAWFUL_BASES:
            changes["consent_check"] = [None, "consent allows it" if check.allowed else check.words]
        append_event(s, actor=me, action="create", entity_type=ENTITY, entity_id=record.uuid, changes=changes,
                     reason=kept)
        by = s.scalar(select(PractitionerRecord.name).where(PractitionerRecord.uuid == me))
        return Member(record.uuid, _practitioner(who), role, chosen, kept, by or "", record.added_at)


def remove_from_case(store: Store, case_id: int, practitioner_uuid: str, reason: str = "") -> None:
    """Take a practitioner out of the case's care team (audited, with the reason if given);
    ``on_member_removed`` runs in the same transaction. The team keeps at least one member."""
    limits.check_text(reason, "The reason", limits.MAX_REASON, lines=True)
    reason = (reason or "").strip()
    with store.write() as s:
        case, who = _case_and_practitioner(s, case_id, practitioner_uuid)
        active = _active(s, case_id)
        theirs = [m for m, p in active if p.id == who.id]
        if not theirs:
            raise InvalidInputError(f"{who.name} is not in the care team of {case.ref}.")
        if not any(p.id != who.id for _m, p in active):
            raise InvalidInputError(f"{who.name} is the only practitioner in the care team of {case.ref}: add "
                                    "someone else first, so the case is not left with nobody.")
        me, now = store.owner_uuid, utcnow()
        for m in theirs:
            m.removed_at, m.removed_by = now, me
            append_event(s, actor=me, action="remove", entity_type=ENTITY, entity_id=m.uuid,
                         changes={"removed": [False, True]}, reason=reason)
        s.flush()
        on_member_removed(s, case.uuid, who.uuid)


def add_opener(s: Session, case: CaseRecord, me: str) -> None:
    """The practitioner who opens a case is in its care team, as its care coordinator (the
    case names them so until the lead agency decision says otherwise). Inside ``open_case``'s
    transaction, after the case is flushed; ``me``: the store owner's practitioner uuid."""
    who = s.scalar(select(PractitionerRecord).where(PractitionerRecord.uuid == me))
    if who is None:
        return
    record = CareTeamMemberRecord(case_id=case.id, practitioner_id=who.id, role="care_coordinator",
                                  basis="same_agency", reason="opened the case", added_by=me, added_at=utcnow())
    s.add(record)
    s.flush()
    append_event(s, actor=me, action="create", entity_type=ENTITY, entity_id=record.uuid,
                 changes={"case": [None, case.uuid], "practitioner": [None, who.uuid],
                          "role": [None, record.role], "basis": [None, record.basis]}, reason=record.reason)
