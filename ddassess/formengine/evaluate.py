"""Answers through a form: visibility, checks, computed values, scores, bands and flags.

Fields and scores are evaluated in the spec's dependency order. A field whose section or
own ``show_if`` is false is *hidden*: it is not required, its stale answer is not checked,
scored or seen by expressions (it reads as null). A score is *complete* when no more
than ``allow_missing`` of its visible items are unanswered; an incomplete score has no
value and no band — its partial sum is reported separately, never as the total.

Every expression runs through ``_run``: if one cannot be worked out with these answers
(a number too large, a value of an unexpected kind, or a fault in a function), its
result is null and an ANS_014 problem names the field, score or flag — evaluation goes
on, and nothing is raised to the caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ddassess.codes import Code
from ddassess.formengine.answers import is_empty, read_answer
from ddassess.formengine.expr import CaseContext, Env, EvalError, Expr
from ddassess.formengine.problems import Problem
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

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "value": self.value, "complete": self.complete,
                "answered": self.answered, "needed": self.needed, "partial": self.partial,
                "band": self.band or None, "action": self.action or None}


@dataclass(frozen=True)
class FlagResult:
    id: str
    severity: str
    message: str


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
            "flags": [{"id": f.id, "severity": f.severity, "message": f.message} for f in self.flags],
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
        for key in sorted(set(row) - {c.id for c in f.fields}):
            problems.append(Problem(Code.ANS_010, f"Row {n + 1} of '{f.label}' has an answer for '{key}', which is "
                                    "not one of its columns.", field=f"{where}[{n}].{key}", severity="warning"))
        clean.append(row_values)
    return clean, problems


def evaluate(spec: FormSpec, answers: Any, context: CaseContext | None = None, *,
             tables: dict[str, dict[str, Any]] | None = None, today: dt.date | None = None) -> Evaluation:
    """Everything the engine can say about these answers. Never raises on bad answers."""
    ev = _evaluate(spec, answers, context, tables, today or dt.date.today(), frozenset())
    if isinstance(answers, dict):
        _hidden_answers_that_flag(spec, answers, ev, context, tables, today or dt.date.today())
    return ev


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
    ev.flags = [FlagResult(fl.id, fl.severity, fl.message) for fl in spec.flags
                if _run(fl.when, env, fl.id, ev.problems) is True]
    for c in spec.checks:
        if _run(c.when, env, c.id, ev.problems) is True:
            ev.problems.append(Problem(Code.ANS_016, c.message, field=c.field or c.id, severity=c.severity))
    return ev


def check(spec: FormSpec, answers: Any, context: CaseContext | None = None, **kw: Any) -> list[Problem]:
    """Per-field problems with these answers (what finalising a form requires to be empty)."""
    return evaluate(spec, answers, context, **kw).problems
