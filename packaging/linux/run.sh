#!/usr/bin/env bash
# One command: install what ddassess needs and start it (arguments pass through,
# e.g. --demo for the demo store with fictional people).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/install-deps.sh"
venv=$(bash "$here/setup-venv.sh")
cd "$here/../.."
exec "$venv/bin/ddassess" "$@"
