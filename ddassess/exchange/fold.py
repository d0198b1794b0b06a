"""The merged state of one shared record: a function of the set of its operations.

Whatever order operations arrive in, and however often, a record's state is worked out from
all of them together, so two laptops holding the same operations show the same record.

Per field, a multi-value register: the field's *current* operations are those that set it
and that no other operation set on top of (named in its ``base`` for that field). One
current value: that is the field's value. Several different values: a conflict — both are
kept and listed, and the one shown is chosen the same way on every laptop (the latest
clock, then the operation id; a risk decision: the highest level, so a merge never shows a
lower risk than one of its sides). The same value on both sides is no conflict. Free text is
one value, so two edits of it are never interleaved: they conflict, side by side.

A final form is not changed by edits its finaliser did not see: an answer set concurrently
with the finalisation (not named, directly or through the operations it was based on, in
the finalisation's ``base["*"]``) is left out of the form and listed as a conflict of kind
"final", until a person dismisses it (and amends the form if it matters). A deletion is a
tombstone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ddassess.exchange.codec import ANSWERS, split_row_field
from ddassess.formengine.row_ids import ROW_KEY, is_rows, legacy_row_id, row_id

RISK_RANK = {None: 0, "": 0, "high": 1, "urgent": 2}


def value_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _risk_rank(value: Any) -> int:
    level = value.get("level") if isinstance(value, dict) else None
    return RISK_RANK.get(level, 0)


def shown_first(name: str, heads: Sequence[tuple[str, str, Any]]) -> list[str]:
    """The ids of current operations (hlc, id, value), the one whose value is shown first."""
    if name == "risk_override":
        ordered = sorted(heads, key=lambda h: (_risk_rank(h[2]), h[0], h[1]), reverse=True)
    else:
        ordered = sorted(heads, key=lambda h: (h[0], h[1]), reverse=True)
    return [h[1] for h in ordered]


@dataclass
class Folded:
    values: dict[str, Any] = field(default_factory=dict)
    heads: dict[str, list[str]] = field(default_factory=dict)
    conflicts: dict[str, tuple[str, Sequence[str]]] = field(default_factory=dict)
    deleted: bool = False
    created: bool = False
    final: bool = False


def _closure(start: set[str], by_id: Mapping[str, Mapping[str, Any]]) -> set[str]:
    seen, todo = set(start), list(start)
    while todo:
        body = by_id.get(todo.pop())
        if body is None:
            continue
        for ids in body["base"].values():
            for i in ids:
                if i not in seen:
                    seen.add(i)
                    todo.append(i)
    return seen


def _register(name: str, writers: list[Mapping[str, Any]], superseded: set[str]
              ) -> tuple[Any, list[str], bool]:
    """(value shown, current ids shown first, in conflict?) of one field."""
    heads = [(w["hlc"], w["id"], w["fields"][name]) for w in writers if w["id"] not in superseded]
    if not heads:  # every writer superseded by an operation not here yet: the newest known
        heads = [max(((w["hlc"], w["id"], w["fields"][name]) for w in writers), key=lambda h: (h[0], h[1]))]
    if len(heads) == 1:  # the usual case: one current value, no conflict
        return heads[0][2], [heads[0][1]], False
    ids = shown_first(name, heads)
    values = {h[1]: h[2] for h in heads}
    return values[ids[0]], ids, len({value_key(v) for v in values.values()}) > 1


def fold(bodies: Sequence[Mapping[str, Any]]) -> Folded:
    """The state the operations (decoded bodies, applied ones only) say a record has."""
    out = Folded()
    by_id = {b["id"]: b for b in bodies}
    superseded: dict[str, set[str]] = {}
    writers: dict[str, list[Mapping[str, Any]]] = {}
    for b in bodies:
        out.created = out.created or b["action"] == "create"
        if b["fields"].get("_deleted") is True:
            out.deleted = True
        for name, ids in b["base"].items():
            superseded.setdefault(name, set()).update(ids)
        for name in b["fields"]:
            if not name.startswith("_"):
                writers.setdefault(name, []).append(b)
    for name, ws in writers.items():
        if len(ws) == 1:  # one writer: its value, whatever names it as seen (what ``_register`` gives)
            out.values[name], out.heads[name] = ws[0]["fields"][name], [ws[0]["id"]]
            continue
        value, ids, conflict = _register(name, ws, superseded.get(name, set()))
        out.values[name], out.heads[name] = value, ids
        if conflict:
            out.conflicts[name] = ("field", ids)
    if out.values.get("status") in ("final", "superseded"):
        out.final = True
        _final_answers(out, bodies, by_id, superseded)
    _assemble_rows(out, bodies, by_id)
    return out


def _assemble_rows(out: Folded, bodies: Sequence[Mapping[str, Any]], by_id: Mapping[str, Mapping[str, Any]]) -> None:
    """Each repeating group's rows from its rows' fields (``codec.answer_fields``), as the
    answer ``answers.<group>`` (None: no row left). Adding wins: a row is there unless every
    current value of its marker is a removal. A removal concurrent with an edit of the row
    (an edit its author had not seen) keeps the row, with what the edit wrote, and is listed
    as a conflict of kind "row" (the removals first, then the edits), until a person settles
    it. Rows are in the order they were added: the clock of the operation that added each,
    then its place in that operation, then its id (the same order on every laptop). Rows of
    a group written whole (before rows had ids) come first, as written, with
    ``legacy_row_id``s; their cells' later changes apply over them."""
    groups: dict[str, dict[str, dict[str, str]]] = {}
    for name, value in out.values.items():
        parts = split_row_field(name)
        if parts is not None:
            groups.setdefault(parts[0], {}).setdefault(parts[1], {})[parts[2]] = name
        elif name.startswith(ANSWERS) and "." not in name[len(ANSWERS):] and is_rows(value):
            groups.setdefault(name[len(ANSWERS):], {})  # a group written whole: its rows get their ids
    if not groups:
        return
    entity_uuid = str(bodies[0]["entity_uuid"]) if bodies else ""
    writers: dict[str, list[Mapping[str, Any]]] = {}
    for b in bodies:
        for name in b["fields"]:
            if split_row_field(name) is not None:
                writers.setdefault(name, []).append(b)
    dismissed = {i for b in bodies if b["action"] == "resolve" for i in b["meta"].get("dismiss", ())}
    for group, named in groups.items():
        legacy_name = ANSWERS + group
        rows: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}
        legacy = out.values.get(legacy_name)
        if isinstance(legacy, list):
            first = by_id.get(out.heads.get(legacy_name, [""])[0], {})
            for i, row in enumerate(r for r in legacy if isinstance(r, dict)):
                rid = row_id(row) or legacy_row_id(entity_uuid, group, i)
                rows[rid] = ((str(first.get("hlc", "")), i, rid), {k: v for k, v in row.items() if k != ROW_KEY})
        for rid, cells in named.items():
            marker = cells.get(ROW_KEY)
            order, kept = rows.get(rid, (None, {}))
            if order is None:
                adds = [(str(w["hlc"]), int(w["fields"][marker].get("n", 0)) if isinstance(w["fields"][marker], dict)
                         else 0, rid) for w in writers.get(marker or "", []) if w["fields"][marker] is not None]
                touched = [(str(w["hlc"]), 0, rid) for n in cells.values() for w in writers.get(n, [])]
                order = min(adds or touched or [("", 0, rid)])
            alive = True
            if marker is not None:
                out.values.pop(marker, None)
                if out.conflicts.get(marker, ("",))[0] == "field":
                    out.conflicts.pop(marker)  # a removal beside a keeping: adding wins, no question
                current = out.heads.get(marker, [])
                alive = any(by_id[i]["fields"].get(marker) is not None for i in current if i in by_id)
                if not alive and marker not in out.conflicts:
                    seen = _closure(set(current), by_id)
                    edits = sorted({w["id"] for c, n in cells.items() if c != ROW_KEY for w in writers.get(n, [])
                                    if w["id"] not in seen and w["id"] not in dismissed})
                    if edits:
                        alive = True
                        out.conflicts[marker] = ("row", [*current, *edits])
            late_row = out.conflicts.get(marker or "", ("", []))
            if late_row[0] == "final":  # a row added or removed after finalising: one question, not one per cell
                for column, name in cells.items():
                    c = out.conflicts.get(name)
                    if column != ROW_KEY and c is not None and c[0] == "final" and set(c[1][1:]) <= set(late_row[1]):
                        out.conflicts.pop(name)
            values = dict(kept)
            for column, name in cells.items():
                if column != ROW_KEY:
                    values[column] = out.values.pop(name)
            if alive:
                rows[rid] = (order, {k: v for k, v in values.items() if v is not None})
            else:
                rows.pop(rid, None)
        ordered = sorted(rows.items(), key=lambda kv: kv[1][0])
        out.values[legacy_name] = [{**cells, ROW_KEY: rid} for rid, (_o, cells) in ordered] or None


def _final_answers(out: Folded, bodies: Sequence[Mapping[str, Any]], by_id: Mapping[str, Mapping[str, Any]],
                   _superseded: Mapping[str, set[str]]) -> None:
    finalisers = [b for b in bodies if b["action"] in ("finalise", "amend")]
    if not finalisers:
        return  # a response received final in its creation: nothing was edited beside it
    seen = _closure({i for b in finalisers for i in (*b["base"].get("*", ()), b["id"])}
                    | {b["id"] for b in bodies if b["action"] == "create"}, by_id)
    dismissed = {i for b in bodies if b["action"] == "resolve" for i in b["meta"].get("dismiss", ())}
    for name in [n for n in out.values if n.startswith(ANSWERS)]:
        ws = [w for w in bodies if name in w["fields"]]
        before = [w for w in ws if w["id"] in seen]
        late = [w for w in ws if w["id"] not in seen and w["id"] not in dismissed]
        if len(before) == len(ws):
            continue
        if before:
            sup = {i for w in before for i in w["base"].get(name, ())}  # what the finaliser saw settled
            value, ids, conflict = _register(name, before, sup)
        else:
            value, ids, conflict = None, [], False
        out.values[name], out.heads[name] = value, ids
        out.conflicts.pop(name, None)
        if conflict:
            out.conflicts[name] = ("field", ids)
        if late:
            out.conflicts[name] = ("final", [*ids[:1], *shown_first(name, [(w["hlc"], w["id"], w["fields"][name])
                                                                           for w in late])])
