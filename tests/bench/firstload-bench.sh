#!/usr/bin/env bash
# Benchmark (not a test) of the live engine's first load, on the shared data kit:
#   tests/bench/firstload-bench.sh [RUNS]          default: 3
# A `watch` of the kit's 1,000,000-row PostgreSQL pair (1 % different): its first comparison
# as the engine times it (reading both sides into the record table) against `diff --json`'s own
# elapsed_ms on the same pair in the same run (the floor: within 1.2x); the wall time from
# start to the flow's "ready" line (process start, feeds, the comparison, every record's
# baseline, the 10,000 first statuses printed) against the diff process; the peak RSS during
# that load (VmHWM) and the RSS a few seconds later. Then the same watch again on the kept
# state store (a restart: its snapshot read back).
# Needs the kit's data (gen.sh 1000000 1); `SKIP_GEN=1` reuses what is there.
set -euo pipefail
RUNS=${1:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
kit=${BENCH_KIT:-$root/../shared/bench}
cli=${BUILD:-$root/build}/app/syncdesk-cli
[ -x "$cli" ] || { echo "bench: $cli not built" >&2; exit 2; }
. "$kit/lib.sh"
if [ "${SKIP_GEN:-0}" != 1 ]; then bash "$kit/pg-up.sh"; bash "$kit/gen.sh" 1000000 1; fi

out=$WORK/firstload; rm -rf "$out"; mkdir -p "$out"
ws=$out/ws.json
cat > "$ws" <<JSON
{"version": 1, "systems": [
  {"name": "src", "kind": "postgres", "conninfo": "host=$PGHOST port=$PGPORT user=$PGUSER dbname=src", "feed": "rescan"},
  {"name": "dst", "kind": "postgres", "conninfo": "host=$PGHOST port=$PGPORT user=$PGUSER dbname=dst", "feed": "rescan"}],
 "flows": [{"name": "devices", "source": {"system": "src", "table": "devices"},
   "target": {"system": "dst", "table": "devices"}, "key": ["sku"],
   "fields": ["model", "grade", "status", "price_cents", "qty"], "sla_seconds": 300}]}
JSON

# One watch until ready: prints "seconds_to_ready peak_mb steady_mb compare_ms".
watch_once() {
  local events=$out/events.txt start end pid
  : > "$events"
  start=$(date +%s.%N)
  QT_LOGGING_RULES="syncdesk.engine.debug=true" \
    "$cli" watch --workspace "$ws" --events --verify-interval 3600 > "$events" 2>"$out/watch.err" &
  pid=$!
  for _ in $(seq 1 1200); do
    if grep -q '"event":"ready"' "$events" 2>/dev/null; then break; fi
    sleep 0.05
  done
  end=$(date +%s.%N)
  grep -q '"event":"ready"' "$events" || { echo "bench: watch did not get ready" >&2; cat "$out/watch.err" >&2; kill $pid; exit 1; }
  local hwm; hwm=$(gawk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status)
  sleep 5
  local rss; rss=$(gawk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status)
  kill -TERM $pid; wait $pid || true
  local compared; compared=$(grep -o 'compared in [0-9]*' "$out/watch.err" | head -1 | gawk '{print $3}')
  echo "$(gawk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}') $hwm $rss ${compared:-nan}"
}

: > "$out/diff.txt"; : > "$out/first.txt"; : > "$out/restart.txt"
for run in $(seq 1 "$RUNS"); do
  log "run $run: diff"
  /usr/bin/time -f '%e %M' "$cli" diff --workspace "$ws" --flow devices --method rows --json > "$out/diff.json" 2>"$out/time.txt" || true
  echo "$(tail -1 "$out/time.txt") $(grep -o '"elapsed_ms":[0-9]*' "$out/diff.json" | cut -d: -f2)" >> "$out/diff.txt"
  log "run $run: watch, first load"
  rm -f "$out"/ws.state.db*
  watch_once >> "$out/first.txt"
  log "run $run: watch, restart on the kept state"
  watch_once >> "$out/restart.txt"
done
d=$(cut -d' ' -f1 "$out/diff.txt" | median)
f=$(cut -d' ' -f1 "$out/first.txt" | median)
r=$(cut -d' ' -f1 "$out/restart.txt" | median)
dc=$(cut -d' ' -f3 "$out/diff.txt" | median)
fc=$(cut -d' ' -f4 "$out/first.txt" | median)
echo "1,000,000 records, medians of $RUNS runs"
echo "  first comparison, as timed inside: watch ${fc} ms vs diff ${dc} ms ($(gawk -v a="$fc" -v b="$dc" 'BEGIN{printf "%.2f", a/b}')x; target <= 1.2x)"
echo "  diff --json:                 ${d} s, peak $(cut -d' ' -f2 "$out/diff.txt" | median | gawk '{print int($1/1024)}') MB"
echo "  watch first load to ready:   ${f} s ($(gawk -v a="$f" -v b="$d" 'BEGIN{printf "%.2f", a/b}')x the diff process), peak $(cut -d' ' -f2 "$out/first.txt" | median) MB (target <= 200), steady $(cut -d' ' -f3 "$out/first.txt" | median) MB (target <= 150)"
echo "  watch restart to ready:      ${r} s, peak $(cut -d' ' -f2 "$out/restart.txt" | median) MB, steady $(cut -d' ' -f3 "$out/restart.txt" | median) MB"
echo "  (ready includes starting the process and the feeds; the watch polls its output every 50 ms)"
