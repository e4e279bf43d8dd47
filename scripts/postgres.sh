#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests: initdb in a new temporary folder, as a
# non-root user, listening on a free loopback port. Prints two lines: the admin URL and the
# server's process id (stop it with `kill <pid>`; the folder is removed by whoever started it).
# Usage: scripts/postgres.sh <folder> [postgres option ...]   (e.g. -c shared_preload_libraries=pg_stat_statements)
set -euo pipefail
folder=$1; shift
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed (scripts/setup.sh --for-tests installs it)" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
as_owner=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root: the cluster belongs to Debian's postgres user.
  chown postgres "$folder"
  as_owner=(runuser -u postgres --)
fi
"${as_owner[@]}" "$bin/initdb" -D "$folder/data" -U xops -A trust --no-sync -E UTF8 >/dev/null
# Durability is not what these tests are about: no fsync, so a database per test is cheap.
"${as_owner[@]}" "$bin/postgres" -D "$folder/data" -p "$port" -k "$folder" -c listen_addresses=127.0.0.1 \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500 "$@" \
  >"$folder/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    echo "postgres://xops@127.0.0.1:$port/postgres"
    echo "$pid"
    exit 0
  fi
  sleep 0.1
done
echo "PostgreSQL did not start; its log:" >&2
cat "$folder/server.log" >&2
kill "$pid" 2>/dev/null || true
exit 1
