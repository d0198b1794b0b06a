#!/usr/bin/env bash
# One command: install the test dependencies and run the whole test suite
# (extra arguments go to pytest). The suite runs on every core (pytest-xdist, a file per
# worker at a time, so a file's shared fixtures are made once), and lists its slowest
# tests at the end, so a test that grows slow is seen.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/install-deps.sh" --test
venv=$(bash "$here/setup-venv.sh" test)
cd "$here/../.."
export QT_QPA_PLATFORM=offscreen
exec "$venv/bin/python" -m pytest -n auto --dist loadfile --durations=15 "$@"
