"""Row ids of repeating groups: each row of a group carries a stable id under ``_row``.

A repeating group's answer is a list of rows, each a dict of column id to answer. So that two
people changing different rows of one group merge row by row (docs/exchange.md, "Merge
rules"), every row is named by a UUID made when the row is made (``new_row_id``) and kept with
it for good, in the row itself under the reserved key ``ROW_KEY``. The key is not a column:
the engine neither checks nor reports it, nothing shows it to a person, and exports leave it
out (``without_row_ids``). An amendment starts from a copy of the answers, so its rows keep
their ids.

Rows stored before row ids existed are given ``legacy_row_id``: worked out from the response,
the group and the row's place, so every laptop holding the same response gives its rows the
same ids (schema upgrade 0015, and ``exchange/fold.py`` for operations written before it).
"""

from __future__ import annotations

import uuid
from typing import Any

ROW_KEY = "_row"
_NAMESPACE = uuid.UUID("0b8f3a52-6d1e-4c4f-9a57-1e0f5d2c7b33")


def new_row_id() -> str:
    return str(uuid.uuid4())


def legacy_row_id(response_uuid: str, group: str, index: int) -> str:
    """The id of row ``index`` (from 0) of a group stored before rows had ids."""
    return str(uuid.uuid5(_NAMESPACE, f"{response_uuid}|{group}|{index}"))


def is_rows(value: Any) -> bool:
    """A repeating group's answer: a non-empty list of rows (dicts)."""
    return isinstance(value, list) and bool(value) and all(isinstance(r, dict) for r in value)


def row_id(row: Any) -> str | None:
    rid = row.get(ROW_KEY) if isinstance(row, dict) else None
    return rid if isinstance(rid, str) and rid else None


def has_row_ids(value: Any) -> bool:
    """Rows that all have an id, no two the same."""
    if not is_rows(value):
        return False
    ids = [row_id(r) for r in value]
    return all(ids) and len(set(ids)) == len(ids)


def with_row_ids(answers: dict[str, Any], *, legacy_of: str | None = None,
                 previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """``answers`` with an id on every row of every repeating group. A row without one (or
    with one another row already has) keeps the id of the row in its place in ``previous``
    (the answers it replaces: a caller that sends rows without ids, such as an answers file,
    changes rows by their place, as before rows had ids), else gets a new one
    (``legacy_of`` a response's uuid: ``legacy_row_id``). Answers already carrying them are
    returned as they are."""
    out = answers
    for key, value in answers.items():
        if not is_rows(value) or has_row_ids(value):
            continue
        before = (previous or {}).get(key)
        placed = [row_id(r) for r in before] if isinstance(before, list) else []
        seen: set[str] = {rid for r in value if (rid := row_id(r)) is not None}
        taken: set[str] = set()
        rows = []
        for i, row in enumerate(value):
            rid = row_id(row)
            if rid is not None and rid not in taken:
                taken.add(rid)
                rows.append(row)
                continue
            rid = placed[i] if i < len(placed) else None
            if rid is None or rid in seen or rid in taken:
                rid = legacy_row_id(legacy_of, key, i) if legacy_of else new_row_id()
            taken.add(rid)
            rows.append({**row, ROW_KEY: rid})
        if out is answers:
            out = dict(answers)
        out[key] = rows
    return out


def without_row_ids(value: Any) -> Any:
    """A group's rows without their ids (for what a person reads or an export carries)."""
    if isinstance(value, list):
        return [{k: v for k, v in r.items() if k != ROW_KEY} if isinstance(r, dict) else r for r in value]
    return value
