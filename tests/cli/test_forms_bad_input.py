"""``ddassess forms score / check`` given files that are too big, too deep, not files at all,
or that name what does not exist: exit 2 (or a FORM problem) with a message, never a
traceback, a hang or gigabytes of memory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ddassess.cli import main
from ddassess.domain.limits import MAX_ANSWER_VALUES
from ddassess.formengine import answers_file

FORMS = Path(__file__).resolve().parents[2] / "forms"


def _score(path: Path, form: str = "phq9", *extra: str) -> list[str]:
    return ["forms", "score", form, "--answers", str(path), "--dir", str(FORMS), *extra]


def _run(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """A real `python -m ddassess` process: a hang fails the test by its timeout instead of stopping the run."""
    return subprocess.run([sys.executable, "-m", "ddassess", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("text, words", [
    ('{"q1": 1' + "0" * 5000 + "}", "a number of 5,001 digits"),  # past Python's 4,300-digit limit
    ('{"q1": -' + "9" * 1001 + "}", "a number of 1,001 digits"),
    ('{"q1": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested more than 20 deep"),  # past the parser's stack
    ('{"q1": ' + "[" * 30 + "]" * 30 + "}", "nested more than 20 deep"),  # within it, past the limit
    ("[" + ",".join(["{}"] * 10) + "]", "one JSON object"),
    ('{"q1": 3', "not valid JSON"),
])
def test_a_bad_answers_file_is_exit_2_with_what_was_wrong(tmp_path, capsys, text, words):
    (tmp_path / "a.json").write_text(text)
    assert main(_score(tmp_path / "a.json")) == 2
    err = capsys.readouterr().err
    assert words in err and "a.json" in err and "Traceback" not in err


def test_too_many_values_are_refused_before_scoring(tmp_path, capsys):
    rows = [[0] * 1000 for _ in range(MAX_ANSWER_VALUES // 1000 + 1)]
    (tmp_path / "a.json").write_text(json.dumps({"q1": rows}))
    assert main(_score(tmp_path / "a.json")) == 2
    assert "more than 200,000 values" in capsys.readouterr().err


def test_a_file_over_the_size_limit_is_not_read(tmp_path, capsys):
    with (tmp_path / "a.json").open("w") as fh:
        fh.write('{"q1": "' + "x" * answers_file.MAX_FILE_BYTES + '"}')
    assert main(_score(tmp_path / "a.json")) == 2
    assert "larger than 8 MiB" in capsys.readouterr().err


def test_a_million_unknown_keys_are_named_by_a_few_quickly(tmp_path, capsys):
    """Before: 19 s and 1.9 GB (a problem object and a line of output per key); now the
    keys are told apart from the form's with one set difference, and five are named."""
    answers = {f"x{i}": 0 for i in range(600_000)} | {f"q{i}": 0 for i in range(1, 10)}
    (tmp_path / "a.json").write_text(json.dumps(answers, separators=(",", ":")))
    assert (tmp_path / "a.json").stat().st_size < answers_file.MAX_FILE_BYTES
    assert main(_score(tmp_path / "a.json")) == 2
    err = capsys.readouterr().err
    assert "phq9 has no question(s) 'x0', 'x1', 'x10', 'x100', 'x1000' (and 599,995 more)" in err
    assert len(err) < 600


def test_a_mistyped_question_id_gets_did_you_mean(tmp_path, capsys):
    (tmp_path / "a.json").write_text(json.dumps({"q1": 0, "q01": 1}))
    assert main(_score(tmp_path / "a.json")) == 2
    assert "phq9 has no question(s) 'q01' (did you mean 'q1'?)" in capsys.readouterr().err


def test_an_unknown_form_is_exit_2_with_did_you_mean_or_the_list(tmp_path, capsys):
    (tmp_path / "a.json").write_text("{}")
    assert main(_score(tmp_path / "a.json", "phq-9")) == 2
    assert "did you mean 'phq9'" in capsys.readouterr().err
    assert main(_score(tmp_path / "a.json", "zzzz")) == 2
    err = capsys.readouterr().err
    assert "no form 'zzzz'" in err and "It has: audit, audit_c," in err
    assert main(_score(tmp_path / "a.json", "phq9", "--version", "7")) == 2
    assert "no form 'phq9 version 7' in the catalogue (it has version 1, 2, 3)" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["score", "list", "check"])
def test_a_missing_forms_folder_is_named(tmp_path, capsys, command):
    (tmp_path / "a.json").write_text("{}")
    missing = tmp_path / "nonexistent"
    args = {"score": ["forms", "score", "phq9", "--answers", str(tmp_path / "a.json"), "--dir", str(missing)],
            "list": ["forms", "list", "--dir", str(missing)], "check": ["forms", "check", str(missing)]}[command]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"There is no folder {missing}" in err and "catalogue" not in err.split(".")[0]


def test_a_fifo_or_dev_zero_as_answers_is_refused_not_waited_on(tmp_path, subprocess_env):
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    for name in ("pipe.json", "zero.json"):
        done = _run(_score(tmp_path / name), subprocess_env)
        assert done.returncode == 2, done.stderr
        assert f"{name} is not a plain file" in done.stderr


def test_forms_check_refuses_a_fifo_dev_zero_and_a_huge_file_as_form_problems(tmp_path, subprocess_env):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    os.mkfifo(forms / "pipe.yaml")
    (forms / "zero.yaml").symlink_to("/dev/zero")
    (forms / "tables" / "endless.yaml").symlink_to("/dev/zero")
    (forms / "huge.yaml").write_text("# padding\n" * 200_000)
    done = _run(["forms", "check", str(forms)], subprocess_env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    out = done.stdout
    assert f"{forms / 'pipe.yaml'}: FORM_020 This is not a plain file" in out
    assert f"{forms / 'zero.yaml'}: FORM_020 This is not a plain file" in out
    assert f"{forms / 'tables' / 'endless.yaml'}: FORM_020 This is not a plain file" in out
    assert f"{forms / 'huge.yaml'}: FORM_021 The file is larger than 1,024 KiB" in out
    assert "4 error(s)" in out  # the real forms all still load


@pytest.mark.parametrize("value, code, words", [
    ("1" + "0" * 100_000, "FORM_021", "This number has 100,001 characters"),
    ("-" + "9" * 5000, "FORM_021", "This number has 5,001 characters"),
    ("2026-02-30", "FORM_001", "The value '2026-02-30' cannot be read"),
])
def test_forms_check_reports_an_unreadable_yaml_value_with_file_line_and_code(tmp_path, subprocess_env, value,
                                                                              code, words):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    gad7 = forms / "gad7.yaml"
    lines = gad7.read_text().count("\n")
    gad7.write_text(gad7.read_text() + f"extra: {value}\n")
    done = _run(["forms", "check", str(forms)], subprocess_env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Error" not in done.stderr
    assert f"{gad7}:{lines + 1}: {code} {words}" in done.stdout
    assert "FORM_022" not in done.stdout  # a problem with the file, not a fault of the engine


def test_the_same_value_as_a_mapping_key_is_reported_too(tmp_path):
    from ddassess.formengine.yamlsource import read_yaml

    src = read_yaml("a: 1\n? " + "1" * 5000 + "\n: x\n", "k.yaml")  # "? key": past the 1,024 of a plain key
    assert src.data is None
    assert [(p.code, p.line) for p in src.problems] == [("FORM_021", 2)]


def test_a_lone_surrogate_in_an_answers_file_is_refused(tmp_path, capsys):
    """JSON may escape half of a UTF-16 pair ("\\ud800"); no answer can be stored with one."""
    (tmp_path / "a.json").write_text('{"referrer_name": "Dr \\ud800 Fictional"}')
    assert main(_score(tmp_path / "a.json", "referral")) == 2
    assert "broken character" in capsys.readouterr().err
