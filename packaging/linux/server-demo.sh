#!/usr/bin/env bash
# Try the team server in a few minutes, on this machine only (fictional people):
#
#   ./packaging/linux/server-demo.sh           # set up and start; prints what to run next
#   ./packaging/linux/server-demo.sh stop      # stop the server and PostgreSQL
#
# It installs PostgreSQL from the distribution's packages if it is missing, makes a cluster
# of its own under the demo folder (a free local port, nothing else touched), a demo team
# (the lead's laptop with the team authority, two practitioners, Sam and Kim, each with their
# own encrypted store, admitted and given their server certificates), the server's
# certificate and configuration, and starts ddassess-server on https://127.0.0.1:PORT.
# Folder: $DDASSESS_SERVER_DEMO, or ddassess-server-demo in the user data folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
demo="${DDASSESS_SERVER_DEMO:-${XDG_DATA_HOME:-$HOME/.local/share}/ddassess-server-demo}"
pg="$demo/postgres"
run_as=()
if [[ $(id -u) -eq 0 ]]; then
  # PostgreSQL refuses to run as root: its cluster belongs to nobody, in a folder nobody can reach.
  pg="/var/tmp/ddassess-server-demo-postgres"
  run_as=(runuser -u nobody --)
fi

find_bindir() {
  local d
  if command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/initdb" ]]; then pg_config --bindir; return; fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    [[ -x "$d/initdb" ]] && { echo "$d"; return; }
  done
  return 1
}

if [[ "${1:-}" == "stop" ]]; then
  [[ -f "$demo/server.pid" ]] && kill "$(cat "$demo/server.pid")" 2>/dev/null || true
  rm -f "$demo/server.pid"
  bin=$(find_bindir) && "${run_as[@]}" "$bin/pg_ctl" -D "$pg/data" -m fast stop 2>/dev/null || true
  echo "Stopped. Remove $demo (and $pg) to start again from nothing."
  exit 0
fi

if ! bin=$(find_bindir); then
  echo "Installing PostgreSQL from the distribution's packages..."
  sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq postgresql >/dev/null
  bin=$(find_bindir)
fi
if [[ -e "$demo/server.toml" ]]; then
  echo "A demo is already set up in $demo: stop it (./packaging/linux/server-demo.sh stop) and remove that folder first."
  exit 1
fi

venv=$(bash "$here/setup-venv.sh" test)   # the test environment has the server's extra
dd="$repo/$venv/bin/ddassess"
[[ "$venv" = /* ]] && dd="$venv/bin/ddassess"
server_bin="$(dirname "$dd")/ddassess-server"
mkdir -p "$demo" "$pg"
[[ ${#run_as[@]} -gt 0 ]] && chown nobody "$pg"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

echo "PostgreSQL cluster in $pg (port $pgport)..."
"${run_as[@]}" "$bin/initdb" -D "$pg/data" -A trust -U postgres -E UTF8 --locale=C >/dev/null
"${run_as[@]}" "$bin/pg_ctl" -D "$pg/data" -l "$pg/log" -w \
  -o "-p $pgport -k $pg -c listen_addresses=127.0.0.1" start >/dev/null
"${run_as[@]}" "$bin/psql" -h 127.0.0.1 -p "$pgport" -U postgres -qc "CREATE DATABASE ddassess" >/dev/null

export DDASSESS_PASSPHRASE='demo passphrase for fictional stores'
export DDASSESS_CA_PASSPHRASE='demo team authority passphrase'
cd "$demo"
echo "The demo team: Lena Lead (team lead), Sam Fictional and Kim Fictional, each on their own laptop..."
DDASSESS_HOME=lead "$dd" init --name "Lena Lead" --role "Team lead" --agency "Fictional Joint Service" --no-keyring >/dev/null
DDASSESS_HOME=lead "$dd" signing create-authority --team "Fictional Joint Team" >/dev/null
for who in sam kim; do
  name="$([[ $who == sam ]] && echo "Sam Fictional" || echo "Kim Fictional")"
  DDASSESS_HOME=$who "$dd" init --name "$name" --agency "Fictional Joint Service" --no-keyring >/dev/null
  DDASSESS_HOME=$who "$dd" team request --out $who.request --no-signing-certificate >/dev/null
  DDASSESS_HOME=lead "$dd" team admit $who.request --out $who.membership >/dev/null
  DDASSESS_HOME=$who "$dd" team join $who.membership >/dev/null
done
DDASSESS_HOME=lead "$dd" team roster --out roster.json >/dev/null
DDASSESS_HOME=sam "$dd" team roster --import roster.json >/dev/null
echo "The server's certificate (each laptop's came with its membership)..."
DDASSESS_HOME=lead "$dd" sync server-cert --host 127.0.0.1 --host localhost --out-dir tls >/dev/null
cat > server.toml <<CONF
database_url = "postgresql+psycopg://postgres@127.0.0.1:$pgport/ddassess"
tls_certificate = "tls/server.pem"
tls_key = "tls/server.key"
team_authority = "tls/authority.pem"
host = "127.0.0.1"
port = $port
workers = 2
CONF
"$server_bin" --config server.toml init-db
"$server_bin" --config server.toml serve >server.log 2>&1 &
echo $! > server.pid
for _ in $(seq 1 100); do
  python3 - "$port" 2>/dev/null <<'PY' && break || sleep 0.3
import http.client, ssl, sys
c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ssl._create_unverified_context(), timeout=2)
c.request("GET", "/health"); sys.exit(0 if c.getresponse().status == 200 else 1)
PY
done
DDASSESS_HOME=lead "$dd" sync --server "https://127.0.0.1:$port" >/dev/null   # the roster reaches the server

url="https://127.0.0.1:$port"
cat <<MSG

The team server runs at $url (log: $demo/server.log). The stores' passphrase is
'$DDASSESS_PASSPHRASE'.

1. Sam opens a case and shares it with Kim (Care team, share; a lawful basis with its reason
   will do for fictional people):
     cd "$demo" && DDASSESS_HOME=sam "$dd"
2. Sam's laptop sends it, Kim's receives it:
     cd "$demo" && DDASSESS_PASSPHRASE='$DDASSESS_PASSPHRASE' DDASSESS_HOME=sam "$dd" sync --server $url
     cd "$demo" && DDASSESS_PASSPHRASE='$DDASSESS_PASSPHRASE' DDASSESS_HOME=kim "$dd" sync --server $url
3. Kim opens it:
     cd "$demo" && DDASSESS_HOME=kim "$dd"

Stop everything: ./packaging/linux/server-demo.sh stop
MSG
