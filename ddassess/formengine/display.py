"""An answer as people read it: the form's own labels, never the stored value.

One function for every place an answer is shown — the form view, the case view's
summaries, the care plan PDF, the command line's text output — so "True", "high_mh_high_sm"
or "2026-11-03" never reach a person: yes/no questions read "Yes"/"No", a choice reads as
its option's label (a computed field that lists its values as ``choices`` too), a date as
"3 Nov 2026", a repeating group as its number of rows, a signature as who signed and when.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ddassess.formengine.spec import FieldSpec

_GLOSSARY = re.compile(r"\[\[([^\]]+)\]\]")


def plain_text(text: str) -> str:
    """Form text without glossary markup: 'an [[ITR]] goal' -> 'an ITR goal' (spaces folded)."""
    return " ".join(_GLOSSARY.sub(lambda m: m.group(1), text or "").split())


def date_text(value: Any) -> str:
    """'2026-11-03' or a date -> '3 Nov 2026'; anything that is not a date, as it is."""
    if isinstance(value, dt.datetime):
        return f"{value:%-d %b %Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%-d %b %Y}"
    if isinstance(value, str):
        try:
            return date_text(dt.date.fromisoformat(value)) if len(value) == 10 else \
                date_text(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return date_text(value)
    return str(value)


def answer_text(f: FieldSpec, value: Any) -> str:
    """The words for ``value`` as an answer to ``f`` ("" when unanswered)."""
    if value is None or value == "" or value == []:
        return ""
    if f.choices and not isinstance(value, list | dict):
        option = f.choice(value)
        if option is not None:
            return plain_text(option.label)
    if f.type == "multi_choice" and isinstance(value, list):
        return "; ".join(answer_text(f, v) for v in value)
    if f.type in ("date", "datetime"):
        return date_text(value)
    if f.type == "group" and isinstance(value, list):
        return f"{len(value)} row" + ("" if len(value) == 1 else "s")
    if f.type == "signature" and isinstance(value, dict):
        who = value.get("signed_by")
        when = value.get("signed_at")
        return "Signed" + (f" by {who}" if isinstance(who, str) and who else "") + \
            (f" on {date_text(dt.datetime.fromisoformat(when).date())}" if isinstance(when, str)
             and _is_datetime(when) else "")
    if f.type == "computed" and isinstance(value, str):
        return value.replace("_", " ")  # a computed word with no label listed for it
    return _scalar(value)


def _is_datetime(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def row_title(group: FieldSpec, index: int, row: Any) -> str:
    """A repeating group's row as it is headed: the group's name for one row (or "Row") and
    its number, then its first column's answer ("Need 1 — Housing"; "Need 1" while empty)."""
    noun = plain_text(group.label)
    if len(noun.split()) > 2:  # "What may be shared, and with whom" is no name for one row
        noun = "Row"
    elif noun.endswith("s") and not noun.endswith("ss"):  # "Needs" -> "Need"
        noun = noun[:-1]
    first = group.fields[0] if group.fields else None
    text = answer_text(first, row.get(first.id)) if first is not None and isinstance(row, dict) else ""
    return f"{noun} {index}" + (f" — {text}" if text else "")
