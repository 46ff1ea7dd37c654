#!/usr/bin/env bash
# Benchmark (not a test): tracer probes (issue 14) against their targets.
#   tests/bench/probe-bench.sh [PROBES] [STALLS]     defaults: 60 3
# 1. Report delay: a pipeline (a loop copying the source's probe row every 50-300 ms, like a
#    polling ETL job, so arrivals fall at any phase of SyncDesk's reads) carries each token to
#    the target table, where a trigger logs the copy's time; `watch --events`, 1 s interval.
#    Figure: event time minus arrival time, per probe (target: within 1 s of the arrival).
# 2. Stall detection: with a 5 s interval the pipeline is dropped STALLS times; figure: the
#    time from the drop to the pipeline_stalled event (target: within 2 probe intervals).
# Uses the shared data kit's throwaway PostgreSQL (../shared/bench or $BENCH_KIT).
set -euo pipefail
PROBES=${1:-60}
STALLS=${2:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
kit=${BENCH_KIT:-$root/../shared/bench}
cli=${BUILD:-$root/build}/app/syncdesk-cli
[ -f "$kit/pg-up.sh" ] || { echo "bench: data kit not found at $kit (set BENCH_KIT)" >&2; exit 2; }
[ -x "$cli" ] || { echo "bench: $cli not built" >&2; exit 2; }
. "$kit/lib.sh"
bash "$kit/pg-up.sh"
q -d postgres -c "DROP DATABASE IF EXISTS probebench WITH (FORCE)"
q -d postgres -c "CREATE DATABASE probebench"
q -d probebench -c "
CREATE TABLE items (k text PRIMARY KEY, v text);
CREATE TABLE items_copy (k text PRIMARY KEY, v text);
CREATE TABLE probe_src (id text PRIMARY KEY, token text NOT NULL, sent_at_ms bigint NOT NULL);
CREATE TABLE probe_dst (id text PRIMARY KEY, token text NOT NULL, sent_at_ms bigint NOT NULL);
CREATE TABLE arrivals (token text, arrived_ms bigint);
CREATE FUNCTION pipe() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
  INSERT INTO probe_dst VALUES (NEW.id, NEW.token, NEW.sent_at_ms)
  ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token, sent_at_ms = EXCLUDED.sent_at_ms; RETURN NEW; END \$\$;
CREATE FUNCTION arrived() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
  INSERT INTO arrivals VALUES (NEW.token, (extract(epoch FROM clock_timestamp()) * 1000)::bigint); RETURN NEW; END \$\$;
CREATE TRIGGER arrived AFTER INSERT OR UPDATE ON probe_dst FOR EACH ROW EXECUTE FUNCTION arrived();"
pipe_on() { q -d probebench -c "DROP TRIGGER IF EXISTS pipe ON probe_src; CREATE TRIGGER pipe AFTER INSERT OR UPDATE ON probe_src FOR EACH ROW EXECUTE FUNCTION pipe()"; }
pipe_off() { q -d probebench -c "DROP TRIGGER IF EXISTS pipe ON probe_src"; }

workspace() { # $1 interval
  cat > "$WORK/probe-bench.json" <<JSON
{"version": 1, "systems": [{"name": "s", "kind": "postgres", "feed": "rescan",
  "conninfo": "host=$PGHOST port=$PGPORT user=$PGUSER dbname=probebench"}],
 "flows": [{"name": "f", "source": {"system": "s", "table": "items"}, "target": {"system": "s", "table": "items_copy"},
  "key": ["k"], "fields": ["v"], "probe": {"table": "probe_src", "target_table": "probe_dst", "interval_seconds": $1}}]}
JSON
}
ms_of() { date -d "$1" +%s%3N; } # an event's ISO ts in epoch ms
events="$WORK/probe-bench.events"
start_watch() { "$cli" watch --workspace "$WORK/probe-bench.json" --events > "$events" 2>"$WORK/probe-bench.err" & watch_pid=$!; }
stop_watch() { kill -TERM "$watch_pid"; wait "$watch_pid" || true; }
wait_lines() { # $1 pattern, $2 count, $3 timeout s
  local deadline=$((SECONDS + $3))
  while [ "$(grep -c "$1" "$events" || true)" -lt "$2" ]; do
    [ $SECONDS -lt $deadline ] || { echo "bench: timed out waiting for $2 x $1" >&2; stop_watch; exit 1; }
    sleep 0.1 # a poll with a deadline
  done
}

# 1. Report delay after arrival.
workspace 1
copier() {
  while true; do
    q -d probebench -c "INSERT INTO probe_dst SELECT * FROM probe_src ON CONFLICT (id) DO UPDATE
      SET token = EXCLUDED.token, sent_at_ms = EXCLUDED.sent_at_ms WHERE probe_dst.token <> EXCLUDED.token"
    sleep "0.$(( 50 + RANDOM % 250 ))" # the pipeline's own pace, not a wait for a condition
  done
}
copier & copier_pid=$!
start_watch
wait_lines '"event":"probe"' "$PROBES" $((PROBES * 2 + 30))
stop_watch
kill "$copier_pid"; wait "$copier_pid" 2>/dev/null || true
# The n-th probe event belongs to the n-th arrival (one token a second, each copied once).
mapfile -t arrived < <(q -d probebench -c "SELECT arrived_ms FROM arrivals ORDER BY arrived_ms")
mapfile -t reported < <(grep '"event":"probe"' "$events" | sed 's/.*"ts":"\([^"]*\)".*/\1/')
delays=()
for i in "${!reported[@]}"; do
  [ "$i" -lt "${#arrived[@]}" ] || break
  delays+=("$(( $(ms_of "${reported[$i]}") - ${arrived[$i]} ))")
done
pct() { printf '%s\n' "${delays[@]}" | sort -n | awk -v p="$1" '{a[NR]=$1} END{i=int(NR*p/100+0.999); if(i<1)i=1; print a[i]}'; }
echo "report delay after arrival over ${#delays[@]} probes: p50 $(pct 50) ms, p99 $(pct 99) ms, max $(pct 100) ms (target: 1000 ms)"

# 2. Stall detection.
q -d probebench -c "TRUNCATE arrivals"
workspace 5
stalls=()
for n in $(seq "$STALLS"); do
  pipe_on
  : > "$events"
  start_watch
  wait_lines '"event":"probe"' 1 30
  pipe_off
  dropped=$(date +%s%3N)
  wait_lines '"event":"pipeline_stalled"' 1 30
  at=$(grep '"event":"pipeline_stalled"' "$events" | head -1 | sed 's/.*"ts":"\([^"]*\)".*/\1/')
  stalls+=("$(( $(ms_of "$at") - dropped ))")
  stop_watch
  echo "stall $n: alerted $(( stalls[-1] )) ms after the pipeline stopped (interval 5000 ms)"
done
printf 'stall alerted after: %s ms (target: within 2 intervals, 10000 ms)\n' "$(printf '%s ' "${stalls[@]}")"
