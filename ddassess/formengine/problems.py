"""Problems found in form files and in answers: a stable code, a plain message, a place.

Codes are stable so that documentation, tests and people can refer to them:
``FORM_0xx`` for form files, ``ANS_0xx`` for answers. Messages say what is wrong and,
where a near name exists, "did you mean ...?".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

FORM_CODES = {
    "FORM_001": "the file is not valid YAML",
    "FORM_002": "the file does not have the structure of a form",
    "FORM_003": "unknown field type",
    "FORM_004": "an id is used twice",
    "FORM_005": "an expression refers to something that does not exist",
    "FORM_006": "an expression cannot be read or uses something not allowed",
    "FORM_007": "unknown function in an expression",
    "FORM_008": "a choice field has no usable choices",
    "FORM_009": "a scored choice has an option without a score",
    "FORM_010": "computations depend on each other in a circle",
    "FORM_011": "score bands overlap, leave gaps, or fall outside the score's range",
    "FORM_012": "unknown glossary term",
    "FORM_013": "the form has no licence or attribution",
    "FORM_014": "a score uses an item that cannot be scored",
    "FORM_015": "the form id does not match the file name",
    "FORM_016": "unknown lookup table",
    "FORM_017": "two files define the same form and version",
    "FORM_018": "a reverse-scored or weighted item is not one of the score's items",
    "FORM_019": "a question has no help text",
    "FORM_020": "the file cannot be read",
    "FORM_021": "the file is too large or repeats itself without end (recursive or runaway aliases)",
    "FORM_022": "the engine failed on this file (a fault in ddassess: please report it)",
    "FORM_023": "a pattern is not a valid regular expression",
    "FORM_024": "a minimum is above its maximum",
    "FORM_025": "a key does not apply to this field type",
    "FORM_026": "the shared choice lists (choices.yaml) have a problem",
    "FORM_027": "a lookup table does not match the choices it is looked up by",
    "FORM_028": "the definition a saved response was made with is no longer in the catalogue",
    "FORM_029": "a key that tells the care plan what a form means (need, concern, signer...) is used wrongly",
}

ANSWER_CODES = {
    "ANS_001": "required answer missing",
    "ANS_002": "answer of the wrong kind",
    "ANS_003": "number out of range",
    "ANS_004": "text too long or too short",
    "ANS_005": "text does not match the expected pattern",
    "ANS_006": "date in the future",
    "ANS_007": "not one of the choices",
    "ANS_008": "not a valid NHS number",
    "ANS_009": "text contains control characters",
    "ANS_010": "answer for a question the form does not have",
    "ANS_011": "too few or too many rows",
    "ANS_012": "empty signature",
    "ANS_013": "not a real date",
    "ANS_014": "a calculation could not be worked out from these answers",
}


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    file: str = ""
    line: int | None = None
    field: str = ""
    severity: str = "error"  # error / warning

    def __str__(self) -> str:
        where = self.file or ""
        if self.line:
            where += f":{self.line}"
        prefix = f"{where}: " if where else ""
        at = f" [{self.field}]" if self.field and not self.file else ""
        return f"{prefix}{self.code}{at} {self.message}"

    def to_dict(self) -> dict:  # type: ignore[type-arg]
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for a near match, else ''."""
    import difflib  # only when something is misspelt

    close = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
