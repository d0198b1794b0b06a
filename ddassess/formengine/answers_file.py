"""Answers given as a JSON file (``ddassess forms score``): read within bounds, or refused.

A file of answers is input from outside, so it is bounded before any of it is believed:
only a plain file (a pipe or /dev/zero would hang), at most MAX_FILE_BYTES, no integer
of more than MAX_DIGITS digits (Python refuses to read one past 4,300); then what any
stored response must be (domain/limits.py: nesting, number of values, text length). A
form's answers come nowhere near these: a form has tens of questions, a repeating group
a few dozen rows.

Every refusal is an InvalidInputError (exit 2) that names the file and what to change.
Answers for questions the form does not ask are found before anything is scored
(``unknown_fields``): a set difference, however many there are, reported by a few names.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ddassess.domain.limits import MAX_ANSWER_DEPTH, answers_problem
from ddassess.errors import InvalidInputError
from ddassess.fileio import FileTooLarge, NotARegularFile, read_regular_file
from ddassess.formengine.problems import did_you_mean

MAX_FILE_BYTES = 8 << 20  # 8 MiB: a hundred long answers of 20,000 characters, written as \uXXXX, fit
MAX_DIGITS = 1000  # far past any answer (answers.py calls one past 10**15 "far too large"), within int()'s 4,300
SHOWN = 5  # unknown names shown before "(and N more)"

_HINT = 'Write the answers as one JSON object of question ids to answers: {"q1": 2, "q2": 0, ...}.'


class _Refused(Exception):
    """Raised from inside the JSON parser: the reason is reported, the parse stops."""


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _Refused(f"it holds a number of {len(text.lstrip('-')):,} digits; an answer has at most {MAX_DIGITS}")
    return int(text)


def read_answers_file(path: Path, form_id: str, known: Iterable[str]) -> dict[str, Any]:
    """The answers in ``path`` to the form ``form_id`` whose question ids are ``known``, or
    InvalidInputError saying what is wrong with the file (unknown question ids included)."""
    try:
        data = read_regular_file(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        raise InvalidInputError(f"There is no file {path}.") from None
    except NotARegularFile:
        raise InvalidInputError(f"{path} is not a plain file (it is a folder, a pipe or a device).",
                                hint="Save the answers in a .json file and give its name.") from None
    except FileTooLarge:
        raise InvalidInputError(f"{path} is larger than {MAX_FILE_BYTES >> 20} MiB; a form's answers are far "
                                "smaller. Check that it is the right file.") from None
    except OSError as exc:
        raise InvalidInputError(f"{path} cannot be read ({exc.__class__.__name__}).") from None
    try:
        text = data.decode("utf-8")
        answers = json.loads(text, parse_int=_int)
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path} is not UTF-8 text.", hint="Save it as UTF-8 JSON.") from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}.", hint=_HINT) from None
    except _Refused as exc:
        raise InvalidInputError(f"{path} cannot be used: {exc}.", hint=_HINT) from None
    except RecursionError:  # nested deeper than the parser's stack allows
        raise InvalidInputError(f"{path} cannot be used: its answers are nested more than {MAX_ANSWER_DEPTH} deep; "
                                "no form's answers are.", hint=_HINT) from None
    if not isinstance(answers, dict):
        raise InvalidInputError(f"{path} must hold one JSON object of question ids to answers.", hint=_HINT)
    unknown = unknown_fields_problem(form_id, answers, known)
    if unknown:
        raise InvalidInputError(f"{path} answers questions the form does not ask: {unknown}",
                                hint=f"`ddassess forms score` takes only {form_id}'s question ids; remove the others "
                                "or check the form id.")
    problem = answers_problem(answers, label="its answers")
    if problem:
        raise InvalidInputError(f"{path} cannot be used: {problem}", hint=_HINT)
    return answers


def unknown_fields_problem(form_id: str, answers: Iterable[str], known: Iterable[str]) -> str | None:
    """'phq9 has no question(s) a, b, … (and N more)' for answers the form does not ask; None if all are known.
    Cheap however many there are: a set difference, and a few names sorted for the message."""
    known = set(known)
    unknown = set(answers) - known
    if not unknown:
        return None
    first = heapq.nsmallest(SHOWN, unknown)  # a few, in order, without sorting a million
    names = ", ".join(f"'{n[:40]}'" for n in first)
    more = f" (and {len(unknown) - len(first):,} more)" if len(unknown) > len(first) else ""
    near = did_you_mean(first[0], known) if len(unknown) <= SHOWN else ""
    return f"{form_id} has no question(s) {names}{more}{near}."

