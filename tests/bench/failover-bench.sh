#!/usr/bin/env bash
# Benchmark (not a test) of agent fail-over on a team's desk (issue 13), on the shared data
# kit's PostgreSQL and its 1,000,000-row devices pair:
#   tests/bench/failover-bench.sh [ROUNDS]      default: 3
# Two `syncdesk-cli watch --events` agents on one workspace (a team's store in the same
# cluster, the systems read through logical decoding) while pgbench changes RATE source rows
# a second. Each round kills (-9) the agent that watches and times how long the other takes
# to hold the desk and to be live again; a fresh agent then stands by for the next round.
# At the end, with the load stopped, the last agent's records out of sync must be exactly
# those `syncdesk-cli diff --list` finds: no change lost in any hand-over.
# Needs the kit's data (gen.sh 1000000 …) loaded; `SKIP_GEN=1` reuses what is there.
set -euo pipefail
ROUNDS=${1:-3}
RATE=${RATE:-100}
root=$(cd "$(dirname "$0")/../.." && pwd)
kit=${BENCH_KIT:-$root/../shared/bench}
cli=${BUILD:-$root/build}/app/syncdesk-cli
[ -x "$cli" ] || { echo "bench: $cli not built" >&2; exit 2; }
for tool in pgbench gawk jq; do
  command -v $tool >/dev/null || { echo "bench: $tool missing (packaging/install-deps.sh)" >&2; exit 2; }
done
. "$kit/lib.sh"
if [ "${SKIP_GEN:-0}" != 1 ]; then bash "$kit/pg-up.sh"; bash "$kit/gen.sh" 1000000 1; fi

out=$WORK/failover; rm -rf "$out"; mkdir -p "$out"
q -d postgres -c "DROP DATABASE IF EXISTS failover_state" -c "CREATE DATABASE failover_state" >/dev/null
for db in src dst; do
  q -d "$db" -c "DROP TABLE IF EXISTS failover_devices" -c "CREATE TABLE failover_devices AS TABLE devices" \
    -c "ALTER TABLE failover_devices ADD PRIMARY KEY (sku)" -c "VACUUM ANALYZE failover_devices" 2>/dev/null
done
ws=$out/team.json
cat > "$ws" <<JSON
{"version": 1, "state": "postgresql://$PGUSER@$PGHOST:$PGPORT/failover_state", "systems": [
  {"name": "src", "kind": "postgres", "conninfo": "host=$PGHOST port=$PGPORT user=$PGUSER dbname=src"},
  {"name": "dst", "kind": "postgres", "conninfo": "host=$PGHOST port=$PGPORT user=$PGUSER dbname=dst"}],
 "flows": [{"name": "devices", "source": {"system": "src", "table": "failover_devices"},
   "target": {"system": "dst", "table": "failover_devices"}, "key": ["sku"],
   "fields": ["model", "grade", "status", "price_cents", "qty"], "direction": "one-way", "sla_seconds": 3600}]}
JSON
cat > "$out/touch.sql" <<'SQL'
\set i random(1, 5000)
UPDATE failover_devices SET qty = qty + 1 WHERE sku = 'SKU' || lpad((:i * 10)::text, 10, '0');
SQL

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$cli" slots drop --workspace "$ws" >/dev/null 2>&1 || true
}
trap cleanup EXIT
n=0
start_agent() { # → sets $agent_pid, files $out/agent$n.{out,err}
  n=$((n + 1))
  # Each as if on a machine of its own: the lease must lapse (a restart on the same host would
  # see its predecessor gone and take over at once).
  SYNCDESK_AGENT_HOST=bench-agent-$n "$cli" watch --workspace "$ws" --events >"$out/agent$n.out" 2>"$out/agent$n.err" &
  agent_pid=$!; pids+=($agent_pid)
}
wait_for() { # file pattern seconds
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}
now_ms() { date +%s%3N; }

start_agent; active=$agent_pid; active_n=$n
wait_for "$out/agent$n.out" '"event":"ready"' 300 || { echo "bench: first agent not live" >&2; cat "$out/agent$n.err" >&2; exit 1; }
start_agent; standby=$agent_pid; standby_n=$n
wait_for "$out/agent$n.err" 'standing by' 60 || { echo "bench: second agent not standing by" >&2; exit 1; }
pgbench -n -d src -f "$out/touch.sql" -R "$RATE" -T 100000 -c 1 >"$out/pgbench.log" 2>&1 &
load=$!; pids+=($load)
sleep 5

takeovers=(); lives=()
for r in $(seq 1 "$ROUNDS"); do
  sleep 5
  kill -9 "$active"; killed=$(now_ms)
  wait_for "$out/agent$standby_n.err" 'this agent watches the desk' 120 || { echo "bench: no take-over" >&2; exit 1; }
  took=$(( $(now_ms) - killed ))
  wait_for "$out/agent$standby_n.out" '"event":"ready"' 300 || { echo "bench: new agent not live" >&2; exit 1; }
  live=$(( $(now_ms) - killed ))
  takeovers+=($took); lives+=($live)
  echo "round $r: took the desk over ${took} ms after kill -9, live again after ${live} ms"
  active=$standby; active_n=$standby_n
  start_agent; standby=$agent_pid; standby_n=$n
  wait_for "$out/agent$n.err" 'standing by' 60 || { echo "bench: new agent not standing by" >&2; exit 1; }
done
kill "$load"; wait "$load" 2>/dev/null || true
# The last changes decoded: the agent's output stops growing (for 3 s; at most a minute).
last=-1; still=0
for _ in $(seq 1 600); do
  size=$(stat -c %s "$out/agent$active_n.out")
  if [ "$size" = "$last" ]; then still=$((still + 1)); [ $still -ge 30 ] && break; else still=0; last=$size; fi
  sleep 0.1
done

# The truth against the last agent's view.
"$cli" diff --workspace "$ws" --flow devices --list --json | jq -r '.records[].key[0]' | sort >"$out/truth.txt" || true
jq -rs 'map(select(.status != null)) | group_by(.key[0]) | map(last) | map(select(.status != "in_sync")) | .[].key[0]' \
  "$out/agent$active_n.out" | sort >"$out/agent.txt"
lost=$(comm -23 "$out/truth.txt" "$out/agent.txt" | wc -l)
extra=$(comm -13 "$out/truth.txt" "$out/agent.txt" | wc -l)
echo "failover-bench: $ROUNDS rounds, 1,000,000-record flow, $RATE changes/s during each hand-over"
echo "  take-over after kill -9 (ms): ${takeovers[*]} (target <= 30000); live again (ms): ${lives[*]}"
echo "  records out of sync: $(wc -l <"$out/truth.txt") by diff; the last agent lost $lost, reported $extra more (target 0, 0)"
