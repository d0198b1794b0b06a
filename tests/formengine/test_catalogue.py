"""The catalogue itself: every form loads cleanly, round-trips, and is versioned."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ddassess.errors import UnknownFormError
from ddassess.formengine import FIELD_TYPES, load_catalogue
from ddassess.formengine.build import build_spec
from ddassess.formengine.schemacheck import check_structure
from ddassess.formengine.validate import validate
from ddassess.formengine.yamlsource import Source

FORMS = Path(__file__).resolve().parents[2] / "forms"
FORM_FILES = sorted(p.stem for p in FORMS.glob("*.yaml") if p.stem not in ("glossary", "choices"))
REQUIRED = {"referral", "consent", "phq9", "gad7", "audit", "audit_c", "fast", "dast10", "sadq", "substance_profile",
            "joint_assessment", "risk", "lead_agency", "care_plan", "crisis_plan", "joint_review",
            "complex_case_review", "discharge"}


def test_catalogue_loads_with_no_problems(catalogue):
    assert [str(p) for p in catalogue.read_all().problems] == []  # older versions included
    assert set(catalogue.forms) == set(FORM_FILES)
    assert REQUIRED <= set(catalogue.forms)


@pytest.mark.parametrize("form_id", FORM_FILES)
def test_spec_round_trips(catalogue, form_id):
    spec = catalogue.get(form_id)
    src = Source(file=spec.file, data=spec.to_dict())
    again = validate(build_spec(src), src, glossary={k.lower() for k in catalogue.glossary},
                     shared_tables=catalogue.tables, check_file_name=False)
    assert [str(p) for p in src.problems] == []  # the plain definition is itself a clean form
    assert check_structure(src) and src.problems == []
    assert again == spec
    assert again.content_hash == spec.content_hash


@pytest.mark.parametrize("form_id", FORM_FILES)
def test_every_form_carries_licence_and_help(catalogue, form_id):
    spec = catalogue.get(form_id)
    licence = dict(spec.licence)
    assert licence["text"].strip() and licence["attribution"].strip()
    for f in spec.fields.values():
        assert f.type in FIELD_TYPES
        if f.type not in ("computed", "group"):
            assert f.help.strip(), f"{form_id}.{f.id} has no help"


def test_every_field_type_is_used_somewhere(catalogue):
    used = {f.type for spec in catalogue.forms.values() for f in spec.fields.values()}
    used |= {c.type for spec in catalogue.forms.values() for f in spec.fields.values() for c in f.fields}
    assert FIELD_TYPES - used <= {"person_ref", "rating", "datetime"}  # offered by the language for local forms


def test_older_versions_stay_loadable(tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    v = load_catalogue(forms).get("gad7").version
    old_text = (forms / "gad7.yaml").read_text()
    (forms / "versions" / f"gad7@{v}.yaml").write_text(old_text)
    (forms / "gad7.yaml").write_text(old_text.replace(f"version: {v}", f"version: {v + 1}", 1).replace(
        "Trouble relaxing", "Trouble relaxing (revised wording)"))
    cat = load_catalogue(forms)
    assert cat.problems == []
    assert cat.get("gad7").version == v + 1
    old = cat.get("gad7", v)
    assert old.fields["q4"].label == "Trouble relaxing"
    assert cat.versions("gad7") == list(range(1, v + 2))
    assert cat.by_hash(old.content_hash) is old
    assert old.content_hash != cat.get("gad7").content_hash


def test_same_version_twice_is_refused(tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    v = load_catalogue(forms).get("gad7").version
    shutil.copy(forms / "gad7.yaml", forms / "versions" / f"gad7@{v}.yaml")
    cat = load_catalogue(forms).read_all()  # as `forms check` reads it
    assert [p.code for p in cat.problems] == ["FORM_017"]
    assert cat.get("gad7").version == v  # the current file still loads


def test_a_bad_file_disables_only_itself(tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    (forms / "phq9.yaml").write_text("id: phq9\nversion: [oops\n")
    cat = load_catalogue(forms)
    assert [p.code for p in cat.problems if p.severity == "error"] == ["FORM_001"]
    # Forms that pre-fill from the PHQ-9 are warned that it is missing, and still load.
    warnings = [p for p in cat.problems if p.severity == "warning"]
    assert warnings and all(p.code == "FORM_005" and "'phq9'" in p.message for p in warnings)
    assert "phq9" not in cat.forms
    assert set(cat.forms) == set(FORM_FILES) - {"phq9"}
    with pytest.raises(UnknownFormError, match="no form 'phq9'"):
        cat.get("phq9")


def test_unknown_form_suggests_a_near_name(catalogue):
    with pytest.raises(UnknownFormError, match="did you mean 'phq9'"):
        catalogue.get("phq-9")


def test_comments_and_layout_do_not_change_the_hash(tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    current = load_catalogue(forms).get("phq9")
    before, v = current.content_hash, current.version
    text = (forms / "phq9.yaml").read_text()
    assert f"\nversion: {v}" in text
    (forms / "phq9.yaml").write_text("# a comment\n\n" + text.replace(f"version: {v}", f"version:   {v}"))
    assert load_catalogue(forms).get("phq9").content_hash == before

