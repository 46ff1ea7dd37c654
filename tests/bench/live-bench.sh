#!/usr/bin/env bash
# Benchmark (not a test) of the live engine, on the shared data kit's PostgreSQL and data:
#   tests/bench/live-bench.sh [LATENCY_SECONDS] [LOAD_SECONDS]     defaults: 60 60
# (LOAD_SECONDS 0: the latency part only)
# 1. Latency: commits on the source at 200/s; time from commit to the `watch --events` line,
#    against the floor of a bare pgoutput client (pgoutput_floor, built beside this script:
#    it only receives and prints each commit's time) receiving the same commits in the same
#    run. Both outputs are stamped on receipt by `ts` (moreutils), so both pay the same pipe.
# 2. Load: LOAD_RATE changes/s (default 5,000) for LOAD_SECONDS; the slot's unconfirmed WAL must stay bounded
#    (no growing backlog) and the engine's applied-event counter must keep pace.
# 3. Memory: 1,000,000 records tracked (a source of 1M rows against an empty target): RSS.
# Needs the kit's data (gen.sh 1000000 …) loaded; `SKIP_GEN=1` reuses what is there.
# The target is a second throwaway cluster (the kit's pg-up.sh on port PGPORT+1), as a desk's
# two systems are two servers: on one cluster every source commit also wakes the target
# feed's walsender, which competes for the two cores at the very moment being timed.
# `ONE_CLUSTER=1` keeps both databases on the kit's cluster. The target cluster stays up, as
# the kit's does: PGDATA_DIR=/tmp/syncbench-pg-target PGPORT=55433 bash $kit/pg-down.sh stops it.
# PostgreSQL wakes walsenders in the order they connected, so the latency part runs twice,
# half the time each: once with the floor client connected first, once with the watch first.
# READ_FLOOR=1 adds a third client beside them (connected between the two): the floor client
# that also reads each changed row from the target with the statement the watch uses, before
# its line. That is the least a truthful status costs; the watch's distance to it is its own
# work. (A third client on two cores slows the others too: the main ratios come without it.)
set -euo pipefail
# 60 s: 12,000 commits, so the p99 rests on 120 of them, not on one burst of a busy machine
LAT_S=${1:-60}
LOAD_S=${2:-60}
LOAD_RATE=${LOAD_RATE:-5000}
root=$(cd "$(dirname "$0")/../.." && pwd)
kit=${BENCH_KIT:-$root/../shared/bench}
cli=${BUILD:-$root/build}/app/syncdesk-cli
floor_client=${BUILD:-$root/build}/tests/bench/pgoutput_floor
[ -x "$cli" ] || { echo "bench: $cli not built" >&2; exit 2; }
[ -x "$floor_client" ] || { echo "bench: $floor_client not built" >&2; exit 2; }
for tool in ts gawk pgbench curl; do
  command -v $tool >/dev/null || { echo "bench: $tool missing (packaging/install-deps.sh)" >&2; exit 2; }
done
. "$kit/lib.sh"
if [ "${SKIP_GEN:-0}" != 1 ]; then bash "$kit/pg-up.sh"; bash "$kit/gen.sh" 1000000 1; fi

out=$WORK/live; rm -rf "$out"; mkdir -p "$out"
# Work on copies: the load below changes rows, and the kit's tables must stay as generated
# for the diff benchmark and its expected counts.
q -d src -c "DROP TABLE IF EXISTS live_devices" -c "CREATE TABLE live_devices AS TABLE devices" \
  -c "ALTER TABLE live_devices ADD PRIMARY KEY (sku)" -c "VACUUM ANALYZE live_devices" 2>/dev/null
dst_port=$PGPORT
if [ "${ONE_CLUSTER:-0}" = 1 ]; then
  q -d dst -c "DROP TABLE IF EXISTS live_devices" -c "CREATE TABLE live_devices AS TABLE devices" \
    -c "ALTER TABLE live_devices ADD PRIMARY KEY (sku)" -c "VACUUM ANALYZE live_devices" 2>/dev/null
else
  dst_port=$((PGPORT + 1))
  PGDATA_DIR=${PGDATA_DIR}-target PGPORT=$dst_port PG_SHARED_BUFFERS=256MB bash "$kit/pg-up.sh"
  PGPORT=$dst_port q -d postgres -c "DROP DATABASE IF EXISTS dst" -c "CREATE DATABASE dst"
  pg_dump -s -t devices dst | sed 's/public\.devices\b/public.live_devices/' | PGPORT=$dst_port q -d dst >/dev/null
  q -d dst -c "COPY devices TO STDOUT" | PGPORT=$dst_port q -d dst -c "COPY live_devices FROM STDIN"
  PGPORT=$dst_port q -d dst -c "VACUUM ANALYZE live_devices"
fi
ws=$out/live.json
cat > "$ws" <<JSON
{"version": 1, "systems": [
  {"name": "src", "kind": "postgres", "conninfo": "host=$PGHOST port=$PGPORT user=$PGUSER dbname=src"},
  {"name": "dst", "kind": "postgres", "conninfo": "host=$PGHOST port=$dst_port user=$PGUSER dbname=dst"}],
 "flows": [{"name": "devices", "source": {"system": "src", "table": "live_devices"},
   "target": {"system": "dst", "table": "live_devices"}, "key": ["sku"],
   "fields": ["model", "grade", "status", "price_cents", "qty"], "sla_seconds": 300}]}
JSON
cat > "$out/update.sql" <<'SQL'
\set i random(1, 1000000)
UPDATE live_devices SET qty = qty + 1 WHERE sku = 'SKU' || lpad((:i * 10)::text, 10, '0');
SQL
# The load: ten rows per transaction, as a busy system's batches commit them (this machine's
# PostgreSQL cannot also commit thousands of single-row transactions a second beside us).
cat > "$out/load.sql" <<'SQL'
\set i random(0, 99999)
UPDATE live_devices SET qty = qty + 1 WHERE sku = ANY (ARRAY(
  SELECT 'SKU' || lpad(((:i * 10 + g + 1) * 10)::text, 10, '0') FROM generate_series(0, 9) g));
SQL

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$cli" slots drop --workspace "$ws" >/dev/null 2>&1 || true
  drop_floors 2>/dev/null || true
}
drop_floors() {
  for slot in bench_floor bench_rfloor; do
    q -d src -c "SET client_min_messages = warning" \
      -c "SELECT pg_drop_replication_slot('$slot') FROM pg_replication_slots WHERE slot_name = '$slot'" \
      -c "DROP PUBLICATION IF EXISTS $slot" >/dev/null
  done
}
trap cleanup EXIT

start_watch() { # $1: output file; waits for the flow to be ready
  # process substitution keeps $! on the watch itself, so stopping it stops the stream
  "$cli" watch --workspace "$ws" --events --metrics 127.0.0.1:19187 2>"$out/watch.err" > >(ts '%.s' > "$1") &
  pids+=($!)
  for _ in $(seq 1 300); do grep -q '"event":"ready"' "$1" 2>/dev/null && return 0; sleep 0.2; done
  echo "bench: watch did not get ready" >&2; cat "$out/watch.err" >&2; exit 1
}
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }

quantiles() { # numbers on stdin → "p50 p95 p99 n" in ms
  sort -g | gawk '{a[NR]=$1} END { if (NR == 0) { print "nan nan nan 0"; exit }
    r50 = int(0.50*NR+0.999999); r95 = int(0.95*NR+0.999999); r99 = int(0.99*NR+0.999999);
    printf "%.2f %.2f %.2f %d\n", a[r50], a[r95], a[r99], NR }'
}

# ---- 1. latency at 200 commits/s ----
log "latency: 200 commits/s for $LAT_S s (half with the floor connected first, half with the watch first)"
cleanup # slots left by an interrupted run
# the watch's read of the other side, as PostgresConnector builds it for this flow
read_sql="SELECT t.sku, t.model, t.grade, t.status, t.price_cents, t.qty, NULL::text, NULL::text
  FROM public.live_devices AS t WHERE t.sku = \$1::text UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL,
  COALESCE((CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_insert_lsn() END)::text, ''),
  pg_current_snapshot()::text"
start_floor() { # $1: output file; $2: the slot (bench_floor, or bench_rfloor for the reading one)
  local slot=${2:-bench_floor} reads=()
  [ "$slot" = bench_rfloor ] && reads=("host=$PGHOST port=$dst_port user=$PGUSER dbname=dst" "$read_sql")
  q -d src -c "CREATE PUBLICATION $slot FOR TABLE live_devices" \
    -c "SELECT pg_create_logical_replication_slot('$slot', 'pgoutput')" >/dev/null
  "$floor_client" "host=$PGHOST port=$PGPORT user=$PGUSER dbname=src" $slot $slot "${reads[@]}" \
    2>>"$out/floor.err" > >(ts '%.s' > "$1") &
  pids+=($!)
  # connected once its walsender is up (the slot active): only then is its wake-up order set
  for _ in $(seq 1 100); do
    [ "$(q -d src -c "SELECT active FROM pg_replication_slots WHERE slot_name = '$slot'")" = t ] && return 0
    sleep 0.1
  done
  echo "bench: the floor client ($slot) did not connect" >&2; cat "$out/floor.err" >&2; exit 1
}
metric() { curl -s 127.0.0.1:19187/metrics | gawk '/^syncdesk_change_events_total/ {print $2}'; }
arrived() { # $1: the floor's output, $2: pgbench's; waits until both clients had every commit
  local n
  n=$(grep -o 'actually processed: [0-9]*' "$2" | grep -o '[0-9]*$')
  for _ in $(seq 1 100); do
    [ "$(wc -l < "$1")" -ge "$n" ] && [ "$(metric)" -ge "$n" ] 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: not every commit reached both clients within 10 s" >&2; exit 1
}
rfloor() { [ "${READ_FLOOR:-0}" = 1 ] && start_floor "$out/rfloor-$1.txt" bench_rfloor || true; }
for order in floor-first watch-first; do
  if [ $order = floor-first ]; then start_floor "$out/floor-$order.txt"; rfloor $order; start_watch "$out/ours-$order.txt"
  else start_watch "$out/ours-$order.txt"; rfloor $order; start_floor "$out/floor-$order.txt"; fi
  sleep 1 # a warm-up, not a wait: the watch's first store writes after "ready" stay out of the timing
  pgbench -n -d src -f "$out/update.sql" --rate=200 -T "$(( (LAT_S + 1) / 2 ))" -c 4 -j 2 > "$out/pgbench-lat-$order.txt" 2>&1
  arrived "$out/floor-$order.txt" "$out/pgbench-lat-$order.txt"
  [ "${READ_FLOOR:-0}" != 1 ] || arrived "$out/rfloor-$order.txt" "$out/pgbench-lat-$order.txt"
  stop_all
  drop_floors
done
cat "$out"/floor-*.txt > "$out/floor.txt"
# only what each watch saw live: at its start it also reports the records the last one left
# pending, timed from their commits in the other half
gawk 'FNR == 1 { live = 0 } /"event":"ready"/ { live = 1; next } live' "$out"/ours-*.txt > "$out/ours.txt"

# floor: receipt − commit time of each transaction (floor lines: receipt commit key)
floor=$(gawk '{ printf "%.3f\n", ($1 - $2) * 1000 }' "$out/floor.txt" | quantiles)
# ours: receipt − the same commit's time, for every record that turned pending. The event
# line tells the commit only to the millisecond (ts − lag_ms, both whole milliseconds: up to
# half a millisecond off either way); the floor's line for the same key and commit gives it to
# the microsecond.
ours=$(gawk 'function abs(x) { return x < 0 ? -x : x }
  NR == FNR { commits[$3] = commits[$3] " " $2; next }
  /"status":"pending"/ { match($0, /"ts":"([^"]+)"/, m); match($0, /"lag_ms":([0-9]+)/, l);
    match($0, /"key":\["([^"]+)"\]/, k); t = m[1]; gsub(/[-:TZ]/, " ", t); split(t, p, ".");
    approx = mktime(p[1], 1) + ("0." p[2]) - l[1] / 1000;
    n = split(commits[k[1]], c, " "); best = "";
    for (i = 1; i <= n; i++) if (best == "" || abs(c[i] - approx) < abs(best - approx)) best = c[i];
    if (best != "" && abs(best - approx) < 0.002) printf "%.3f\n", ($1 - best) * 1000 }' \
  "$out/floor.txt" "$out/ours.txt" | quantiles)
read -r f50 f95 f99 fn <<<"$floor"
read -r o50 o95 o99 on <<<"$ours"
echo "latency commit→line (ms)      p50     p95     p99   samples"
printf '  pgoutput client floor  %7s %7s %7s %7s\n' "$f50" "$f95" "$f99" "$fn"
printf '  syncdesk watch         %7s %7s %7s %7s\n' "$o50" "$o95" "$o99" "$on"
if [ "${READ_FLOOR:-0}" = 1 ]; then
  read -r r50 r95 r99 rn <<<"$(cat "$out"/rfloor-*.txt | gawk '{ printf "%.3f\n", ($1 - $2) * 1000 }' | quantiles)"
  printf '  floor + the read       %7s %7s %7s %7s\n' "$r50" "$r95" "$r99" "$rn"
  printf '  watch vs floor + the read: p50 %.2fx, p99 %.2fx\n' \
    "$(gawk -v a="$o50" -v b="$r50" 'BEGIN{print a/b}')" "$(gawk -v a="$o99" -v b="$r99" 'BEGIN{print a/b}')"
fi
printf '  ratios: p50 %.2fx, p99 %.2fx (target <= 1.5x each)\n' \
  "$(gawk -v a="$o50" -v b="$f50" 'BEGIN{print a/b}')" "$(gawk -v a="$o99" -v b="$f99" 'BEGIN{print a/b}')"

[ "$LOAD_S" = 0 ] && exit 0

# ---- 2. LOAD_RATE changes/s ----
log "load: $LOAD_RATE changes/s for $LOAD_S s"
start_watch "$out/load.txt"
slot=$(q -d src -c "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'syncdesk\_%\_src'")
before=$(metric)
pgbench -n -d src -f "$out/load.sql" --rate="$((LOAD_RATE / 10))" -T "$LOAD_S" -c 4 -j 2 -P 10 \
  --max-tries=5 > "$out/pgbench-load.txt" 2>&1 &
bench=$!
: > "$out/backlog.txt"
while kill -0 $bench 2>/dev/null; do
  sleep 5
  echo "$(q -d src -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) FROM pg_replication_slots WHERE slot_name = '$slot'") $(metric)" >> "$out/backlog.txt"
done
wait $bench || true
sleep 3
after=$(metric)
tps=$(grep -o 'tps = [0-9.]*' "$out/pgbench-load.txt" | tail -1 | cut -d' ' -f3)
echo "load: pgbench committed $(gawk -v t="$tps" 'BEGIN { printf "%d", t * 10 }') changes/s ($tps transactions/s); engine applied $(( (after - before) / LOAD_S )) events/s"
echo "  unconfirmed WAL behind the slot, every 5 s (bytes): $(cut -d' ' -f1 "$out/backlog.txt" | tr '\n' ' ')"
echo "  3 s after the load: $(q -d src -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) FROM pg_replication_slots WHERE slot_name = '$slot'") bytes"
stop_all
"$cli" slots drop --workspace "$ws" >/dev/null

# ---- 3. 1,000,000 tracked records ----
log "memory: 1,000,000 records not in sync"
PGPORT=$dst_port q -d dst -c "DROP TABLE IF EXISTS devices_empty" -c "CREATE TABLE devices_empty (LIKE live_devices INCLUDING ALL)"
sed 's/"table": "live_devices"}, "key"/"table": "devices_empty"}, "key"/' "$ws" > "$out/mem.json"
"$cli" watch --workspace "$out/mem.json" --events > "$out/mem.txt" 2>"$out/mem.err" &
mpid=$!; pids+=($mpid)
for _ in $(seq 1 600); do grep -q '"event":"ready"' "$out/mem.txt" 2>/dev/null && break; sleep 0.2; done
sleep 2
rss=$(gawk '/VmRSS/ {print int($2/1024)}' /proc/$mpid/status)
hwm=$(gawk '/VmHWM/ {print int($2/1024)}' /proc/$mpid/status)
echo "memory: $(grep -c missing_in_target "$out/mem.txt") records tracked: RSS ${rss} MB (peak ${hwm} MB; target <= 150 MB resident)"
stop_all
"$cli" slots drop --workspace "$out/mem.json" >/dev/null 2>&1 || true
