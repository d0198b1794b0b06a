#!/usr/bin/env bash
# The lint and type gates: ruff over the package and the tests, mypy over the package, both
# with their configuration in pyproject.toml and the versions pinned in requirements/test.lock.
# Makes (or reuses) the test venv first, so it works from a fresh clone. Exit status is
# non-zero when either gate finds something; both always run.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv=$(bash "$here/setup-venv.sh" test) || exit 1
cd "$here/../.."
status=0
echo "ruff check ddassess tests"
"$venv/bin/ruff" check ddassess tests || status=1
echo "mypy ddassess"
"$venv/bin/mypy" ddassess || status=1
exit "$status"
