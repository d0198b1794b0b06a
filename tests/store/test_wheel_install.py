"""A normal, non-editable ``pip install`` of ddassess ships the forms and fonts it needs.

Builds the wheel exactly as ``pip install .`` does (an isolated build: it needs the
package index, or pip's cache, for setuptools), installs it into a fresh virtual
environment and runs the installed ``ddassess`` command from outside the source tree.
The dependencies are borrowed from the test environment through a .pth file, so nothing
else is downloaded. About 20 seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import sys
import ddassess, ddassess.paths as p
from ddassess.pdf.fonts import register_fonts
assert "site-packages" in ddassess.__file__, ddassess.__file__
register_fonts()  # reportlab reads both TTF files
print(p.forms_dir().relative_to(sys.prefix))
print(p.resources_dir().relative_to(sys.prefix))
"""


def _run(cmd, **kw):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=240, **kw)
    assert out.returncode == 0, f"{cmd[:3]} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    return out


@pytest.mark.slow
def test_a_wheel_install_finds_its_forms_and_fonts(tmp_path, subprocess_env):
    wheels = tmp_path / "wheels"
    source = tmp_path / "source"  # setuptools writes build/ beside the sources: not in the tree under test
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", ".ci-venv", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis", "tests"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)])
    wheel = next(wheels.glob("ddassess-*.whl"))
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)])
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip())
    (site / "borrowed-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")

    env = {k: v for k, v in subprocess_env.items() if k not in ("PYTHONPATH", "DDASSESS_FORMS")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    cwd = tmp_path  # not the source tree: nothing may be found there
    listed = _run([str(venv / "bin" / "ddassess"), "forms", "list"], env=env, cwd=cwd).stdout
    assert "phq9" in listed and "gad7" in listed
    where = _run([str(python), "-c", PROBE], env=env, cwd=cwd).stdout.split()
    assert where == ["share/ddassess/forms", "share/ddassess/resources"]
    assert (venv / "share" / "ddassess" / "forms" / "tables" / "quadrant_lead.yaml").is_file()
    # older versions, without which a saved response cannot be shown with its own definition
    assert (venv / "share" / "ddassess" / "forms" / "versions" / "fast@1.yaml").is_file()
    assert (venv / "share" / "ddassess" / "resources" / "fonts" / "DejaVuSans.ttf").is_file()
