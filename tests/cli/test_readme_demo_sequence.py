"""The README's command sequence for a signed demo plan works as written: every command of
its shell block is run (in-process, in a fresh DDASSESS_HOME) and the last one, ``pdf
verify``, exits 0 with the verdict the README shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from ddassess.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def _sequence() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index("A signed care plan from the demo store")
    block = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert block, "the README's demo sequence is missing"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_demo_sequence_makes_a_verified_signed_plan(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    lines = _sequence()
    assert lines[-1].startswith(".venv/bin/ddassess --demo pdf verify")
    for line in lines:
        words = shlex.split(line, comments=True)
        if words[0] == "export":
            name, value = words[1].split("=", 1)
            monkeypatch.setenv(name, value)
            continue
        assert words[0] == ".venv/bin/ddassess", line
        capsys.readouterr()
        assert main(words[1:]) == 0, (line, capsys.readouterr())
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "OK: 1 signature, intact, valid and trusted"
    assert "by Demo Practitioner" in out
