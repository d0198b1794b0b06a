"""The complex case review meeting (pathway step 11: in North Lincolnshire a fortnightly
meeting of the two services): which open cases it discusses and why, the actions it agreed
that are still open, and each case's review form started from its agenda item.

**Who is on the agenda**: every open case (not closed, not discharged) that is

- *high-risk*: risk level urgent or high (``services.case_risk``), or placed in the high
  mental illness / high substance misuse quadrant by its current final lead agency
  decision (the quadrant NICE NG58 has secondary mental health services lead);
- *overdue for review*: its next review date has passed;
- *flagged*: a risk flag (urgent, high or warning) on its current forms nobody has
  acknowledged.

Each item says every reason that applies, the care coordinator and partner worker (the
lead agency decision's names, else the practitioners the case records), the last joint
review (the newest final joint review's date), the next review and the open actions.
Urgent cases come first, then high, then the rest; within each, the longest overdue first.

**Open actions** are the rows of the *newest* final complex case review of a case whose
"Done?" is not yes: each meeting reviews the actions of the one before (``start_review``
copies them into the new form, where they are ticked off or carried on), so the newest
review is the list in force. Older reviews' rows are history.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from ddassess.domain.agenda import Agenda, AgendaItem, OpenAction
from ddassess.errors import InvalidInputError, RecordNotFound
from ddassess.fileio import atomic_write
from ddassess.formengine import Catalogue, evaluate
from ddassess.services import case_changes
from ddassess.services.case_header import case_summary
from ddassess.services.case_risk import LEVEL_WORDS
from ddassess.store import Store
from ddassess.store.audit import append_event
from ddassess.store.records import CaseRecord, PersonRecord, PractitionerRecord, ResponseRecord

REVIEW_FORM = "complex_case_review"
HIGH_HIGH = "high_mh_high_sm"
LEVEL_ORDER = {"urgent": 0, "high": 1}


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _newest_final(s: Any, case_id: int | None, form_id: str) -> dict[int, ResponseRecord]:
    """The newest final response of ``form_id`` of each case (of one case, given ``case_id``)."""
    if case_id is not None:
        stmt: Any = select(ResponseRecord).where(ResponseRecord.form_id == form_id, ResponseRecord.status == "final",
                                                 ResponseRecord.case_id == case_id)
        stmt = stmt.order_by(ResponseRecord.finalised_at, ResponseRecord.id)
    else:  # every case's, case by case through the (case, form) index: not a scan of every final response
        stmt = select(ResponseRecord).from_statement(text(
            "SELECT r.* FROM cases AS c CROSS JOIN form_responses AS r WHERE r.case_id = c.id AND "
            "r.form_id = :form_id AND +r.status = 'final' ORDER BY r.finalised_at, r.id").bindparams(form_id=form_id))
    newest: dict[int, ResponseRecord] = {}
    for r in s.scalars(stmt):
        newest[r.case_id] = r  # later rows win
    return newest


def open_actions(store: Store, case_id: int | None = None) -> tuple[OpenAction, ...]:
    """The actions not yet done from each case's newest final complex case review (one
    case's, given ``case_id``), by due date (none last), then case."""
    with store.read() as s:
        newest = _newest_final(s, case_id, REVIEW_FORM)
        refs = dict(s.execute(select(CaseRecord.id, CaseRecord.ref).where(CaseRecord.id.in_(list(newest)))).all())
        found = []
        for cid, r in newest.items():
            answers = json.loads(r.answers_json or "{}")
            rows = answers.get("actions") or []
            for row in rows if isinstance(rows, list) else []:
                if not isinstance(row, dict) or row.get("done") is True or not str(row.get("action") or "").strip():
                    continue
                found.append(OpenAction(cid, refs.get(cid, ""), str(row.get("action", "")).strip(),
                                        str(row.get("owner", "") or "").strip(), _date(row.get("due")),
                                        _date(answers.get("meeting_date")), r.id))
    return tuple(sorted(found, key=lambda a: (a.due is None, a.due or dt.date.max, a.case_ref, a.action)))


def _quadrant(catalogue: Catalogue, r: ResponseRecord | None) -> str:
    if r is None:
        return ""
    try:
        spec = catalogue.definition_for(r.form_id, r.form_version, r.definition_hash)
    except Exception:  # noqa: BLE001 - a decision made under a form no longer here places nobody
        return ""
    value = evaluate(spec, json.loads(r.answers_json or "{}"), tables=catalogue.tables).computed.get("quadrant")
    return str(value or "")


def _finalised_on(r: ResponseRecord | None) -> dt.date | None:
    at = r.finalised_at if r is not None else None
    return at.astimezone().date() if at is not None else None


def _name(s: Any, practitioner_id: int | None) -> str:
    if practitioner_id is None:
        return ""
    p = s.get(PractitionerRecord, practitioner_id)
    return p.name if p is not None else ""


def meeting_agenda(store: Store, catalogue: Catalogue, today: dt.date | None = None) -> Agenda:
    """The agenda for a meeting held ``today`` (see the module's notes for who is on it)."""
    today = today or dt.date.today()
    actions_by_case: dict[int, list[OpenAction]] = {}
    for a in open_actions(store):
        actions_by_case.setdefault(a.case_id, []).append(a)
    with store.read() as s:
        cases = list(s.scalars(select(CaseRecord).where(CaseRecord.status == "open",
                                                        CaseRecord.stage != "discharged")))
        decisions = _newest_final(s, None, "lead_agency")
        reviews = _newest_final(s, None, "joint_review")
        details = {}
        for c in cases:
            person = s.get(PersonRecord, c.person_id)
            decision = json.loads(decisions[c.id].answers_json or "{}") if c.id in decisions else {}
            review = json.loads(reviews[c.id].answers_json or "{}") if c.id in reviews else {}
            details[c.id] = (
                c.ref, f"{person.given_name} {person.family_name}".strip() if person else "",
                c.risk_level, c.next_review_due,
                str(decision.get("care_coordinator") or "").strip() or _name(s, c.care_coordinator_id),
                str(decision.get("link_worker") or "").strip() or _name(s, c.partner_worker_id),
                _date(review.get("review_date")) or _finalised_on(reviews.get(c.id)),
                decisions.get(c.id))
        s.expunge_all()
    items = []
    for case_id, (ref, name, level, next_review, coordinator, partner, last_review, decision) in details.items():
        reasons = []
        if level in LEVEL_ORDER:
            reasons.append(f"Risk level {LEVEL_WORDS[level]}")
        high_high = _quadrant(catalogue, decision) == HIGH_HIGH
        if high_high:
            reasons.append("High mental illness / high substance misuse quadrant")
        if next_review is not None and next_review < today:
            days = (today - next_review).days
            reasons.append(f"Review overdue by {days} day{'s' if days != 1 else ''} "
                           f"(due {next_review.strftime('%d %b %Y')})")
        unacknowledged = case_summary(store, catalogue, case_id, today).unacknowledged_risk_flags
        if unacknowledged:
            n = len(unacknowledged)
            reasons.append(f"{n} risk flag{'s' if n != 1 else ''} not acknowledged: "
                           + "; ".join(f.message for f in unacknowledged[:3]) + ("; …" if n > 3 else ""))
        if reasons:
            items.append(AgendaItem(case_id, ref, name, tuple(reasons), level, high_high, coordinator, partner,
                                    last_review, next_review, tuple(actions_by_case.get(case_id, ()))))
    items.sort(key=lambda i: (LEVEL_ORDER.get(i.risk_level, 2),
                              -(today - i.next_review).days if i.next_review and i.next_review < today else 0,
                              i.ref))
    return Agenda(today, tuple(items))


def review_answers(item: AgendaItem, today: dt.date) -> dict[str, Any]:
    """A complex case review form's first answers from an agenda item: the meeting date, why
    the case is discussed (the discussion starts from it) and its open actions carried on."""
    lines = ["On the agenda: " + "; ".join(item.reasons) + "."]
    if item.last_joint_review:
        lines.append(f"Last joint review {item.last_joint_review.strftime('%d %b %Y')}.")
    if item.next_review:
        lines.append(f"Next review due {item.next_review.strftime('%d %b %Y')}.")
    return {
        "meeting_date": today.isoformat(),
        "discussion": " ".join(lines) + "\n\n",
        "actions": [{"action": a.action, "owner": a.owner, "due": a.due.isoformat() if a.due else None,
                     "done": False} for a in item.actions],
    }


def start_review(store: Store, catalogue: Catalogue, item: AgendaItem, today: dt.date | None = None) -> int:
    """Start the case's complex case review form from its agenda item (a draft, audited as every
    new response is); an existing draft review of the case is opened instead of a second one."""
    today = today or dt.date.today()
    spec = catalogue.get(REVIEW_FORM)
    with store.read() as s:
        case = s.get(CaseRecord, item.case_id)
        if case is None:
            raise RecordNotFound("That case is no longer in the store.")
        if case.status != "open":
            raise InvalidInputError(f"Case {case.ref} is closed: a closed case is not reviewed.",
                                    hint="Make a new agenda: it lists open cases only.")
        draft = s.scalar(select(ResponseRecord.id).where(ResponseRecord.case_id == item.case_id,
                                                         ResponseRecord.form_id == REVIEW_FORM,
                                                         ResponseRecord.status == "draft",
                                                         ResponseRecord.amends_id.is_(None)))
    if draft is not None:
        return int(draft)
    answers = {k: v for k, v in review_answers(item, today).items() if v or k != "actions"}
    return case_changes.start_response(store, item.case_id, REVIEW_FORM, spec.version, spec.content_hash, answers).id


def export_agenda(store: Store, catalogue: Catalogue, out: Path, today: dt.date | None = None) -> Agenda:
    """Write the agenda as an A4 PDF (readable by its owner only), atomically, and record the
    export in the audit trail (how many cases; the names stay in the file)."""
    from ddassess.pdf.agenda import render_agenda
    from ddassess.services.careplan_files import check_writable
    from ddassess.services.settings import get_setting

    check_writable(out)
    agenda = meeting_agenda(store, catalogue, today)
    pdf = render_agenda(agenda, str(get_setting(store, "organisation_name") or "").strip())
    atomic_write(out, pdf, mode=0o600)
    with store.write() as s:
        append_event(s, actor=store.owner_uuid, action="export", entity_type="team-report", entity_id="agenda",
                     changes={"meeting": [None, agenda.made_on.isoformat()], "cases": [None, len(agenda.items)],
                              "file": [None, out.name]})
    return agenda
