#!/usr/bin/env bash
# Benchmark (not a test): syncdesk-cli diff --method checksum against its floor, SELECT count(*)
# on both sides in parallel (issue 14: identical tables <= 3x, 0.1 % of rows different <= 5x).
#   tests/bench/checksum-bench.sh [N] [DIFF_PCT] [RUNS]     defaults: 10000000 0.1 3
# Uses the shared data kit (../shared/bench, or $BENCH_KIT): database src, database dst with
# DIFF_PCT % of rows updated, deleted or inserted (counts in expected.json), and database
# same, a file-level copy of src (the identical case); database few, another copy of src with
# a handful of rows changed (10 updated, 5 deleted, 5 inserted: the hash-bucket path).
# SKIP_GEN=1 reuses what is there. Also times --method auto and --method rows once per run on
# the PCT % pair, for scale. `BUILD` points at the build folder.
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
  q -d postgres -c "DROP DATABASE IF EXISTS few WITH (FORCE)"
  q -d postgres -c "CHECKPOINT"
fi
if ! q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'few'" | grep -q 1; then
  q -d postgres -c "CREATE DATABASE few TEMPLATE same"
  # Keys as gen.sh makes them: 'SKU' || lpad(i * 10, 10, '0'); inserted keys end in 5.
  q -d few -c "UPDATE devices SET qty = qty + 1 WHERE sku IN (SELECT 'SKU' || lpad((i * 10)::text, 10, '0') FROM generate_series(1, $N, $N / 10) i)"
  q -d few -c "DELETE FROM devices WHERE sku IN (SELECT 'SKU' || lpad((i * 10 + 30)::text, 10, '0') FROM generate_series(1, $N - 10, $N / 5) i)"
  q -d few -c "INSERT INTO devices (sku, model, grade, status, price_cents, qty) SELECT 'SKU' || lpad((i * 10 + 5)::text, 10, '0'), 'new', 'A', 'in_stock', 1, 1 FROM generate_series(1, $N - 10, $N / 5) i"
  q -d few -c "VACUUM ANALYZE devices"
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
workspace "$WORK/checksum-few.json" few

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }
field() { grep -o "\"$1\":[0-9a-z\"]*" <<<"$2" | cut -d: -f2 | tr -d '"'; }
check() { # $1 output, $2 expected in_sync different missing_in_target missing_in_source
  local got; got="$(field in_sync "$1") $(field different "$1") $(field missing_in_target "$1") $(field missing_in_source "$1")"
  [ "$got" = "$2" ] || { echo "bench: counts $got, expected $2" >&2; exit 1; }
}
exp_diff="$(field in_sync "$(tr -d ' ' < "$WORK/expected.json")") $(field different "$(tr -d ' ' < "$WORK/expected.json")") $(field missing_in_target "$(tr -d ' ' < "$WORK/expected.json")") $(field missing_in_source "$(tr -d ' ' < "$WORK/expected.json")")"
exp_same="$N 0 0 0"
exp_few="$((N - 15)) 10 5 5"

run_diff() { # $1 workspace, $2 expected counts, rest: options -> "seconds peak-KB rows-read"
  local ws=$1 want=$2; shift 2
  local t0 out s
  t0=$(now)
  out=$(/usr/bin/time -f '%M' -o "$WORK/rss" "$cli" diff --workspace "$ws" --flow devices --json "$@" || true)
  s=$(elapsed "$t0" "$(now)")
  check "$out" "$want"
  echo "$s $(tail -1 "$WORK/rss")"
}

declare -a floor same few diff auto rows rss_same rss_diff rss_few
for run in $(seq "$RUNS"); do
  t0=$(now)
  q -d src -c "SELECT count(*) FROM devices" >/dev/null & q -d dst -c "SELECT count(*) FROM devices" >/dev/null; wait
  floor+=("$(elapsed "$t0" "$(now)")")
  read -r s k < <(run_diff "$WORK/checksum-same.json" "$exp_same" --method checksum); same+=("$s"); rss_same+=("$k")
  read -r s k < <(run_diff "$WORK/checksum-few.json" "$exp_few" --method checksum); few+=("$s"); rss_few+=("$k")
  read -r s k < <(run_diff "$WORK/checksum-diff.json" "$exp_diff" --method checksum); diff+=("$s"); rss_diff+=("$k")
  read -r s k < <(run_diff "$WORK/checksum-diff.json" "$exp_diff" --method auto); auto+=("$s")
  read -r s k < <(run_diff "$WORK/checksum-diff.json" "$exp_diff" --method rows); rows+=("$s")
  echo "run $run: floor ${floor[-1]} s, checksum identical ${same[-1]} s, checksum 20 rows ${few[-1]} s, checksum $PCT % ${diff[-1]} s, auto $PCT % ${auto[-1]} s, rows $PCT % ${rows[-1]} s"
done

med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mf=$(med "${floor[@]}"); ms=$(med "${same[@]}"); mw=$(med "${few[@]}"); md=$(med "${diff[@]}"); ma=$(med "${auto[@]}"); mr=$(med "${rows[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
echo
echo "N=$N diff=$PCT% runs=$RUNS (medians; counts checked every run)"
echo "floor: SELECT count(*) on both sides in parallel  $mf s"
# Each run's own ratio too (its floor and its diffs back to back), which this machine's
# drifting speed moves alike.
paired() { local -n xs=$1; local out=() i; for i in "${!xs[@]}"; do out+=("$(ratio "${xs[$i]}" "${floor[$i]}")"); done; med "${out[@]}"; }
echo "paired (median of per-run ratios): identical $(paired same)x, 20 rows $(paired few)x, $PCT % $(paired diff)x, auto $(paired auto)x, rows $(paired rows)x"
echo "checksum, identical tables      $ms s  $(ratio "$ms" "$mf")x the floor  peak RSS $(( $(med "${rss_same[@]}" | cut -d. -f1) / 1024 )) MB"
echo "checksum, 20 rows different      $mw s  $(ratio "$mw" "$mf")x the floor  peak RSS $(( $(med "${rss_few[@]}" | cut -d. -f1) / 1024 )) MB"
echo "checksum, $PCT % rows different   $md s  $(ratio "$md" "$mf")x the floor  peak RSS $(( $(med "${rss_diff[@]}" | cut -d. -f1) / 1024 )) MB"
echo "auto, $PCT % rows different       $ma s  $(ratio "$ma" "$mf")x the floor"
echo "rows (for scale), $PCT % different  $mr s  $(ratio "$mr" "$mf")x the floor"
