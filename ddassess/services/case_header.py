"""What the case view shows above the forms: where the case is on the pathway, the risk flags
that are active now, the latest screening scores, and a one-line summary of each form.

Everything here is worked out from the stored answers with the forms engine (the same
``evaluate`` the form view and the PDF use), so the header can never disagree with a form.
Widgets only lay these values out.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ddassess.domain.models import PATHWAY_STAGES
from ddassess.errors import UnknownFormError
from ddassess.formengine import Catalogue, Evaluation, FormSpec, evaluate
from ddassess.services.case_pathway import FORM_STAGE, CaseDetail, ResponseSummary, StoredCaseContext, case_detail
from ddassess.services.case_risk import CaseRisk, case_risk
from ddassess.services.flag_acknowledgements import Acknowledgement, acknowledgements
from ddassess.services.settings import get_setting
from ddassess.store import Store
from ddassess.store.records import ResponseRecord

STAGE_TITLES: dict[str, str] = {
    "referral": "Referral", "consent": "Consent", "screening": "Screening", "joint_assessment": "Joint assessment",
    "lead_agency": "Lead agency decision", "care_plan": "Care plan", "review": "Review", "discharged": "Discharge",
}
SEVERITY_ORDER = {"urgent": 0, "high": 1, "warning": 2, "info": 3}


@dataclass(frozen=True)
class TimelineStep:
    stage: str
    title: str
    state: str  # done, in_progress, not_done, due (next), overdue or later
    on: dt.date | None = None  # done: when; due/overdue (and the review step): by when


@dataclass(frozen=True)
class ActiveFlag:
    severity: str
    message: str
    form_title: str
    on: dt.date
    flag_id: str = ""  # with response_uuid: names the flag stably (for acknowledging it)
    response_uuid: str = ""
    acknowledged: Acknowledgement | None = None
    partial: bool = False  # raised on a form that is not finished (the engine says so)


@dataclass(frozen=True)
class ScoreLine:
    form_id: str
    name: str  # "PHQ-9"
    value: float | int
    band: str
    status: str  # of the response it comes from
    on: dt.date


@dataclass(frozen=True)
class ResponseLine:
    id: int
    form_id: str
    title: str
    status: str
    updated_at: dt.datetime
    score: str  # "9 — Mild", or "" when the form has no complete score


@dataclass(frozen=True)
class CaseSummary:
    detail: CaseDetail
    steps: tuple[TimelineStep, ...]
    flags: tuple[ActiveFlag, ...]
    scores: tuple[ScoreLine, ...]
    responses: tuple[ResponseLine, ...]
    date_format: str
    review_overdue: bool
    risk: CaseRisk  # the case's one risk level (services.case_risk), with who set it and why

    @property
    def risk_flags(self) -> tuple[ActiveFlag, ...]:
        """The flags that speak of risk (urgent, high, warning); "info" flags are prompts, not risks."""
        return tuple(f for f in self.flags if f.severity != "info")

    @property
    def unacknowledged_risk_flags(self) -> tuple[ActiveFlag, ...]:
        """The risk flags nobody has acknowledged yet: what the banner counts."""
        return tuple(f for f in self.risk_flags if f.acknowledged is None)

    def date(self, d: dt.date | dt.datetime | None) -> str:
        """A date in the practitioner's chosen format ("" when there is none)."""
        return d.strftime(self.date_format) if d is not None else ""


def _short_name(spec: FormSpec, label: str) -> str:
    """'PHQ-9 total' -> 'PHQ-9': the score's own name without the word 'total'."""
    for tail in (" total score", " total", " score"):
        if label.lower().endswith(tail):
            return label[: -len(tail)].strip()
    return label or spec.title


def _headline(spec: FormSpec, ev: Evaluation) -> tuple[str, float | int, str] | None:
    """The score a form is known by: the first complete one with bands, else the first complete one."""
    complete = [(s, ev.scores[s.id]) for s in spec.scores if ev.scores.get(s.id) and ev.scores[s.id].complete]
    if not complete:
        return None
    spec_score, result = next(((s, r) for s, r in complete if s.bands), complete[0])
    if result.value is None:  # a complete score has a value
        return None
    return _short_name(spec, spec_score.label), result.value, result.band


def _steps(d: CaseDetail, finals: dict[str, dt.date], drafts: set[str], today: dt.date,
           ) -> tuple[tuple[TimelineStep, ...], bool]:
    """Each step from the forms of its own stage, never from its place in the pathway: done
    only when a form of it is final (dated by the first final one), in progress while its
    only forms are drafts, "not recorded" when a later step is done but this one has no
    final form, next (due) right after the furthest done step, later after that."""
    done = [i for i, stage in enumerate(PATHWAY_STAGES) if stage in finals]
    furthest = max(done, default=-1)
    closed = d.stage == "discharged" or d.status != "open"
    overdue = d.next_review_due is not None and d.next_review_due < today and not closed
    steps = []
    for i, stage in enumerate(PATHWAY_STAGES):
        title = STAGE_TITLES[stage]
        review_due = d.next_review_due if stage == "review" and not closed else None
        if stage == "review" and overdue:
            steps.append(TimelineStep(stage, title, "overdue", d.next_review_due))
        elif stage in finals:
            steps.append(TimelineStep(stage, title, "done", finals[stage]))
        elif stage in drafts:
            steps.append(TimelineStep(stage, title, "in_progress", review_due))
        elif i < furthest or closed:
            steps.append(TimelineStep(stage, title, "not_done"))
        elif i == furthest + 1:
            steps.append(TimelineStep(stage, title, "due", review_due))
        else:
            steps.append(TimelineStep(stage, title, "later", review_due))
    return tuple(steps), overdue


def _referral_received(store: Store, case_id: int) -> dt.date | None:
    """The day the referral was received, as its current final referral form says."""
    with store.read() as s:
        text = s.scalar(select(ResponseRecord.answers_json)
                        .where(ResponseRecord.case_id == case_id, ResponseRecord.form_id == "referral",
                               ResponseRecord.status == "final")
                        .order_by(ResponseRecord.updated_at.desc()))
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(str(json.loads(text).get("received_on") or "")[:10])
    except ValueError:
        return None


class _SharedContext:
    """``latest()`` for one response: other forms from one cache shared by the whole case
    (the page re-summarises on every autosave: read each form once, not once per response),
    its own form without itself, as the form view sees it."""

    def __init__(self, shared: StoredCaseContext, form_id: str, response_id: int) -> None:
        self.shared, self.form_id, self.response_id = shared, form_id, response_id
        self.own: StoredCaseContext | None = None

    def lookup(self, form_id: str, name: str) -> Any:
        if form_id != self.form_id:
            return self.shared.lookup(form_id, name)
        if self.own is None:
            s = self.shared
            self.own = StoredCaseContext(s.store, s.case_id, s.catalogue, self.response_id)
        return self.own.lookup(form_id, name)


def _answers(store: Store, case_id: int) -> tuple[dict[int, Any], dict[int, str]]:
    """Every response's answers, and its uuid, in one read."""
    with store.read() as s:
        rows = s.execute(select(ResponseRecord.id, ResponseRecord.answers_json, ResponseRecord.uuid)
                         .where(ResponseRecord.case_id == case_id)).all()
    return {rid: json.loads(text) for rid, text, _ in rows}, {rid: uuid for rid, _, uuid in rows}


def case_summary(store: Store, catalogue: Catalogue, case_id: int, today: dt.date | None = None) -> CaseSummary:
    today = today or dt.date.today()
    d = case_detail(store, case_id)
    stored, uuids = _answers(store, case_id)
    acked = acknowledgements(store, case_id)
    shared = StoredCaseContext(store, case_id, catalogue)
    evaluations: dict[int, tuple[FormSpec, Evaluation]] = {}
    lines: list[ResponseLine] = []
    for r in d.responses:
        try:
            spec = catalogue.get(r.form_id, r.form_version)
        except UnknownFormError:  # a form no longer in the catalogue still shows in the list
            lines.append(ResponseLine(r.id, r.form_id, r.form_id, r.status, r.updated_at, ""))
            continue
        ev = evaluate(spec, stored.get(r.id, {}), _SharedContext(shared, r.form_id, r.id), tables=catalogue.tables)
        evaluations[r.id] = (spec, ev)
        head = _headline(spec, ev)
        score = f"{head[1]:g}" + (f" — {head[2]}" if head[2] else "") if head else ""
        lines.append(ResponseLine(r.id, r.form_id, spec.title, r.status, r.updated_at, score))
    latest = _latest_per_form(d.responses)
    flags: list[ActiveFlag] = []
    scores: list[ScoreLine] = []
    for r in latest:
        if r.id not in evaluations:
            continue
        spec, ev = evaluations[r.id]
        on = r.updated_at.astimezone().date()
        ruuid = uuids.get(r.id, "")
        flags += [ActiveFlag(f.severity, f.message, spec.title, on, f.id, ruuid, acked.get((ruuid, f.id)),
                             f.partial) for f in ev.flags]
        head = _headline(spec, ev)
        if spec.kind == "instrument" and head is not None:
            scores.append(ScoreLine(spec.id, head[0], head[1], head[2], r.status, on))
    flags.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), -f.on.toordinal()))
    done_on: dict[str, dt.date] = {}
    drafts: set[str] = set()
    for r in sorted(d.responses, key=lambda r: r.updated_at):
        stage = FORM_STAGE.get(r.form_id)
        # superseded: it was final, and its amendment does not re-date the step it finished
        if stage and r.status in ("final", "superseded") and stage not in done_on:
            done_on[stage] = r.updated_at.astimezone().date()
        elif stage and r.status == "draft":
            drafts.add(stage)
    if "referral" in done_on:
        done_on["referral"] = _referral_received(store, case_id) or done_on["referral"]
    steps, overdue = _steps(d, done_on, drafts, today)
    return CaseSummary(d, steps, tuple(flags), tuple(sorted(scores, key=lambda s: s.name)), tuple(lines),
                       get_setting(store, "date_format") or "%d %b %Y", overdue, case_risk(store, case_id))


def _latest_per_form(responses: tuple[ResponseSummary, ...]) -> list[ResponseSummary]:
    """Per form: the newest final response, or the newest draft when there is no final one."""
    best: dict[str, ResponseSummary] = {}
    for r in responses:
        if r.status == "superseded":
            continue
        old = best.get(r.form_id)
        if old is None or (r.status == "final", r.updated_at) > (old.status == "final", old.updated_at):
            best[r.form_id] = r
    return list(best.values())
