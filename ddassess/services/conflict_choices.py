"""What a person may choose when settling a conflict (``services.conflicts``): one of the
values, always; for free text, also a text of their own (the two joined and edited by
hand: free text is never merged by the app, docs/exchange.md "Merge rules"). A combined text
is checked as the question checks an answer before it is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ddassess.domain import limits
from ddassess.errors import InvalidInputError
from ddassess.exchange.codec import split_row_field
from ddassess.formengine import Catalogue
from ddassess.services.answer_changes import answer_key
from ddassess.services.case_history import definition_of
from ddassess.services.conflicts import ConflictView
from ddassess.store import Store
from ddassess.store.records import ResponseRecord

TEXT_TYPES = frozenset({"short_text", "long_text"})
# A person's details that are free words (a coded or checked detail is chosen, never written over).
PERSON_TEXT = frozenset({"given_name", "family_name", "preferred_name", "gender", "address", "gp_practice",
                         "next_of_kin_name", "next_of_kin_relationship", "pronouns", "communication_needs"})


@dataclass(frozen=True)
class ConflictChoices:
    free_text: bool  # a combined text may be written
    limit: int  # its longest length
    several_lines: bool
    label: str  # how a message names it


def conflict_choices(store: Store, catalogue: Catalogue, view: ConflictView) -> ConflictChoices:
    label = f"The text for “{view.field_label[:60]}”"
    if view.kind != "field":
        return ConflictChoices(False, 0, False, label)
    if view.entity == "person":
        words = view.field in PERSON_TEXT and all(isinstance(v.value, str) for v in view.values)
        long_one = view.field in ("address", "communication_needs")
        return ConflictChoices(words, limits.MAX_ADDRESS if long_one else limits.MAX_NAME, long_one, label)
    if view.entity != "response":
        return ConflictChoices(False, 0, False, label)
    with store.read() as s:
        r = s.execute(select(ResponseRecord.form_id, ResponseRecord.form_version, ResponseRecord.definition_hash)
                      .where(ResponseRecord.uuid == view.entity_uuid)).first()
    spec = definition_of(catalogue, r[0], r[1], r[2]) if r is not None else None
    f = spec.fields.get(answer_key(view.field)) if spec is not None else None
    row = split_row_field(view.field)
    if row is not None and spec is not None and (group := spec.fields.get(row[0])) is not None:  # a row's cell
        f = next((c for c in group.fields if c.id == row[2]), None)
    if f is None or f.type not in TEXT_TYPES:
        return ConflictChoices(False, 0, False, label)
    return ConflictChoices(True, f.max_length or limits.MAX_STORED_ANSWER, f.type == "long_text", label)


def joined(view: ConflictView) -> str:
    """The values one after the other, each once, as the start of a combined text."""
    texts = list(dict.fromkeys(str(v.value).strip() for v in view.values if isinstance(v.value, str)))
    return "\n\n".join(t for t in texts if t)


def checked_text(choices: ConflictChoices, text: Any) -> str:
    """A combined text as it will be kept, or InvalidInputError saying what to change."""
    if not choices.free_text:
        raise InvalidInputError("This answer cannot be written by hand: keep one of the values.")
    problem = limits.text_problem(text, choices.label, choices.limit, lines=choices.several_lines)
    if problem:
        raise InvalidInputError(problem)
    kept = str(text).strip()
    if not kept:
        raise InvalidInputError(f"{choices.label} is empty: write it, or keep one of the values as it is.")
    if not choices.several_lines and "\n" in kept:
        raise InvalidInputError(f"{choices.label} takes one line: join the lines, or keep one of the values.")
    return kept
