"""Answers through a form: visibility, checks, computed values, scores, bands and flags.

Fields and scores are evaluated in the spec's dependency order. A field whose section or
own ``show_if`` is false is *hidden*: it is not required, its stale answer is not checked,
scored or seen by expressions (it reads as null). A score is *complete* when no more
than ``allow_missing`` of its visible items are unanswered; an incomplete score has no
value and no band — its partial sum is reported separately, never as the total.

A flag is raised when its condition is true, and also when the answers given already
settle it whatever the missing ones turn out to be — a lower bound on a sum of items that
can only add (``_flags``; forms/README.md, "Flags on an unfinished form"). A raised flag
that reads a missing answer is marked ``partial``.

Every expression runs through ``_run``: if one cannot be worked out with these answers
(a number too large, a value of an unexpected kind, or a fault in a function), its
result is null and an ANS_014 problem names the field, score or flag — evaluation goes
on, and nothing is raised to the caller.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ddassess.codes import Code
from ddassess.formengine.answers import is_empty, read_answer
from ddassess.formengine.expr import (
    AT_LEAST,
    KNOWN,
    NULL_OR_AT_LEAST,
    Bound,
    CaseContext,
    Env,
    EvalError,
    Expr,
    bound,
    compares_numbers,
)
from ddassess.formengine.problems import Problem
from ddassess.formengine.row_ids import ROW_KEY
from ddassess.formengine.spec import FieldSpec, FormSpec, ScoreSpec

if TYPE_CHECKING:
    import logging


def _log() -> logging.Logger:
    """The module's logger, imported only when something goes wrong (keeps start-up quick)."""
    import logging

    return logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreResult:
    id: str
    label: str
    value: float | int | None  # None unless complete
    complete: bool
    answered: int
    needed: int
    partial: float | int | None = None
    band: str = ""
    action: str = ""
    at_least: str = ""  # incomplete: the band the answered items already reach (the total can only add)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "value": self.value, "complete": self.complete,
                "answered": self.answered, "needed": self.needed, "partial": self.partial,
                "band": self.band or None, "action": self.action or None, "at_least": self.at_least or None}


PARTIAL_FLAG = "form not finished: raised on the answers given so far"  # how a partial flag is marked


@dataclass(frozen=True)
class FlagResult:
    id: str
    severity: str
    message: str
    partial: bool = False  # raised on a form with answers it reads still missing (see _open_names)


@dataclass
class Evaluation:
    form: str
    visible: set[str] = field(default_factory=set)
    hidden: set[str] = field(default_factory=set)  # fields whose section or show_if is false
    values: dict[str, Any] = field(default_factory=dict)  # what expressions see, hidden = None
    answers: dict[str, Any] = field(default_factory=dict)  # the chosen option of each scored choice
    computed: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, ScoreResult] = field(default_factory=dict)
    flags: list[FlagResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    prefills: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            return v.isoformat() if isinstance(v, dt.date) else v

        return {
            "form": self.form,
            "scores": {k: s.to_dict() for k, s in self.scores.items()},
            "computed": {k: plain(v) for k, v in self.computed.items()},
            "flags": [{"id": f.id, "severity": f.severity, "message": f.message, "partial": f.partial}
                      for f in self.flags],
            "problems": [p.to_dict() for p in self.problems],
            "hidden": sorted(self.hidden),
        }


def _run(expr: Expr, env: Env, owner: str, problems: list[Problem], name: str | None = None) -> Any:
    """The expression's value, or null and a problem for ``owner`` when it cannot be worked
    out; the message calls it by ``name`` (its label: what the person sees), else its id."""
    try:
        return expr.run(env)
    except EvalError as exc:
        why = str(exc)
    except Exception as exc:  # a fault in a function must cost one value, not the whole form
        _log().warning("Expression of %s failed: %s", owner, type(exc).__name__)  # no answers in the log
        why = f"the calculation failed ({type(exc).__name__})"
    problems.append(Problem(Code.ANS_014, f"'{name or owner}' could not be worked out from these answers: {why}. "
                            "Check the answers it uses.", field=owner))
    return None


def _score_of(value: Any) -> float | int | None:
    """Scored choices already read as their score; numbers and computed numbers count too."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _score(spec: FormSpec, s: ScoreSpec, ev: Evaluation, env: Env) -> ScoreResult:
    if s.expr is not None and not s.items:
        v = _run(s.expr, env, s.id, ev.problems, s.label)
        ok = isinstance(v, int | float) and not isinstance(v, bool)
        band = s.band_for(v) if ok else None
        return ScoreResult(s.id, s.label, v if ok else None, ok, int(ok), 1, None,
                           band.label if band else "", band.action if band else "")
    fields = spec.fields
    weights = dict(s.weights)
    needed = [i for i in s.items if i in ev.visible]
    total, answered = 0.0, 0
    for item in needed:
        f = fields[item]
        sc = _score_of(ev.values.get(item))
        if sc is None:
            continue
        if item in s.reverse:
            lo, hi = f.score_range or (0, 0)
            sc = lo + hi - sc
        total += sc * weights.get(item, 1)
        answered += 1
    missing = len(needed) - answered
    partial = int(total) if float(total).is_integer() else total
    complete = missing <= s.allow_missing and (answered > 0 or not needed)
    value = None
    if complete:
        value = partial
        if missing and s.prorate:
            value = round(total * len(needed) / answered)
    band = s.band_for(value)
    return ScoreResult(s.id, s.label, value, complete, answered, len(needed), None if complete else partial,
                       band.label if band else "", band.action if band else "")


def _check_group(f: FieldSpec, rows: Any, where: str, today: dt.date, env: Env) -> tuple[Any, list[Problem]]:
    """Each row's answers checked column by column (columns see the row's answers and the form's)."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return None, [Problem(Code.ANS_002, f"'{f.label}' needs a table of rows.", field=where)]
    problems: list[Problem] = []
    if (f.min_rows and len(rows) < f.min_rows) or (f.max_rows and len(rows) > f.max_rows):
        problems.append(Problem(Code.ANS_011, f"'{f.label}' needs {f.min_rows or 0}–{f.max_rows or 'any number of'} "
                                f"rows; it has {len(rows)}.", field=where))
    clean = []
    for n, row in enumerate(rows):
        row_values: dict[str, Any] = {}
        row_env = Env({**env.values, **row}, env.context, env.tables, today)
        for col in f.fields:
            at = f"{where}[{n}].{col.id}"
            if col.show_if is not None and _run(col.show_if, row_env, at, problems) is not True:
                continue
            value = row.get(col.id)
            if is_empty(value):
                if col.required:
                    problems.append(Problem(Code.ANS_001, f"Row {n + 1} of '{f.label}': '{col.label}' is required.",
                                            field=at))
                continue
            v, ps = read_answer(col, value, at, today)
            problems += ps
            row_values[col.id] = v
        for key in sorted(set(row) - {c.id for c in f.fields} - {ROW_KEY}):  # the row's id is no answer
            problems.append(Problem(Code.ANS_010, f"Row {n + 1} of '{f.label}' has an answer for '{key}', which is "
                                    "not one of its columns.", field=f"{where}[{n}].{key}", severity="warning"))
        clean.append(row_values)
    return clean, problems


def evaluate(spec: FormSpec, answers: Any, context: CaseContext | None = None, *,
             tables: dict[str, dict[str, Any]] | None = None, today: dt.date | None = None) -> Evaluation:
    """Everything the engine can say about these answers. Never raises on bad answers."""
    ev = _evaluate(spec, answers, context, tables, today or dt.date.today(), frozenset())
    if isinstance(answers, dict):
        _flags_settled_whatever_the_skip(spec, answers, ev, context, tables, today or dt.date.today())
        _hidden_answers_that_flag(spec, answers, ev, context, tables, today or dt.date.today())
    return ev


MAX_SPLIT = 32  # answer combinations tried by _flags_settled_whatever_the_skip


def _flags_settled_whatever_the_skip(spec: FormSpec, answers: dict[str, Any], ev: Evaluation,
                                     context: CaseContext | None, tables: dict[str, dict[str, Any]] | None,
                                     today: dt.date) -> None:
    """Flags the answers given settle whichever way an unanswered question that steers the
    skip logic is answered. The bound analysis cannot see through a missing answer that may
    hide the items it adds up (FAST: question 1 unanswered, question 4 already scoring 4 —
    Weekly or Daily on question 1 stops the test positive, anything else asks 2 to 4, and
    each way the total is at least 3). So each way of answering those questions (at most
    MAX_SPLIT ways) is evaluated; a flag raised in every one of them is raised now, marked
    partial. Sound, because each evaluation raises only what its own answers settle."""
    raised = {f.id for f in ev.flags}
    if all(fl.id in raised for fl in spec.flags):
        return
    steering = set().union(*(cond.names for sec in spec.sections for cond in (sec.show_if,) if cond is not None),
                           *(f.show_if.names for f in spec.fields.values() if f.show_if is not None))
    open_questions = [f for f in spec.fields.values()
                      if f.id in steering and f.id in ev.visible and answers.get(f.id) is None
                      and f.type in ("scored_choice", "single_choice", "yes_no")]
    if not open_questions:
        return
    options = [[c.value for c in f.choices] if f.type != "yes_no" else [True, False] for f in open_questions]
    if not all(options) or math.prod(len(o) for o in options) > MAX_SPLIT:
        return
    everywhere: set[str] | None = None
    for combo in itertools.product(*options):
        filled = answers | {f.id: v for f, v in zip(open_questions, combo, strict=True)}
        ways = {f.id for f in _evaluate(spec, filled, context, tables, today, frozenset()).flags}
        everywhere = ways if everywhere is None else everywhere & ways
        if not everywhere - raised:
            return
    extra = (everywhere or set()) - raised
    ev.flags = [*ev.flags, *(FlagResult(fl.id, fl.severity, fl.message, True)
                                for fl in spec.flags if fl.id in extra)]
    order = {fl.id: i for i, fl in enumerate(spec.flags)}
    ev.flags.sort(key=lambda f: order.get(f.id, len(order)))


def _shown_answer(f: FieldSpec, value: Any) -> str:
    """A stored answer as the person would see it: an option's label, else the value."""
    choice = f.choice(value) if f.choices else None
    text = choice.label if choice is not None else str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _hidden_answers_that_flag(spec: FormSpec, answers: dict[str, Any], ev: Evaluation, context: CaseContext | None,
                              tables: dict[str, dict[str, Any]] | None, today: dt.date) -> None:
    """Skip logic must never hide a risk: a hidden question whose kept answer would raise a
    flag were it shown gets an ANS_015 problem (an error: the form cannot be finalised until
    the answer is cleared, or the question that hides it is changed so that it shows)."""
    stale = frozenset(fid for fid in ev.hidden if not is_empty(answers.get(fid))
                      and spec.fields[fid].type not in ("computed", "group", "signature"))
    if not stale:
        return
    shown = _evaluate(spec, answers, context, tables, today, stale)
    raised = {f.id for f in ev.flags}
    for fl in spec.flags:
        if fl.id in raised or fl.id not in {f.id for f in shown.flags}:
            continue
        owners = sorted(stale & fl.when.names) or sorted(stale)
        for fid in owners:
            f = spec.fields[fid]
            where = spec.section_of[fid].title
            ev.problems.append(Problem(
                Code.ANS_015,
                f"'{f.label}' ({where}) is hidden by another answer, but its saved answer "
                f"'{_shown_answer(f, answers[fid])}' would raise this flag ({fl.severity}): \"{fl.message}\" "
                "Clear the hidden answer if it no longer applies, or change the answer that hides it "
                "if the risk is there.", field=fid))


def _evaluate(spec: FormSpec, answers: Any, context: CaseContext | None, tables: dict[str, dict[str, Any]] | None,
              today: dt.date, reveal: frozenset[str]) -> Evaluation:
    """One pass through the form; the fields in ``reveal`` are shown whatever their skip logic
    (to ask what a hidden answer would do)."""
    ev = Evaluation(form=spec.key)
    if not isinstance(answers, dict):
        ev.problems.append(Problem(Code.ANS_002, "The answers must be a mapping of question ids to answers."))
        answers = {}
    all_tables = {**(tables or {}), **{name: dict(rows) for name, rows in spec.tables}}
    env = Env(ev.values, context, all_tables, today)
    fields, scores, section_of = spec.fields, spec.score_specs, spec.section_of
    for node in spec.order:
        if node in scores:
            try:
                result = _score(spec, scores[node], ev, env)
            except Exception as exc:  # scores are checked numbers, but never let one stop the rest
                _log().warning("Score %s failed: %s", node, type(exc).__name__)
                ev.problems.append(Problem(Code.ANS_014, f"'{node}' could not be worked out from these answers.",
                                           field=node))
                result = ScoreResult(node, scores[node].label, None, False, 0, 0)
            ev.scores[node] = result
            ev.values[node] = result.value
            continue
        f = fields[node]
        section = section_of[node]
        shown = node in reveal or all(cond is None or _run(cond, env, node, ev.problems) is True
                                      for cond in (section.show_if, f.show_if))
        ev.values[node] = None
        if not shown:
            ev.hidden.add(node)
            continue
        ev.visible.add(node)
        if f.type == "computed":
            ev.values[node] = ev.computed[node] = _run(f.expr, env, node, ev.problems, f.label) if f.expr else None
            continue
        value = answers.get(node)
        if is_empty(value):
            if f.prefill is not None:
                suggestion = _run(f.prefill, env, node, ev.problems, f.label)
                if suggestion is not None:
                    ev.prefills[node] = suggestion
            if f.type == "group" and f.min_rows:
                ev.problems.append(Problem(Code.ANS_011, f"'{f.label}' needs at least {f.min_rows} row(s).",
                                           field=node))
            elif f.required:
                ev.problems.append(Problem(Code.ANS_001, f"'{f.label}' is required.", field=node))
            continue
        if f.type == "group":
            v, ps = _check_group(f, value, node, today, env)
        else:
            v, ps = read_answer(f, value, node, today)
        ev.problems += ps
        if f.type == "scored_choice" and v is not None:
            ev.answers[node] = v
            # expressions and scores see a scored choice as its score (read_answer accepted it as one)
            choice = f.choice(v)
            v = choice.score if choice is not None else None
        ev.values[node] = v
    for key in sorted(set(answers) - set(fields)):
        ev.problems.append(Problem(Code.ANS_010, f"There is an answer for '{key}', which this form does not ask.",
                                   field=key, severity="warning"))
    unsettled = _open_names(spec, ev)
    bounds = _Bounds(spec, ev, env, unsettled)
    _reached_bands(spec, ev, bounds)
    ev.flags = _flags(spec, ev, env, unsettled, bounds)
    for c in spec.checks:
        if _run(c.when, env, c.id, ev.problems) is True:
            ev.problems.append(Problem(Code.ANS_016, c.message, field=c.field or c.id, severity=c.severity))
    return ev


def _reached_bands(spec: FormSpec, ev: Evaluation, bounds: _Bounds) -> None:
    """An incomplete score whose answered items can only add says which band they already
    reach (``at_least``), above the lowest; its value and band still wait for the rest."""
    for s in spec.scores:
        result = ev.scores.get(s.id)
        if result is None or result.complete or len(s.bands) < 2 or s.id not in bounds.unsettled:
            continue
        low = bounds.of(s.id)
        if low is None or low.kind != AT_LEAST:
            continue
        reached = [b for b in s.bands if b.min <= low.value]
        if reached and reached[-1] is not s.bands[0]:
            ev.scores[s.id] = replace(result, at_least=reached[-1].label)


def _flags(spec: FormSpec, ev: Evaluation, env: Env, unsettled: set[str], bounds: _Bounds) -> list[FlagResult]:
    """The flags raised: those whose condition is true now, and those whose condition the
    answers given already settle, whatever the missing ones turn out to be (a lower bound on
    a sum of items that can only add). A flag that reads a missing answer is ``partial``."""
    flags = []
    for fl in spec.flags:
        raised = _run(fl.when, env, fl.id, ev.problems) is True
        reads_open = fl.when.names & unsettled
        if not raised and reads_open and (compares_numbers(fl.when) or any(
                n in spec.score_specs or spec.fields[n].type == "computed" for n in reads_open)):
            sure = bound(fl.when, env, unsettled, bounds.of)
            raised = sure is not None and sure.kind == KNOWN and sure.value is True
        if raised:
            flags.append(FlagResult(fl.id, fl.severity, fl.message, bool(reads_open)))
    return flags


def _open_names(spec: FormSpec, ev: Evaluation) -> set[str]:
    """The fields and scores whose value may still change as missing answers are given: a
    shown question with no (usable) answer, anything whose showing depends on one, and a
    computed field or score that reads one."""
    unsettled: set[str] = set()
    for node in spec.order:
        s = spec.score_specs.get(node)
        if s is not None:
            if unsettled.intersection(s.items) or (s.expr is not None and s.expr.names & unsettled):
                unsettled.add(node)
            continue
        f = spec.fields[node]
        section = spec.section_of[node]
        if any(cond is not None and cond.names & unsettled for cond in (section.show_if, f.show_if)):
            unsettled.add(node)
        elif node in ev.hidden:
            continue
        elif f.type == "computed":
            if f.expr is not None and f.expr.names & unsettled:
                unsettled.add(node)
        elif ev.values.get(node) is None:
            unsettled.add(node)
    return unsettled


class _Bounds:
    """What each unsettled field or score is sure to be once the missing answers are given
    (``expr.bound`` asks for names; each is worked out once)."""

    def __init__(self, spec: FormSpec, ev: Evaluation, env: Env, unsettled: set[str]) -> None:
        self.spec, self.ev, self.env, self.unsettled = spec, ev, env, unsettled
        self.known: dict[str, Bound | None] = {}

    def of(self, name: str) -> Bound | None:
        if name not in self.known:
            self.known[name] = None  # a name met again while working it out proves nothing
            try:
                self.known[name] = self._work_out(name)
            except Exception as exc:  # proving nothing is always safe: the flag waits for the answers
                _log().warning("Working out what %s is sure to be failed: %s", name, type(exc).__name__)
        return self.known[name]

    def _work_out(self, name: str) -> Bound | None:
        spec, ev = self.spec, self.ev
        if name not in self.unsettled:
            return Bound(KNOWN, ev.values.get(name)) if name in ev.values else None
        s = spec.score_specs.get(name)
        if s is not None:
            return self._score(s)
        f = spec.fields.get(name)
        if f is None:
            return None
        section = spec.section_of[name]
        showing_settled = not any(c is not None and c.names & self.unsettled for c in (section.show_if, f.show_if))
        if f.type == "computed":
            inner = bound(f.expr, self.env, self.unsettled, self.of) if f.expr is not None else None
            if showing_settled or inner is None:
                return inner
            if inner.kind in (AT_LEAST, NULL_OR_AT_LEAST):
                return Bound(NULL_OR_AT_LEAST, inner.value)  # or hidden
            return inner if inner.value is None else None
        low = _lowest_score(f)
        if ev.values.get(name) is not None or low is None:
            return None  # an answer that may yet be hidden, or one with no lowest value
        # a question that may stay hidden, or unanswered when it is optional, may stay null
        return Bound(AT_LEAST if showing_settled and f.required else NULL_OR_AT_LEAST, low)

    def _score(self, s: ScoreSpec) -> Bound | None:
        """A sum of items is at least what its answered items add up to, when every missing
        item can only add: no reverse scoring, no negative weight or score, no prorating."""
        if s.expr is not None and not s.items:
            inner = bound(s.expr, self.env, self.unsettled, self.of)
            if inner is None or inner.kind == NULL_OR_AT_LEAST:
                return None
            return inner if inner.kind == AT_LEAST or _score_of(inner.value) is not None else Bound(KNOWN, None)
        if s.prorate and s.allow_missing:
            return None
        weights = dict(s.weights)
        low: float | int = 0
        for item in s.items:
            weight = weights.get(item, 1)
            if item in self.unsettled:
                f = self.spec.fields[item]
                lowest = _lowest_score(f)
                if (item in s.reverse or weight < 0 or lowest is None or lowest < 0
                        or self.ev.values.get(item) is not None):
                    return None
                continue
            sc = _score_of(self.ev.values.get(item)) if item in self.ev.visible else None
            if sc is None:
                continue
            if item in s.reverse:
                lo, hi = self.spec.fields[item].score_range or (0, 0)
                sc = lo + hi - sc
            low += sc * weight
        return Bound(AT_LEAST, low)


def _lowest_score(f: FieldSpec) -> float | int | None:
    """The lowest value a question's answer reads as in expressions, if it is a number."""
    if f.type == "scored_choice":
        scores = [c.score for c in f.choices if c.score is not None]
        return min(scores) if scores and len(scores) == len(f.choices) else None
    if f.type in ("integer", "decimal", "rating"):
        return f.min
    return None


def check(spec: FormSpec, answers: Any, context: CaseContext | None = None, **kw: Any) -> list[Problem]:
    """Per-field problems with these answers (what finalising a form requires to be empty)."""
    return evaluate(spec, answers, context, **kw).problems
