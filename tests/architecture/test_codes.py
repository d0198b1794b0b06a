"""One source for codes: ``ddassess.codes.Code``.

The package names members, never code strings; the documentation's tables and mentions
agree with the enum in both directions; every ``UserFacingError`` class, wherever it is
defined, has a code of its own and a documented exit code.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import ddassess
from ddassess.codes import FAMILIES, Code, markdown

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ddassess"
ENUM_MODULE = PACKAGE / "codes.py"
CODE = re.compile(r"[A-Z]+_\d{3}")
MENTION = re.compile(r"\b(?:" + "|".join(FAMILIES) + r")_\d{3}\b")
TABLE_ROW = re.compile(r"^\|\s*(" + CODE.pattern + r")\s*\|\s*(.*?)\s*\|\s*$")


def _docs() -> list[Path]:
    """Every Markdown file in the repository that people read (not the virtualenv's)."""
    candidates = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "forms" / "README.md"]
    return [p for p in candidates if p.exists()] + sorted((ROOT / "docs").rglob("*.md"))


def _code_literals(path: Path) -> list[str]:
    """Every string constant in the module that is exactly a code, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.fullmatch(node.value)]


# --- the enum and the source ------------------------------------------------------------


def test_each_member_is_its_own_code_with_a_one_line_meaning():
    assert len(Code) > 70  # every family is there, not a stub
    for c in Code:
        assert c.value == c.name and str(c) == c.name and f"{c}" == c.name
        assert c.family in FAMILIES, f"{c}: add its prefix to FAMILIES in ddassess/codes.py"
        assert c.meaning and c.meaning == c.meaning.strip() and "\n" not in c.meaning and "|" not in c.meaning, c


def test_no_code_string_in_the_package_outside_the_enum():
    modules = [p for p in PACKAGE.rglob("*.py") if p != ENUM_MODULE]
    assert len(modules) > 50
    assert len(_code_literals(ENUM_MODULE)) == len(Code)  # the scan finds literals where they are
    found = [hit for p in modules for hit in _code_literals(p)]
    assert not found, "use the ddassess.codes.Code member instead of:\n" + "\n".join(found)


def test_every_code_the_source_text_mentions_exists():
    """Docstrings and comments ("reported as FORM_022") name real codes."""
    unknown = [f"{p.relative_to(ROOT)}: {m}" for p in PACKAGE.rglob("*.py") if p != ENUM_MODULE
               for m in MENTION.findall(p.read_text(encoding="utf-8")) if m not in Code.__members__]
    assert not unknown, "\n".join(unknown)


# --- the documentation ------------------------------------------------------------------


def test_docs_codes_md_is_made_from_the_enum():
    page = (ROOT / "docs" / "codes.md").read_text(encoding="utf-8")
    assert page == markdown(), "run: python -m ddassess.codes --markdown > docs/codes.md"


def test_every_documented_code_exists_with_the_meaning_the_enum_gives():
    rows = 0
    for path in _docs():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{n}"
            for mention in MENTION.findall(line):
                assert mention in Code.__members__, f"{where} names {mention}, which ddassess.codes.Code has not"
            row = TABLE_ROW.match(line)
            if row:
                rows += 1
                code, meaning = row.groups()
                assert code in Code.__members__, f"{where}: {code} is not in ddassess.codes.Code"
                assert meaning == Code[code].meaning, f"{where}: {code} means '{Code[code].meaning}' in ddassess.codes"
    assert rows >= len(Code)


def test_every_code_is_documented_in_a_table():
    documented = {m.group(1) for p in _docs() for line in p.read_text(encoding="utf-8").splitlines()
                  if (m := TABLE_ROW.match(line))}
    missing = [c.name for c in Code if c.name not in documented]
    assert not missing, f"not in any table (regenerate docs/codes.md): {missing}"


def test_forms_readme_lists_every_form_file_problem():
    """Form authors read forms/README.md: its table has every FORM code but FORM_000, the code
    of the error that carries the problems (docs/codes.md has that one)."""
    text = (ROOT / "forms" / "README.md").read_text(encoding="utf-8")
    listed = [m.group(1) for line in text.splitlines() if (m := TABLE_ROW.match(line))]
    assert listed == [c.name for c in Code if c.family == "FORM" and c is not Code.FORM_000]


# --- errors -----------------------------------------------------------------------------

# Run as scripts, not imported: `python -m ddassess` and the script Alembic runs for a migration.
NOT_IMPORTABLE = {"ddassess.__main__", "ddassess.store.migrations.env", "ddassess.server.migrations.env"}


def _every_user_facing_error() -> list[type]:
    """Every UserFacingError subclass in the package, once each, after importing every module
    (so one defined next to the code that raises it is not missed)."""
    names = [m.name for m in pkgutil.walk_packages(ddassess.__path__, "ddassess.") if m.name not in NOT_IMPORTABLE]
    for name in names:
        importlib.import_module(name)
    from ddassess.errors import UserFacingError

    seen: dict[type, None] = {}

    def walk(cls: type) -> None:
        seen[cls] = None
        for sub in cls.__subclasses__():
            walk(sub)

    walk(UserFacingError)
    return list(seen)


@pytest.fixture(scope="module")
def error_classes() -> list[type]:
    classes = _every_user_facing_error()
    modules = {c.__module__ for c in classes}
    # The walk reaches classes defined outside errors.py (the PDF, forms and command modules).
    assert {"ddassess.errors", "ddassess.pdf.certs", "ddassess.pdf.signing", "ddassess.commands.pdf",
            "ddassess.formengine.catalogue"} <= modules
    return classes


def test_every_error_has_its_own_code(error_classes):
    owners: dict[Code, list[str]] = {}
    for cls in error_classes:
        code = cls.__dict__.get("code")
        assert isinstance(code, Code), f"{cls.__module__}.{cls.__name__} needs its own `code = Code.XXX_0nn`"
        owners.setdefault(code, []).append(cls.__name__)
    shared = {str(code): names for code, names in owners.items() if len(names) > 1}
    assert not shared, f"errors sharing a code: {shared}"


def test_every_exit_code_is_in_the_readme(error_classes):
    """Each error's exit code is documented, so scripts can rely on it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("Exit codes:"):].split("\n\n")[0]
    documented = {int(n) for n in re.findall(r"(?<![\w-])(\d{1,3}) [A-Za-z]", paragraph)}
    used = {cls.exit_code for cls in error_classes} | {1}  # 1: an unexpected error, with a crash log
    assert len(used) > 10
    assert used <= documented, f"exit codes not in the README: {sorted(used - documented)}"
