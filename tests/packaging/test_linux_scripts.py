"""packaging/linux/*.sh: the start command works offline once ddassess is installed, and
what it installs is the lock.

The scripts run for real (bash, sha256sum, dpkg's output format) in a copy of the repo's
packaging folder, pyproject.toml and lock files under tmp_path. Only what would need the network or
root is replaced, by small recording commands: the venv's ``python`` (so ``pip install`` is
recorded, not run) and ``apt-get``/``sudo``/``dpkg-query`` for install-deps.sh. pip is also
pointed at a dead index, so a real pip call could not succeed quietly either.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

RECORDER = """#!/usr/bin/env bash
# Records each call; "pip install -e" makes the venv's ddassess command, as pip would.
echo "$*" >> "{log}"
if [[ "$*" == *"pip install"* ]]; then
  [[ -n "${{FAKE_PIP_FAILS:-}}" ]] && exit 1
fi
if [[ "$*" == *"pip install"*" -e "* ]]; then
  printf '#!/bin/sh\\n' > "{bin}/ddassess" && chmod +x "{bin}/ddassess"
fi
exit 0
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the parts of the repo the scripts use."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "packaging", copy / "packaging")
    shutil.copytree(REPO / "requirements", copy / "requirements")
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    return copy


@pytest.fixture
def venv(tmp_path: Path) -> tuple[Path, Path]:
    """A venv folder whose python only records how it was called."""
    folder, log = tmp_path / "venv", tmp_path / "calls.log"
    (folder / "bin").mkdir(parents=True)
    python = folder / "bin" / "python"
    python.write_text(RECORDER.format(log=log, bin=folder / "bin"))
    python.chmod(0o755)
    log.write_text("")
    return folder, log


PIP = "-m pip install --disable-pip-version-check --quiet"
ITSELF = f"{PIP} --no-deps --no-build-isolation -e ."
APP_INSTALL = [f"{PIP} --require-hashes -r requirements/app.lock", ITSELF]
TEST_INSTALL = [f"{PIP} --require-hashes -r requirements/test.lock", ITSELF]


def _setup(repo: Path, venv: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, DDASSESS_VENV=str(venv), PIP_NO_INDEX="1", PIP_INDEX_URL="http://127.0.0.1:9/", **env)
    return subprocess.run(["bash", str(repo / "packaging/linux/setup-venv.sh"), *args], env=full,
                          capture_output=True, text=True, timeout=60)


def _pip_calls(log: Path) -> list[str]:
    calls = [line for line in log.read_text().splitlines() if "pip install" in line]
    log.write_text("")
    return calls


def test_installs_once_then_starts_without_pip(repo, venv):
    folder, log = venv
    first = _setup(repo, folder)
    assert first.returncode == 0, first.stderr
    assert f"Installing ddassess into {folder} (not installed by this script before, needs the network)..." \
        in first.stderr
    assert _pip_calls(log) == APP_INSTALL
    assert first.stdout.strip() == str(folder)

    started = time.monotonic()
    again = _setup(repo, folder, FAKE_PIP_FAILS="1")  # a pip call would now fail, as it does offline
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == str(folder) and again.stderr == ""
    assert _pip_calls(log) == []
    assert time.monotonic() - started < 5


def test_a_changed_pyproject_wants_the_network_and_says_so(repo, venv):
    folder, log = venv
    assert _setup(repo, folder).returncode == 0
    _pip_calls(log)
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"pyyaml>=6.0.1",', '"pyyaml>=6.0.1",\n    "tomli>=2",'))
    offline = _setup(repo, folder, FAKE_PIP_FAILS="1")
    assert f"Installing ddassess into {folder} (pyproject.toml or a lock file changed, needs the network)..." \
        in offline.stderr
    assert "could not be installed" in offline.stderr and "connect and run this again" in offline.stderr
    assert offline.returncode == 1 and offline.stdout == ""
    assert len(_pip_calls(log)) == 1
    # The failed attempt left no stamp that would claim the new dependencies are in.
    retry = _setup(repo, folder)
    assert retry.returncode == 0 and "pyproject.toml or a lock file changed" in retry.stderr
    assert _pip_calls(log) == APP_INSTALL
    assert _setup(repo, folder).stderr == ""


@pytest.mark.parametrize("lock", ["app.lock", "test.lock"])
def test_a_refreshed_lock_is_installed(repo, venv, lock):
    folder, log = venv
    assert _setup(repo, folder, "test").returncode == 0
    _pip_calls(log)
    path = repo / "requirements" / lock
    path.write_text(path.read_text() + "# refreshed\n")
    again = _setup(repo, folder)
    assert "(pyproject.toml or a lock file changed, needs the network)" in again.stderr
    assert _pip_calls(log) == TEST_INSTALL  # the test extra is kept
    assert _setup(repo, folder, FAKE_PIP_FAILS="1").stderr == ""


def test_the_test_extra_is_installed_once_and_kept(repo, venv):
    folder, log = venv
    assert _setup(repo, folder).returncode == 0
    _pip_calls(log)
    with_tests = _setup(repo, folder, "test")
    assert "(the test extra is new, needs the network)" in with_tests.stderr
    assert _pip_calls(log) == TEST_INSTALL
    # test.sh and run.sh share the venv: neither makes the other reinstall.
    for extra in ((), ("test",), ()):
        result = _setup(repo, folder, *extra, FAKE_PIP_FAILS="1")
        assert result.returncode == 0 and result.stderr == ""
    assert _pip_calls(log) == []


def test_a_missing_ddassess_command_is_reinstalled(repo, venv):
    folder, log = venv
    assert _setup(repo, folder).returncode == 0
    _pip_calls(log)
    (folder / "bin" / "ddassess").unlink()
    result = _setup(repo, folder)
    assert "its ddassess command is missing" in result.stderr
    assert _pip_calls(log) == APP_INSTALL


# --- install-deps.sh ---------------------------------------------------------------------


def _fake_system(tmp_path: Path, installed: bool) -> tuple[dict[str, str], Path]:
    """dpkg-query answering as dpkg does (all installed, or none), and recording apt-get and sudo."""
    bin_dir, log = tmp_path / "fakebin", tmp_path / "system.log"
    bin_dir.mkdir()
    log.write_text("")
    status = "install ok installed" if installed else "unknown ok not-installed"
    scripts = {
        "dpkg-query": f'shift 2\nfor p in "$@"; do echo "$p {status}"; done\n',
        "apt-get": f'echo "apt-get $*" >> "{log}"\n',
        "sudo": f'echo "sudo $*" >> "{log}"\n"$@"\n',
    }
    for name, body in scripts.items():
        (bin_dir / name).write_text(f"#!/usr/bin/env bash\n{body}")
        (bin_dir / name).chmod(0o755)
    return dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}"), log


@pytest.mark.parametrize("flag", [(), ("--test",)])
def test_install_deps_needs_nothing_when_all_is_installed(repo, tmp_path, flag):
    env, log = _fake_system(tmp_path, installed=True)
    result = subprocess.run(["bash", str(repo / "packaging/linux/install-deps.sh"), *flag], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""
    assert log.read_text() == ""  # no apt-get update: no network, no root


def test_install_deps_installs_what_is_missing(repo, tmp_path):
    env, log = _fake_system(tmp_path, installed=False)
    result = subprocess.run(["bash", str(repo / "packaging/linux/install-deps.sh"), "--test"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Installing system packages: python3 python3-venv" in result.stdout
    calls = log.read_text()
    assert "apt-get update -qq" in calls and "xvfb" in calls and "poppler-utils" in calls
