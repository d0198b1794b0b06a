"""Checks of meaning, after the structure is right: ids, references, scores, bands, cycles.

Also works out the order in which fields and scores are evaluated (each after everything
it refers to), which is why circular definitions are found here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from ddassess.codes import Code
from ddassess.formengine.expr import CONSTANT_NAMES, Expr
from ddassess.formengine.problems import did_you_mean
from ddassess.formengine.spec import NUMBER_TYPES, FormSpec
from ddassess.formengine.yamlsource import Path, Source

SCORABLE = NUMBER_TYPES | {"scored_choice", "computed"}
GLOSSARY_REF = re.compile(r"\[\[([^\]]+)\]\]")


def _field_paths(spec: FormSpec) -> dict[str, Path]:
    return {f.id: ("sections", i, "fields", j) for i, s in enumerate(spec.sections) for j, f in enumerate(s.fields)}


def _check_ids(spec: FormSpec, src: Source) -> None:
    seen: dict[str, str] = {}
    paths = _field_paths(spec)
    for s in spec.sections:
        for f in s.fields:
            if f.id in seen:
                src.problem(Code.FORM_004, f"The id '{f.id}' is used twice (also {seen[f.id]}).", paths[f.id],
                            field_id=f.id)
            seen[f.id] = f"field in section '{s.id}'"
            cols = [c.id for c in f.fields]
            for dup in {c for c in cols if cols.count(c) > 1}:
                src.problem(Code.FORM_004, f"Group '{f.id}' has two columns called '{dup}'.", paths[f.id],
                            field_id=f.id)
            if f.type == "group" and not f.fields:
                src.problem(Code.FORM_002, f"Group '{f.id}' needs 'fields' (its columns).", paths[f.id],
                            field_id=f.id)
    for i, sc in enumerate(spec.scores):
        if sc.id in seen:
            src.problem(Code.FORM_004, f"The id '{sc.id}' is used twice (also {seen[sc.id]}).", ("scores", i),
                        field_id=sc.id)
        seen[sc.id] = "score"
    sections = [s.id for s in spec.sections]
    for dup in {s for s in sections if sections.count(s) > 1}:
        src.problem(Code.FORM_004, f"Two sections are called '{dup}'.", ("sections",))
    flags = [f.id for f in spec.flags]
    for dup in {f for f in flags if flags.count(f) > 1}:
        src.problem(Code.FORM_004, f"Two flags are called '{dup}'.", ("flags",))
    checks = [c.id for c in spec.checks]
    for dup in {c for c in checks if checks.count(c) > 1}:
        src.problem(Code.FORM_004, f"Two checks are called '{dup}'.", ("checks",))
    for i, c in enumerate(spec.checks):
        if c.field and c.field not in spec.fields:
            src.problem(Code.FORM_005, f"Check '{c.id}' belongs to '{c.field}', which this form does not have"
                        f"{did_you_mean(c.field, spec.fields)}.", ("checks", i, "field"), field_id=c.id)
    for name in seen:
        if name in CONSTANT_NAMES:
            src.problem(Code.FORM_004, f"'{name}' is a reserved word and cannot be an id.", paths.get(name, ()))


def _exprs(spec: FormSpec) -> Iterable[tuple[Expr, Path, str, frozenset[str]]]:
    """Every expression with its place, owner and the extra names visible there."""
    top: frozenset[str] = frozenset()
    paths = _field_paths(spec)
    for i, s in enumerate(spec.sections):
        if s.show_if:
            yield s.show_if, ("sections", i, "show_if"), s.id, top
        for f in s.fields:
            for key in ("show_if", "expr", "prefill"):
                e = getattr(f, key)
                if e is not None:
                    yield e, paths[f.id] + (key,), f.id, top
            cols = frozenset(c.id for c in f.fields)
            for k, c in enumerate(f.fields):
                for key in ("show_if", "expr"):
                    e = getattr(c, key)
                    if e is not None:
                        yield e, paths[f.id] + ("fields", k, key), f"{f.id}.{c.id}", cols
    for i, sc in enumerate(spec.scores):
        if sc.expr is not None:
            yield sc.expr, ("scores", i, "expr"), sc.id, top
    for i, fl in enumerate(spec.flags):
        yield fl.when, ("flags", i, "when"), fl.id, top
    for i, check in enumerate(spec.checks):
        yield check.when, ("checks", i, "when"), check.id, top


def _check_references(spec: FormSpec, src: Source, shared_tables: Iterable[str]) -> None:
    known = set(spec.fields) | set(spec.score_specs)
    tables = set(dict(spec.tables)) | set(shared_tables)
    for e, path, owner, extra in _exprs(spec):
        for name in sorted(e.names - known - extra):
            src.problem(Code.FORM_005, f"'{owner}' refers to '{name}', which this form does not have"
                        f"{did_you_mean(name, known | extra)}.", path, field_id=owner)
        for fname, args in e.calls:
            if fname == "lookup" and isinstance(args[0], str) and args[0] not in tables:
                src.problem(Code.FORM_016, f"'{owner}' looks up the table '{args[0]}', which is not defined"
                            f"{did_you_mean(args[0], tables)}.", path, field_id=owner)
            if fname in ("lookup", "latest") and not isinstance(args[0], str):
                src.problem(Code.FORM_006, f"'{owner}': the first argument of {fname}() must be a quoted name.",
                            path, field_id=owner)


def score_range(spec: FormSpec, score_id: str) -> tuple[float, float] | None:
    s = spec.score_specs[score_id]
    if s.min is not None and s.max is not None:
        return s.min, s.max
    if not s.items:
        return None
    weights = dict(s.weights)
    lo = hi = 0.0
    for item in s.items:
        f = spec.fields.get(item)
        rng = f.score_range if f else None
        if rng is None:
            return None
        w = weights.get(item, 1)
        lo, hi = lo + rng[0] * w, hi + rng[1] * w
    return lo, hi


def _check_scores(spec: FormSpec, src: Source) -> None:
    fields = spec.fields
    for i, s in enumerate(spec.scores):
        for item in s.items:
            f = fields.get(item)
            if f is None:
                src.problem(Code.FORM_014, f"Score '{s.id}' uses '{item}', which this form does not have"
                            f"{did_you_mean(item, fields)}.", ("scores", i, "items"), field_id=s.id)
            elif f.type not in SCORABLE:
                src.problem(Code.FORM_014, f"Score '{s.id}' uses '{item}', a {f.type} question that has no score.",
                            ("scores", i, "items"), field_id=s.id)
        for item in list(s.reverse) + [k for k, _ in s.weights]:
            if item not in s.items:
                src.problem(Code.FORM_018,
                            f"Score '{s.id}' reverses or weights '{item}', which is not one of its items.",
                            ("scores", i), field_id=s.id)
        _check_bands(spec, src, i)


def _check_bands(spec: FormSpec, src: Source, i: int) -> None:
    s = spec.scores[i]
    bands = sorted(s.bands, key=lambda b: b.min)
    if list(bands) != list(s.bands):
        src.problem(Code.FORM_011, f"The bands of score '{s.id}' are not in order from lowest to highest.",
                    ("scores", i, "bands"), field_id=s.id)
    for b in bands:
        if b.min > b.max:
            src.problem(Code.FORM_011, f"Band '{b.label}' of '{s.id}' starts above where it ends.",
                        ("scores", i, "bands"))
    for a, b in zip(bands, bands[1:], strict=False):
        if b.min <= a.max:
            src.problem(Code.FORM_011, f"Bands '{a.label}' and '{b.label}' of '{s.id}' overlap.",
                        ("scores", i, "bands"))
        elif float(a.max).is_integer() and float(b.min).is_integer() and b.min != a.max + 1:
            src.problem(Code.FORM_011,
                        f"Between bands '{a.label}' and '{b.label}' of '{s.id}' some scores have no band.",
                        ("scores", i, "bands"))
    rng = score_range(spec, s.id)
    if bands and rng is not None and (bands[0].min != rng[0] or bands[-1].max != rng[1]):
        src.problem(Code.FORM_011, f"The bands of '{s.id}' cover {bands[0].min}–{bands[-1].max} but the score runs "
                    f"{rng[0]:g}–{rng[1]:g}.", ("scores", i, "bands"), field_id=s.id)


def _order(spec: FormSpec, src: Source) -> tuple[str, ...]:
    """Fields and scores in an order where each comes after what it depends on."""
    deps: dict[str, set[str]] = {}
    section_of = spec.section_of
    for f in spec.fields.values():
        names: set[str] = set()
        # A prefill is worked out when the field is reached, so what it reads comes first too.
        for e in (f.show_if, f.expr, f.prefill, section_of[f.id].show_if):
            if e is not None:
                names |= e.names
        deps[f.id] = names
    for s in spec.scores:
        deps[s.id] = set(s.items) | (s.expr.names if s.expr else set())
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = trail[trail.index(node):] + [node]
            src.problem(Code.FORM_010, "These depend on each other in a circle: " + " → ".join(cycle) + ".",
                        _field_paths(spec).get(node, ()), field_id=node)
            return
        state[node] = 1
        for d in sorted(deps.get(node, ())):
            if d in deps:
                visit(d, trail + [node])
        state[node] = 2
        order.append(node)

    for node in deps:
        visit(node, [])
    return tuple(order)


def _check_glossary(spec: FormSpec, src: Source, glossary: set[str] | None) -> None:
    if glossary is None:
        return
    paths = _field_paths(spec)

    def scan(text: str, path: Path, owner: str) -> None:
        for term in GLOSSARY_REF.findall(text or ""):
            if term.strip().lower() not in glossary:
                src.problem(Code.FORM_012, f"'{owner}' refers to the glossary term '{term}', which the glossary does "
                            f"not have{did_you_mean(term.lower(), glossary)}.", path, field_id=owner)

    scan(spec.purpose, ("purpose",), spec.id)
    for i, s in enumerate(spec.sections):
        scan(s.help, ("sections", i), s.id)
        for f in s.fields:
            for text in (f.label, f.help, *(c.help for c in f.fields), *(c.label for c in f.fields)):
                scan(text, paths[f.id], f.id)


def _check_file_name(spec: FormSpec, src: Source) -> None:
    stem = src.file.rsplit("/", 1)[-1].removesuffix(".yaml").removesuffix(".yml")
    if stem not in (spec.id, f"{spec.id}@{spec.version}"):
        src.problem(Code.FORM_015, f"The file is called '{stem}' but the form's id is '{spec.id}': name the file "
                    f"{spec.id}.yaml (or {spec.id}@{spec.version}.yaml among older versions).", ("id",))


def validate(spec: FormSpec, src: Source, *, glossary: set[str] | None = None,
             shared_tables: Iterable[str] = (), check_file_name: bool = True) -> FormSpec:
    _check_ids(spec, src)
    _check_references(spec, src, shared_tables)
    _check_scores(spec, src)
    _check_glossary(spec, src, glossary)
    if check_file_name:
        _check_file_name(spec, src)
    return replace(spec, order=_order(spec, src))
