"""One answer against its question: is it the right kind, in range, sensible?

``read_answer`` returns the value expressions see (a date for a date, the score of a
scored choice is looked up elsewhere) and the problems with the answer as given. It never
raises: whatever a widget, a file or a fuzzer passes in becomes problems.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ddassess.codes import Code
from ddassess.domain.limits import MAX_LONG_ANSWER, MAX_SHORT_ANSWER
from ddassess.domain.nhs import nhs_number_problem
from ddassess.formengine.expr import MAX_NUMBER
from ddassess.formengine.problems import Problem
from ddassess.formengine.spec import FieldSpec

MAX_TEXT = {"short_text": MAX_SHORT_ANSWER, "long_text": MAX_LONG_ANSWER}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", re.I)


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _p(code: Code, message: str, field: str) -> Problem:
    return Problem(code, message, field=field)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _control_chars(text: str) -> bool:
    """Control characters (category Cc) other than tab, newline and carriage return."""
    return _CONTROL.search(text) is not None


def _matches(pattern: str, value: str) -> bool:
    """Patterns are compiled when the form loads (FORM_023); one that still fails matches nothing."""
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return False


def _text(f: FieldSpec, value: Any, where: str) -> tuple[Any, list[Problem]]:
    if not isinstance(value, str):
        return None, [_p(Code.ANS_002, f"'{f.label}' needs text.", where)]
    out = []
    if _control_chars(value):
        out.append(_p(Code.ANS_009, f"'{f.label}' contains invisible control characters (often from pasting): "
                      "retype or paste as plain text.", where))
    limit = f.max_length or MAX_TEXT.get(f.type, MAX_SHORT_ANSWER)
    if len(value) > limit:
        out.append(_p(Code.ANS_004, f"'{f.label}' is {len(value)} characters; at most {limit} fit. Shorten it.", where))
    if f.min_length and len(value.strip()) < f.min_length:
        out.append(_p(Code.ANS_004, f"'{f.label}' needs at least {f.min_length} characters.", where))
    if f.pattern and not _matches(f.pattern, value):
        out.append(_p(Code.ANS_005, f"'{f.label}' is not in the expected form.", where))
    if f.format == "nhs_number":
        problem = nhs_number_problem(value)
        if problem:
            out.append(_p(Code.ANS_008, problem, where))
    elif f.format == "email" and not _EMAIL.match(value.strip()):
        out.append(_p(Code.ANS_005, f"'{f.label}' is not an email address (name@example.org).", where))
    elif f.format == "phone" and not _PHONE.match(value.strip()):
        out.append(_p(Code.ANS_005, f"'{f.label}' is not a phone number (digits, spaces, + and brackets).", where))
    elif f.format == "postcode" and not _POSTCODE.match(value.strip()):
        out.append(_p(Code.ANS_005, f"'{f.label}' is not a UK postcode.", where))
    return value, out


def _number(f: FieldSpec, value: Any, where: str) -> tuple[Any, list[Problem]]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, [_p(Code.ANS_002, f"'{f.label}' needs a number.", where)]
    if value != value or value in (float("inf"), float("-inf")):
        return None, [_p(Code.ANS_002, f"'{f.label}' needs a real number.", where)]
    if not -MAX_NUMBER <= value <= MAX_NUMBER:  # compared exactly: a 400-digit integer is not turned into a float
        return None, [_p(Code.ANS_003, f"'{f.label}' is far too large a number: check the figure.", where)]
    if f.type in ("integer", "rating") and isinstance(value, float) and not value.is_integer():
        return None, [_p(Code.ANS_002, f"'{f.label}' needs a whole number.", where)]
    lo, hi = f.min, f.max
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        rng = f"{lo if lo is not None else '…'}–{hi if hi is not None else '…'}"
        return None, [_p(Code.ANS_003, f"'{f.label}' must be within {rng}; {value:g} is outside it.", where)]
    return (int(value) if f.type in ("integer", "rating") else value), []


def _date(f: FieldSpec, value: Any, where: str, today: dt.date) -> tuple[Any, list[Problem]]:
    if not isinstance(value, str):
        return None, [_p(Code.ANS_002, f"'{f.label}' needs a date.", where)]
    try:
        when: dt.date
        if f.type == "datetime":
            when = dt.datetime.fromisoformat(value)
            day = when.date()
        else:
            when = day = dt.date.fromisoformat(value)
    except ValueError:
        return None, [_p(Code.ANS_013, f"'{f.label}': '{value[:40]}' is not a real date (e.g. 31 February).", where)]
    if f.not_future and day > today:
        return None, [_p(Code.ANS_006, f"'{f.label}' is in the future: check the year.", where)]
    return when, []


def _choice(f: FieldSpec, value: Any, where: str) -> tuple[Any, list[Problem]]:
    if f.type == "multi_choice":
        if not isinstance(value, list):
            return None, [_p(Code.ANS_002, f"'{f.label}' needs a list of choices.", where)]
        bad = [v for v in value if f.choice(v) is None]
        if bad:
            return None, [_p(Code.ANS_007, f"'{f.label}': {bad[0]!r:.40} is not one of its choices.", where)]
        return list(value), []
    if isinstance(value, list | dict) or f.choice(value) is None:
        return None, [_p(Code.ANS_007, f"'{f.label}': {value!r:.40} is not one of its choices.", where)]
    return value, []


def _signature(f: FieldSpec, value: Any, where: str) -> tuple[Any, list[Problem]]:
    strokes = value.get("strokes") if isinstance(value, dict) else None
    if not isinstance(strokes, list) or not all(isinstance(s, list) for s in strokes):
        return None, [_p(Code.ANS_002, f"'{f.label}' is not a signature.", where)]
    points = sum(len(s) for s in strokes)
    if points < 2:
        return None, [_p(Code.ANS_012, f"'{f.label}' is empty: ask the person to sign, or record a verbal agreement.",
                         where)]
    ok = all(isinstance(pt, list | tuple) and len(pt) >= 2 and all(isinstance(c, int | float) for c in pt[:2])
             for s in strokes for pt in s)
    if not ok:
        return None, [_p(Code.ANS_002, f"'{f.label}' has damaged strokes.", where)]
    return value, []


def read_answer(f: FieldSpec, value: Any, where: str, today: dt.date) -> tuple[Any, list[Problem]]:
    """(value for expressions, problems). ``value`` is known not to be empty."""
    t = f.type
    if t in ("short_text", "long_text", "person_ref", "practitioner_ref"):
        return _text(f, value, where)
    if t in ("integer", "decimal", "rating"):
        return _number(f, value, where)
    if t in ("date", "datetime"):
        return _date(f, value, where, today)
    if t == "yes_no":
        if not isinstance(value, bool):
            return None, [_p(Code.ANS_002, f"'{f.label}' needs yes or no.", where)]
        return value, []
    if t in ("single_choice", "multi_choice", "scored_choice"):
        return _choice(f, value, where)
    if t == "signature":
        return _signature(f, value, where)
    return None, [_p(Code.ANS_002, f"'{f.label}' is worked out by the form and cannot be answered.", where)]
