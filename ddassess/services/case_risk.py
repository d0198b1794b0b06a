"""The case's risk level: one value, worked out one way, shown the same everywhere.

Two things decide it, both kept on the case (migration 0007):

* **from the flags**: the most severe flag (urgent above high) raised by the case's
  *current final forms*: for each form, its newest final response. Drafts do not count
  (a flag on a draft, partial or not, is shown in the banner as the draft's, but does not
  set the case's level); superseded responses do not count (their amendment speaks for
  them), so an amendment that removes a flag lowers the level. Warning and info flags do
  not raise it.
* **a practitioner's decision**: a level set by hand, raised or lowered, with a required
  reason, who and when (audited like every change to the case).

``effective_level`` combines them, and it is the only place that does: the decision
stands while it is in force, otherwise the flags speak. The result is written to
``cases.risk_level`` whenever either input changes, and the case list, its "High risk
only" filter, the case header and the CLI all read that value; nothing else writes it.

A decision never hides a newer risk: when a form finalised after it raises a flag above
the level the practitioner set (or the level from the flags rises above it), the decision
lapses — it is cleared, the audit event says why, and the level is the flags' again. The
practitioner can then decide again, knowing what the new form says. A decision that
*raises* the level is never lowered by the flags: only a practitioner lowers it again.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from ddassess.domain import limits
from ddassess.errors import InvalidInputError, RecordNotFound, UnknownFormError
from ddassess.formengine import Catalogue, evaluate
from ddassess.store import Store
from ddassess.store.audit import append_event
from ddassess.store.records import CaseRecord, ResponseRecord, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ddassess.domain.models import Response

LEVELS: tuple[str, ...] = ("", "high", "urgent")  # "": no raised risk
# What a practitioner may choose, by the words the dialog and the CLI use.
CHOICES: dict[str, str] = {"none": "", "high": "high", "urgent": "urgent"}
LEVEL_WORDS = {"": "not raised", "high": "high", "urgent": "urgent"}


def rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


def level_of(severities: set[str] | frozenset[str]) -> str:
    """The case level a set of flag severities gives: the most severe of urgent and high."""
    return next((lvl for lvl in reversed(LEVELS) if lvl and lvl in severities), "")


def effective_level(from_flags: str, override: str | None) -> str:
    """THE case risk level: the practitioner's decision while one is in force, else the flags'."""
    return from_flags if override is None else override


@dataclass(frozen=True)
class CaseRisk:
    level: str  # effective_level(from_flags, override): what everything shows
    from_flags: str
    override: str | None  # None: no decision in force
    reason: str = ""
    by: str = ""
    at: dt.datetime | None = None

    @property
    def overridden(self) -> bool:
        return self.override is not None

    def describe(self) -> str:
        """In words, as the header and the CLI say it (no case data: levels, a name, a date)."""
        words = LEVEL_WORDS[self.level].upper() if self.level else "NOT RAISED"
        if not self.overridden:
            return f"Risk level: {words} (from the flags of final forms)"
        when = f" on {self.at.astimezone():%d %b %Y}" if self.at else ""
        return (f"Risk level: {words} — set by {self.by or 'a practitioner'}{when}; the final forms' flags say "
                f"{LEVEL_WORDS[self.from_flags]}. Reason: {self.reason}")


def _risk_of(c: CaseRecord) -> CaseRisk:
    return CaseRisk(c.risk_level, c.risk_from_flags, c.risk_override, c.risk_override_reason, c.risk_override_by,
                    c.risk_override_at)


def case_risk(store: Store, case_id: int) -> CaseRisk:
    with store.read() as s:
        c = s.get(CaseRecord, case_id)
        if c is None:
            raise RecordNotFound("That case is no longer in the store.")
        return _risk_of(c)


def flags_level(store: Store, catalogue: Catalogue, case_id: int) -> str:
    """The level the flags of the case's current final forms give (see the module's notes)."""
    from ddassess.services.case_pathway import StoredCaseContext

    with store.read() as s:
        rows = s.execute(select(ResponseRecord.id, ResponseRecord.form_id, ResponseRecord.form_version,
                                ResponseRecord.answers_json)
                         .where(ResponseRecord.case_id == case_id, ResponseRecord.status == "final")
                         .order_by(ResponseRecord.updated_at.desc(), ResponseRecord.id.desc())).all()
    seen: set[str] = set()
    severities: set[str] = set()
    for rid, form_id, version, answers_json in rows:
        if form_id in seen:  # an older final response of a form: the newest speaks for it
            continue
        seen.add(form_id)
        try:
            spec = catalogue.get(form_id, version)
        except UnknownFormError:  # a form no longer in the catalogue raises nothing
            continue
        ev = evaluate(spec, json.loads(answers_json), StoredCaseContext(store, case_id, catalogue, rid),
                      tables=catalogue.tables)
        severities |= {f.severity for f in ev.flags}
    return level_of(frozenset(severities))


def _response_level(store: Store, catalogue: Catalogue, response: Response) -> str:
    from ddassess.services.case_pathway import StoredCaseContext

    try:
        spec = catalogue.get(response.form_id, response.form_version)
    except UnknownFormError:
        return ""
    ev = evaluate(spec, response.answers, StoredCaseContext(store, response.case_id, catalogue, response.id),
                  tables=catalogue.tables)
    return level_of(frozenset(f.severity for f in ev.flags))


def refresh_case_risk(store: Store, catalogue: Catalogue, case_id: int, finalised: Response | None = None) -> CaseRisk:
    """Work the level out again from the forms (after ``finalised`` was finalised or amended)."""
    from_flags = flags_level(store, catalogue, case_id)
    newest = _response_level(store, catalogue, finalised) if finalised is not None else ""
    with store.write() as s:
        c = s.get(CaseRecord, case_id)
        if c is None:
            raise RecordNotFound("That case is no longer in the store.")
        old = {"risk_from_flags": c.risk_from_flags, "risk_level": c.risk_level, "risk_override": c.risk_override,
               "risk_override_reason": c.risk_override_reason, "risk_override_by": c.risk_override_by,
               "risk_override_at": _iso(c.risk_override_at)}
        reason = ""
        if c.risk_override is not None and (
                rank(newest) > rank(c.risk_override)
                or (rank(from_flags) > rank(c.risk_override) and rank(from_flags) > rank(c.risk_from_flags))):
            raised = max(newest, from_flags, key=rank)
            reason = (f"The practitioner's risk level ({LEVEL_WORDS[c.risk_override]}) lapsed: a form finalised "
                      f"after it raises a {LEVEL_WORDS[raised]} flag.")
            c.risk_override, c.risk_override_reason, c.risk_override_by, c.risk_override_at = None, "", "", None
        c.risk_from_flags = from_flags
        c.risk_level = effective_level(from_flags, c.risk_override)
        new = {"risk_from_flags": c.risk_from_flags, "risk_level": c.risk_level, "risk_override": c.risk_override,
               "risk_override_reason": c.risk_override_reason, "risk_override_by": c.risk_override_by,
               "risk_override_at": _iso(c.risk_override_at)}
        changes = {k: [old[k], new[k]] for k in new if old[k] != new[k]}
        if changes:
            append_event(s, actor=store.owner_uuid, action="update", entity_type="case", entity_id=c.uuid,
                         changes=changes, reason=reason)
        _keep_a_higher_conflicting_decision(s, c, store.owner_uuid)
        return _risk_of(c)


def _iso(at: dt.datetime | None) -> str | None:
    """A time as the store keeps it (so the audit trail replays to the same text)."""
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds") if at is not None else None


def parse_level(text: str) -> str | None:
    """A level as typed ("high", "URGENT", "none"; "flags": back to the flags' level, None)."""
    word = text.strip().lower()
    if word in ("flags", "from flags", "auto"):
        return None
    if word not in CHOICES:
        raise InvalidInputError(f"“{text.strip()[:40]}” is not a risk level.",
                                hint="Choose none, high or urgent (or flags, to follow the flags of the final forms "
                                     "again).")
    return CHOICES[word]


def set_case_risk(store: Store, case_id: int, level: str | None, reason: str, *,
                  at: dt.datetime | None = None) -> CaseRisk:
    """A practitioner raises or lowers the case's level (``level`` one of LEVELS), or hands it
    back to the flags (``level`` None). The reason is required and kept with the decision."""
    if level is not None and level not in LEVELS:
        raise InvalidInputError(f"“{level[:40]}” is not a risk level.", hint="Choose none, high or urgent.")
    limits.check_text(reason, "The reason", limits.MAX_REASON, lines=True)
    reason = reason.strip()
    if not reason:
        raise InvalidInputError("A reason is needed to change the case's risk level.",
                                hint="Say why (for example what was learnt at the joint review); it is kept with "
                                     "the change.")
    owner = store.owner()
    by = owner.name if owner is not None else ""
    with store.write() as s:
        c = s.get(CaseRecord, case_id)
        if c is None:
            raise RecordNotFound("That case is no longer in the store.")
        old = {"risk_level": c.risk_level, "risk_override": c.risk_override,
               "risk_override_reason": c.risk_override_reason, "risk_override_by": c.risk_override_by,
               "risk_override_at": _iso(c.risk_override_at)}
        when = at or utcnow()
        if level is None:
            c.risk_override, c.risk_override_reason, c.risk_override_by, c.risk_override_at = None, "", "", None
        else:
            c.risk_override, c.risk_override_reason, c.risk_override_by, c.risk_override_at = level, reason, by, when
        c.risk_level = effective_level(c.risk_from_flags, c.risk_override)
        new = {"risk_level": c.risk_level, "risk_override": c.risk_override,
               "risk_override_reason": c.risk_override_reason, "risk_override_by": c.risk_override_by,
               "risk_override_at": _iso(c.risk_override_at)}
        changes = {k: [old[k], new[k]] for k in new if old[k] != new[k]}
        append_event(s, actor=store.owner_uuid, action="update", entity_type="case", entity_id=c.uuid,
                     changes=changes, reason=reason)
        _keep_a_higher_conflicting_decision(s, c, store.owner_uuid)
        return _risk_of(c)


def _keep_a_higher_conflicting_decision(s: Session, c: CaseRecord, actor: str) -> None:
    """A shared case: while this decision conflicts with one made on another laptop (not
    yet resolved by a person), the higher decision is the one shown (exchange/fold.py,
    the same on every laptop), so a decision here never hides a higher one made there.
    This decision is kept in the conflict, for a person to choose between them."""
    from ddassess.exchange.derive import risk_level, shown_decision

    s.flush()  # the decision's operation is written, and with it the conflict
    conflict, shown = shown_decision(s, c.uuid)
    if not conflict:
        return
    old = {"risk_level": c.risk_level, "risk_override": c.risk_override,
           "risk_override_reason": c.risk_override_reason, "risk_override_by": c.risk_override_by,
           "risk_override_at": _iso(c.risk_override_at)}
    if isinstance(shown, dict):
        at = shown.get("at")
        c.risk_override, c.risk_override_reason = shown.get("level"), str(shown.get("reason", ""))
        c.risk_override_by = str(shown.get("by", ""))
        c.risk_override_at = dt.datetime.fromisoformat(at) if isinstance(at, str) else None
    else:
        c.risk_override, c.risk_override_reason, c.risk_override_by, c.risk_override_at = None, "", "", None
    c.risk_level = risk_level(s, c)
    new = {"risk_level": c.risk_level, "risk_override": c.risk_override,
           "risk_override_reason": c.risk_override_reason, "risk_override_by": c.risk_override_by,
           "risk_override_at": _iso(c.risk_override_at)}
    changes = {k: [old[k], new[k]] for k in new if old[k] != new[k]}
    if changes:
        from ddassess.exchange.capture import CAPTURE_OFF

        s.info[CAPTURE_OFF] = True  # what is shown of a conflict is not a change of its own
        try:
            append_event(s, actor=actor, action="update", entity_type="case", entity_id=c.uuid, changes=changes,
                         reason="a higher risk decision made on another laptop is shown until a person resolves "
                                "the conflict")
            s.flush()
        finally:
            s.info.pop(CAPTURE_OFF, None)
