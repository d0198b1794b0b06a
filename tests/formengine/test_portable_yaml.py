"""The catalogue reads the same with PyYAML's pure-Python loader as with libyaml.

``formengine/yamlsource.py`` uses libyaml's C parser when PyYAML was built with it and
falls back to the pure-Python parser otherwise (a wheel without libyaml, a platform
without a compiler). The two parsers do not accept exactly the same YAML: the pure one
refuses an unquoted ``?`` inside a flow mapping (``{label: Did you attend?, ...}``), which
libyaml reads. So every file of forms/ (current forms, older versions, shared lists,
tables, glossary) must read identically under both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ddassess.formengine import load_catalogue, yamlsource
from ddassess.formengine.yamlsource import read_yaml

FORMS = Path(__file__).resolve().parents[2] / "forms"
ALL_FILES = sorted(FORMS.rglob("*.yaml"))


def _catalogue_with(loader: type, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as m:
        m.setattr(yamlsource, "_Loader", loader)
        return load_catalogue(FORMS).read_all()


def test_this_pyyaml_has_both_loaders():
    # The comparison below means something only when the C loader is really there.
    assert yaml.__with_libyaml__ and yaml.CSafeLoader is not yaml.SafeLoader


@pytest.mark.parametrize("path", ALL_FILES, ids=[str(p.relative_to(FORMS)) for p in ALL_FILES])
def test_every_form_file_reads_the_same_with_the_pure_python_loader(path, monkeypatch):
    text = path.read_text(encoding="utf-8")
    fast = read_yaml(text, path.name)
    monkeypatch.setattr(yamlsource, "_Loader", yaml.SafeLoader)
    pure = read_yaml(text, path.name)
    assert [(p.code, p.line, p.message) for p in pure.problems] == [], f"{path.name} is not portable YAML"
    assert fast.problems == []
    assert pure.data == fast.data and pure.lines == fast.lines


def test_the_whole_catalogue_is_identical_under_both_loaders(monkeypatch):
    c_cat = _catalogue_with(yaml.CSafeLoader, monkeypatch)
    pure_cat = _catalogue_with(yaml.SafeLoader, monkeypatch)
    assert [p for p in pure_cat.problems if p.severity == "error"] == []
    assert [(p.file, p.code, p.line) for p in pure_cat.problems] == [(p.file, p.code, p.line) for p in c_cat.problems]
    assert sorted(pure_cat.all_versions) == sorted(c_cat.all_versions)
    assert len(pure_cat.all_versions) == len(list((FORMS / "versions").glob("*.yaml"))) + len(c_cat.forms)
    for key, spec in c_cat.all_versions.items():
        other = pure_cat.all_versions[key]
        assert other.content_hash == spec.content_hash, key
        assert other.to_dict() == spec.to_dict(), key
    assert pure_cat.glossary == c_cat.glossary and pure_cat.tables == c_cat.tables
