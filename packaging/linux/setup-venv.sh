#!/usr/bin/env bash
# Make (or reuse) the project's virtual environment in .venv and install ddassess into
# it, with the test extra when asked. Prints the venv's path.
set -euo pipefail
cd "$(dirname "$0")/../.."
extra="${1:-}"
venv="${DDASSESS_VENV:-.venv}"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
if [[ "$extra" == "test" ]]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test]" >&2
else
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e . >&2
fi
echo "$venv"
