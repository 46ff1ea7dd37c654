#!/usr/bin/env bash
# Benchmark (not a test): a long-lived desk's audit log. Fills an SQLite state store with N
# audit entries (default 10,000,000: a year of a busy desk) over K records (default 100,000),
# then times what the console and every resolution read from it: a record's history (a click
# on a record; target <= 100 ms), the entries of one resolution (an undo) and the open intents
# (each resolution's start), each over RUNS random records; and, as the floor it replaces, one
# pass over the whole log as a record click used to make (P entries, default 1,000,000).
set -euo pipefail
N=${1:-10000000}
K=${2:-100000}
RUNS=${3:-500}
P=${4:-1000000}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
work=${WORK:-/tmp/syncdesk-audit-history-bench}
mkdir -p "$work"
printf '{"version": 1, "systems": [], "flows": []}\n' > "$work/audit.json"
rm -f "$work/audit.state.db"*
t0=$EPOCHREALTIME
"$build/tests/bench/audit_fill" "$work/audit.json" "$N" "$K"
awk -v a="$t0" -v b="$EPOCHREALTIME" -v n="$N" 'BEGIN{printf "filled %d entries in %.0f s\n", n, b-a}'
echo "state store: $(du -h "$work/audit.state.db" | cut -f1)"
/usr/bin/time -f 'peak RSS %M KB' "$build/tests/bench/audit_history" "$work/audit.json" "$K" "$RUNS"

# The floor it replaces: a record click before version 7 read the whole log (the flow's
# entries selected, the chain verified), here on a log of P entries.
rm -f "$work/audit.state.db"*
"$build/tests/bench/audit_fill" "$work/audit.json" "$P" "$K" >/dev/null
/usr/bin/time -f 'peak RSS %M KB' "$build/tests/bench/audit_history" "$work/audit.json" --whole
