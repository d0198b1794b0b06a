"""Frozen form specifications: what the engine, the client and the PDF know of a form.

Specs know nothing of widgets. ``to_dict`` gives back a plain definition from which
``build_spec`` makes an equal spec (tested for every catalogue form), so a spec can be
stored, compared and hashed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ddassess.formengine.expr import Expr

FIELD_TYPES: frozenset[str] = frozenset({
    "short_text", "long_text", "integer", "decimal", "date", "datetime", "yes_no", "single_choice",
    "multi_choice", "scored_choice", "rating", "group", "person_ref", "practitioner_ref", "signature",
    "computed",
})
CHOICE_TYPES = frozenset({"single_choice", "multi_choice", "scored_choice"})
NUMBER_TYPES = frozenset({"integer", "decimal", "rating"})
TEXT_TYPES = frozenset({"short_text", "long_text"})
SEVERITIES = ("info", "warning", "high", "urgent")
NEED_AREAS_LIST = "need_area"  # the choice list (choices.yaml) that names the care plan's need areas


@dataclass(frozen=True)
class NeedSpec:
    """A need a care plan made from the assessment offers: its area (a value of the shared
    ``need_area`` list) and its words (by default the title of the field's section)."""

    area: str
    text: str = ""


@dataclass(frozen=True)
class CodeSpec:
    """A code of a published terminology naming an instrument or a score (LOINC 44249-1 is
    the PHQ-9 panel): what an interchange format (FHIR) says the form or total is."""

    system: str
    code: str
    display: str


@dataclass(frozen=True)
class ChoiceSpec:
    value: Any
    label: str
    score: float | int | None = None
    help: str = ""
    need: NeedSpec | None = None  # choosing this option offers this need


@dataclass(frozen=True)
class FieldSpec:
    id: str
    type: str
    label: str
    help: str = ""
    required: bool = False
    choices: tuple[ChoiceSpec, ...] = ()
    show_if: Expr | None = None
    min: float | int | None = None
    max: float | int | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    not_future: bool = False
    format: str | None = None
    fields: tuple[FieldSpec, ...] = ()  # columns of a repeating group
    min_rows: int | None = None
    max_rows: int | None = None
    expr: Expr | None = None  # computed value
    prefill: Expr | None = None  # suggested answer from other forms of the case
    min_label: str = ""
    max_label: str = ""
    unit: str = ""
    need: NeedSpec | None = None  # yes_no: answering yes offers this need
    risk_plan: bool = False  # long_text: the answer goes into the care plan's risk management
    signer: str = ""  # signature: whose signature block of the care plan this is

    def choice(self, value: Any) -> ChoiceSpec | None:
        """The option with exactly this value: same JSON type too, so ``true`` is not option 1
        and ``1.0`` is not option 1 (an answer of the wrong kind must not be scored)."""
        for c in self.choices:
            if type(c.value) is type(value) and c.value == value:
                return c
        return None

    @property
    def score_range(self) -> tuple[float, float] | None:
        scores = [c.score for c in self.choices if c.score is not None]
        if scores:
            return min(scores), max(scores)
        if self.type in NUMBER_TYPES and self.min is not None and self.max is not None:
            return self.min, self.max
        return None


@dataclass(frozen=True)
class SectionSpec:
    id: str
    title: str
    help: str = ""
    show_if: Expr | None = None
    fields: tuple[FieldSpec, ...] = ()


@dataclass(frozen=True)
class BandSpec:
    min: float | int
    max: float | int
    label: str
    action: str = ""
    concern: bool = False  # a result in this band offers a need in its score's need_area


@dataclass(frozen=True)
class ScoreSpec:
    id: str
    label: str
    items: tuple[str, ...] = ()
    reverse: tuple[str, ...] = ()
    weights: tuple[tuple[str, float | int], ...] = ()
    expr: Expr | None = None
    allow_missing: int = 0
    prorate: bool = False
    min: float | int | None = None
    max: float | int | None = None
    bands: tuple[BandSpec, ...] = ()
    help: str = ""
    need_area: str = ""  # where a band of concern's need belongs in the care plan
    codes: tuple[CodeSpec, ...] = ()  # what the total is in a terminology (LOINC), for interchange

    def band_for(self, value: float | int | None) -> BandSpec | None:
        if value is None:
            return None
        for band in self.bands:
            if band.min <= value <= band.max:
                return band
        return None


@dataclass(frozen=True)
class FlagSpec:
    id: str
    when: Expr
    severity: str
    message: str


@dataclass(frozen=True)
class CheckSpec:
    """A rule between answers: when ``when`` is true the answers disagree, and the form has
    a problem (ANS_016) beside ``field`` (or in the form's alerts) saying ``message``."""

    id: str
    when: Expr
    message: str
    field: str = ""
    severity: str = "error"  # error (blocks finalising) or warning


@dataclass(frozen=True)
class FormSpec:
    id: str
    version: int
    title: str
    kind: str
    purpose: str
    licence: tuple[tuple[str, str], ...]
    sections: tuple[SectionSpec, ...]
    scores: tuple[ScoreSpec, ...] = ()
    flags: tuple[FlagSpec, ...] = ()
    checks: tuple[CheckSpec, ...] = ()
    tables: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    codes: tuple[CodeSpec, ...] = ()  # what the instrument is in a terminology (LOINC panel), for interchange
    order: tuple[str, ...] = field(default=(), compare=False)  # evaluation order of fields and scores
    file: str = field(default="", compare=False)

    @cached_property
    def fields(self) -> dict[str, FieldSpec]:
        return {f.id: f for s in self.sections for f in s.fields}

    @cached_property
    def section_of(self) -> dict[str, SectionSpec]:
        return {f.id: s for s in self.sections for f in s.fields}

    @cached_property
    def score_specs(self) -> dict[str, ScoreSpec]:
        return {s.id: s for s in self.scores}

    def table(self, name: str) -> dict[str, Any]:
        return dict(dict(self.tables).get(name, ()))

    @cached_property
    def content_hash(self) -> str:
        import hashlib  # only when a hash is asked for: importing OpenSSL's bindings is slow
        import json

        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False,
                                         default=str).encode("utf-8")).hexdigest()

    @cached_property
    def declares_meaning(self) -> bool:
        """Whether the definition says anything for the care plan (needs, bands of concern,
        risk plans, signers); definitions frozen before those keys existed say nothing."""
        return any(f.need or f.risk_plan or f.signer or any(c.need for c in f.choices) for f in self.fields.values()) \
            or any(s.need_area or any(b.concern for b in s.bands) for s in self.scores)

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        from ddassess.formengine.build import spec_to_dict

        return spec_to_dict(self)
