"""The careplan and pdf commands give each expected failure its own documented exit code:
1 is kept for bugs (with a crash log), so a script can tell "no such case" from a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_plans import sample_plan

from ddassess.cli import main
from ddassess.domain.models import PersonDetails
from ddassess.formengine import load_catalogue
from ddassess.pdf.careplan import render_care_plan
from ddassess.services import case_changes
from ddassess.services.careplan_prefill import start_care_plan

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")


def _case(store, with_plan: bool) -> str:
    person = case_changes.register_person(store, PersonDetails(given_name="Fictiona", family_name="Exitcodes"))
    case = case_changes.open_case(store, person.id)
    if with_plan:
        start_care_plan(store, CATALOGUE, case.id)
    return case.ref


def _no_crash_log(data_home: Path) -> bool:
    return not any((data_home / "logs").glob("crash-*"))


def test_unknown_case_reference_is_16(store, data_home, tmp_path, capsys):
    store.close()
    assert main(["careplan", "pdf", "DD-2026-99999", "--out", str(tmp_path / "p.pdf")]) == 16
    err = capsys.readouterr().err
    assert "There is no case DD-2026-99999" in err and "unexpected" not in err
    assert _no_crash_log(data_home) and not (tmp_path / "p.pdf").exists()


def test_case_without_a_care_plan_is_17(store, data_home, tmp_path, capsys):
    ref = _case(store, with_plan=False)
    store.close()
    assert main(["careplan", "pdf", ref, "--out", str(tmp_path / "p.pdf")]) == 17
    err = capsys.readouterr().err
    assert "no joint care plan yet" in err and "unexpected" not in err
    assert _no_crash_log(data_home) and not (tmp_path / "p.pdf").exists()


def test_signing_without_a_certificate_is_18(store, data_home, tmp_path, monkeypatch, capsys):
    ref = _case(store, with_plan=True)
    store.close()
    monkeypatch.setenv("DDASSESS_SIGNING_PASSPHRASE", "signing passphrase here")
    assert main(["careplan", "pdf", ref, "--out", str(tmp_path / "p.pdf"), "--sign"]) == 18
    assert "no signing certificate yet" in capsys.readouterr().err
    assert _no_crash_log(data_home) and not (tmp_path / "p.pdf").exists()


def test_issuing_without_a_team_authority_is_18(store, data_home, monkeypatch, capsys):
    store.close()
    monkeypatch.setenv("DDASSESS_CA_PASSPHRASE", "authority passphrase here")
    monkeypatch.setenv("DDASSESS_SIGNING_PASSPHRASE", "signing passphrase here")
    assert main(["signing", "issue"]) == 18
    assert "no team authority yet" in capsys.readouterr().err
    assert _no_crash_log(data_home)


@pytest.mark.parametrize("content, code, words", [
    (lambda: b"hello, this is a text file", 11, "not a PDF"),
    (lambda: render_care_plan(sample_plan()).pdf, 12, "no digital signatures"),
])
def test_verify_says_what_the_file_is_before_asking_for_trust(store, tmp_path, capsys, content, code, words):
    """The store trusts no authority and no --trust is given: a file that is not a PDF, or a PDF
    with no signature, is reported as such (not as "no authority is trusted")."""
    store.close()
    (tmp_path / "file.pdf").write_bytes(content())
    assert main(["pdf", "verify", str(tmp_path / "file.pdf")]) == code
    err = capsys.readouterr().err
    assert words in err and "trusts no signing authority" not in err


def test_a_reader_that_stops_reading_is_not_a_crash(data_home, subprocess_env):
    """``ddassess forms list | head``: when the program reading the output has gone, the
    command stops quietly with a shell's SIGPIPE status (141), and writes no crash report.
    The pipe's reading end is closed before the command starts, so its first write fails."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "ddassess", "forms", "list"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, env=subprocess_env, timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert done.stderr == ""
    assert _no_crash_log(Path(subprocess_env["DDASSESS_HOME"]))
