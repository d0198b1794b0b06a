"""requirements/*.lock: what run.sh, test.sh and CI install, pinned and hashed, in step with
pyproject.toml (packaging/linux/lock.sh refreshes them)."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
_ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?: ; (.+?))? \\\n"
                    r"((?:    --hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", re.MULTILINE)


def _pins(name: str) -> dict[str, tuple[str, str | None]]:
    """Package → (version, marker) of one lock file; every entry must carry hashes."""
    text = (REPO / "requirements" / name).read_text(encoding="utf-8")
    entries = _ENTRY.findall(text)
    listed = re.findall(r"^[A-Za-z0-9]\S*==", text, re.MULTILINE)
    assert len(entries) == len(listed), f"{name}: an entry without hashes"
    return {canonicalize_name(pkg): (version, marker or None) for pkg, version, marker, _ in entries}


def _wanted(*extras: str) -> list[Requirement]:
    names = [*PYPROJECT["project"]["dependencies"], *PYPROJECT["build-system"]["requires"]]
    for extra in extras:
        names += PYPROJECT["project"]["optional-dependencies"][extra]
    return [r for r in map(Requirement, names) if r.marker is None or r.marker.evaluate()]


@pytest.mark.parametrize("lock, extras", [("app.lock", ()), ("test.lock", ("test", "dev"))])
def test_every_dependency_is_pinned_within_its_range(lock, extras):
    pins = _pins(lock)
    for req in _wanted(*extras):
        version, _ = pins[canonicalize_name(req.name)]
        assert req.specifier.contains(version, prereleases=True), f"{lock}: {req.name}=={version} is not {req}"


def test_the_two_locks_agree_and_development_tools_stay_out_of_the_app():
    app, test = _pins("app.lock"), _pins("test.lock")
    assert {name: test[name] for name in app} == app
    for tool in ("fastjsonschema", "ruff", "mypy", "pytest", "keyrings-alt"):
        assert tool not in app and tool in test


def test_this_environment_is_the_locked_one():
    """The tests run in what test.lock pins (setup-venv.sh installed it), not whatever was newest."""
    wrong = []
    for name, (version, marker) in _pins("test.lock").items():
        if marker is not None and not Requirement(f"x; {marker}").marker.evaluate():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            wrong.append(f"{name}: {installed}, locked {version}")
    assert wrong == [], "run packaging/linux/setup-venv.sh test"
