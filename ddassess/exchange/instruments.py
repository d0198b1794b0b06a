"""A scored instrument administration is atomic and has one author.

A merged PHQ-9 would be a score nobody obtained: only the practitioner who started an
instrument's response changes its answers or finalises it; a colleague starts their own.
Capture refuses the change on the colleague's laptop (``InstrumentAuthorError``), and a
received change to someone else's instrument is refused (kept, listed) on every laptop.
Which forms are instruments is the forms' own word (``kind: instrument``).
"""

from __future__ import annotations

from ddassess.codes import Code
from ddassess.errors import UserFacingError

_INSTRUMENTS: frozenset[str] | None = None


class InstrumentAuthorError(UserFacingError):
    """A change to a scored instrument started by another practitioner."""

    code = Code.OPLOG_003
    exit_code = 2


def instrument_forms() -> frozenset[str]:
    """The ids of the catalogue's instruments (read once, from the shipped forms or DDASSESS_FORMS)."""
    global _INSTRUMENTS
    if _INSTRUMENTS is None:
        from ddassess.formengine import load_catalogue

        cat = load_catalogue()
        _INSTRUMENTS = frozenset(f.id for f in cat.forms.values() if f.kind == "instrument")
    return _INSTRUMENTS


def refuse_other_author(form_id: str, author_name: str) -> InstrumentAuthorError:
    return InstrumentAuthorError(
        f"This {form_id.upper().replace('_', '-')} was given by {author_name}: a scored questionnaire has one "
        "author, so its answers are not changed by anyone else.",
        hint="Start a new one of your own for the person; both are kept in the case.")


REFUSAL = "a scored instrument is changed only by the practitioner who gave it; start one of your own"
