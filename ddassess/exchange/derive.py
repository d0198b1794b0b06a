"""What a case derives from its merged forms, worked out again after applying operations.

A case's stage, status, closing day, lead agency, care coordinator, next review and the risk
level from its flags are not shared as fields of their own: each laptop works them out from
the same final forms, so they converge without merge rules (and without false conflicts
from two laptops advancing the same stage). The rules are those the services apply when a
form is finalised (services/case_pathway.py, services/case_risk.py):

* stage: the furthest pathway step of any final form (a stage never goes back); a final
  discharge closes the case on the day it was finalised, with no review due;
* a final amendment supersedes the response it amends; two final amendments of one form are
  a conflict on that chain until a person keeps one (the other is then superseded);
* lead agency (and coordinator, when the named one is a practitioner in this store): the
  newest final lead agency decision; next review: the newest final care plan or joint review;
* risk from flags: the flags of the newest final response of each form; the level shown is
  the practitioner's decision while one is in force, else the flags' — and while two
  laptops' decisions conflict, the highest of them and the flags' (a risk is never dropped
  by a merge).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ddassess.domain.models import FORM_STAGE, PATHWAY_STAGES
from ddassess.errors import UnknownFormError
from ddassess.store import case_facts
from ddassess.store.audit import append_event
from ddassess.store.records import CaseRecord, OperationHeadsRecord, OperationRecord, PractitionerRecord, ResponseRecord

if TYPE_CHECKING:
    from ddassess.formengine import Catalogue

LEVELS = ("", "high", "urgent")
REVIEW_DATE_FIELDS = {"care_plan": "next_review", "joint_review": "next_review"}


def _rank(level: str | None) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


def _when(r: ResponseRecord) -> tuple[dt.datetime, str]:
    at = r.finalised_at or r.updated_at or r.created_at
    return at, r.uuid


class SessionCaseContext:
    """``latest(form, name)`` from the case's responses as this session sees them."""

    def __init__(self, session: Session, case_id: int, catalogue: Catalogue, exclude: int | None = None) -> None:
        self.session, self.case_id, self.catalogue, self.exclude = session, case_id, catalogue, exclude

    def lookup(self, form_id: str, name: str) -> Any:
        from ddassess.formengine import evaluate

        stmt = (select(ResponseRecord).where(ResponseRecord.case_id == self.case_id, ResponseRecord.form_id == form_id,
                                             ResponseRecord.status != "superseded")
                .order_by((ResponseRecord.status == "final").desc(), ResponseRecord.updated_at.desc()))
        if self.exclude is not None:
            stmt = stmt.where(ResponseRecord.id != self.exclude)
        r = self.session.scalars(stmt).first()
        if r is None:
            return None
        try:
            spec = self.catalogue.get(form_id, r.form_version)
        except UnknownFormError:
            return None
        ev = evaluate(spec, json.loads(r.answers_json), tables=self.catalogue.tables)
        if name in ev.scores:
            return ev.scores[name].value
        if name in ev.computed:
            return ev.computed[name]
        return ev.answers.get(name, ev.values.get(name))


def flags_level(session: Session, catalogue: Catalogue, case_id: int,
                finals: Sequence[ResponseRecord] | None = None) -> str:
    """The level the flags of the case's current final forms give (as services/case_risk.py).
    ``finals``: the case's final and superseded responses, when the caller read them already."""
    from ddassess.formengine import evaluate

    if finals is None:
        rows: Sequence[ResponseRecord] = session.scalars(
            select(ResponseRecord).where(ResponseRecord.case_id == case_id, ResponseRecord.status == "final")
            .order_by(ResponseRecord.updated_at.desc(), ResponseRecord.id.desc())).all()
    else:
        rows = sorted((r for r in finals if r.status == "final"), key=lambda r: (r.updated_at, r.id), reverse=True)
    seen: set[str] = set()
    severities: set[str] = set()
    for r in rows:
        if r.form_id in seen:
            continue
        seen.add(r.form_id)
        try:
            spec = catalogue.get(r.form_id, r.form_version)
        except UnknownFormError:
            continue
        ev = evaluate(spec, json.loads(r.answers_json), SessionCaseContext(session, case_id, catalogue, r.id),
                      tables=catalogue.tables)
        severities |= {f.severity for f in ev.flags}
    return next((lvl for lvl in reversed(LEVELS) if lvl and lvl in severities), "")


def shown_decision(session: Session, case_uuid: str) -> tuple[bool, Any]:
    """(in conflict?, the risk decision shown: the highest of those in conflict, fold.py)."""
    from ddassess.exchange.fold import shown_first

    raw = session.scalar(select(OperationHeadsRecord.heads_json).where(OperationHeadsRecord.entity_uuid == case_uuid))
    ids = (json.loads(raw) if raw else {}).get("risk_override", [])
    if len(ids) < 2:
        return False, None
    bodies = [json.loads(b) for b in session.scalars(select(OperationRecord.body_json)
                                                     .where(OperationRecord.id.in_(ids)))]
    heads = [(b["hlc"], b["id"], b["fields"].get("risk_override")) for b in bodies]
    first = shown_first("risk_override", heads)[0]
    return True, next(h[2] for h in heads if h[1] == first)


def _decisions(session: Session, case_uuid: str) -> list[dict[str, Any]]:
    """The operations of the case's current risk decisions (more than one: a conflict)."""
    raw = session.scalar(select(OperationHeadsRecord.heads_json).where(OperationHeadsRecord.entity_uuid == case_uuid))
    ids = (json.loads(raw) if raw else {}).get("risk_override", [])
    rows = session.scalars(select(OperationRecord.body_json).where(OperationRecord.id.in_(ids)))
    return [json.loads(b) for b in rows]


def response_level(session: Session, catalogue: Catalogue, r: ResponseRecord) -> str:
    from ddassess.formengine import evaluate

    try:
        spec = catalogue.get(r.form_id, r.form_version)
    except UnknownFormError:
        return ""
    ev = evaluate(spec, json.loads(r.answers_json), SessionCaseContext(session, r.case_id, catalogue, r.id),
                  tables=catalogue.tables)
    severities = {f.severity for f in ev.flags}
    return next((lvl for lvl in reversed(LEVELS) if lvl and lvl in severities), "")


def risk_level(session: Session, case: CaseRecord, catalogue: Catalogue | None = None,
               decisions: list[dict[str, Any]] | None = None) -> str:
    """The level shown: ``effective_level`` of the flags and the decision shown; while
    decisions conflict, the highest of them; and never below the flags of a final form the
    decision's author had not seen (one finalised on another laptop meanwhile): a decision
    stands only against the forms it was made on."""
    level = case.risk_from_flags if case.risk_override is None else case.risk_override
    if decisions is None:
        decisions = _decisions(session, case.uuid)
    if len(decisions) > 1:
        for d in decisions:
            risk = d["fields"].get("risk_override")
            candidate = str(risk.get("level") or "") if isinstance(risk, dict) else case.risk_from_flags
            if _rank(candidate) > _rank(level):
                level = candidate
    if catalogue is not None and case.risk_override is not None and decisions:
        seen = set.intersection(*(set(d.get("meta", {}).get("finals_seen", ())) for d in decisions))
        unseen = session.scalars(select(ResponseRecord).where(ResponseRecord.case_id == case.id,
                                                              ResponseRecord.status == "final",
                                                              ResponseRecord.uuid.not_in(sorted(seen)))).all()
        for r in unseen:
            candidate = response_level(session, catalogue, r)
            if _rank(candidate) > _rank(level):
                level = candidate
    return level


def derive_case(session: Session, case_uuid: str, *, actor: str, reason: str,
                catalogue: Catalogue | None = None) -> bool:
    """Work the case's derived columns out again; True if any changed (audited)."""
    case = session.scalar(select(CaseRecord).where(CaseRecord.uuid == case_uuid))
    if case is None:
        return False
    finals = session.scalars(select(ResponseRecord).where(ResponseRecord.case_id == case.id,
                                                          ResponseRecord.status.in_(("final", "superseded")))).all()
    return _derive(session, case, finals, None, actor=actor, reason=reason, catalogue=catalogue)


def derive_cases(session: Session, case_uuids: Iterable[str], *, actor: str, reason: str,
                 catalogue: Catalogue | None = None) -> set[str]:
    """``derive_case`` for many cases (in uuid order), their records, final forms and risk
    decisions read in a few queries per 500 cases; returns the uuids of those held here."""
    wanted = sorted(set(case_uuids))
    held: set[str] = set()
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        cases = sorted(session.scalars(select(CaseRecord).where(CaseRecord.uuid.in_(chunk))).all(),
                       key=lambda c: c.uuid)
        finals: dict[int, list[ResponseRecord]] = {c.id: [] for c in cases}
        # By the index on case_id: with an IN list SQLite would walk ix_responses_status, every
        # final form in the store, so the status is tested as an expression (status || '').
        for r in session.scalars(select(ResponseRecord).where(
                ResponseRecord.case_id.in_(list(finals)), (ResponseRecord.status + "").in_(("final", "superseded")))):
            finals[r.case_id].append(r)
        decision_ids: dict[str, list[str]] = {c.uuid: [] for c in cases}
        heads = select(OperationHeadsRecord.entity_uuid, OperationHeadsRecord.heads_json)
        for entity_uuid, raw in session.execute(heads.where(OperationHeadsRecord.entity_uuid.in_(chunk))):
            decision_ids[entity_uuid] = list(json.loads(raw).get("risk_override", []))
        # A decision's operation is read only where ``risk_level`` looks at it: a decision held,
        # or decisions in conflict (most cases have neither).
        wanted_ids = sorted({i for c in cases if c.risk_override is not None or len(decision_ids[c.uuid]) > 1
                             for i in decision_ids[c.uuid]})
        bodies: dict[str, dict[str, Any]] = {}
        for j in range(0, len(wanted_ids), 500):
            bodies.update((i, json.loads(b)) for i, b in session.execute(
                select(OperationRecord.id, OperationRecord.body_json)
                .where(OperationRecord.id.in_(wanted_ids[j:j + 500]))).all())
        for case in cases:
            decisions = [bodies[i] for i in decision_ids[case.uuid] if i in bodies]
            _derive(session, case, finals[case.id], decisions, actor=actor, reason=reason, catalogue=catalogue,
                    refresh=False)
            held.add(case.uuid)
        session.flush()  # the chunk's cases and forms at once, then their facts in one statement
        case_facts.refresh_many(session, [c.id for c in cases])
    return held


def _derive(session: Session, case: CaseRecord, finals: Sequence[ResponseRecord],
            decisions: list[dict[str, Any]] | None,
            *, actor: str, reason: str, catalogue: Catalogue | None, refresh: bool = True) -> bool:
    """``refresh``: flush and work the case's facts out again now (``derive_cases`` does
    both once for many cases)."""
    by_id = {r.id: r for r in finals}
    for r in sorted(finals, key=_when):
        amended = by_id.get(r.amends_id) if r.amends_id is not None else None
        if r.status == "final" and amended is not None and amended.status == "final":
            amended.status = "superseded"
            append_event(session, actor=actor, action="supersede", entity_type="response", entity_id=amended.uuid,
                         changes={"superseded_by": [None, r.uuid]}, reason=reason)
    _amendment_chains(session, case, finals, actor=actor, reason=reason)
    current = [r for r in finals if r.status == "final"]
    values: dict[str, Any] = {}
    stages = [PATHWAY_STAGES.index(FORM_STAGE[r.form_id]) for r in finals if r.form_id in FORM_STAGE]
    furthest = max([PATHWAY_STAGES.index(case.stage) if case.stage in PATHWAY_STAGES else 0, *stages])
    values["stage"] = PATHWAY_STAGES[furthest]
    discharges = sorted((r for r in current if r.form_id == "discharge"), key=_when)
    if values["stage"] == "discharged":
        values["status"] = "closed"
        if case.closed_on is None:
            values["closed_on"] = _when(discharges[-1])[0].date() if discharges else dt.date.today()
    reviews = sorted((r for r in current if r.form_id in REVIEW_DATE_FIELDS), key=_when)
    if discharges:
        values["next_review_due"] = None
    elif reviews:
        answer = json.loads(reviews[-1].answers_json).get(REVIEW_DATE_FIELDS[reviews[-1].form_id])
        try:
            values["next_review_due"] = dt.date.fromisoformat(str(answer)[:10]) if answer else case.next_review_due
        except ValueError:
            pass
    if catalogue is not None:
        _lead(session, catalogue, case, current, values)
        values["risk_from_flags"] = flags_level(session, catalogue, case.id, finals)
    old = {k: getattr(case, k) for k in (*values, "risk_level")}
    for k, v in values.items():
        setattr(case, k, v)
    case.risk_level = risk_level(session, case, catalogue, decisions)
    changes = {k: [_text(old[k]), _text(getattr(case, k))] for k in old if old[k] != getattr(case, k)}
    if changes:
        append_event(session, actor=actor, action="update", entity_type="case", entity_id=case.uuid,
                     changes=changes, reason=f"worked out from the forms ({reason})")
    if refresh:
        session.flush()
        case_facts.refresh(session, case.id)  # the received forms, in the team figures too
    return bool(changes)


CHAIN_FIELD = "amended_by"  # the conflict of a final form amended twice (kind "chain")


def _amendment_chains(session: Session, case: CaseRecord, finals: Sequence[ResponseRecord], *, actor: str,
                      reason: str) -> None:
    """Two final amendments of one final form (made on two laptops before either heard of
    the other) are a conflict on that form's chain, listed (kind "chain", the amendments'
    uuids) until a person keeps one. Their resolutions (``meta["chain"]``: the amended form,
    ``kept``, ``seen``) are read in clock order, the latest deciding for the amendments it
    saw; each amendment not kept is superseded, audited with the resolution's reason. Both
    stay final meanwhile (so neither's flags are hidden). The same operations give the
    same result on every laptop."""
    from ddassess.exchange.conflicts import set_conflicts

    by_id = {r.id: r for r in finals}
    chains: dict[int, list[ResponseRecord]] = {}
    for r in finals:
        if r.amends_id in by_id:
            chains.setdefault(int(r.amends_id), []).append(r)
    if not any(len(v) > 1 for v in chains.values()):
        return
    decisions = sorted((b for b in (json.loads(raw) for raw in session.scalars(
        select(OperationRecord.body_json).where(OperationRecord.case_uuid == case.uuid,
                                                OperationRecord.action == "resolve",
                                                OperationRecord.status == "applied")))
        if "chain" in b.get("meta", {})), key=lambda b: (b["hlc"], b["id"]))
    conn = session.connection()
    for amended_id, amendments in sorted(chains.items()):
        amended = by_id[amended_id]
        losers: dict[str, dict[str, Any]] = {}
        settled_by: list[str] = []
        for b in decisions:
            if b["meta"]["chain"] != amended.uuid:
                continue
            settled_by.append(b["id"])
            losers.pop(b["meta"]["kept"], None)
            losers.update({u: b for u in b["meta"].get("seen", ()) if u != b["meta"]["kept"]})
        for a in amendments:
            if a.uuid in losers and a.status == "final":
                a.status = "superseded"
                kept = losers[a.uuid]["meta"]["kept"]
                append_event(session, actor=str(losers[a.uuid]["author"]), action="supersede", entity_type="response",
                             entity_id=a.uuid, changes={"superseded_by": [None, kept]},
                             reason=f"the other amendment was kept: {losers[a.uuid]['meta'].get('reason', '')} "
                                    f"({reason})")
        standing = sorted((a for a in amendments if a.uuid not in losers), key=_when)
        current = {CHAIN_FIELD: ("chain", [a.uuid for a in standing])} if len(standing) > 1 else {}
        set_conflicts(conn, "response", amended.uuid, case.uuid, current, fields={CHAIN_FIELD},
                      settled_by=settled_by)


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _lead(session: Session, catalogue: Catalogue, case: CaseRecord, current: list[ResponseRecord],
          values: dict[str, Any]) -> None:
    leads = sorted((r for r in current if r.form_id == "lead_agency"), key=_when)
    if not leads:
        return
    answers = json.loads(leads[-1].answers_json)
    if not answers.get("lead"):
        return
    try:
        spec = catalogue.get("lead_agency", leads[-1].form_version)
    except UnknownFormError:
        return
    field = spec.fields.get("lead")
    labels = {c.value: c.label for c in field.choices} if field is not None else {}
    values["lead_agency"] = labels.get(answers["lead"], str(answers["lead"]))
    wanted = " ".join(str(answers.get("care_coordinator") or "").split()).casefold()
    if wanted:
        for pid, name in session.execute(select(PractitionerRecord.id, PractitionerRecord.name)):
            if " ".join(name.split()).casefold() == wanted:
                values["care_coordinator_id"] = pid
                break
