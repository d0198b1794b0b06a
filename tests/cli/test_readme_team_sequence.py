"""The README's team sequences work as written, in one folder as a reader would run them:
"Joining a team from another laptop" (two laptops join), then the worked example of
"Sharing a case with the care team" (a third joins, a case is opened, shared, changed two
ways offline, the conflict resolved, and all three laptops end with the same case). Each
shell block is run by bash, ``.venv/bin/ddassess`` being this checkout's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _block(text: str, heading: str) -> str:
    start = text.index(heading)
    block = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert block, f"no sh block under {heading}"
    return block.group(1)


def _run(script: str, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-e", "-c", script], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_readme_team_sequences_join_share_and_converge(tmp_path, subprocess_env):
    text = README.read_text(encoding="utf-8")
    shim = tmp_path / ".venv" / "bin" / "ddassess"
    shim.parent.mkdir(parents=True)
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ddassess "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in subprocess_env.items() if k != "DDASSESS_HOME"}
    joining = _block(text, "## Joining a team from another laptop")
    result = _run(joining, tmp_path, env)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Joined the team Fictional Joint Team" in result.stdout
    code = result.stdout.split("Request code: ")[1].split(" ")[0]
    assert f"Admitted Sam Fictional: request code {code}" in result.stdout
    listing = result.stdout.split("roster version 1\n")[1]
    assert "Lena Lead\tTeam lead" in listing and "Sam Fictional\t\tFictional SMS\tactive" in listing
    assert (tmp_path / "sam.request").is_file() and (tmp_path / "sam.membership").is_file()

    # The worked example goes on from there: the joining block's exports come first.
    exports = "".join(line + "\n" for line in joining.splitlines() if line.startswith("export "))
    sharing = _block(text, "## Sharing a case with the care team")
    result = _run(exports + sharing, tmp_path, env)
    assert result.returncode == 0, (result.stdout, result.stderr)
    out = result.stdout
    ref = re.search(r"^Shared (DD-[0-9A-Z]{5}-[0-9A-Z]{5}) with Kim Fictional", out, re.M)
    assert ref, out
    assert "1 new conflict(s)" in out
    listed = out.split(f"  {ref[1]}  Person's details — phone\n")[1]
    assert re.match(r"  1\. 07700 900002  — Kim Fictional, .*\n  2\. 07700 900001  — Sam Fictional", listed)
    assert f"Kept value 2 (07700 900001) for {ref[1]} phone." in out
    # Kim's laptop shows the number Sam kept (the last person listing is Kim's), and Sam has
    # nothing left to send.
    assert re.findall(r"^phone +(.*)$", out, re.M)[-1] == "07700 900001"
    assert out.rstrip().endswith("Nothing is waiting to be sent.")
    # Lena's laptop received the case and the choice: both Sam's bundles applied.
    assert out.count("Bundle from Sam Fictional") == 4
