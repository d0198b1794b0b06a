"""Checks of the catalogue's shared files: choice lists (choices.yaml) and lookup tables.

Forms are checked against the JSON Schema; these files are not forms, so they get their
own small checks here. A bad shared choice list is reported once, in choices.yaml, and
is then unusable (forms that name it say so) rather than crashing every form built on it.
"""

from __future__ import annotations

import itertools
from typing import Any

from ddassess.codes import Code
from ddassess.formengine.expr import Env
from ddassess.formengine.problems import Problem, did_you_mean
from ddassess.formengine.spec import FieldSpec, FormSpec
from ddassess.formengine.yamlsource import Source

_CHOICE_KEYS = {"value", "label", "score", "help"}


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _option_problem(option: Any) -> str:
    """What is wrong with one option of a shared list ('' when nothing is)."""
    if not isinstance(option, dict):
        return f"each option must be a mapping like {{value: x, label: Text}}, not {type(option).__name__}"
    extra = sorted(set(map(str, option)) - _CHOICE_KEYS)
    if extra:
        return f"'{extra[0]}' is not a key an option may have{did_you_mean(extra[0], _CHOICE_KEYS)}"
    if "value" not in option or not isinstance(option["value"], str | int | float | bool):
        return "an option needs a 'value' (text, a number, or true/false)"
    if not isinstance(option.get("label"), str) or not option["label"].strip():
        return "an option needs a 'label' (the words shown)"
    if "score" in option and not _number(option["score"]):
        return "an option's 'score' must be a number"
    if "help" in option and not isinstance(option["help"], str):
        return "an option's 'help' must be text"
    return ""


def check_shared_choices(src: Source) -> dict[str, Any]:
    """The usable lists of choices.yaml; a broken list maps to None (reported once, here)."""
    data = src.data
    if data is None:
        return {}
    if not isinstance(data, dict):
        src.problem(Code.FORM_026, "choices.yaml must be a mapping of list names to lists of options.")
        return {}
    out: dict[str, Any] = {}
    for name, options in data.items():
        if not isinstance(options, list) or not options:
            src.problem(Code.FORM_026, f"The choice list '{name}' must be a list of options "
                        "(- {value: x, label: Text}).", (name,))
            out[str(name)] = None
            continue
        bad = [(i, _option_problem(o)) for i, o in enumerate(options)]
        bad = [(i, why) for i, why in bad if why]
        for i, why in bad:
            src.problem(Code.FORM_026, f"Option {i + 1} of the choice list '{name}': {why}.", (name, i))
        out[str(name)] = None if bad else options
    return out


def check_table_keys(table_name: str, table: dict[str, Any], field_id: str, values: list[Any], form_id: str,
                     file: str) -> list[Problem]:
    """A table looked up by a choice field must have exactly one row per choice."""
    keys = {str(k) for k in table}
    wanted = {str(v) for v in values}
    out = []
    for missing in sorted(wanted - keys):
        out.append(Problem(Code.FORM_027, f"The table '{table_name}' has no row for '{missing}', a possible value of "
                           f"{form_id}.{field_id}: that choice would look up nothing"
                           f"{did_you_mean(missing, keys - wanted)}.", file=file))
    for extra in sorted(keys - wanted):
        out.append(Problem(Code.FORM_027, f"The table '{table_name}' has a row '{extra}', which is not a possible "
                           f"value of {form_id}.{field_id}{did_you_mean(extra, wanted - keys)}.", file=file))
    return out


MAX_COMBINATIONS = 512


def _domain(f: FieldSpec) -> list[Any] | None:
    """The values expressions can see for a field, when there are few enough to list."""
    if f.type == "yes_no":
        return [True, False]
    if f.type == "scored_choice":
        return sorted({c.score for c in f.choices if c.score is not None})
    if f.type == "single_choice":
        return [c.value for c in f.choices]
    return None


def possible_values(spec: FormSpec, field_id: str) -> list[Any] | None:
    """Every value a choice field, or a computed field built only from choice fields, can take.

    A computed key such as ``mh_severity + '_mh_' + sm_severity + '_sm'`` is worked out for
    every combination of its inputs, so a lookup table keyed by it can be checked at load.
    None when the values cannot be listed (free text, numbers, too many combinations).
    """
    f = spec.fields.get(field_id)
    if f is None:
        return None
    if f.type != "computed":
        return _domain(f)
    if f.expr is None:
        return None
    names = sorted(f.expr.names)
    domains = [_domain(spec.fields[n]) if n in spec.fields else None for n in names]
    known = [d for d in domains if d is not None]
    if len(known) < len(domains):
        return None
    options = [[*d, None] for d in known]
    total = 1
    for o in options:
        total *= len(o)
    if total > MAX_COMBINATIONS:
        return None
    out: list[Any] = []
    for combo in itertools.product(*options):
        try:
            v = f.expr.run(Env(dict(zip(names, combo, strict=True))))
        except Exception:  # a combination the expression cannot handle says nothing about the table
            continue
        if v is not None and v not in out:
            out.append(v)
    return out
