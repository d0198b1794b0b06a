#!/usr/bin/env bash
# Make (or reuse) the project's virtual environment in .venv and install ddassess into
# it, with the test extra when asked. Prints the venv's path.
#
# Installing needs the network, starting must not (a site visit has none): so ddassess
# is installed once, and again only when pyproject.toml (its dependencies) changed or an
# extra is asked for that was not installed. A stamp file in the venv records the hash of
# pyproject.toml and the extra it was installed with; pip upgrades itself only when the
# venv is created. The code itself is an editable install: changed sources need nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
extra="${1:-}"
venv="${DDASSESS_VENV:-.venv}"
stamp="$venv/.ddassess-installed"
pip=(--disable-pip-version-check --quiet)

wanted_hash=$(sha256sum pyproject.toml | cut -d' ' -f1)
installed_hash="" installed_extra=""
if [[ -r "$stamp" ]]; then
  read -r installed_hash installed_extra < "$stamp" || true
fi

up_to_date() {
  [[ -x "$venv/bin/python" && -x "$venv/bin/ddassess" && "$installed_hash" == "$wanted_hash" ]] || return 1
  # The test extra is everything the plain install has and more.
  [[ -z "$extra" || "$installed_extra" == "$extra" ]]
}

if up_to_date; then
  echo "$venv"
  exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
  why="first start"
elif [[ -z "$installed_hash" ]]; then
  why="not installed by this script before"
elif [[ "$installed_hash" != "$wanted_hash" ]]; then
  why="pyproject.toml changed"
elif [[ ! -x "$venv/bin/ddassess" ]]; then
  why="its ddassess command is missing"
else
  why="the ${extra} extra is new"
fi
echo "Installing ddassess into $venv ($why, needs the network)..." >&2

offline() {
  echo "ddassess could not be installed into $venv: pip failed (see above). Installing needs the" \
       "network once; connect and run this again. Nothing was changed in your case store." >&2
  exit 1
}
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install "${pip[@]}" --upgrade pip >&2 || offline
fi
target="."
keep_extra=""
if [[ "$extra" == "test" || "$installed_extra" == "test" ]]; then
  target=".[test]"  # never drop the test extra from a venv that had it
  keep_extra="test"
fi
"$venv/bin/python" -m pip install "${pip[@]}" -e "$target" >&2 || offline
printf '%s %s\n' "$wanted_hash" "$keep_extra" > "$stamp.tmp"
mv -f "$stamp.tmp" "$stamp"
echo "$venv"
