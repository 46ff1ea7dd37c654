#!/usr/bin/env bash
# CTest fixture: a throwaway PostgreSQL server for the test suite.
#   pg-fixture.sh start DIR   initdb into a fresh temporary folder, start on a free 127.0.0.1
#                             port (wal_level=logical), write DIR/conninfo for the tests
#   pg-fixture.sh stop DIR    stop that server and remove its folder
#   pg-fixture.sh kill DIR    stop it abruptly (immediate mode), keeping its data
#   pg-fixture.sh resume DIR  start a killed server again on the same port
#   pg-fixture.sh pause DIR   hang it: SIGSTOP the postmaster, then every child of it (sockets
#                             stay open, nothing answers), as a frozen host or VM would
#   pg-fixture.sh unpause DIR SIGCONT the children, then the postmaster (nothing to do when no
#                             server runs); `stop` does this first, so it never waits on a
#                             paused server
# As root the server runs as the `postgres` OS user, because PostgreSQL refuses root; root
# (or that same user) may signal it.
set -euo pipefail
usage="usage: pg-fixture.sh start|stop|kill|resume|pause|unpause DIR"
action=${1:?$usage}
state=${2:?$usage}

pgbin=${PGBIN:-}
if [ -z "$pgbin" ]; then
  for v in 15 16 17 14 13; do
    if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then pgbin=/usr/lib/postgresql/$v/bin; break; fi
  done
fi
[ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || { echo "pg-fixture: no PostgreSQL server binaries (install postgresql-15: packaging/install-deps.sh)" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The postmaster's pid (first line of its pid file); fails when no server runs.
postmaster_pid() {
  [ -f "$state/datadir" ] || return 1
  local data; data=$(cat "$state/datadir")
  [ -f "$data/postmaster.pid" ] || return 1
  head -n 1 "$data/postmaster.pid"
}

# The postmaster's children (backends, WAL senders, background processes), one pid a line.
children_of() {
  ps -o pid= --ppid "$1" || true   # ps fails when there are none
}

# SIGCONT the children, then the postmaster; harmless when nothing is stopped.
unpause() {
  local pid child
  pid=$(postmaster_pid) || return 0
  for child in $(children_of "$pid"); do kill -CONT "$child" 2>/dev/null || true; done
  kill -CONT "$pid" 2>/dev/null || true
}

stop() {
  [ -f "$state/datadir" ] || return 0
  local data; data=$(cat "$state/datadir")
  if [ -f "$data/postmaster.pid" ]; then
    unpause   # a paused postmaster would not act on pg_ctl's signal
    as_pg "$pgbin/pg_ctl" -D "$data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$data"
  rm -f "$state/datadir" "$state/conninfo" "$state/port"
}

case "$action" in
kill)
  data=$(cat "$state/datadir")
  as_pg "$pgbin/pg_ctl" -D "$data" -m immediate -w -t 60 stop >/dev/null
  echo "pg-fixture: killed"
  ;;
resume)
  data=$(cat "$state/datadir")
  as_pg "$pgbin/pg_ctl" -D "$data" -o "-p $(cat "$state/port")" -l "$data/server.log" -w -t 60 start >/dev/null
  echo "pg-fixture: resumed"
  ;;
stop)
  stop
  echo "pg-fixture: stopped"
  ;;
pause)
  pid=$(postmaster_pid) || { echo "pg-fixture: no server runs in $state" >&2; exit 1; }
  # The postmaster first, so it forks no new child once its children are listed: wait until
  # it is really stopped (state T) before listing them.
  kill -STOP "$pid"
  for _ in $(seq 50); do
    case "$(ps -o stat= -p "$pid" 2>/dev/null || true)" in T*) break ;; esac
    sleep 0.1
  done
  case "$(ps -o stat= -p "$pid" 2>/dev/null || true)" in
    T*) ;;
    *) echo "pg-fixture: postmaster $pid did not stop" >&2; kill -CONT "$pid" 2>/dev/null || true; exit 1 ;;
  esac
  for child in $(children_of "$pid"); do kill -STOP "$child" 2>/dev/null || true; done
  echo "pg-fixture: paused"
  ;;
unpause)
  unpause
  echo "pg-fixture: unpaused"
  ;;
start)
  mkdir -p "$state"
  stop   # a server left over by an interrupted run
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  fi
  data=$(mktemp -d /tmp/syncdesk-test-pg.XXXXXX)
  echo "$data" > "$state/datadir"
  [ "$(id -u)" = 0 ] && chown postgres "$data"
  chmod 700 "$data"
  as_pg "$pgbin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C >"$state/initdb.log" 2>&1 \
    || { cat "$state/initdb.log" >&2; exit 1; }
  cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$data'
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
max_connections = 200
fsync = off                 # fast, and still durable across an immediate stop (the OS keeps the WAL)
full_page_writes = off
shared_buffers = 128MB
CONF
  # One login needs its password (the console's keychain tests); everyone else is trusted.
  printf 'local all all trust\nhost all syncdesk_pw 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n' > "$data/pg_hba.conf"
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi   # taken
    if as_pg "$pgbin/pg_ctl" -D "$data" -o "-p $port" -l "$data/server.log" -w -t 60 start >/dev/null 2>&1; then
      # wal2json is used by the live feed when present; PostgreSQL 15.20+ must list it.
      if "$pgbin/psql" -X -qAt -h 127.0.0.1 -p "$port" -U postgres -d postgres \
           -c "select 1 from pg_settings where name = 'output_plugin_libraries'" | grep -q 1; then
        "$pgbin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
          -c "ALTER SYSTEM SET output_plugin_libraries = 'pgoutput', 'test_decoding', 'wal2json'" \
          -c "SELECT pg_reload_conf()" >/dev/null
      fi
      echo "$port" > "$state/port"
      echo "host=127.0.0.1 port=$port user=postgres dbname=postgres" > "$state/conninfo"
      echo "pg-fixture: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $data"
      exit 0
    fi
    tail -5 "$data/server.log" >&2 || true
  done
  echo "pg-fixture: could not start PostgreSQL (see $data/server.log)" >&2
  exit 1
  ;;
*)
  echo "$usage" >&2; exit 2 ;;
esac
