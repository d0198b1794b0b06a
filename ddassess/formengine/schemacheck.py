"""Structure check of a form definition against the JSON Schema shipped with the package.

Every structural problem becomes a Problem with the line of the offending key and, for a
misspelt key or value, a "did you mean". The schema (form.schema.json) is the formal half
of forms/README.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from ddassess.codes import Code
from ddassess.formengine.problems import did_you_mean
from ddassess.formengine.yamlsource import Source

SCHEMA_PATH = Path(__file__).with_name("form.schema.json")


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def _allowed_keys(schema: dict[str, Any]) -> list[str]:
    return sorted(schema.get("properties", {}))


def _describe(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "the form"
    v = error.validator
    if v == "additionalProperties":
        extras = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = _allowed_keys(error.schema)
        return "; ".join(f"'{k}' is not a key allowed in {where}{did_you_mean(k, allowed)}" for k in extras) + "."
    if v == "required":
        return f"{where} is missing {error.message.split(' is a required')[0]}."
    if v == "enum":
        allowed = error.validator_value
        return (f"{where}: {error.instance!r} is not one of {', '.join(map(repr, allowed))}"
                f"{did_you_mean(error.instance, map(str, allowed))}.")
    if v == "pattern" and error.schema.get("pattern", "").startswith("^[a-z]"):
        return (f"{where}: '{error.instance}' is not a usable id (lower-case letters, digits and _, "
                "starting with a letter).")
    if v == "type" and isinstance(error.instance, bool) and "string" in str(error.validator_value):
        return (f"{where} was read as {str(error.instance).lower()}: YAML reads unquoted yes/no/on/off/true/false "
                "that way. Put the text in quotes.")
    if v == "type":
        return (f"{where} should be {error.validator_value}, not {type(error.instance).__name__} "
                f"({error.instance!r:.40}).")
    if v == "oneOf" and error.schema.get("oneOf") and all("required" in s for s in error.schema["oneOf"]):
        keys = [s["required"][0] for s in error.schema["oneOf"]]
        return f"{where} needs exactly one of {' or '.join(repr(k) for k in keys)}."
    return f"{where}: {error.message}."


def _code(error: Any, path: tuple[Any, ...]) -> Code:
    if (error.validator == "required" and not path and "'licence'" in error.message) or path[:1] == ("licence",):
        return Code.FORM_013
    return Code.FORM_002


def _fast_valid(data: Any) -> bool:
    """The generated validator (see schemagen.py): fast, but its messages are not for people."""
    from ddassess.formengine._form_validator import JsonSchemaException, validate

    check: Callable[[Any], Any] = validate  # generated, untyped: it takes the data and raises
    try:
        check(data)
    except JsonSchemaException:
        return False
    return True


def check_structure(src: Source) -> bool:
    """Report structural problems; True when the definition has the shape of a form."""
    if not isinstance(src.data, dict):
        src.problem(Code.FORM_002, "A form file must be a mapping of keys (id, version, title, ...), "
                    f"not a {type(src.data).__name__}.")
        return False
    if _fast_valid(src.data):
        return True
    ok = True
    for error in sorted(_validator().iter_errors(src.data), key=lambda e: list(map(str, e.absolute_path))):
        if error.validator == "oneOf" and error.context and not all(
                "required" in s for s in error.schema.get("oneOf", [])):
            # The branch that went deepest is the one the author meant.
            error = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.message)))
        path = tuple(error.absolute_path)
        src.problem(_code(error, path), _describe(error), path)
        ok = False
    return ok
