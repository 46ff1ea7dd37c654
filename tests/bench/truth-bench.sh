#!/usr/bin/env bash
# Benchmark (not a test): the randomized differential test of `watch --events`
# (tests/integration/tst_truth.cpp) run ten times longer, over several seeds.
#   tests/bench/truth-bench.sh [OPS] [SEEDS] [KEYS]     defaults: 10000 "1 2 3" 1000
# OPS operations per feed kind (PostgreSQL logical, notify, polling; SQLite polling; and
# five times OPS on PostgreSQL logical beside two busy loops of the test's own) and per seed,
# on KEYS records in sync at the start (more records, bigger rounds: fewer settles).
# Starts its own throwaway PostgreSQL with the suite's fixture script; `BUILD` points at the
# build folder (tst_truth and syncdesk-cli built), `SYNCDESK_CLI` at another syncdesk-cli.
# `HOG=N` keeps N busy loops running (nice 10) meanwhile: a loaded machine, where a commit told
# by logical decoding stays invisible to other sessions longer (the race reads must survive).
# `KINDS="pg-logical …"` runs only those feed kinds.
# Prints per seed and kind: operations, rounds, wrong statuses, records right only after
# their round was judged (slow, not wrong), the longest settle; then the totals per kind
# against the target: 0 wrong statuses in >= 10,000 operations per feed kind.
set -euo pipefail
OPS=${1:-10000}
SEEDS=${2:-"1 2 3"}
KEYS=${3:-1000}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
work=${WORK:-/tmp/syncdesk-truth-bench}
test=$build/tests/tst_truth
[ -x "$test" ] || {
  echo "bench: $test not built (cmake --build build --target tst_truth syncdesk-cli)" >&2; exit 2; }
mkdir -p "$work"
fixture=$work/pg
hogs=()
cleanup() {
  for h in "${hogs[@]}"; do kill "$h" 2>/dev/null || true; done
  bash "$root/tests/support/pg-fixture.sh" stop "$fixture" >/dev/null 2>&1 || true
}
trap cleanup EXIT
bash "$root/tests/support/pg-fixture.sh" start "$fixture" >&2
for _ in $(seq 1 "${HOG:-0}"); do nice -n 10 bash -c 'while :; do :; done' & hogs+=($!); done
rows=()
for kind in ${KINDS:-}; do rows+=("shouldReportTheTrueStatusOfEveryRecord:$kind"); done

results=$work/results.txt
: > "$results"
rm -f "$work"/cases-*.txt
for seed in $SEEDS; do
  log=$work/seed-$seed.log
  echo "[$(date +%T)] seed $seed: $OPS operations per feed kind on $KEYS records (log: $log)" >&2
  t0=$EPOCHREALTIME
  # A failing row is the expected outcome on an engine with wrong statuses: keep going.
  SYNCDESK_PG_FIXTURE_DIR=$fixture SYNCDESK_TRUTH_OPS=$OPS SYNCDESK_TRUTH_SEED=$seed \
    SYNCDESK_TRUTH_KEYS=$KEYS QTEST_FUNCTION_TIMEOUT=86400000 \
    "$test" -maxwarnings 0 ${rows[@]+"${rows[@]}"} > "$log" 2>&1 || true
  # cleanupTestCase prints: truth: KIND ops N rounds R wrong W max_settle_ms M seconds S slow L
  if ! grep -q 'truth: [a-z-]* *ops ' "$log"; then
    echo "bench: seed $seed gave no figures; the end of its log:" >&2; tail -20 "$log" >&2; exit 1
  fi
  grep -o 'truth: [a-z-]* *ops .*' "$log" |
    awk -v seed="$seed" '{print seed, $2, $4, $6, $8, $10, $12, $14}' >> "$results"
  grep -o 'truth\[[a-z-]*\]:  *[0-9]* x .*' "$log" >> "$work/cases-$seed.txt" || true
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "  seed done in %.0f s\n", b-a}' >&2
  if grep -q 'FAIL!.*returned FALSE\|FAIL!.*never reported\|watch did not get ready' "$log"; then
    echo "  (a kind stopped early: see $log)" >&2
  fi
done

echo "seed  kind                  ops   rounds  wrong   slow  max_settle_ms  seconds"
awk '{printf "%-5s %-17s %9d %7d %6d %6d %14d %8.1f\n", $1, $2, $3, $4, $5, $8, $6, $7}' "$results"
echo
echo "per kind, all seeds             ops  wrong  max_settle_ms   (target: 0 wrong in >= 10,000 ops)"
awk '{ops[$2] += $3; wrong[$2] += $5; if ($6 > settle[$2]) settle[$2] = $6}
     END {for (k in ops) printf "  %-17s %14d %6d %14d   %s\n", k, ops[k], wrong[k], settle[k],
            (wrong[k] == 0 && ops[k] >= 10000) ? "met" : "NOT met"}' "$results" | sort
echo
echo "wrong statuses by last operation (all seeds; details with history in the logs):"
cat "$work"/cases-*.txt 2>/dev/null | sed 's/^truth\[\([a-z-]*\)\]: *\([0-9]*\) x /\1\t\2\t/' |
  awk -F'\t' '{n[$1 "\t" $3] += $2}
    END {for (k in n) {split(k, p, "\t"); printf "  %-17s %6d x %s\n", p[1], n[k], p[2]}}' |
  sort -k1,1 -k2,2nr
rm -f "$work"/cases-*.txt
