"""A form's changed answers in the form's own words: "changed 'How often do you have a
drink containing alcohol?' in AUDIT from 'Monthly or less' to 'Weekly'".

Labels and answers go through ``formengine/display.py`` (``answer_text``, ``row_title``),
so what a person reads here is what the form showed them. The rows of a repeating group
are matched by their row id when they carry one (rows that travel between laptops do),
otherwise by their place; a changed row says which row ("Need 1 — Housing") and which
column changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ddassess.formengine.display import answer_text, plain_text, row_title
from ddassess.formengine.spec import FieldSpec, FormSpec

# The keys a row of a repeating group may carry to name it stably (not answers).
ROW_ID_KEYS = ("_row", "row_id", "_id")
ANSWER_PREFIX = "answers."  # how an applied operation may name an answer


def answer_key(key: str) -> str:
    """'answers.q1' -> 'q1'; an answer's own id stays as it is."""
    return key[len(ANSWER_PREFIX):] if key.startswith(ANSWER_PREFIX) else key


def quoted(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    return f"'{text}'"


def label_of(spec: FormSpec | None, field_id: str) -> str:
    """A question's label as the form shows it; its id when the form does not know it."""
    f = spec.fields.get(field_id) if spec is not None else None
    return plain_text(f.label) if f is not None and f.label else field_id


def value_text(f: FieldSpec | None, value: Any) -> str:
    if f is None:
        if value is None or value == "":
            return ""
        return str(value)
    return answer_text(f, value)


def _row_id(row: Any) -> str | None:
    if isinstance(row, dict):
        for key in ROW_ID_KEYS:
            if isinstance(row.get(key), str) and row[key]:
                return str(row[key])
    return None


def _rows(value: Any) -> list[dict[str, Any]]:
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def _row_changes(group: FieldSpec, form: str, old: Any, new: Any) -> Iterator[str]:
    """What changed in a repeating group, row by row."""
    before, after = _rows(old), _rows(new)
    glabel = quoted(plain_text(group.label))
    by_id = all(_row_id(r) for r in before + after) and bool(before + after)
    if by_id:
        old_rows = {_row_id(r): (i, r) for i, r in enumerate(before, 1)}
        new_rows = {_row_id(r): (i, r) for i, r in enumerate(after, 1)}
        pairs = [(old_rows.get(k), new_rows.get(k)) for k in dict.fromkeys([*old_rows, *new_rows])]
    else:
        pairs = [(
            (i + 1, before[i]) if i < len(before) else None,
            (i + 1, after[i]) if i < len(after) else None,
        ) for i in range(max(len(before), len(after)))]
    for was, now in pairs:
        if was is None and now is not None:
            yield f"added {quoted(row_title(group, now[0], now[1]))} to {glabel} in {form}"
        elif now is None and was is not None:
            yield f"removed {quoted(row_title(group, was[0], was[1]))} from {glabel} in {form}"
        elif was is not None and now is not None:
            title = quoted(row_title(group, now[0], now[1]))
            for col in group.fields:
                a, b = was[1].get(col.id), now[1].get(col.id)
                if a != b:
                    yield _one(plain_text(col.label), f"of {title} in {form}", value_text(col, a), value_text(col, b))


def _one(label: str, where: str, old: str, new: str) -> str:
    if not old and new:
        return f"answered {quoted(label)} {where}: {quoted(new)}"
    if old and not new:
        return f"cleared {quoted(label)} {where} (was {quoted(old)})"
    return f"changed {quoted(label)} {where} from {quoted(old)} to {quoted(new)}"


def change_sentences(spec: FormSpec | None, form: str, field_id: str, old: Any, new: Any) -> list[str]:
    """One sentence per change of one answer (a repeating group may give several)."""
    f = spec.fields.get(field_id) if spec is not None else None
    if f is not None and f.type == "group":
        return list(_row_changes(f, form, old, new)) or [f"changed {quoted(label_of(spec, field_id))} in {form}"]
    a, b = value_text(f, old), value_text(f, new)
    if a == b:  # the same in words (1 and 1.0, None and ""): nothing a person would call a change
        return []
    return [_one(label_of(spec, field_id), f"in {form}", a, b)]
