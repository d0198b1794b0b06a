"""The README's "Joining a team from another laptop" sequence works as written: its shell
block is run by bash in an empty folder, ``.venv/bin/ddassess`` being this checkout's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_team_sequence_joins_a_second_laptop(tmp_path, subprocess_env):
    text = README.read_text(encoding="utf-8")
    start = text.index("## Joining a team from another laptop")
    block = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert block
    shim = tmp_path / ".venv" / "bin" / "ddassess"
    shim.parent.mkdir(parents=True)
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ddassess "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in subprocess_env.items() if k != "DDASSESS_HOME"}
    result = subprocess.run(["bash", "-e", "-c", block.group(1)], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Joined the team Fictional Joint Team" in result.stdout
    code = result.stdout.split("Request code: ")[1].split(" ")[0]
    assert f"Admitted Sam Fictional: request code {code}" in result.stdout
    listing = result.stdout.split("roster version 1\n")[1]
    assert "Lena Lead\tTeam lead" in listing and "Sam Fictional\t\tFictional SMS\tactive" in listing
    assert (tmp_path / "sam.request").is_file() and (tmp_path / "sam.membership").is_file()
