#!/usr/bin/env bash
# System packages ddassess needs on Debian/Ubuntu: Qt's runtime libraries, fonts, and
# (with --test) what the tests use to look at windows and PDFs. Installs only what is
# missing, so a second run needs no network and no root.
set -euo pipefail

runtime=(
  python3 python3-venv
  libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6
  libglib2.0-0 libx11-6 libx11-xcb1 libdbus-1-3 libcups2
  libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xfixes0 libxcb-xkb1
  fonts-dejavu-core
)
# postgresql: the team server's tests start their own cluster with its initdb and pg_ctl.
testing=(xvfb xauth poppler-utils sqlite3 postgresql)

want=("${runtime[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${testing[@]}")
fi

# One dpkg-query for all of them (one per package took seconds on a busy machine); it only
# reads dpkg's database: no network, no root. Unknown packages are simply not listed.
installed=" $(dpkg-query -W -f='${Package} ${Status}\n' "${want[@]}" 2>/dev/null \
  | awk '$2 == "install" && $3 == "ok" && $4 == "installed" { printf "%s ", $1 }' || true)"
missing=()
for pkg in "${want[@]}"; do
  if [[ "$installed" != *" $pkg "* ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "Installing system packages: ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
