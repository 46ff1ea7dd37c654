#!/usr/bin/env bash
# Benchmark (not a test): `syncdesk-cli audit verify` over N audit entries (default 1,000,000),
# target under 3 s; then `audit export --format pdf` of P entries (default 100,000), target
# under 15 s. Prints the median wall time of RUNS runs and the peak RSS of each.
set -euo pipefail
N=${1:-1000000}
RUNS=${2:-3}
P=${3:-100000}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
work=${WORK:-/tmp/syncdesk-audit-bench}
mkdir -p "$work"
printf '{"version": 1, "systems": [], "flows": []}\n' > "$work/audit.json"
rm -f "$work/audit.state.db"*
"$build/tests/bench/audit_fill" "$work/audit.json" "$N"
echo "state store: $(du -h "$work/audit.state.db" | cut -f1)"
times=()
for _ in $(seq "$RUNS"); do
  t0=$EPOCHREALTIME
  /usr/bin/time -f '%M' -o "$work/rss" "$build/app/syncdesk-cli" audit verify --workspace "$work/audit.json"
  times+=("$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')")
done
printf '%s\n' "${times[@]}" | sort -g | awk -v n="$N" -v rss="$(tail -1 "$work/rss")" \
  '{a[NR]=$1} END {printf "audit verify of %d entries: median %s s (runs: %d), peak RSS %d MB (target < 3 s)\n", n, a[int((NR+1)/2)], NR, rss/1024}'

# The PDF report: a log of P entries, the whole of it exported.
rm -f "$work/audit.state.db"*
"$build/tests/bench/audit_fill" "$work/audit.json" "$P"
times=()
for _ in $(seq "$RUNS"); do
  t0=$EPOCHREALTIME
  /usr/bin/time -f '%M' -o "$work/rss" "$build/app/syncdesk-cli" audit export --workspace "$work/audit.json" \
    --format pdf --out "$work/report.pdf"
  times+=("$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')")
done
pages=$(pdfinfo "$work/report.pdf" | awk '/^Pages:/ {print $2}')
pdftotext -f "$pages" -l "$pages" "$work/report.pdf" - | grep -q "SKU" || { echo "the PDF's last page holds no entries" >&2; exit 1; }
printf '%s\n' "${times[@]}" | sort -g | awk -v n="$P" -v pages="$pages" -v rss="$(tail -1 "$work/rss")" \
  '{a[NR]=$1} END {printf "PDF report of %d entries (%d pages): median %s s (runs: %d), peak RSS %d MB (target < 15 s)\n", n, pages, a[int((NR+1)/2)], NR, rss/1024}'
