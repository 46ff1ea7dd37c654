#!/usr/bin/env bash
# Benchmark (not a test) of consoles attached to a team's agent (issue 13), on the shared data
# kit's PostgreSQL and its 1,000,000-row devices pair:
#   tests/bench/attach-bench.sh [CONSOLES] [PHASE_SECONDS]      defaults: 10 30
# An agent (`syncdesk-cli watch` on a team's PostgreSQL store in the same cluster) watches the
# pair while pgbench flips RATE records a second at the source (each flip takes a record out
# of sync or back). Two phases of PHASE_SECONDS under the same load:
#   A. the agent alone;
#   B. the agent and CONSOLES attached desks (attach_consoles, built beside this script: the
#      window's AttachedDesk, headless, each on its own thread and connections).
# Reported: the host's CPU in each phase, less the consoles' own process (on a desk they run
# on other machines), so B − A is what the consoles cost the agent's host (the agent and the
# store's PostgreSQL); the connections to the business databases in each phase; and the time
# from the agent telling a status to each console having it (p50, p99).
# Needs the kit's data (gen.sh 1000000 …) loaded; `SKIP_GEN=1` reuses what is there.
set -euo pipefail
CONSOLES=${1:-10}
PHASE_S=${2:-30}
RATE=${RATE:-50}
root=$(cd "$(dirname "$0")/../.." && pwd)
kit=${BENCH_KIT:-$root/../shared/bench}
cli=${BUILD:-$root/build}/app/syncdesk-cli
consoles=${BUILD:-$root/build}/tests/bench/attach_consoles
[ -x "$cli" ] || { echo "bench: $cli not built" >&2; exit 2; }
[ -x "$consoles" ] || { echo "bench: $consoles not built" >&2; exit 2; }
command -v pgbench >/dev/null || { echo "bench: pgbench missing (packaging/install-deps.sh)" >&2; exit 2; }
. "$kit/lib.sh"
if [ "${SKIP_GEN:-0}" != 1 ]; then bash "$kit/pg-up.sh"; bash "$kit/gen.sh" 1000000 1; fi

out=$WORK/attach; rm -rf "$out"; mkdir -p "$out"
q -d postgres -c "DROP DATABASE IF EXISTS team_state" -c "CREATE DATABASE team_state" >/dev/null
for db in src dst; do
  q -d "$db" -c "DROP TABLE IF EXISTS attach_devices" -c "CREATE TABLE attach_devices AS TABLE devices" \
    -c "ALTER TABLE attach_devices ADD PRIMARY KEY (sku)" -c "VACUUM ANALYZE attach_devices" 2>/dev/null
done
ws=$out/team.json
cat > "$ws" <<JSON
{"version": 1, "state": "postgresql://$PGUSER@$PGHOST:$PGPORT/team_state", "systems": [
  {"name": "src", "kind": "postgres", "conninfo": "host=$PGHOST port=$PGPORT user=$PGUSER dbname=src"},
  {"name": "dst", "kind": "postgres", "conninfo": "host=$PGHOST port=$PGPORT user=$PGUSER dbname=dst"}],
 "flows": [{"name": "devices", "source": {"system": "src", "table": "attach_devices"},
   "target": {"system": "dst", "table": "attach_devices"}, "key": ["sku"],
   "fields": ["model", "grade", "status", "price_cents", "qty"], "sla_seconds": 300}]}
JSON
# A flip: out of sync, and back at the next flip of the same record.
cat > "$out/flip.sql" <<'SQL'
\set i random(1, 2000)
UPDATE attach_devices SET qty = CASE WHEN qty >= 1000000 THEN qty - 1000000 ELSE qty + 1000000 END
 WHERE sku = 'SKU' || lpad((:i * 10)::text, 10, '0');
SQL

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$cli" slots drop --workspace "$ws" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$cli" watch --workspace "$ws" --quiet 2>"$out/agent.err" &
agent=$!; pids+=($agent)
for _ in $(seq 1 600); do
  q -d team_state -c "SELECT status FROM desk_status WHERE name = 'console'" 2>/dev/null | grep -q '"ready":true' && break
  sleep 0.5
done
q -d team_state -c "SELECT status FROM desk_status WHERE name = 'console'" | grep -q '"ready":true' \
  || { echo "bench: the agent did not get ready" >&2; cat "$out/agent.err" >&2; exit 1; }
pgbench -n -d src -f "$out/flip.sql" -R "$RATE" -T $((PHASE_S * 2 + 60)) -c 1 >"$out/pgbench.log" 2>&1 &
pids+=($!)
sleep 5 # the load reaches its pace

busy() { gawk '/^cpu /{ print $2+$3+$4+$7+$8+$9 }' /proc/stat; } # jiffies, every core
proc_cpu() { gawk '{ print $14+$15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
business_conns() { q -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE datname IN ('src', 'dst') AND application_name <> 'pgbench'"; }
hz=$(getconf CLK_TCK); cores=$(nproc)
phase() { # $1: pid to leave out (0: none) → "host% agent% conns"
  local b0 a0 c0 b1 a1 c1 conns
  b0=$(busy); a0=$(proc_cpu $agent); c0=$( [ "$1" = 0 ] && echo 0 || proc_cpu "$1")
  sleep "$PHASE_S"
  conns=$(business_conns)
  b1=$(busy); a1=$(proc_cpu $agent); c1=$( [ "$1" = 0 ] && echo 0 || proc_cpu "$1")
  gawk -v b=$((b1 - b0)) -v c=$((c1 - c0)) -v a=$((a1 - a0)) -v s="$PHASE_S" -v hz="$hz" -v n="$cores" -v k="$conns" \
    'BEGIN { printf "%.2f %.2f %d\n", 100 * (b - c) / (s * hz * n), 100 * a / (s * hz), k }'
}

read -r hostA agentA connsA < <(phase 0)
"$consoles" "$ws" "$CONSOLES" $((PHASE_S + 5)) >"$out/consoles.out" 2>"$out/consoles.err" &
cpid=$!; pids+=($cpid)
for _ in $(seq 1 600); do grep -q '^attached' "$out/consoles.out" && break; sleep 0.2; done
grep -q '^attached' "$out/consoles.out" || { echo "bench: consoles did not attach" >&2; cat "$out/consoles.err" >&2; exit 1; }
read -r hostB agentB connsB < <(phase "$cpid")
wait "$cpid" || true
stats=$(grep '^statuses' "$out/consoles.out")
store_conns=$(q -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'team_state'")

echo "attach-bench: $CONSOLES consoles, 1,000,000-record flow, $RATE flips/s, ${PHASE_S}s per phase, $cores cores"
echo "  host CPU (all cores, consoles' own process left out): agent alone ${hostA}%, with consoles ${hostB}%," \
     "added $(gawk -v a="$hostA" -v b="$hostB" 'BEGIN { printf "%.2f", b - a }') points (target <= 5)"
echo "  agent process CPU (one core = 100%): ${agentA}% alone, ${agentB}% with consoles"
echo "  connections to the business databases: ${connsA} alone, ${connsB} with consoles (target: no more)"
echo "  consoles: $stats (target p99 <= 500 ms)"
