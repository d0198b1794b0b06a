"""The README's command sequence for a signed demo plan works as written: its shell block is
run by bash, in a fresh DDASSESS_HOME, with ``.venv/bin/ddassess`` being this checkout's
ddassess, and the last command, ``pdf verify``, exits 0 with the verdict the README shows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _block() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("A signed care plan from the demo store")
    block = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert block, "the README's demo sequence is missing"
    return block.group(1)


def test_the_readme_demo_sequence_makes_a_verified_signed_plan(tmp_path, subprocess_env):
    block = _block()
    assert block.strip().splitlines()[-1].startswith(".venv/bin/ddassess --demo pdf verify plan.pdf")
    shim = tmp_path / ".venv" / "bin" / "ddassess"
    shim.parent.mkdir(parents=True)
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ddassess "$@"\n')
    shim.chmod(0o755)
    result = subprocess.run(["bash", "-e", "-c", block], cwd=tmp_path, env=subprocess_env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, (result.stdout, result.stderr)
    verdict = result.stdout.split("\nOK: intact and trusted: signed by ", 1)
    assert len(verdict) == 2 and verdict[1].split("\n")[0].endswith(
        "(care coordinator); person signed by hand on the plan; partner practitioner's block unsigned; "
        "team lead's block unsigned"), result.stdout
    assert "Wrote the signed joint care plan CP-DD-" in result.stdout
    assert (tmp_path / "plan.pdf").read_bytes().startswith(b"%PDF-")
