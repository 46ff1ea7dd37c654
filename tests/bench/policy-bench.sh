#!/usr/bin/env bash
# Benchmark (not a test) of a conflict policy under a mass drift (issue 18), on PostgreSQL:
#   tests/bench/policy-bench.sh [RECORDS] [DRIFTED]     default: 100000 5000
# A flow of RECORDS records under `source-wins` is watched (`watch --events`); DRIFTED target
# rows are then changed in one statement, as a restored backup or a broken batch job would.
# Reports, from the events' own timestamps:
#   - keeping up: a second flow ("pace", also RECORDS records) gets 1,000 target changes at
#     1,000/s (100 every 100 ms, as many as its guard allows in a minute); the delay from each
#     change's commit to its decision, p50 and p99 (target: p99 <= 1 s), and whether it grows
#     from the first tenth to the last (a backlog would);
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
  for t in devices pace; do
    q "$db" "CREATE TABLE $t (sku text PRIMARY KEY, model text, qty integer);
             INSERT INTO $t SELECT 'K' || lpad(i::text, 7, '0'), 'M' || i, i FROM generate_series(1, $RECORDS) i"
  done
done
cat > "$work/ws.json" <<JSON
{"version": 1,
 "systems": [{"name": "src", "kind": "postgres", "conninfo": "host=127.0.0.1 port=$port user=postgres dbname=src"},
             {"name": "dst", "kind": "postgres", "conninfo": "host=127.0.0.1 port=$port user=postgres dbname=dst"}],
 "flows": [{"name": "devices", "source": {"system": "src", "table": "devices"},
            "target": {"system": "dst", "table": "devices"}, "key": ["sku"], "fields": ["model", "qty"],
            "sla_seconds": 300, "policy": "source-wins"},
           {"name": "pace", "source": {"system": "src", "table": "pace"},
            "target": {"system": "dst", "table": "pace"}, "key": ["sku"], "fields": ["model", "qty"],
            "sla_seconds": 300, "policy": "source-wins"}]}
JSON
"$cli" watch --workspace "$work/ws.json" --events > "$work/events.jsonl" 2> "$work/watch.err" &
watch_pid=$!
until [ "$(grep -c '"event":"ready"' "$work/events.jsonl" 2>/dev/null)" -ge 2 ]; do
  kill -0 "$watch_pid" 2>/dev/null || { cat "$work/watch.err" >&2; exit 2; }
  sleep 0.2
done

paced=1000
log "keeping up: $paced target changes of flow pace at 1,000/s"
# One session, fed a statement every 100 ms (a new psql per statement could not keep the pace).
start=$(date +%s.%N)
: > "$work/batches"
for b in $(seq 0 $(( paced / 100 - 1 ))); do
  echo "$b $(date +%s.%N)" >> "$work/batches"
  echo "UPDATE pace SET qty = qty + 1000000 WHERE sku > 'K' || lpad('$(( b * 100 ))', 7, '0')
                                            AND sku <= 'K' || lpad('$(( (b + 1) * 100 ))', 7, '0');"
  pause=$(awk -v s="$start" -v b="$b" -v n="$(date +%s.%N)" 'BEGIN{p = s + 0.1 * (b + 1) - n; printf "%.3f", (p > 0 ? p : 0)}')
  sleep "$pause"
done | psql -X -v ON_ERROR_STOP=1 -q "host=127.0.0.1 port=$port user=postgres dbname=dst" >/dev/null
deadline=$(( $(date +%s) + 60 ))
until [ "$(grep '"event":"policy_decision"' "$work/events.jsonl" | grep -c '"flow":"pace".*"outcome":"applied"')" -ge "$paced" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "bench: flow pace not resolved within 60 s" >&2; break; }
  sleep 0.2
done
# Each decision's delay from its batch's commit (the UPDATE's start: an upper bound).
grep '"event":"policy_decision"' "$work/events.jsonl" | grep '"flow":"pace".*"outcome":"applied"' |
  sed -E 's/^\{"ts":"([^"]+)".*"key":\["K0*([0-9]+)"\].*/\1 \2/' |
  while read -r ts n; do echo "$(date -d "$ts" +%s.%N) $n"; done > "$work/pace.txt"
read -r pace_p50 pace_p99 first_tenth last_tenth pace_applied < <(awk '
  NR == FNR { at[$1] = $2; next }
  { b = int(($2 - 1) / 100); d = $1 - at[b]; all[++n] = d; if (b == 0) f[++nf] = d; if (b == 9) l[++nl] = d }
  function med(a, k,   i, j, t) { for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } return k ? a[int((k + 1) / 2)] : 0 }
  END {
    for (i = 2; i <= n; i++) { t = all[i]; for (j = i - 1; j >= 1 && all[j] > t; j--) all[j + 1] = all[j]; all[j + 1] = t }
    printf "%.3f %.3f %.3f %.3f %d\n", all[int((n + 1) / 2)], all[int(n * 0.99 + 0.999)], med(f, nf), med(l, nl), n
  }' "$work/batches" "$work/pace.txt")
log "pace: $pace_applied applied; change to decision p50 ${pace_p50} s, p99 ${pace_p99} s (first tenth ${first_tenth} s, last ${last_tenth} s)"
log "guard: drifting $DRIFTED target rows of flow devices in one statement"
t0=$(date +%s.%N)
q dst "UPDATE devices SET qty = qty + 1000000 WHERE sku <= 'K' || lpad('$DRIFTED', 7, '0')"
deadline=$(( $(date +%s) + 120 ))
until grep -q '"flow":"devices","event":"policy_halted"' "$work/events.jsonl"; do
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
applied=$(grep '"flow":"devices"' "$work/events.jsonl" | grep -c '"outcome":"applied"' || true)
left=$(q dst "SELECT count(*) FROM devices WHERE qty > 1000000")
halted=$(grep -c '"flow":"devices","event":"policy_halted"' "$work/events.jsonl" || true)
read -r first last < <(grep '"flow":"devices"' "$work/events.jsonl" | grep '"outcome":"applied"' | sed -E 's/^\{"ts":"([^"]+)".*/\1/' |
  awk 'NR==1{f=$0} {l=$0} END{print f, l}')
secs() { date -d "$1" +%s.%N; }
span=$(awk -v a="$(secs "$first")" -v b="$(secs "$last")" 'BEGIN{printf "%.3f", b-a}')
rate=$(awk -v n="$applied" -v s="$span" 'BEGIN{printf "%.0f", (s > 0 ? (n-1)/s : 0)}')
delay=$(awk -v a="$t0" -v b="$(secs "$first")" 'BEGIN{printf "%.2f", b-a}')
# Every decision audited, by several workers at once: still one intact chain.
"$cli" audit verify --workspace "$work/ws.json" >&2 || { echo "MISSED: the audit chain is broken" >&2; exit 1; }
echo "records=$RECORDS drifted=$DRIFTED guard_limit=$limit applied=$applied halted=$halted still_drifted=$left"
echo "first decision ${delay} s after the drift; $applied applied in ${span} s: ${rate} decisions/s"
echo "keeping up at 1,000 changes/s: $pace_applied of $paced applied; change to decision p50 ${pace_p50} s, p99 ${pace_p99} s; first tenth ${first_tenth} s, last tenth ${last_tenth} s"
ok=0
[ "$applied" -le "$limit" ] || { echo "MISSED: more than the guard's $limit written" >&2; ok=1; }
[ "$halted" -ge 1 ] || { echo "MISSED: no policy_halted" >&2; ok=1; }
[ "$left" -eq $(( DRIFTED - applied )) ] || { echo "MISSED: the target holds $left drifted, expected $(( DRIFTED - applied ))" >&2; ok=1; }
awk -v r="$rate" 'BEGIN{exit !(r >= 1000)}' || { echo "MISSED: under 1,000 decisions/s" >&2; ok=1; }
awk -v d="$delay" 'BEGIN{exit !(d <= 1)}' || { echo "MISSED: first decision later than 1 s" >&2; ok=1; }
[ "$pace_applied" -eq "$paced" ] || { echo "MISSED: $pace_applied of $paced paced changes applied" >&2; ok=1; }
awk -v p="$pace_p99" 'BEGIN{exit !(p <= 1)}' || { echo "MISSED: paced changes decided later than 1 s (p99)" >&2; ok=1; }
awk -v f="$first_tenth" -v l="$last_tenth" 'BEGIN{exit !(l <= f + 0.25)}' || { echo "MISSED: the delay grew (a backlog)" >&2; ok=1; }
exit $ok
