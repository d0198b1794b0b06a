"""What the repository relies on is written in the repository: no file points at notes kept
outside it, and every relative link in its Markdown leads to a file that is there."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from ddassess.formengine import load_catalogue

REPO = Path(__file__).resolve().parents[2]
# Built from parts so that this file does not name them itself.
OUTSIDE = [name + ".md" for name in ("DOMAIN", "STYLE", "PRODUCT", "EXCHANGE")] + [".." + "/shared"]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _tracked() -> list[str]:
    """The files git tracks (a source tree without git: every file but the caches)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
        return [f for f in out.decode("utf-8").split("\0") if f and (REPO / f).is_file()]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", ".ci-venv", "__pycache__", ".pytest_cache"}
        found = []
        for folder, dirs, files in os.walk(REPO):
            dirs[:] = [d for d in dirs if d not in skip and not d.endswith(".egg-info")]
            found += [os.path.relpath(os.path.join(folder, f), REPO) for f in files]
        return found


def _frozen_definitions() -> set[str]:
    """Older form versions, kept word for word: their text is part of their content hash
    (tests/formengine/test_form_versions.py pins it), so an old reference stays in them;
    forms/CATALOGUE.md says where it now points."""
    cat = load_catalogue(REPO / "forms").read_all()
    return {f"forms/versions/{fid}@{v}.yaml" for (fid, v) in cat.all_versions if cat.get(fid).version > v}


def test_nothing_points_at_notes_outside_the_repository():
    frozen = _frozen_definitions()
    found = []
    for name in _tracked():
        data = (REPO / name).read_bytes()
        for what in OUTSIDE:
            if what.encode() in data and name not in frozen:
                found.append(f"{name} mentions {what}")
    assert found == [], "write what the code relies on into docs/ and point there:\n" + "\n".join(found)


def test_the_check_would_find_a_reference():
    assert any(what.encode() in f"see {what} §3".encode() for what in OUTSIDE)
    assert "forms/phq9.yaml" not in _frozen_definitions() and "forms/versions/phq9@1.yaml" in _frozen_definitions()


def test_relative_links_in_markdown_lead_to_files_in_the_repository():
    broken = []
    for name in (n for n in _tracked() if n.endswith(".md")):
        for target in LINK.findall((REPO / name).read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            path = (REPO / name).parent / target
            if not path.exists() or REPO.resolve() not in path.resolve().parents:
                broken.append(f"{name} → {target}")
    assert broken == []
