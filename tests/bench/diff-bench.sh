#!/usr/bin/env bash
# Benchmark (not a test): syncdesk-cli diff against the floor of reading both tables once.
#   tests/bench/diff-bench.sh [N] [DIFF_PCT] [RUNS]     defaults: 1000000 1 5
# Uses the shared data kit (../shared/bench, or $BENCH_KIT) to start a throwaway PostgreSQL
# and generate the same data sets everyone measures on; `BUILD` points at the build folder.
# Prints per-run figures, medians, ratios and peak RSS, and checks counts against the kit's
# independent FULL OUTER JOIN (expected.json).
set -euo pipefail
N=${1:-1000000}
PCT=${2:-1}
RUNS=${3:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
kit=${BENCH_KIT:-$root/../shared/bench}
cli=${BUILD:-$root/build}/app/syncdesk-cli
[ -f "$kit/gen.sh" ] || { echo "bench: data kit not found at $kit (set BENCH_KIT)" >&2; exit 2; }
[ -x "$cli" ] || { echo "bench: $cli not built" >&2; exit 2; }
command -v sqldiff >/dev/null || { echo "bench: sqldiff missing (packaging/install-deps.sh)" >&2; exit 2; }
. "$kit/lib.sh"

if [ "${SKIP_GEN:-0}" != 1 ]; then
  bash "$kit/pg-up.sh"
  bash "$kit/gen.sh" "$N" "$PCT"
fi

ws_pg=$WORK/bench-pg.json
ws_sqlite=$WORK/bench-sqlite.json
flow='"flows": [{"name": "devices", "source": {"system": "src", "table": "devices"},
  "target": {"system": "dst", "table": "devices"}, "key": ["sku"],
  "fields": ["model", "grade", "status", "price_cents", "qty"]}]'
cat > "$ws_pg" <<JSON
{"version": 1, "systems": [
  {"name": "src", "kind": "postgres", "conninfo": "host=$PGHOST port=$PGPORT user=$PGUSER dbname=src"},
  {"name": "dst", "kind": "postgres", "conninfo": "host=$PGHOST port=$PGPORT user=$PGUSER dbname=dst"}],
 $flow}
JSON
cat > "$ws_sqlite" <<JSON
{"version": 1, "systems": [
  {"name": "src", "kind": "sqlite", "path": "$WORK/src.db"},
  {"name": "dst", "kind": "sqlite", "path": "$WORK/dst.db"}],
 $flow}
JSON

COPY_SQL='COPY (SELECT sku, model, grade, status, price_cents, qty FROM devices ORDER BY sku) TO STDOUT'
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }

# counts from --json must equal the kit's expected.json
check_counts() {
  local got=$1 key
  for key in in_sync different missing_in_target missing_in_source; do
    want=$(grep -o "\"$key\": [0-9]*" "$WORK/expected.json" | grep -o '[0-9]*$')
    have=$(grep -o "\"$key\":[0-9]*" <<<"$got" | grep -o '[0-9]*$')
    [ "$want" = "$have" ] || { echo "bench: $key is $have, expected $want" >&2; exit 1; }
  done
}

declare -a floor pg pgrss sq sqrss sqd
for run in $(seq "$RUNS"); do
  t0=$(now)
  q -d src -c "$COPY_SQL" >/dev/null & q -d dst -c "$COPY_SQL" >/dev/null; wait
  floor+=("$(elapsed "$t0" "$(now)")")

  t0=$(now)
  out=$(/usr/bin/time -f '%M' -o "$WORK/rss" "$cli" diff --workspace "$ws_pg" --flow devices --method rows --json || true)
  pg+=("$(elapsed "$t0" "$(now)")"); pgrss+=("$(tail -1 "$WORK/rss")")
  check_counts "$out"

  t0=$(now)
  sqldiff --primarykey "$WORK/src.db" "$WORK/dst.db" >/dev/null
  sqd+=("$(elapsed "$t0" "$(now)")")

  t0=$(now)
  out=$(/usr/bin/time -f '%M' -o "$WORK/rss" "$cli" diff --workspace "$ws_sqlite" --flow devices --method rows --json || true)
  sq+=("$(elapsed "$t0" "$(now)")"); sqrss+=("$(tail -1 "$WORK/rss")")
  check_counts "$out"
  echo "run $run: floor ${floor[-1]} s, pg diff ${pg[-1]} s (${pgrss[-1]} KB), sqldiff ${sqd[-1]} s, sqlite diff ${sq[-1]} s (${sqrss[-1]} KB)"
done

med() { printf '%s\n' "$@" | median; }
mf=$(med "${floor[@]}"); mp=$(med "${pg[@]}"); md=$(med "${sqd[@]}"); ms=$(med "${sq[@]}")
echo
echo "N=$N diff=$PCT% runs=$RUNS (medians; counts checked against expected.json every run)"
printf 'PostgreSQL->PostgreSQL  syncdesk %s s  floor (parallel COPY) %s s  ratio %.2fx  peak RSS %d MB\n' \
  "$mp" "$mf" "$(awk -v a="$mp" -v b="$mf" 'BEGIN{print a/b}')" "$(( $(med "${pgrss[@]}" | cut -d. -f1) / 1024 ))"
printf 'SQLite->SQLite          syncdesk %s s  sqldiff --primarykey %s s  ratio %.2fx  peak RSS %d MB\n' \
  "$ms" "$md" "$(awk -v a="$ms" -v b="$md" 'BEGIN{print a/b}')" "$(( $(med "${sqrss[@]}" | cut -d. -f1) / 1024 ))"
