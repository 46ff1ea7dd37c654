#!/usr/bin/env bash
# Benchmark (not a test) of how `watch --events` meets faults (issue 15), timed from outside
# with `date +%s.%N` on its stderr lines (each file polled every 0.1 s):
#   tests/bench/fault-bench.sh [ROUNDS]     default: 3 (or FAULT_BENCH_ROUNDS)
# 1. Hang drill, ROUNDS times: the server of both systems is paused (SIGSTOP, sockets open);
#    seconds until "system 'src' unavailable" (target <= 30 s); it is held hung
#    FAULT_BENCH_HOLD s more (default 5: retries, no new line), then unpaused: seconds until
#    "system 'src' back" (target <= 10 s); then one source row changes and its pending event
#    must come (the feed really follows again). Lines per incident: must be 1 each way.
# 2. State store drill: a second watch whose "state" is a postgresql:// URI on a second
#    server; that server is killed, FAULT_BENCH_CHANGES (default 50) source rows change (all
#    must still be reported pending), it is resumed: seconds from the moment it answers
#    until "state store back" and until all those baselines are visible in it (target
#    <= 10 s); then SIGTERM (exit 0 expected) and the baselines counted: 0 changes lost.
# Starts its own two throwaway PostgreSQL servers with the suite's fixture script (stopped,
# unpaused first, on exit). `BUILD` points at the build folder, `WORK` at a scratch folder.
# Exits 1 when a target is missed, 2 when it cannot run.
set -euo pipefail
ROUNDS=${1:-${FAULT_BENCH_ROUNDS:-3}}
HOLD=${FAULT_BENCH_HOLD:-5}
CHANGES=${FAULT_BENCH_CHANGES:-50}
ROWS=300
root=$(cd "$(dirname "$0")/../.." && pwd)
cli=${BUILD:-$root/build}/app/syncdesk-cli
work=${WORK:-/tmp/syncdesk-fault-bench}
fixture=$root/tests/support/pg-fixture.sh
[ -x "$cli" ] || { echo "bench: $cli not built" >&2; exit 2; }
command -v psql >/dev/null || { echo "bench: psql missing (packaging/install-deps.sh)" >&2; exit 2; }
[ "$CHANGES" -le 250 ] || { echo "bench: at most 250 changes (the store drill uses K051..K300)" >&2; exit 2; }
rm -rf "$work"; mkdir -p "$work"
# A copy, so that a rebuild meanwhile cannot swap the binary between the two drills.
cp "$cli" "$work/syncdesk-cli"; cli=$work/syncdesk-cli
biz=$work/pg        # the business systems' server (paused)
store=$work/pg-state # the state store's server (killed)

watch_pid=
cleanup() {
  bash "$fixture" unpause "$biz" >/dev/null 2>&1 || true
  bash "$fixture" unpause "$store" >/dev/null 2>&1 || true
  if [ -n "$watch_pid" ]; then kill -TERM "$watch_pid" 2>/dev/null || true; wait "$watch_pid" 2>/dev/null || true; fi
  bash "$fixture" stop "$biz" >/dev/null 2>&1 || true
  bash "$fixture" stop "$store" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date +%T)] $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }
q() { psql -X -v ON_ERROR_STOP=1 -qAt "host=127.0.0.1 port=$1 user=postgres dbname=$2" -c "$3"; }
count() { grep -cF -- "$2" "$1" 2>/dev/null || true; }   # lines of file $1 containing $2
# Until file $1 holds >= $3 lines containing $2; prints the seconds since $4 (checked every
# 0.1 s); fails after $5 s.
wait_line() {
  local file=$1 text=$2 n=$3 t0=$4 limit=$5
  while :; do
    if [ "$(count "$file" "$text")" -ge "$n" ]; then since "$t0"; return 0; fi
    if ! kill -0 "$watch_pid" 2>/dev/null; then echo "bench: the watch exited" >&2; return 1; fi
    if awk -v a="$t0" -v b="$(now)" -v l="$limit" 'BEGIN{exit !(b-a > l)}'; then return 1; fi
    sleep 0.1
  done
}
pending() { echo "\"key\":[\"$1\"],\"status\":\"pending\""; }
stats() { # median min max of the numbers in file $1
  sort -g "$1" | awk '{a[NR]=$1} END{m = NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2
                                     printf "%6.2f %6.2f %6.2f", m, a[1], a[NR]}'
}
fail() { echo "bench: $*" >&2; [ -n "${err:-}" ] && { echo "--- watch stderr ---" >&2; tail -20 "$err" >&2; }; exit 1; }

start_watch() { # $1: workspace; $2: name of its output files
  out=$work/$2.out; err=$work/$2.err
  : > "$out"; : > "$err"
  "$cli" watch --workspace "$1" --events > "$out" 2> "$err" &
  watch_pid=$!
  wait_line "$out" '"event":"ready"' 1 "$(now)" 60 >/dev/null || fail "the watch did not get ready"
}
stop_watch() { # SIGTERM (state flushed first); its exit code in $code
  code=0
  kill -TERM "$watch_pid"; wait "$watch_pid" || code=$?
  watch_pid=
}

# Two databases (or pairs) on the business server, ROWS identical rows K001..K300.
log "starting the servers"
bash "$fixture" start "$biz" >&2
bash "$fixture" start "$store" >&2
bport=$(cat "$biz/port"); sport=$(cat "$store/port")
for db in src dst src2 dst2; do
  q "$bport" postgres "CREATE DATABASE $db"
  q "$bport" "$db" "CREATE TABLE devices (sku text PRIMARY KEY, qty int, updated_at timestamptz);
    INSERT INTO devices SELECT 'K' || lpad(i::text, 3, '0'), i, '2026-01-01T00:00:00Z'
      FROM generate_series(1, $ROWS) i"
done
workspace() { # $1: file, $2 $3: databases, $4: "state" entry or empty
  cat > "$1" <<JSON
{"version": 1, $4
 "systems": [
  {"name": "src", "kind": "postgres", "conninfo": "host=127.0.0.1 port=$bport user=postgres dbname=$2"},
  {"name": "dst", "kind": "postgres", "conninfo": "host=127.0.0.1 port=$bport user=postgres dbname=$3"}],
 "flows": [{"name": "devices", "source": {"system": "src", "table": "devices"},
   "target": {"system": "dst", "table": "devices"}, "key": ["sku"], "fields": ["qty"],
   "direction": "one-way", "sla_seconds": 300}]}
JSON
}

# 1. Hang drill.
workspace "$work/hang.json" src dst ""
log "hang drill: $ROUNDS rounds (state: SQLite file beside the workspace)"
start_watch "$work/hang.json" hang
: > "$work/detect.txt"; : > "$work/recover.txt"; : > "$work/flow.txt"; : > "$work/lines.txt"
for r in $(seq 1 "$ROUNDS"); do
  down0=$(count "$err" "system 'src' unavailable"); back0=$(count "$err" "system 'src' back")
  ddown0=$(count "$err" "system 'dst' unavailable"); dback0=$(count "$err" "system 'dst' back")
  t0=$(now)
  bash "$fixture" pause "$biz" >/dev/null
  d=$(wait_line "$err" "system 'src' unavailable" $((down0 + 1)) "$t0" 60) \
    || fail "round $r: no 'unavailable' line 60 s after the pause"
  sleep "$HOLD"   # still hung: retries must print nothing more
  t1=$(now)
  bash "$fixture" unpause "$biz" >/dev/null
  b=$(wait_line "$err" "system 'src' back" $((back0 + 1)) "$t1" 60) \
    || fail "round $r: no 'back' line 60 s after the unpause"
  key=$(printf 'K%03d' "$r")
  t2=$(now)
  q "$bport" src "UPDATE devices SET qty = qty + 1000, updated_at = now() WHERE sku = '$key'"
  f=$(wait_line "$out" "$(pending "$key")" 1 "$t2" 60) \
    || fail "round $r: no pending event for $key 60 s after its change"
  # dst may be found hung too (by its own timeouts): let it come back before the next round.
  ddown=$(( $(count "$err" "system 'dst' unavailable") - ddown0 ))
  [ "$ddown" -eq 0 ] || wait_line "$err" "system 'dst' back" $((dback0 + ddown)) "$t1" 60 >/dev/null || true
  sleep 2   # a window in which no further line may come (not a wait for one)
  down=$(( $(count "$err" "system 'src' unavailable") - down0 ))
  back=$(( $(count "$err" "system 'src' back") - back0 ))
  dback=$(( $(count "$err" "system 'dst' back") - dback0 ))
  echo "$d" >> "$work/detect.txt"; echo "$b" >> "$work/recover.txt"; echo "$f" >> "$work/flow.txt"
  echo "$down $back $ddown $dback" >> "$work/lines.txt"
  log "  round $r: unavailable after $d s, back after $b s, change seen $f s after it;" \
      "lines src $down/$back, dst $ddown/$dback (unavailable/back)"
done
stop_watch; hang_code=$code
hang_noise=$(grep -c 'FATAL\|NOTICE' "$err" || true)

# 2. State store drill.
workspace "$work/store.json" src2 dst2 "\"state\": \"postgresql://postgres@127.0.0.1:$sport/postgres\","
log "state store drill: $CHANGES changes while the store's server is down"
start_watch "$work/store.json" store
# The store is in use (the desk's status is written about once a second).
for _ in $(seq 100); do
  [ "$(q "$sport" postgres "SELECT count(*) > 0 FROM desk_status" 2>/dev/null)" = t ] && break
  sleep 0.1
done
[ "$(q "$sport" postgres "SELECT count(*) > 0 FROM desk_status" 2>/dev/null)" = t ] || fail "the state store is not written"
first=51; last=$((50 + CHANGES))
keys="SELECT '[\"K' || lpad(i::text, 3, '0') || '\"]' FROM generate_series($first, $last) i"
before=$(q "$sport" postgres "SELECT count(*) FROM baselines WHERE flow = 'devices' AND in_sync = 0 AND record_key IN ($keys)")
[ "$before" = 0 ] || fail "$before out-of-sync baselines for the keys before they changed"
t0=$(now)
bash "$fixture" kill "$store" >/dev/null
changed_ms=$(( $(date +%s%3N) - 1000 ))
q "$bport" src2 "UPDATE devices SET qty = qty + 1000, updated_at = now()
  WHERE sku BETWEEN 'K$(printf %03d $first)' AND 'K$(printf %03d $last)'"
lost_line=$(wait_line "$err" "state store unavailable" 1 "$t0" 60) || fail "no 'state store unavailable' line"
t1=$(now)
while :; do
  seen=$(grep -o '"key":\["K[0-9]*"\],"status":"pending"' "$out" | grep -o 'K[0-9]*' |
         awk -v a="$first" -v b="$last" '{n = substr($1, 2) + 0} n >= a && n <= b' | sort -u | wc -l || true)
  [ "$seen" -ge "$CHANGES" ] && break
  awk -v a="$t1" -v b="$(now)" 'BEGIN{exit !(b-a > 60)}' && fail "only $seen of $CHANGES pending events while the store is down"
  sleep 0.1
done
sleep 3   # retried meanwhile: still one line
t2=$(now)
bash "$fixture" resume "$store" >/dev/null
started=$(since "$t2")
t3=$(now)   # it answers again
back_line='' visible=''
while [ -z "$back_line" ] || [ -z "$visible" ]; do
  if [ -z "$back_line" ] && [ "$(count "$err" "state store back")" -ge 1 ]; then back_line=$(since "$t3"); fi
  if [ -z "$visible" ] && [ "$(q "$sport" postgres "SELECT count(*) FROM baselines WHERE flow = 'devices'
        AND in_sync = 0 AND known = 1 AND source_changed_at >= $changed_ms AND record_key IN ($keys)" \
        2>/dev/null || true)" = "$CHANGES" ]; then visible=$(since "$t3"); fi
  if awk -v a="$t3" -v b="$(now)" 'BEGIN{exit !(b-a > 60)}'; then break; fi
  sleep 0.1
done
store_lost_lines=$(count "$err" "state store unavailable"); store_back_lines=$(count "$err" "state store back")
stop_watch; store_code=$code
store_noise=$(grep -c 'FATAL\|NOTICE' "$err" || true)
kept=$(q "$sport" postgres "SELECT count(*) FROM baselines WHERE flow = 'devices' AND in_sync = 0
  AND known = 1 AND source_changed_at >= $changed_ms AND record_key IN ($keys)")
lost=$((CHANGES - kept))

# The report.
ok=1
miss() { ok=0; echo "  NOT met: $*"; }
echo
echo "hang drill, $ROUNDS rounds (seconds)      median    min    max   target"
printf "  paused -> 'src unavailable'        %s   <= 30\n" "$(stats "$work/detect.txt")"
printf "  unpaused -> 'src back'             %s   <= 10\n" "$(stats "$work/recover.txt")"
printf "  change -> pending event after      %s\n" "$(stats "$work/flow.txt")"
echo "  lines per incident (src unavailable/back, each round): $(awk '{printf "%s%d/%d", (NR > 1 ? ", " : ""), $1, $2}' "$work/lines.txt")   (target 1/1)"
echo "  (dst, on the same server: $(awk '{printf "%s%d/%d", (NR > 1 ? ", " : ""), $3, $4}' "$work/lines.txt"))"
echo "  watch exit code on SIGTERM: $hang_code; FATAL/NOTICE lines: $hang_noise"
echo
echo "state store drill, $CHANGES changes while its server was down"
echo "  killed -> 'state store unavailable':   ${lost_line} s"
echo "  all $CHANGES pending events while down:    yes"
echo "  resume took ${started} s; from when it answers:"
echo "    -> 'state store back' line:          ${back_line:-none in 60} s   (target <= 10)"
echo "    -> all $CHANGES baselines in the store:   ${visible:-not in 60} s   (target <= 10)"
echo "  lines: unavailable $store_lost_lines, back $store_back_lines   (target 1, 1)"
echo "  watch exit code on SIGTERM: $store_code; FATAL/NOTICE lines: $store_noise"
echo "  changes lost: $lost of $CHANGES ($kept baselines with in_sync = 0)   (target 0)"
echo
awk '$1 > 30 {bad = 1} END {exit !bad}' "$work/detect.txt" && miss "a hang reported after more than 30 s"
awk '$1 > 10 {bad = 1} END {exit !bad}' "$work/recover.txt" && miss "a recovery reported after more than 10 s"
awk '$1 != 1 || $2 != 1 || $3 > 1 || $4 > 1 {bad = 1} END {exit !bad}' "$work/lines.txt" && miss "not one line per incident"
[ "$hang_code" = 0 ] && [ "$store_code" = 0 ] || miss "a watch did not exit 0 on SIGTERM"
[ "$hang_noise" = 0 ] && [ "$store_noise" = 0 ] || miss "raw FATAL or NOTICE lines on stderr"
[ -n "$back_line" ] && awk -v x="$back_line" 'BEGIN{exit !(x <= 10)}' || miss "'state store back' not within 10 s"
[ -n "$visible" ] && awk -v x="$visible" 'BEGIN{exit !(x <= 10)}' || miss "the baselines not in the store within 10 s"
[ "$store_lost_lines" = 1 ] && [ "$store_back_lines" = 1 ] || miss "not one state store line each way"
[ "$lost" = 0 ] || miss "$lost changes lost"
if [ "$ok" = 1 ]; then echo "all targets met"; else exit 1; fi
