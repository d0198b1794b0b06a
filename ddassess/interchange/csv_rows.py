"""A form's responses as CSV rows, for analysts: one row per response, one column per question.

Each cell holds the stored code, not the words: a choice its option's value, yes/no ``yes`` or
``no``, a date its ISO form, several ticked options joined by ``|``, a repeating group its
rows as JSON. A codebook (its own small CSV, no personal data) says what every column and
code means. Each score has a value and a band column, and ``flags`` lists the flags raised.
Drawn signatures and calculated fields are left out (the scores are there).
``read_cell`` turns a cell back into the stored answer, so the file reads back as the store holds it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from ddassess.formengine.display import plain_text
from ddassess.formengine.evaluate import Evaluation, evaluate
from ddassess.formengine.quick import QuickScores
from ddassess.formengine.row_ids import without_row_ids
from ddassess.formengine.spec import FieldSpec, FormSpec

LEAD_COLUMNS = ("case_ref", "response_id", "form_version", "status", "authored")
LEFT_OUT = frozenset({"signature", "computed"})
MULTI_SEPARATOR = "|"


def answer_fields(spec: FormSpec) -> list[FieldSpec]:
    return [f for f in spec.fields.values() if f.type not in LEFT_OUT]


def header(spec: FormSpec) -> list[str]:
    return [*LEAD_COLUMNS, *(f.id for f in answer_fields(spec)),
            *(c for s in spec.scores for c in (f"score_{s.id}", f"band_{s.id}")), "flags"]


def cell(f: FieldSpec, value: Any) -> str:
    if value is None:
        return ""
    if f.type == "group":  # the rows' ids are no answers (formengine/row_ids.py)
        return json.dumps(without_row_ids(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if f.type == "yes_no" and isinstance(value, bool):
        return "yes" if value else "no"
    if f.type == "multi_choice" and isinstance(value, list):
        return MULTI_SEPARATOR.join(_scalar(v) for v in value)
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _choice(f: FieldSpec, text: str) -> Any:
    for c in f.choices:
        if _scalar(c.value) == text:
            return c.value
    return text


def read_cell(f: FieldSpec, text: str) -> Any:
    """The stored answer a cell of column ``f`` stands for (None for an empty cell)."""
    if text == "":
        return None
    if f.type == "group":
        return json.loads(text)
    if f.type == "yes_no":
        return {"yes": True, "no": False}.get(text, text)
    if f.type == "multi_choice":
        return [_choice(f, t) for t in text.split(MULTI_SEPARATOR)]
    if f.choices:
        return _choice(f, text)
    if f.type in ("integer", "decimal", "rating"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def row(spec: FormSpec, lead: tuple[str, str, int, str, str], answers: dict[str, Any], ev: Evaluation) -> list[str]:
    out = [str(x) for x in lead]
    out += [cell(f, answers.get(f.id)) for f in answer_fields(spec)]
    return out + tail(spec, ev)


def tail(spec: FormSpec, ev: Evaluation) -> list[str]:
    """A row's score, band and flags cells."""
    out = []
    for s in spec.scores:
        r = ev.scores.get(s.id)
        complete = r is not None and r.complete and r.value is not None
        out += [_scalar(r.value) if complete and r is not None else "", r.band if complete and r is not None else ""]
    out.append(MULTI_SEPARATOR.join(f.id for f in ev.flags))
    return out


_KEPT = frozenset({str, int, bool, type(None)})  # cells kept by (type, value): equal ones print alike
MAX_KEPT = 256  # cells kept per question


class Rows:
    """Rows of one form's CSV, made quickly: each field's cells kept by value (a choice has a
    few), and a response that answers every scored question scored by ``QuickScores`` (the
    definition it was made with, compiled once); anything else goes through ``evaluate``.
    ``make`` gives what ``row`` gives for the same response."""

    def __init__(self, spec: FormSpec, tables: dict[str, dict[str, Any]], today: dt.date) -> None:
        self.spec = spec
        self.tables, self.today = tables, today
        self.fields = answer_fields(spec)
        # cells kept by value for questions with a few possible answers (options, yes/no): kept
        # for free text or numbers they would grow with the rows, and the rows are streamed
        self._cells: dict[str, dict[tuple[type, Any], str] | None] = {
            f.id: {} if f.choices or f.type == "yes_no" else None for f in self.fields}
        self._quick: dict[str, QuickScores | None] = {}
        self._scores = [s.id for s in spec.scores]
        self._numbers: dict[float | int, str] = {}  # a total's text (an int or a float that is not whole)

    def make(self, made_with: FormSpec, lead: list[str], answers: dict[str, Any]) -> list[str]:
        out = lead
        for f in self.fields:
            value = answers.get(f.id)
            kind = type(value)
            known = self._cells[f.id]
            if known is not None and kind in _KEPT:
                text = known.get((kind, value))
                if text is None:
                    text = cell(f, value)
                    if len(known) < MAX_KEPT:  # an answer that is not an option may be anything
                        known[(kind, value)] = text
            else:  # free text, a number, a list or a mapping; a float (-0.0 == 0.0)
                text = cell(f, value)
            out.append(text)
        key = made_with.content_hash
        if key not in self._quick:
            self._quick[key] = QuickScores.compile(made_with, self.tables, self.today)
        quick = self._quick[key]
        result = quick(answers) if quick is not None else None
        if result is None:
            return out + tail(self.spec, evaluate(made_with, answers, tables=self.tables, today=self.today))
        numbers = self._numbers
        for sid in self._scores:
            got = result.scores.get(sid)
            if got is None:
                out += ["", ""]
                continue
            text = numbers.get(got[0])
            if text is None:
                text = numbers[got[0]] = _scalar(got[0])
            out += [text, got[1]]
        out.append(MULTI_SEPARATOR.join(result.flags))
        return out


def codebook(spec: FormSpec) -> Iterator[list[str]]:
    """Rows of the codebook: column, what it holds, and for a choice each code with its words and score."""
    yield ["column", "question_or_meaning", "type", "code", "code_label", "score"]
    for name, meaning in (("case_ref", "The case's reference"), ("response_id", "The response's id (stable)"),
                          ("form_version", "The version of the form the answers were given on"),
                          ("status", "final or draft"), ("authored", "When finalised (a draft: last saved), UTC")):
        yield [name, meaning, "text", "", "", ""]
    for f in answer_fields(spec):
        kind = f.type + (f" (codes joined by {MULTI_SEPARATOR})" if f.type == "multi_choice" else "") + \
            (" (rows as JSON)" if f.type == "group" else "")
        yield [f.id, plain_text(f.label), kind, "", "", ""]
        if f.type == "yes_no":
            yield [f.id, "", "", "yes", "Yes", ""]
            yield [f.id, "", "", "no", "No", ""]
        for c in f.choices:
            yield [f.id, "", "", _scalar(c.value), plain_text(c.label), "" if c.score is None else _scalar(c.score)]
    for s in spec.scores:
        codes = "; ".join(f"{c.system} {c.code}" for c in s.codes)
        yield [f"score_{s.id}", s.label + (f" ({codes})" if codes else ""), "number (empty unless complete)",
               "", "", ""]
        yield [f"band_{s.id}", f"The band of {s.label}", "text", "", "", ""]
        for b in s.bands:
            yield [f"band_{s.id}", "", "", b.label, f"{_scalar(b.min)}–{_scalar(b.max)}", ""]
    yield ["flags", "Flags raised, by id, joined by |", "text", "", "", ""]
    for fl in spec.flags:
        yield ["flags", "", "", fl.id, plain_text(fl.message), fl.severity]


CASE_COLUMNS = ("case_ref", "case_id", "person_id", "status", "stage", "lead_agency", "opened_on", "closed_on",
                "next_review_due", "risk_level", "care_coordinator", "partner_worker", "responses", "final_responses")
