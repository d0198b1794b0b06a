"""``ddassess forms list / check / score`` as a script would use them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ddassess.cli import main

FORMS = Path(__file__).resolve().parents[2] / "forms"


def test_list_shows_every_form(capsys):
    assert main(["forms", "list", "--dir", str(FORMS)]) == 0
    out = capsys.readouterr().out
    for form_id in ("phq9", "audit", "care_plan", "lead_agency"):
        assert f"\n{form_id} " in "\n" + out


def test_check_clean_catalogue(capsys):
    assert main(["forms", "check", str(FORMS)]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_check_reports_file_line_code(tmp_path, capsys):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    gad7 = forms / "gad7.yaml"
    gad7.write_text(gad7.read_text().replace("type: scored_choice", "type: scored", 1))
    assert main(["forms", "check", str(forms)]) == 1
    out = capsys.readouterr().out
    assert "gad7.yaml:" in out and "FORM_003" in out and "did you mean 'scored_choice'" in out


def test_check_of_a_missing_folder(tmp_path, capsys):
    assert main(["forms", "check", str(tmp_path / "nope")]) == 2
    assert "There is no folder" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    assert main(["forms", "check", str(tmp_path / "file")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_score_prints_json(tmp_path, capsys):
    answers = {f"q{i}": 2 for i in range(1, 10)} | {"difficulty": "very"}
    (tmp_path / "a.json").write_text(json.dumps(answers))
    assert main(["forms", "score", "phq9", "--answers", str(tmp_path / "a.json"), "--dir", str(FORMS)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["scores"]["total"]["value"] == 18
    assert result["scores"]["total"]["band"] == "Moderately severe"
    assert [f["id"] for f in result["flags"]] == ["risk_to_self"]
    assert result["problems"] == []


def test_score_incomplete_reports_problems(tmp_path, capsys):
    (tmp_path / "a.json").write_text(json.dumps({"q1": 3}))
    assert main(["forms", "score", "gad7", "--answers", str(tmp_path / "a.json"), "--dir", str(FORMS)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["scores"]["total"]["value"] is None and result["scores"]["total"]["partial"] == 3
    assert len(result["problems"]) == 6


def test_score_bad_inputs(tmp_path, capsys):
    (tmp_path / "bad.json").write_text("{q1: 3}")
    assert main(["forms", "score", "phq9", "--answers", str(tmp_path / "bad.json"), "--dir", str(FORMS)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    (tmp_path / "list.json").write_text("[1, 2]")
    assert main(["forms", "score", "phq9", "--answers", str(tmp_path / "list.json"), "--dir", str(FORMS)]) == 2
    assert "one JSON object" in capsys.readouterr().err
    assert main(["forms", "score", "phq9", "--answers", str(tmp_path / "none.json")]) == 2
    assert "no file" in capsys.readouterr().err
    (tmp_path / "ok.json").write_text("{}")
    assert main(["forms", "score", "phq-9", "--answers", str(tmp_path / "ok.json"), "--dir", str(FORMS)]) == 2
    assert "did you mean 'phq9'" in capsys.readouterr().err


def test_score_with_absurd_numbers_reports_problems_not_a_traceback(tmp_path, capsys):
    # A 400-digit integer and text for a yes/no question; then true given as a PHQ-9 option.
    (tmp_path / "a.json").write_text('{"phq9_total": 1' + "0" * 400 + ', "intoxicated": "maybe"}')
    assert main(["forms", "score", "joint_assessment", "--answers", str(tmp_path / "a.json"), "--dir", str(FORMS)]) == 0
    result = json.loads(capsys.readouterr().out)
    codes = {p["field"]: p["code"] for p in result["problems"]}
    assert codes["phq9_total"] == "ANS_003" and codes["intoxicated"] == "ANS_002"
    (tmp_path / "b.json").write_text(json.dumps({f"q{i}": 0 for i in range(1, 10)} | {"q1": True}))
    assert main(["forms", "score", "phq9", "--answers", str(tmp_path / "b.json"), "--dir", str(FORMS)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["scores"]["total"]["value"] is None
    assert [(p["field"], p["code"]) for p in result["problems"]] == [("q1", "ANS_007")]


def test_check_reports_a_recursive_alias_and_still_lists_the_rest(tmp_path, capsys):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    (forms / "gad7.yaml").write_text((forms / "gad7.yaml").read_text() + "tables: &t {a: *t}\n")
    assert main(["forms", "check", str(forms)]) == 1
    out = capsys.readouterr().out
    assert "gad7.yaml:" in out and "FORM_021" in out and "1 error(s)" in out
