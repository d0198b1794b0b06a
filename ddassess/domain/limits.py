"""How much text each input may hold: one declaration of each limit, for the services that
refuse too much and the widgets that stop typing at it.

Every service that takes free text checks it here before it reaches the store, the search
or a PDF: a name of a megabyte was stored, one of 300,000 characters made the care plan
PDF fail, a search of a megabyte came back as SQLite's "pattern too complex" with the SQL
in the message, and a lone surrogate ("\\ud800", half of a pair, from a damaged paste)
could not be encoded for SQLite at all. Each refusal says what was wrong and what to do
(InvalidInputError: exit 2 on the command line), and never quotes the text itself.

The limits are generous for what each input is: a name fits any real name, an answer of
a long text field fits pages of notes. A form may set a smaller ``max_length`` for one of
its fields (the forms engine checks answers against it); never a larger one than
MAX_LONG_ANSWER. A draft may hold more than its field allows (up to MAX_STORED_ANSWER), so
that a long paste is kept to be shortened rather than lost.
"""

from __future__ import annotations

import re
from typing import Any

from ddassess.errors import InvalidInputError

# People (the referral dialog and register_person).
MAX_NAME = 100  # given, family and preferred name
MAX_DETAIL = 200  # gender, phone, email
MAX_ADDRESS = 500
MAX_POSTCODE = 10  # "SW1A 1AA" is 8; a little room for stray spaces, which are squeezed out
MAX_PRONOUNS = 40  # "she/her", "they/them", "he/they", ...
MAX_COMMUNICATION = 1_000  # communication needs (interpreter, language, hearing, easy read, ...)

# The practitioner (first run, `init --name`, settings) and the team's signing authority.
MAX_PRACTITIONER_NAME = 64  # whole in a signing certificate's common name, which X.509 caps at 64
MAX_PROFILE_TEXT = 200  # role and service (a certificate shows the first 63 and "…")
MAX_TEAM_NAME = 40  # whole in the authority's common name, "<team> — ddassess team CA" (64 in all)

# Cases and their forms.
MAX_SEARCH = 200  # the case list's search box and search_people
MAX_CASE_REF = 40  # DD-2026-00042
MAX_REASON = 2_000  # the reason given for amending a final form
MAX_SHORT_ANSWER = 500  # short_text answers, unless the form says less
MAX_LONG_ANSWER = 20_000  # long_text answers, unless the form says less; the most a form may allow
# A draft keeps what was typed or pasted even past its field's limit (the form shows the
# problem and finalising refuses it): nothing typed is lost. This much, and no more.
MAX_STORED_ANSWER = 100_000
MAX_ANSWER_KEY = 100  # a question or column id
MAX_ANSWER_DEPTH = 20  # answers → group rows → a row → a signature → strokes → points is 7 deep
MAX_ANSWER_VALUES = 200_000  # every value of one response, rows and signature points included

# Settings (kept as JSON in the store).
MAX_SETTING_KEY = 100
MAX_SETTING_JSON = 10_000  # characters of one setting's value as JSON
MAX_LOGO_BYTES = 200_000  # the organisation's logo (PNG or JPEG): plenty for a sharp header image
MAX_LOGO_JSON = (MAX_LOGO_BYTES + 2) // 3 * 4 + 2  # the logo as base64 text in quotes

_ONE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab and line breaks allowed
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def text_problem(text: Any, label: str, limit: int, *, lines: bool = False) -> str | None:
    """What is wrong with ``text`` as the input ``label`` ("The given name"), in words; None if
    nothing. None and "" are fine (whether one is required is the caller's rule). ``lines``
    allows tabs and line breaks. The length is that of the text without surrounding spaces
    (what is kept); it is checked first, so a huge text costs no scan."""
    if text is None:
        return None
    if not isinstance(text, str):
        return f"{label} must be text."
    n = len(text.strip())
    if n > limit:
        return f"{label} is {n:,} characters long; at most {limit:,} fit. Shorten it."
    if _SURROGATE.search(text):
        return (f"{label} contains a broken character (half of a pair, often from a damaged paste): delete it "
                "and type it again.")
    if (_TEXT_CONTROL if lines else _ONE_LINE_CONTROL).search(text):
        return f"{label} contains invisible control characters (often from pasting): delete it and type it again."
    return None


def check_text(text: Any, label: str, limit: int, *, lines: bool = False) -> None:
    """``text_problem`` as an InvalidInputError."""
    problem = text_problem(text, label, limit, lines=lines)
    if problem:
        raise InvalidInputError(problem)


def practitioner_problem(name: Any, role: Any = "", agency: Any = "") -> str | None:
    """The first problem with a practitioner's name, role and service (first run, `init`, settings)."""
    for text, label, limit in ((name, "Your name", MAX_PRACTITIONER_NAME), (role, "Your role", MAX_PROFILE_TEXT),
                               (agency, "Your service", MAX_PROFILE_TEXT)):
        problem = text_problem(text, label, limit)
        if problem:
            return problem
    return None


def answers_problem(answers: Any, label: str = "The answers") -> str | None:
    """Whether a response's answers can be stored: a mapping of ids to values, no text over
    MAX_STORED_ANSWER or with a broken character, within MAX_ANSWER_DEPTH and MAX_ANSWER_VALUES.
    Walked without recursion. What each answer must be is the forms engine's business (it
    knows the form); this only keeps out what no form's answer can be."""
    if not isinstance(answers, dict):
        return f"{label} must be a mapping of question ids to answers."
    stack: list[tuple[Any, int]] = [(answers, 1)]
    count = 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > MAX_ANSWER_VALUES:
            return f"{label} hold more than {MAX_ANSWER_VALUES:,} values; no form has so many."
        if isinstance(value, str):
            if len(value) > MAX_STORED_ANSWER:
                return (f"{label} hold a text of {len(value):,} characters; at most {MAX_STORED_ANSWER:,} can be "
                        "kept in one answer. Shorten it.")
            if _SURROGATE.search(value):
                return (f"{label} hold a broken character (half of a pair, often from a damaged paste): delete it "
                        "and type it again.")
        elif isinstance(value, dict | list):
            if depth > MAX_ANSWER_DEPTH:
                return f"{label} are nested more than {MAX_ANSWER_DEPTH} deep; no form's answers are."
            if isinstance(value, dict):
                for key in value:
                    if not isinstance(key, str) or len(key) > MAX_ANSWER_KEY or _SURROGATE.search(key):
                        return f"{label} name a question by something that is not a question id."
                stack.extend((v, depth + 1) for v in value.values())
            else:
                stack.extend((v, depth + 1) for v in value)
    return None


def check_answers(answers: Any) -> None:
    """``answers_problem`` as an InvalidInputError."""
    problem = answers_problem(answers)
    if problem:
        raise InvalidInputError(problem)
