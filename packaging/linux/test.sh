#!/usr/bin/env bash
# One command: install the test dependencies and run the whole test suite
# (extra arguments go to pytest).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/install-deps.sh" --test
venv=$(bash "$here/setup-venv.sh" test)
cd "$here/../.."
export QT_QPA_PLATFORM=offscreen
exec "$venv/bin/python" -m pytest "$@"
