#!/usr/bin/env bash
# Benchmark (not a test) of a conflict policy under a mass drift (issue 18), on PostgreSQL:
#   tests/bench/policy-bench.sh [RECORDS] [DRIFTED]     default: 100000 5000
# A flow of RECORDS records under `source-wins` is watched (`watch --events`); DRIFTED target
# rows are then changed in one statement, as a restored backup or a broken batch job would.
# Reports, from the events' own timestamps:
#   - the guard: how many the policy wrote before it halted (target: at most max(100, 1 %) of
#     RECORDS, then `policy_halted`), and that the target still holds exactly the rest drifted;
#   - the policy's pace while it wrote: decisions per second from the first to the last applied
#     one (target: 1,000/s), and the delay from the change to its first decision (target <= 1 s).
# Starts a throwaway PostgreSQL server with the suite's fixture script (stopped on exit).
# `BUILD` points at the build folder, `WORK` at a scratch folder. Exits 1 when a target is
# missed, 2 when it cannot run.
set -euo pipefail
RECORDS=${1:-100000}
DRIFTED=${2:-5000}
root=$(cd "$(dirname "$0")/../.." && pwd)
cli=${BUILD:-$root/build}/app/syncdesk-cli
work=${WORK:-/tmp/syncdesk-policy-bench}
fixture=$root/tests/support/pg-fixture.sh
[ -x "$cli" ] || { echo "bench: $cli not built" >&2; exit 2; }
command -v psql >/dev/null || { echo "bench: psql missing (packaging/install-deps.sh)" >&2; exit 2; }
rm -rf "$work"; mkdir -p "$work"
cp "$cli" "$work/syncdesk-cli"; cli=$work/syncdesk-cli
server=$work/pg
watch_pid=
cleanup() {
  if [ -n "$watch_pid" ]; then kill -TERM "$watch_pid" 2>/dev/null || true; wait "$watch_pid" 2>/dev/null || true; fi
  bash "$fixture" stop "$server" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "[$(date +%T)] $*" >&2; }

bash "$fixture" start "$server" >/dev/null
port=$(cat "$server/port")
q() { psql -X -v ON_ERROR_STOP=1 -qAt "host=127.0.0.1 port=$port user=postgres dbname=$1" -c "$2"; }
for db in src dst; do
  q postgres "CREATE DATABASE $db"
  q "$db" "CREATE TABLE devices (sku text PRIMARY KEY, model text, qty integer);
           INSERT INTO devices SELECT 'K' || lpad(i::text, 7, '0'), 'M' || i, i FROM generate_series(1, $RECORDS) i"
done
cat > "$work/ws.json" <<JSON
{"version": 1,
 "systems": [{"name": "src", "kind": "postgres", "conninfo": "host=127.0.0.1 port=$port user=postgres dbname=src"},
             {"name": "dst", "kind": "postgres", "conninfo": "host=127.0.0.1 port=$port user=postgres dbname=dst"}],
 "flows": [{"name": "devices", "source": {"system": "src", "table": "devices"},
            "target": {"system": "dst", "table": "devices"}, "key": ["sku"], "fields": ["model", "qty"],
            "sla_seconds": 300, "policy": "source-wins"}]}
JSON
"$cli" watch --workspace "$work/ws.json" --events > "$work/events.jsonl" 2> "$work/watch.err" &
watch_pid=$!
until grep -q '"event":"ready"' "$work/events.jsonl" 2>/dev/null; do
  kill -0 "$watch_pid" 2>/dev/null || { cat "$work/watch.err" >&2; exit 2; }
  sleep 0.2
done
log "flow of $RECORDS records live; drifting $DRIFTED target rows in one statement"
t0=$(date +%s.%N)
q dst "UPDATE devices SET qty = qty + 1000000 WHERE sku <= 'K' || lpad('$DRIFTED', 7, '0')"
deadline=$(( $(date +%s) + 120 ))
until grep -q '"event":"policy_halted"' "$work/events.jsonl"; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "bench: no halt within 120 s" >&2; break; }
  sleep 0.2
done
# Decisions handed out before the halt still come back: until none came for 2 s.
seen=-1
while :; do
  now_seen=$(grep -c '"event":"policy_decision"' "$work/events.jsonl" || true)
  [ "$now_seen" -ne "$seen" ] || break
  seen=$now_seen
  sleep 2
done
kill -TERM "$watch_pid"; wait "$watch_pid" || true; watch_pid=

limit=$(( RECORDS / 100 > 100 ? RECORDS / 100 : 100 ))
applied=$(grep -c '"outcome":"applied"' "$work/events.jsonl" || true)
left=$(q dst "SELECT count(*) FROM devices WHERE qty > 1000000")
halted=$(grep -c '"event":"policy_halted"' "$work/events.jsonl" || true)
read -r first last < <(grep '"outcome":"applied"' "$work/events.jsonl" | sed -E 's/^\{"ts":"([^"]+)".*/\1/' |
  awk 'NR==1{f=$0} {l=$0} END{print f, l}')
secs() { date -d "$1" +%s.%N; }
span=$(awk -v a="$(secs "$first")" -v b="$(secs "$last")" 'BEGIN{printf "%.3f", b-a}')
rate=$(awk -v n="$applied" -v s="$span" 'BEGIN{printf "%.0f", (s > 0 ? (n-1)/s : 0)}')
delay=$(awk -v a="$t0" -v b="$(secs "$first")" 'BEGIN{printf "%.2f", b-a}')
# Every decision audited, by several workers at once: still one intact chain.
"$cli" audit verify --workspace "$work/ws.json" >&2 || { echo "MISSED: the audit chain is broken" >&2; exit 1; }
echo "records=$RECORDS drifted=$DRIFTED guard_limit=$limit applied=$applied halted=$halted still_drifted=$left"
echo "first decision ${delay} s after the drift; $applied applied in ${span} s: ${rate} decisions/s"
ok=0
[ "$applied" -le "$limit" ] || { echo "MISSED: more than the guard's $limit written" >&2; ok=1; }
[ "$halted" -ge 1 ] || { echo "MISSED: no policy_halted" >&2; ok=1; }
[ "$left" -eq $(( DRIFTED - applied )) ] || { echo "MISSED: the target holds $left drifted, expected $(( DRIFTED - applied ))" >&2; ok=1; }
awk -v r="$rate" 'BEGIN{exit !(r >= 1000)}' || { echo "MISSED: under 1,000 decisions/s" >&2; ok=1; }
awk -v d="$delay" 'BEGIN{exit !(d <= 1)}' || { echo "MISSED: first decision later than 1 s" >&2; ok=1; }
exit $ok
