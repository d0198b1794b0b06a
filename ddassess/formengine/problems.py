"""Problems found in form files and in answers: a stable code, a plain message, a place.

Codes are members of ``ddassess.codes.Code`` (``FORM_0xx`` for form files, ``ANS_0xx`` for
answers), each with its meaning there. Messages say what is wrong and, where a near name
exists, "did you mean ...?".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from ddassess.codes import Code


@dataclass(frozen=True)
class Problem:
    code: Code
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

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for a near match, else ''."""
    import difflib  # only when something is misspelt

    close = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
