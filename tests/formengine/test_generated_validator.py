"""_form_validator.py, generated from form.schema.json by fastjsonschema (a development tool).

What matters is that the shipped module says "valid" exactly when the schema does, that it
is what the generator makes from the schema today, and that it runs without fastjsonschema
(which is not installed with the application). The version banner fastjsonschema writes
into its code is not compared: a new fastjsonschema release changes it and nothing else.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ddassess.formengine import schemacheck, schemagen
from ddassess.formengine.yamlsource import read_yaml

REPO = Path(__file__).resolve().parents[2]
FORMS = REPO / "forms"
FORM_FILES = sorted(p for p in [*FORMS.glob("*.yaml"), *(FORMS / "versions").glob("*.yaml")]
                    if p.stem not in ("glossary", "choices"))
BROKEN = sorted((Path(__file__).parent / "broken").glob("*.yaml"))
_BANNER = re.compile(r'^VERSION = "[^"\n]*"\n', re.MULTILINE)


def _without_banner(code: str) -> str:
    stripped, count = _BANNER.subn("", code)
    assert count == 1, "fastjsonschema no longer writes its VERSION line: look at what it writes instead"
    return stripped


def test_the_shipped_validator_is_what_the_schema_generates():
    assert _without_banner(schemagen.TARGET.read_text(encoding="utf-8")) == _without_banner(schemagen.generate()), (
        "form.schema.json (or the fastjsonschema pinned in requirements/test.lock) changed: "
        "run `python -m ddassess.formengine.schemagen` and commit _form_validator.py")


def _load(path: Path) -> Any:
    """As the catalogue reads it (None for a file that is not YAML)."""
    return read_yaml(path.read_text(encoding="utf-8"), path.name).data


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int | float):
        return "seven"
    if isinstance(value, str):
        return 7
    if isinstance(value, list):
        return {"not": "a list"}
    if isinstance(value, dict):
        return ["not", "a mapping"]
    return 0


def _variants(node: Any) -> Iterator[Any]:
    """Copies of ``node`` with one thing broken: a key dropped, a key added, a value of the wrong type."""
    if not isinstance(node, dict):
        return
    for key in node:
        yield {k: v for k, v in node.items() if k != key}
        yield {**node, key: _wrong_type(node[key])}
    yield {**node, "zz_not_a_key": "x"}


def _mutations(form: dict[str, Any], shapes: set[tuple[Any, ...]]) -> Iterator[dict[str, Any]]:
    """Small forms (one section, one field) cut from ``form``, each as it is and with one thing
    broken at the top, in the section or in the field, for each shape of field not in ``shapes`` yet."""
    top = {k: v for k, v in form.items() if k != "sections"}
    first = True
    for section in form.get("sections") or []:
        for field in section.get("fields") or []:
            small_section = {**section, "fields": [field]}
            if first:
                first = False
                yield from _variants({**top, "sections": [small_section]})
                yield from ({**top, "sections": [broken]} for broken in _variants(small_section))
            shape = (field.get("type"), "show_if" in field, "choices" in field)
            if shape in shapes:
                continue
            shapes.add(shape)
            yield {**top, "sections": [small_section]}
            yield from ({**top, "sections": [{**section, "fields": [broken]}]} for broken in _variants(field))


def _documents() -> Iterator[tuple[str, Any]]:
    shapes: set[tuple[Any, ...]] = set()
    for path in FORM_FILES:
        form = _load(path)
        yield path.name, form
        for n, changed in enumerate(_mutations(form, shapes)):
            yield f"{path.name} variant {n}", changed
    for path in BROKEN:
        yield f"broken/{path.name}", _load(path)
    yield "a list", ["id", "version"]
    yield "nothing", None


def test_the_shipped_validator_agrees_with_the_schema():
    reference = schemacheck._validator()
    documents = list(_documents())
    assert len(documents) > 500
    disagree = [name for name, data in documents if schemacheck._fast_valid(data) != reference.is_valid(data)]
    assert disagree == []
    valid = sum(schemacheck._fast_valid(data) for _, data in documents)
    assert len(FORM_FILES) <= valid < len(documents) // 2  # both answers are really exercised


@pytest.mark.slow
def test_forms_load_and_check_without_fastjsonschema(tmp_path, subprocess_env):
    """The application installs without fastjsonschema: the generated module must not need it."""
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    (forms / "zz_broken.yaml").write_text(
        (Path(__file__).parent / "broken" / "misspelt_key.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    probe = (
        "import sys\n"
        "sys.modules['fastjsonschema'] = None  # any import of it now fails\n"
        "from ddassess.formengine import load_catalogue\n"
        f"catalogue = load_catalogue({str(forms)!r})\n"
        "print(len(catalogue.forms), 'phq9' in catalogue.forms, sorted({str(p) for p in catalogue.problems}))\n"
        "print('fastjsonschema' in sys.modules and sys.modules['fastjsonschema'] is not None)\n"
    )
    env = dict(subprocess_env, PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded, imported = out.stdout.splitlines()
    expected = len([p for p in FORMS.glob("*.yaml") if p.stem not in ("glossary", "choices")])
    assert loaded.startswith(f"{expected} True [") and "zz_broken.yaml" in loaded and "did you mean 'help'" in loaded
    assert imported == "False"
    assert os.fspath(forms) not in out.stderr
