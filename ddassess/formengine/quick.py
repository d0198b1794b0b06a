"""A form's scores, bands and flags for a fully answered response, worked out once per form.

``evaluate`` does everything for any answers: visibility, checks, partial scores, flags
settled by bounds. Exporting tens of thousands of responses of one form needs only its
scores, bands and flags, and most responses answer every scored question. ``QuickScores``
compiles what does not depend on the answers once (each option's score, each total's band,
what each flag reads) and then, for a response that answers every question the scores,
flags and skip logic read with one of its options, gives exactly what ``evaluate`` gives:

- such a response leaves nothing unsettled that a score or flag reads (those questions are
  always shown, answered and scored), so each score is complete, its value the weighted sum
  ``_score`` makes, and a flag is raised just when its condition is true (never partial);
- the skip logic's questions are answered, so no flag is settled "whatever the skip" and a
  hidden answer only adds a problem (not a score or flag).

Anything else (a form whose scores or flags read other kinds of field, a question left
unanswered, an answer that is not exactly one of its options) returns None and the caller
uses ``evaluate``. A flag's condition depends only on the values it reads (the day and the
tables are fixed for one QuickScores), so each outcome is kept by those values.
tests/formengine/test_quick_scores.py compares both on every form of the catalogue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ddassess.formengine.answers import is_empty
from ddassess.formengine.expr import Env
from ddassess.formengine.spec import FieldSpec, FormSpec, ScoreSpec


@dataclass(frozen=True)
class QuickResult:
    scores: dict[str, tuple[float | int, str]]  # score id -> (value, band label)
    flags: tuple[str, ...]  # ids of the flags raised, in the form's order


class QuickScores:
    def __init__(self, spec: FormSpec, tables: Mapping[str, Mapping[str, Any]], today: dt.date,
                 options: dict[str, dict[tuple[type, Any], float | int]], scores: tuple[ScoreSpec, ...]) -> None:
        self.spec = spec
        self._options = options  # each question read -> (type, value) of an option -> its score
        # each score's items with, for each option, what it adds: its score (reversed, for a
        # reverse item) times the item's weight, worked out as _score works it out
        self._terms: tuple[tuple[ScoreSpec, tuple[tuple[str, dict[tuple[type, Any], Any]], ...],
                                 dict[float | int, str]], ...] = tuple(
            (s, tuple((item, {key: self._adds(spec, s, item, sc) for key, sc in options[item].items()})
                      for item in s.items), {})
            for s in scores)
        self._tables = {**tables, **{name: dict(rows) for name, rows in spec.tables}}
        self._today = today
        self._flags = tuple((fl, tuple(sorted(fl.when.names))) for fl in spec.flags)
        self._raised: dict[tuple[str, tuple[Any, ...]], bool] = {}

    @classmethod
    def compile(cls, spec: FormSpec, tables: Mapping[str, Mapping[str, Any]] | None = None,
                today: dt.date | None = None) -> QuickScores | None:
        """The compiled form, or None when its scores or flags read something this cannot work out."""
        fields = spec.fields
        scores = spec.score_specs

        def plain(fid: str) -> FieldSpec | None:
            f = fields.get(fid)
            if f is None or f.type != "scored_choice" or f.show_if is not None or spec.section_of[fid].show_if:
                return None
            return f

        read: set[str] = set()
        for s in spec.scores:
            if not s.items or any(plain(i) is None for i in s.items):
                return None
            read.update(s.items)
        for fl in spec.flags:
            for name in fl.when.names:
                if name not in scores:
                    if plain(name) is None:
                        return None
                    read.add(name)
        conditions = [c for sec in spec.sections for c in (sec.show_if, *(f.show_if for f in sec.fields))
                      if c is not None]
        for name in set().union(*(c.names for c in conditions)):
            if plain(name) is None:
                return None
            read.add(name)
        options = {fid: {(type(c.value), c.value): c.score for c in fields[fid].choices
                         if c.score is not None and not is_empty(c.value)} for fid in sorted(read)}
        return cls(spec, tables or {}, today or dt.date.today(), options, spec.scores)

    def __call__(self, answers: dict[str, Any]) -> QuickResult | None:
        keys: dict[str, tuple[type, Any]] = {}
        values: dict[str, Any] = {}
        for fid, scored in self._options.items():
            value = answers.get(fid)
            key = (type(value), value)
            try:
                score = scored.get(key)
            except TypeError:  # a list or a mapping: never an option
                return None
            if score is None:
                return None  # unanswered, or not exactly one of its options: evaluate works it out
            keys[fid] = key
            values[fid] = score
        out: dict[str, tuple[float | int, str]] = {}
        for s, terms, bands in self._terms:
            total = 0.0
            for fid, table in terms:  # in the items' order, as _score adds them
                total += table[keys[fid]]
            value = int(total) if total.is_integer() else total
            values[s.id] = value
            band = bands.get(value)
            if band is None:
                found = s.band_for(value)
                band = bands[value] = found.label if found else ""
            out[s.id] = (value, band)
        raised = []
        for fl, names in self._flags:
            flag_key = (fl.id, tuple(values[n] for n in names))
            hit = self._raised.get(flag_key)
            if hit is None:
                hit = self._raised[flag_key] = self._run(fl.when, values)
            if hit:
                raised.append(fl.id)
        return QuickResult(out, tuple(raised))

    @staticmethod
    def _adds(spec: FormSpec, s: ScoreSpec, item: str, sc: float | int) -> Any:
        if item in s.reverse:
            lo, hi = spec.fields[item].score_range or (0, 0)
            sc = lo + hi - sc
        return sc * dict(s.weights).get(item, 1)

    def _run(self, expr: Any, values: dict[str, Any]) -> bool:
        try:
            return bool(expr.run(Env(values, None, self._tables, self._today)) is True)
        except Exception:  # evaluate's _run makes such a condition null: the flag is not raised
            return False
