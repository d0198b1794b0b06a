#!/usr/bin/env bash
# Refresh the lock files from pyproject.toml: every package the application needs
# (requirements/app.lock) and everything the tests and the gates need as well
# (requirements/test.lock, with the team server's extra: its tests run in the suite), each pinned to one version with the hashes of its files.
#
#   bash packaging/linux/lock.sh                      # after changing pyproject.toml: keeps the
#                                                     # pins that still fit, adds what is new
#   bash packaging/linux/lock.sh --upgrade            # move every package to its newest allowed release
#   bash packaging/linux/lock.sh --upgrade-package X  # move one package (pip-compile's own options)
#
# setup-venv.sh (so run.sh, test.sh and CI) installs only from these files; pyproject.toml keeps
# the ranges for people who install the package. The pins are resolved for the python3 this
# runs with (CI's: CPython 3.11 on Linux x86_64); the hashes cover every file of each pinned
# release, wheels and sdists alike. Needs the network (PyPI); changes nothing but the two files.
set -euo pipefail
cd "$(dirname "$0")/../.."
# pip-tools is pinned here, not in a lock: it only writes the locks, and the hashes check what it wrote.
pip_tools="pip-tools==7.6.2"

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools/venv"
# Only PyPI: a machine's own pip configuration (extra indexes, local wheel folders, constraints)
# must not leak into files every machine installs from.
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_CONSTRAINT PIP_NO_INDEX
"$tools/venv/bin/python" -m pip install --disable-pip-version-check --quiet "$pip_tools"

mkdir -p requirements
options=(
  --quiet --generate-hashes --allow-unsafe --strip-extras --newline=lf
  --no-emit-index-url --no-emit-find-links
  # setuptools and wheel, which pyproject.toml's build-system needs, so setup-venv.sh can
  # install ddassess itself without build isolation (nothing unpinned is downloaded for it)
  --build-deps-for=editable
  --no-config
)
# test.lock first, then app.lock within it: the two agree on every version they share.
"$tools/venv/bin/pip-compile" "${options[@]}" --extra test --extra dev --extra server \
  --output-file requirements/test.lock "$@" pyproject.toml
"$tools/venv/bin/pip-compile" "${options[@]}" --constraint requirements/test.lock \
  --output-file requirements/app.lock "$@" pyproject.toml
echo "requirements/app.lock and requirements/test.lock written; run packaging/linux/test.sh, then commit both." >&2
