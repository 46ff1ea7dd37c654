#!/usr/bin/env bash
# Benchmark (not a test): diff's two ways of pairing records against the floor of reading
# both tables once, in parallel, in no order (COPY … TO STDOUT without ORDER BY).
#   tests/bench/order-bench.sh [N] [RUNS]        defaults: 1000000 5
#   BIG=10000000 tests/bench/order-bench.sh      also N=BIG rows with a 100 MB memory budget
# Uses the shared data kit (../shared/bench, or $BENCH_KIT): a throwaway PostgreSQL and the
# same data everyone measures on (1 % different), copied into ICU-collated (en-US) databases
# next to the kit's C-collated ones. Counts are checked against the kit's expected.json
# every run; peak RSS comes from /usr/bin/time -v.
set -euo pipefail
N=${1:-1000000}
RUNS=${2:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
kit=${BENCH_KIT:-$root/../shared/bench}
cli=${BUILD:-$root/build}/app/syncdesk-cli
[ -f "$kit/gen.sh" ] || { echo "bench: data kit not found at $kit (set BENCH_KIT)" >&2; exit 2; }
[ -x "$cli" ] || { echo "bench: $cli not built" >&2; exit 2; }
. "$kit/lib.sh"

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }
med() { printf '%s\n' "$@" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

# The kit's pair, then the same rows in ICU-collated databases (how most production databases
# sort text: not byte-wise).
prepare() {
  local n=$1
  bash "$kit/gen.sh" "$n" 1
  for db in src dst; do
    q -d postgres -c "DROP DATABASE IF EXISTS ${db}_icu WITH (FORCE)"
    q -d postgres -c "CREATE DATABASE ${db}_icu TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
    q -d "${db}_icu" -c "CREATE TABLE devices(sku text, model text, grade char(1), status text,
                          price_cents bigint, qty int, updated_at timestamptz)"
    q -d "$db" -c "COPY devices TO STDOUT" | q -d "${db}_icu" -c "COPY devices FROM STDIN"
    q -d "${db}_icu" -c "ALTER TABLE devices ADD PRIMARY KEY (sku)"
    q -d "${db}_icu" -c "VACUUM ANALYZE devices"
    q -d "$db" -c "VACUUM ANALYZE devices"
  done
}

pg_system() { # $1 name, $2 database
  echo "{\"name\": \"$1\", \"kind\": \"postgres\", \"conninfo\": \"host=$PGHOST port=$PGPORT user=$PGUSER dbname=$2\"}"
}

workspace() { # $1 file, $2 source system JSON, $3 target system JSON
  cat > "$1" <<JSON
{"version": 1, "systems": [$2, $3],
 "flows": [{"name": "devices", "source": {"system": "src", "table": "devices"},
  "target": {"system": "dst", "table": "devices"}, "key": ["sku"],
  "fields": ["model", "grade", "status", "price_cents", "qty"]}]}
JSON
}

check_counts() {
  local got=$1 key want have
  for key in in_sync different missing_in_target missing_in_source; do
    want=$(grep -o "\"$key\": [0-9]*" "$WORK/expected.json" | grep -o '[0-9]*$')
    have=$(grep -o "\"$key\":[0-9]*" <<<"$got" | grep -o '[0-9]*$')
    [ "$want" = "$have" ] || { echo "bench: $key is $have, expected $want" >&2; exit 1; }
  done
}

COPY_SQL='COPY (SELECT sku, model, grade, status, price_cents, qty FROM devices) TO STDOUT'
floor() { # $1 suffix
  local t0; t0=$(now)
  q -d "src$1" -c "$COPY_SQL" >/dev/null & q -d "dst$1" -c "$COPY_SQL" >/dev/null; wait
  elapsed "$t0" "$(now)"
}

# One diff: prints "seconds peak-KB order spilled"; counts checked.
diff_run() { # $1 workspace, extra args…
  local ws=$1; shift
  local t0 out
  t0=$(now)
  out=$(/usr/bin/time -v -o "$WORK/time.txt" "$cli" diff --workspace "$ws" --flow devices --json "$@" || true)
  local s; s=$(elapsed "$t0" "$(now)")
  check_counts "$out"
  local rss; rss=$(awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print $2}' "$WORK/time.txt")
  local order; order=$(grep -o '"order":"[a-z]*"' <<<"$out" | cut -d'"' -f4)
  echo "$s $rss $order"
}


if [ "${SKIP_GEN:-0}" != 1 ]; then
  bash "$kit/pg-up.sh"
  prepare "$N"
fi
workspace "$WORK/order-c.json" "$(pg_system src src)" "$(pg_system dst dst)"
workspace "$WORK/order-icu.json" "$(pg_system src src_icu)" "$(pg_system dst dst_icu)"
workspace "$WORK/order-sqlite.json" "{\"name\": \"src\", \"kind\": \"sqlite\", \"path\": \"$WORK/src.db\"}" \
  "{\"name\": \"dst\", \"kind\": \"sqlite\", \"path\": \"$WORK/dst.db\"}"

declare -A times rss orders
cases="icu-auto icu-merge c-auto c-merge c-hash sqlite-auto sqlite-merge sqlite-hash"
fl_c=(); fl_icu=(); sqd=()
for run in $(seq "$RUNS"); do
  fl_icu+=("$(floor _icu)")
  fl_c+=("$(floor "")")
  t0=$(now); sqldiff --primarykey "$WORK/src.db" "$WORK/dst.db" >/dev/null; sqd+=("$(elapsed "$t0" "$(now)")")
  for c in $cases; do
    case $c in
      icu-*) ws=$WORK/order-icu.json ;;
      c-*) ws=$WORK/order-c.json ;;
      sqlite-*) ws=$WORK/order-sqlite.json ;;
    esac
    read -r s k o < <(diff_run "$ws" --order "${c#*-}")
    times[$c]+="$s "; rss[$c]+="$k "; orders[$c]=$o
  done
  echo "run $run: floor C ${fl_c[-1]} s, floor ICU ${fl_icu[-1]} s, sqldiff ${sqd[-1]} s;" \
       "$(for c in $cases; do printf '%s %s s; ' "$c" "$(awk '{print $NF}' <<<"${times[$c]}")"; done)"
done

mfc=$(med "${fl_c[@]}"); mfi=$(med "${fl_icu[@]}"); msd=$(med "${sqd[@]}")
echo
echo "N=$N, 1 % different, $RUNS runs, medians; counts checked against expected.json every run"
echo "floor (both tables read at once, no order): C-collated $mfc s, ICU-collated $mfi s; sqldiff --primarykey $msd s"
printf '%-14s %-6s %9s %14s %12s\n' case order seconds "vs floor" "peak RSS"
for c in $cases; do
  # shellcheck disable=SC2086
  m=$(med ${times[$c]}); r=$(med ${rss[$c]})
  case $c in icu-*) f=$mfi ;; c-*) f=$mfc ;; sqlite-*) f=$msd ;; esac
  label="x floor"; [[ $c == sqlite-* ]] && label="x sqldiff"
  printf '%-14s %-6s %9s %8s %-8s %6d MB\n' "$c" "${orders[$c]}" "$m" "$(ratio "$m" "$f")" "$label" "$(( ${r%.*} / 1024 ))"
done

if [ -n "${BIG:-}" ]; then
  echo
  echo "N=$BIG with --memory-budget 100 (one run): preparing…"
  prepare "$BIG" >/dev/null
  f=$(floor _icu)
  read -r s k o < <(diff_run "$WORK/order-icu.json" --method rows --memory-budget 100)
  echo "ICU-collated, $o order: $s s against a floor of $f s ($(ratio "$s" "$f")x), peak RSS $(( k / 1024 )) MB"
fi
