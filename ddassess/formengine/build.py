"""From a checked definition (a dict) to a FormSpec, and back (``spec_to_dict``).

``build_spec`` assumes the JSON Schema has passed and reports problems of meaning:
unknown types and choice lists, unscored options in scored fields, expressions that do
not parse or name unknown things, reverse items outside a score, unknown tables.
"""

from __future__ import annotations

import re
from typing import Any

from ddassess.codes import Code
from ddassess.domain.careplan import SIGNER_ROLES
from ddassess.domain.limits import MAX_LONG_ANSWER
from ddassess.formengine.expr import Expr, ExprError, parse_expr
from ddassess.formengine.problems import did_you_mean
from ddassess.formengine.spec import (
    CHOICE_TYPES,
    FIELD_TYPES,
    NEED_AREAS_LIST,
    NUMBER_TYPES,
    TEXT_TYPES,
    BandSpec,
    CheckSpec,
    ChoiceSpec,
    CodeSpec,
    FieldSpec,
    FlagSpec,
    FormSpec,
    NeedSpec,
    ScoreSpec,
    SectionSpec,
)
from ddassess.formengine.yamlsource import Path, Source

_FIELD_KEYS = ("help", "required", "min", "max", "min_length", "max_length", "pattern", "not_future", "format",
               "min_rows", "max_rows", "min_label", "max_label", "unit", "risk_plan", "signer")
# What a form tells the care plan (forms/README.md, "What a form tells the care plan"):
# read only on the questions of a form, never on the columns of a group.
_PLAN_KEYS = ("need", "risk_plan", "signer")


_TEXTUAL = TEXT_TYPES | {"person_ref", "practitioner_ref"}
# Which field types each type-specific key means something for. A key on any other type
# would be silently ignored (choices on a text question, rows on a date), so it is refused.
APPLIES: dict[str, frozenset[str]] = {
    "choices": CHOICE_TYPES | {"computed"},  # on computed: the words for the values it can take
    "expr": frozenset({"computed"}),
    "fields": frozenset({"group"}), "min_rows": frozenset({"group"}), "max_rows": frozenset({"group"}),
    "min": NUMBER_TYPES, "max": NUMBER_TYPES,
    "min_label": frozenset({"rating"}), "max_label": frozenset({"rating"}),
    "unit": NUMBER_TYPES | {"computed"},
    "min_length": _TEXTUAL, "max_length": _TEXTUAL, "pattern": _TEXTUAL, "format": _TEXTUAL,
    "not_future": frozenset({"date", "datetime"}),
    "prefill": FIELD_TYPES - {"computed", "group", "signature"},
    "need": frozenset({"yes_no"}), "risk_plan": frozenset({"long_text"}), "signer": frozenset({"signature"}),
}
_LIMITS = (("min", "max"), ("min_length", "max_length"), ("min_rows", "max_rows"))


def _same_value(a: Any, b: Any) -> bool:
    """Two option values a person (or YAML: 1 and true, 1 and '1') could not tell apart."""
    return a == b or str(a).lower() == str(b).lower()


class _Builder:
    def __init__(self, src: Source, data: dict[str, Any], shared_choices: dict[str, Any] | None = None) -> None:
        self.src = src
        self.data = data
        self.choice_lists = {**(shared_choices or {}), **data.get("choice_lists", {})}
        # The care plan's need areas; unknown (not checked) for a definition read on its own,
        # without the catalogue's shared lists.
        areas = self.choice_lists.get(NEED_AREAS_LIST, [] if shared_choices is not None else None)
        self.need_areas = None if areas is None else [str(c.get("value")) for c in areas if isinstance(c, dict)]
        self.signers: dict[str, str] = {}  # signer -> the first signature field that names it

    def expr(self, value: Any, path: Path, field_id: str = "") -> Expr | None:
        if value is None:
            return None
        try:
            return parse_expr(value)
        except ExprError as exc:
            self.src.problem(exc.code, exc.message, path, field_id=field_id)
            return None

    def choices(self, raw: Any, ftype: str, path: Path, fid: str) -> tuple[ChoiceSpec, ...]:
        if isinstance(raw, str):
            if raw not in self.choice_lists:
                self.src.problem(Code.FORM_008, f"Field '{fid}' uses the choice list '{raw}', which is not defined"
                                 f"{did_you_mean(raw, self.choice_lists)}.", path + ("choices",), field_id=fid)
                return ()
            name, raw = raw, self.choice_lists[raw]
            if raw is None:  # a shared list with problems, reported once in choices.yaml
                self.src.problem(Code.FORM_008, f"Field '{fid}' uses the choice list '{name}', which has problems "
                                 "(see choices.yaml).", path + ("choices",), field_id=fid)
                return ()
        out = []
        for i, c in enumerate(raw or []):
            if ftype == "scored_choice" and c.get("score") is None:
                self.src.problem(Code.FORM_009, f"Option '{c.get('label', c.get('value'))}' of scored field '{fid}' "
                                 "has no score.", path + ("choices", i), field_id=fid)
            need = self.need(c.get("need"), path + ("choices", i, "need"), fid) if ftype in CHOICE_TYPES else None
            out.append(ChoiceSpec(value=c["value"], label=str(c["label"]), score=c.get("score"),
                                  help=c.get("help", ""), need=need))
        if ftype in CHOICE_TYPES and not out:
            self.src.problem(Code.FORM_008, f"Choice field '{fid}' has no choices.", path, field_id=fid)
        values = [c.value for c in out]
        for i, a in enumerate(values):
            twin = next((b for b in values[i + 1:] if _same_value(a, b)), None)
            if twin is not None:
                self.src.problem(Code.FORM_004, f"Field '{fid}' has two options with the same value ({a!r} and "
                                 f"{twin!r}): give each option its own value.", path, field_id=fid)
                break
        return tuple(out)

    def need_area(self, area: str, path: Path, owner: str) -> None:
        """An area must be one of the care plan's need areas (the ``need_area`` choice list)."""
        if self.need_areas is None:
            return
        if not self.need_areas:
            self.src.problem(Code.FORM_029, f"'{owner}' names the need area '{area}', but there is no list of need "
                             f"areas: define the choice list '{NEED_AREAS_LIST}' in choices.yaml.", path,
                             field_id=owner)
        elif area not in self.need_areas:
            self.src.problem(Code.FORM_029, f"'{owner}' names the need area '{area}', which is not one of the care "
                             f"plan's need areas{did_you_mean(area, self.need_areas)}: use one of "
                             f"{', '.join(self.need_areas)}.", path, field_id=owner)

    def need(self, raw: Any, path: Path, owner: str) -> NeedSpec | None:
        if raw is None:
            return None
        self.need_area(raw["area"], path + ("area",), owner)
        return NeedSpec(area=raw["area"], text=str(raw.get("text", "")))

    def signer(self, fid: str, signer: str, path: Path) -> None:
        if signer not in SIGNER_ROLES:
            self.src.problem(Code.FORM_029, f"Signature '{fid}' is for '{signer}', which is not a signature block "
                             f"of the care plan{did_you_mean(signer, SIGNER_ROLES)}: use one of "
                             f"{', '.join(SIGNER_ROLES)}.",
                             path, field_id=fid)
        elif signer in self.signers:
            self.src.problem(Code.FORM_029, f"Signatures '{self.signers[signer]}' and '{fid}' are both for '{signer}': "
                             "each signature block has one signature field.", path, field_id=fid)
        else:
            self.signers[signer] = fid

    def field(self, raw: dict[str, Any], path: Path, column_of: str = "") -> FieldSpec:
        fid, ftype = raw["id"], raw["type"]
        if ftype not in FIELD_TYPES:
            self.src.problem(Code.FORM_003, f"Field '{fid}' has the unknown type '{ftype}'"
                             f"{did_you_mean(ftype, FIELD_TYPES)}.", path + ("type",), field_id=fid)
        if ftype not in ("computed", "group") and not str(raw.get("help", "")).strip():
            self.src.problem(Code.FORM_019, f"Question '{fid}' has no help text: say what is asked and why.",
                             path, field_id=fid)
        self.check_keys(raw, ftype, path, fid)
        for key in _PLAN_KEYS:
            if column_of and key in raw:
                self.src.problem(Code.FORM_029, f"Column '{fid}' of group '{column_of}' has '{key}', which is read "
                                 "only on the questions of a form, not on the columns of a group.", path + (key,),
                                 field_id=fid)
        if "signer" in raw and ftype == "signature" and not column_of:
            self.signer(fid, raw["signer"], path + ("signer",))
        kwargs = {k: raw[k] for k in _FIELD_KEYS if k in raw}
        sub = tuple(self.field(f, path + ("fields", i), column_of=fid) for i, f in enumerate(raw.get("fields", [])))
        if ftype == "computed" and "expr" not in raw:
            self.src.problem(Code.FORM_002, f"Computed field '{fid}' needs an 'expr'.", path, field_id=fid)
        return FieldSpec(
            id=fid, type=ftype, label=str(raw["label"]),
            choices=self.choices(raw.get("choices"), ftype, path, fid) if ftype in CHOICE_TYPES or (
                ftype == "computed" and "choices" in raw) else (),
            show_if=self.expr(raw.get("show_if"), path + ("show_if",), fid),
            expr=self.expr(raw.get("expr"), path + ("expr",), fid),
            prefill=self.expr(raw.get("prefill"), path + ("prefill",), fid),
            need=self.need(raw.get("need"), path + ("need",), fid) if ftype == "yes_no" else None,
            fields=sub, **kwargs,
        )

    def check_keys(self, raw: dict[str, Any], ftype: str, path: Path, fid: str) -> None:
        if ftype in FIELD_TYPES:
            for key, types in APPLIES.items():
                if key in raw and ftype not in types:
                    self.src.problem(Code.FORM_025, f"Field '{fid}' is a {ftype} question: '{key}' does not apply "
                                     f"to it (it is for {', '.join(sorted(types))}).", path + (key,), field_id=fid)
        for lo, hi in _LIMITS:
            if raw.get(lo) is not None and raw.get(hi) is not None and raw[lo] > raw[hi]:
                self.src.problem(Code.FORM_024, f"Field '{fid}' has {lo} {raw[lo]} above {hi} {raw[hi]}: no answer "
                                 "could be right.", path + (lo,), field_id=fid)
        if isinstance(raw.get("max_length"), int) and raw["max_length"] > MAX_LONG_ANSWER:
            self.src.problem(Code.FORM_024, f"Field '{fid}' has max_length {raw['max_length']:,}; an answer may hold "
                             f"at most {MAX_LONG_ANSWER:,} characters.", path + ("max_length",), field_id=fid)
        if isinstance(raw.get("pattern"), str):
            try:
                re.compile(raw["pattern"])
            except (re.error, RecursionError, OverflowError) as exc:
                self.src.problem(Code.FORM_023, f"The pattern of field '{fid}' is not a valid regular expression "
                                 f"({getattr(exc, 'msg', exc)}).", path + ("pattern",), field_id=fid)

    def score(self, raw: dict[str, Any], path: Path) -> ScoreSpec:
        if raw.get("min") is not None and raw.get("max") is not None and raw["min"] > raw["max"]:
            self.src.problem(Code.FORM_024, f"Score '{raw['id']}' has min {raw['min']} above max {raw['max']}.",
                             path + ("min",), field_id=raw["id"])
        missing = raw.get("missing", {})
        bands = tuple(BandSpec(b["min"], b["max"], str(b["label"]), b.get("action", ""), bool(b.get("concern")))
                      for b in raw.get("bands", []))
        area = raw.get("need_area", "")
        if area:
            self.need_area(area, path + ("need_area",), raw["id"])
        concern = [b.label for b in bands if b.concern]
        if concern and not area:
            self.src.problem(Code.FORM_029, f"Score '{raw['id']}' has bands of concern ({', '.join(concern)}) but no "
                             "need_area: say where their need belongs in the care plan.", path, field_id=raw["id"])
        elif area and not concern:
            self.src.problem(Code.FORM_029, f"Score '{raw['id']}' has a need_area but no band with 'concern: true', so "
                             "it would never offer a need: mark the bands of concern.", path + ("need_area",),
                             field_id=raw["id"])
        return ScoreSpec(
            id=raw["id"], label=str(raw["label"]), items=tuple(raw.get("items", ())),
            reverse=tuple(raw.get("reverse", ())), weights=tuple(sorted(raw.get("weights", {}).items())),
            expr=self.expr(raw.get("expr"), path + ("expr",), raw["id"]),
            allow_missing=int(missing.get("allow", 0)), prorate=missing.get("method") == "prorate",
            min=raw.get("min"), max=raw.get("max"), help=raw.get("help", ""), bands=bands, need_area=area,
            codes=_codes(raw.get("codes", ())),
        )

    def build(self) -> FormSpec:
        d = self.data
        sections = tuple(
            SectionSpec(id=s["id"], title=str(s["title"]), help=s.get("help", ""),
                        show_if=self.expr(s.get("show_if"), ("sections", i, "show_if")),
                        fields=tuple(self.field(f, ("sections", i, "fields", j)) for j, f in enumerate(s["fields"])))
            for i, s in enumerate(d["sections"])
        )
        scores = tuple(self.score(s, ("scores", i)) for i, s in enumerate(d.get("scores", [])))
        flags = []
        for i, f in enumerate(d.get("flags", [])):
            when = self.expr(f["when"], ("flags", i, "when"), f["id"])
            if when is not None:
                flags.append(FlagSpec(f["id"], when, f["severity"], str(f["message"])))
        checks = []
        for i, c in enumerate(d.get("checks", [])):
            when = self.expr(c["when"], ("checks", i, "when"), c["id"])
            if when is not None:
                checks.append(CheckSpec(c["id"], when, str(c["message"]), c.get("field", ""),
                                        c.get("severity", "error")))
        licence = d["licence"]
        tables = tuple(sorted((name, tuple(sorted((str(k), v) for k, v in rows.items())))
                              for name, rows in d.get("tables", {}).items()))
        return FormSpec(
            id=d["id"], version=int(d["version"]), title=str(d["title"]), kind=d.get("kind", "pathway"),
            purpose=str(d.get("purpose", "")), licence=tuple(sorted((k, str(v)) for k, v in licence.items())),
            sections=sections, scores=scores, flags=tuple(flags), checks=tuple(checks), tables=tables,
            codes=_codes(d.get("codes", ())), file=self.src.file,
        )


def _codes(raw: Any) -> tuple[CodeSpec, ...]:
    return tuple(CodeSpec(str(c["system"]), str(c["code"]), str(c["display"])) for c in raw)


def _codes_list(codes: tuple[CodeSpec, ...]) -> list[dict[str, str]]:
    return [{"system": c.system, "code": c.code, "display": c.display} for c in codes]


def build_spec(src: Source, shared_choices: dict[str, Any] | None = None) -> FormSpec:
    return _Builder(src, src.data, shared_choices).build()


# --- back to a plain definition ------------------------------------------------------


def _expr(e: Expr | None) -> str | None:
    return e.source if e is not None else None


def _need_dict(n: NeedSpec) -> dict[str, str]:
    return {"area": n.area, **({"text": n.text} if n.text else {})}


def _field_dict(f: FieldSpec) -> dict[str, Any]:
    d: dict[str, Any] = {"id": f.id, "type": f.type, "label": f.label}
    for key in _FIELD_KEYS:
        value = getattr(f, key)
        if value is not None and value is not False and value != "":  # 0 is a real minimum
            d[key] = value
    if f.need is not None:
        d["need"] = _need_dict(f.need)
    if f.choices:
        d["choices"] = [{k: v for k, v in (("value", c.value), ("label", c.label), ("score", c.score),
                                           ("help", c.help), ("need", _need_dict(c.need) if c.need else None))
                         if v not in (None, "")} for c in f.choices]
    for key in ("show_if", "expr", "prefill"):
        if getattr(f, key) is not None:
            d[key] = _expr(getattr(f, key))
    if f.fields:
        d["fields"] = [_field_dict(s) for s in f.fields]
    return d


def spec_to_dict(spec: FormSpec) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": spec.id, "version": spec.version, "title": spec.title, "kind": spec.kind, "purpose": spec.purpose,
        "licence": dict(spec.licence),
        "sections": [
            {k: v for k, v in (("id", s.id), ("title", s.title), ("help", s.help), ("show_if", _expr(s.show_if)),
                               ("fields", [_field_dict(f) for f in s.fields])) if v not in (None, "")}
            for s in spec.sections
        ],
    }
    if spec.scores:
        d["scores"] = []
        for s in spec.scores:
            sd: dict[str, Any] = {"id": s.id, "label": s.label}
            for key, value in (("items", list(s.items)), ("reverse", list(s.reverse)), ("weights", dict(s.weights)),
                               ("expr", _expr(s.expr)), ("min", s.min), ("max", s.max), ("help", s.help),
                               ("need_area", s.need_area), ("codes", _codes_list(s.codes))):
                if value not in (None, "", [], {}):
                    sd[key] = value
            if s.allow_missing or s.prorate:
                sd["missing"] = {"allow": s.allow_missing, **({"method": "prorate"} if s.prorate else {})}
            if s.bands:
                sd["bands"] = [{k: v for k, v in (("min", b.min), ("max", b.max), ("label", b.label),
                                                  ("action", b.action), ("concern", b.concern))
                                if v != "" and v is not False} for b in s.bands]
            d["scores"].append(sd)
    if spec.flags:
        d["flags"] = [{"id": f.id, "when": f.when.source, "severity": f.severity, "message": f.message}
                      for f in spec.flags]
    if spec.checks:
        d["checks"] = [{k: v for k, v in (("id", c.id), ("when", c.when.source), ("message", c.message),
                                          ("field", c.field), ("severity", c.severity)) if v != ""}
                       for c in spec.checks]
    if spec.tables:
        d["tables"] = {name: dict(rows) for name, rows in spec.tables}
    if spec.codes:  # absent when none, so a definition without codes keeps its hash
        d["codes"] = _codes_list(spec.codes)
    return d
