"""``ddassess report agenda --out FILE.pdf``: the complex case review agenda headless, read
back from the PDF; bad output paths refused before the store is unlocked, nothing written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from ddassess.cli import main
from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.services.case_risk import set_case_risk


@pytest.fixture
def urgent_case(store):
    person = case_changes.register_person(store, PersonDetails(given_name="Agendia", family_name="Fictional"))
    case = case_changes.open_case(store, person.id)
    set_case_risk(store, case.id, "urgent", "Threats reported by the housing officer")
    quiet = case_changes.register_person(store, PersonDetails(given_name="Quietta", family_name="Fictional"))
    case_changes.open_case(store, quiet.id)
    store.close()
    return case.ref


def test_writes_the_agenda(urgent_case, tmp_path, capsys):
    out = tmp_path / "agenda.pdf"
    assert main(["report", "agenda", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"Wrote the complex case review agenda (1 case) to {out}"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages).split())
    assert "Complex case review — agenda" in text
    assert f"1. {urgent_case} — Agendia Fictional" in text and "Risk level urgent" in text
    assert "Quietta" not in text
    assert out.stat().st_mode & 0o077 == 0  # readable by its owner only


@pytest.mark.parametrize("make, words", [
    (lambda d: d / "no-such-folder" / "agenda.pdf", "does not exist"),
    (lambda d: d, "is a folder"),
])
def test_bad_output_paths_are_refused(urgent_case, tmp_path, capsys, make, words):
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["report", "agenda", "--out", str(make(tmp_path))]) != 0
    assert words in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_out_is_required(urgent_case, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "agenda"])
    assert exit_info.value.code == 2
    assert "--out" in capsys.readouterr().err


def test_nothing_else_is_taken(urgent_case, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "agenda", "--out", str(Path(tmp_path / "a.pdf")), "--period", "2026-Q3"])
    assert exit_info.value.code == 2
    assert not (tmp_path / "a.pdf").exists()
