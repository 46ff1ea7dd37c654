#!/usr/bin/env bash
# Benchmark (not a test): syncdesk-cli diff --method checksum against its floor, SELECT count(*)
# on both sides in parallel (issue 14: identical tables <= 3x, 0.1 % of rows different <= 5x).
#   tests/bench/checksum-bench.sh [N] [DIFF_PCT] [RUNS]     defaults: 10000000 0.1 3
# Uses the shared data kit (../shared/bench, or $BENCH_KIT): database src, database dst with
# DIFF_PCT % of rows updated, deleted or inserted (counts in expected.json), and database
# same, a file-level copy of src (the identical case). SKIP_GEN=1 reuses what is there.
# Also times --method auto (which reads rows where a sample shows differences all over) and
# --method rows once per run, for scale. `BUILD` points at the build folder.
set -euo pipefail
N=${1:-10000000}
PCT=${2:-0.1}
RUNS=${3:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
kit=${BENCH_KIT:-$root/../shared/bench}
cli=${BUILD:-$root/build}/app/syncdesk-cli
[ -f "$kit/gen.sh" ] || { echo "bench: data kit not found at $kit (set BENCH_KIT)" >&2; exit 2; }
[ -x "$cli" ] || { echo "bench: $cli not built" >&2; exit 2; }
. "$kit/lib.sh"

if [ "${SKIP_GEN:-0}" != 1 ]; then
  bash "$kit/pg-up.sh"
  bash "$kit/gen.sh" "$N" "$PCT"
  q -d postgres -c "DROP DATABASE IF EXISTS same WITH (FORCE)"
  q -d postgres -c "CREATE DATABASE same TEMPLATE src"
  q -d same -c "DROP SCHEMA mirror CASCADE"
  q -d same -c "VACUUM (FREEZE, ANALYZE) devices"
  q -d postgres -c "CHECKPOINT"
fi

workspace() { # $1 file, $2 target database
  cat > "$1" <<JSON
{"version": 1, "systems": [
  {"name": "src", "kind": "postgres", "conninfo": "host=$PGHOST port=$PGPORT user=$PGUSER dbname=src"},
  {"name": "dst", "kind": "postgres", "conninfo": "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$2"}],
 "flows": [{"name": "devices", "source": {"system": "src", "table": "devices"},
  "target": {"system": "dst", "table": "devices"}, "key": ["sku"],
  "fields": ["model", "grade", "status", "price_cents", "qty"]}]}
JSON
}
workspace "$WORK/checksum-diff.json" dst
workspace "$WORK/checksum-same.json" same

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }
field() { grep -o "\"$1\":[0-9a-z\"]*" <<<"$2" | cut -d: -f2 | tr -d '"'; }
check() { # $1 output, $2 expected in_sync different missing_in_target missing_in_source
  local got; got="$(field in_sync "$1") $(field different "$1") $(field missing_in_target "$1") $(field missing_in_source "$1")"
  [ "$got" = "$2" ] || { echo "bench: counts $got, expected $2" >&2; exit 1; }
}
exp_diff="$(field in_sync "$(tr -d ' ' < "$WORK/expected.json")") $(field different "$(tr -d ' ' < "$WORK/expected.json")") $(field missing_in_target "$(tr -d ' ' < "$WORK/expected.json")") $(field missing_in_source "$(tr -d ' ' < "$WORK/expected.json")")"
exp_same="$N 0 0 0"

run_diff() { # $1 workspace, $2 expected counts, rest: options -> "seconds peak-KB rows-read"
  local ws=$1 want=$2; shift 2
  local t0 out s
  t0=$(now)
  out=$(/usr/bin/time -f '%M' -o "$WORK/rss" "$cli" diff --workspace "$ws" --flow devices --json "$@" || true)
  s=$(elapsed "$t0" "$(now)")
  check "$out" "$want"
  echo "$s $(tail -1 "$WORK/rss")"
}

declare -a floor same diff auto rows rss_same rss_diff
for run in $(seq "$RUNS"); do
  t0=$(now)
  q -d src -c "SELECT count(*) FROM devices" >/dev/null & q -d dst -c "SELECT count(*) FROM devices" >/dev/null; wait
  floor+=("$(elapsed "$t0" "$(now)")")
  read -r s k < <(run_diff "$WORK/checksum-same.json" "$exp_same" --method checksum); same+=("$s"); rss_same+=("$k")
  read -r s k < <(run_diff "$WORK/checksum-diff.json" "$exp_diff" --method checksum); diff+=("$s"); rss_diff+=("$k")
  read -r s k < <(run_diff "$WORK/checksum-diff.json" "$exp_diff" --method auto); auto+=("$s")
  read -r s k < <(run_diff "$WORK/checksum-diff.json" "$exp_diff" --method rows); rows+=("$s")
  echo "run $run: floor ${floor[-1]} s, checksum identical ${same[-1]} s, checksum $PCT % ${diff[-1]} s, auto $PCT % ${auto[-1]} s, rows $PCT % ${rows[-1]} s"
done

med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mf=$(med "${floor[@]}"); ms=$(med "${same[@]}"); md=$(med "${diff[@]}"); ma=$(med "${auto[@]}"); mr=$(med "${rows[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
echo
echo "N=$N diff=$PCT% runs=$RUNS (medians; counts checked every run)"
echo "floor: SELECT count(*) on both sides in parallel  $mf s"
echo "checksum, identical tables      $ms s  $(ratio "$ms" "$mf")x the floor  peak RSS $(( $(med "${rss_same[@]}" | cut -d. -f1) / 1024 )) MB"
echo "checksum, $PCT % rows different   $md s  $(ratio "$md" "$mf")x the floor  peak RSS $(( $(med "${rss_diff[@]}" | cut -d. -f1) / 1024 )) MB"
echo "auto, $PCT % rows different       $ma s  $(ratio "$ma" "$mf")x the floor"
echo "rows (for scale), $PCT % different  $mr s  $(ratio "$mr" "$mf")x the floor"
