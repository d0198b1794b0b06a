"""The plan's own record inside its PDF: an entry in the document catalogue that says what
the plan is — its signature blocks in order, which of them are digital, how the person's
block is signed, and when this version was made (UTC).

``careplan.prepare_for_signing`` writes it before the first signature, which covers it, so
verification can list every block (signed or not) and refuse a signing time before the
plan existed (docs/signing.md). Both sides use this module, so they cannot drift apart;
pyHanko is imported only when a record is written or read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

PLAN_KEY = "/DDAssessPlan"
_MADE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def plan_record(blocks: tuple[str, ...], digital: tuple[str, ...], person: str, made: dt.datetime) -> Any:
    """The catalogue entry (a pyHanko dictionary) for a plan made at ``made``."""
    from pyhanko.pdf_utils import generic

    return generic.DictionaryObject({
        generic.NameObject("/Blocks"): generic.ArrayObject([generic.TextStringObject(r) for r in blocks]),
        generic.NameObject("/Digital"): generic.ArrayObject([generic.TextStringObject(r) for r in digital]),
        generic.NameObject("/Person"): generic.TextStringObject(person),
        generic.NameObject("/Made"): generic.TextStringObject(made.astimezone(dt.UTC).strftime(_MADE_FORMAT)),
    })


def read_plan_record(root: Any) -> tuple[tuple[str, ...], str | None, dt.datetime | None]:
    """Blocks, the person's block and the time made, from a document catalogue; empty when
    the record is missing or cannot be read."""
    try:
        record = root.get(PLAN_KEY)
        if record is None:
            return (), None, None
        record = record.get_object()
        blocks = tuple(str(b) for b in record.get("/Blocks", []))
        person = str(record.get("/Person", "unsigned"))
        made = dt.datetime.strptime(str(record["/Made"]), _MADE_FORMAT).replace(tzinfo=dt.UTC)
    except (KeyError, ValueError, TypeError, AttributeError):
        return (), None, None
    return blocks, person, made
