#!/usr/bin/env bash
# Benchmark (not a test): syncdesk-cli diff of an HTTP API against PostgreSQL (issue 12:
# 100,000 API records in <= 1.5x the time curl needs to fetch every page sequentially at the
# same page size, peak RSS <= 150 MB; 1,000,000 records, spilling, <= 300 MB).
#   tests/bench/http-bench.sh [N] [DIFF_PCT] [RUNS] [PAGE]     defaults: 100000 0.1 3 1000
# The API serves the shared kit's `src` devices; the target is its `dst` database (DIFF_PCT %
# of rows changed, counts in expected.json, checked every run). SERVER=json-server uses the
# npm json-server (tests/support/http-servers.sh) instead of http-api-server.js, whose pages
# cost the server time proportional to the page only. SKIP_GEN=1 reuses the data.
set -euo pipefail
N=${1:-100000}
PCT=${2:-0.1}
RUNS=${3:-3}
PAGE=${4:-1000}
SERVER=${SERVER:-node}
root=$(cd "$(dirname "$0")/../.." && pwd)
kit=${BENCH_KIT:-$root/../shared/bench}
cli=${BUILD:-$root/build}/app/syncdesk-cli
[ -f "$kit/gen.sh" ] || { echo "bench: data kit not found at $kit (set BENCH_KIT)" >&2; exit 2; }
[ -x "$cli" ] || { echo "bench: $cli not built" >&2; exit 2; }
command -v curl >/dev/null || { echo "bench: curl is needed for the floor" >&2; exit 2; }
. "$kit/lib.sh"

if [ "${SKIP_GEN:-0}" != 1 ]; then
  bash "$kit/pg-up.sh"
  bash "$kit/gen.sh" "$N" "$PCT"
fi
# The API's records: the source table as JSON objects, one per line, in no particular order.
q -d src -c "COPY (SELECT row_to_json(d) FROM devices d) TO STDOUT" > "$WORK/api.jsonl"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [ "$SERVER" = json-server ]; then
  servers=$root/.cache/test-servers/node_modules/.bin
  { printf '{"devices": ['; paste -sd, "$WORK/api.jsonl"; printf ']}'; } > "$WORK/api-db.json"
  "$servers/json-server" --host 127.0.0.1 --port "$port" --quiet "$WORK/api-db.json" >/dev/null 2>&1 &
else
  node "$root/tests/bench/http-api-server.js" "$port" devices "$WORK/api.jsonl" &
fi
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
until curl -s -o /dev/null "http://127.0.0.1:$port/devices?_page=1&_limit=1"; do sleep 0.2; done

cat > "$WORK/http-bench.json" <<JSON
{"version": 1, "systems": [
  {"name": "api", "kind": "http", "base_url": "http://127.0.0.1:$port"},
  {"name": "dst", "kind": "postgres", "conninfo": "host=$PGHOST port=$PGPORT user=$PGUSER dbname=dst"}],
 "flows": [{"name": "devices", "source": {"system": "api", "resource": "devices?_page=1&_limit=$PAGE"},
  "target": {"system": "dst", "table": "devices"}, "key": ["sku"],
  "fields": ["model", "grade", "status", "price_cents", "qty"]}]}
JSON

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }
field() { grep -o "\"$1\":[0-9a-z\"]*" <<<"$2" | cut -d: -f2 | tr -d '"'; }
expected=$(tr -d ' \n' < "$WORK/expected.json")
want="$(field in_sync "$expected") $(field different "$expected") $(field missing_in_target "$expected") $(field missing_in_source "$expected")"
pages=$(( (N + PAGE - 1) / PAGE ))

# One round not counted: the server's JIT and caches warm up on it, not on the first floor.
curl -s -o /dev/null "http://127.0.0.1:$port/devices?_page=[1-$pages]&_limit=$PAGE"
"$cli" diff --workspace "$WORK/http-bench.json" --flow devices --json >/dev/null || true

floors=() ours=() rss=() ratios=()
for run in $(seq "$RUNS"); do
  # The floor: curl fetching every page, one after the other, on one connection.
  t0=$(now)
  curl -s -o /dev/null "http://127.0.0.1:$port/devices?_page=[1-$pages]&_limit=$PAGE"
  floors+=("$(elapsed "$t0" "$(now)")")
  t0=$(now)
  out=$(/usr/bin/time -f '%M' -o "$WORK/rss" "$cli" diff --workspace "$WORK/http-bench.json" --flow devices --json || true)
  ours+=("$(elapsed "$t0" "$(now)")")
  rss+=("$(tail -1 "$WORK/rss")")
  ratios+=("$(awk -v a="${ours[-1]}" -v b="${floors[-1]}" 'BEGIN{printf "%.3f", a/b}')")
  got="$(field in_sync "$out") $(field different "$out") $(field missing_in_target "$out") $(field missing_in_source "$out")"
  [ "$got" = "$want" ] || { echo "bench: counts $got, expected $want ($out)" >&2; exit 1; }
  echo "run $run: curl floor ${floors[-1]} s, syncdesk diff ${ours[-1]} s, peak RSS $(( ${rss[-1]} / 1024 )) MB" >&2
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
f=$(median "${floors[@]}"); o=$(median "${ours[@]}"); r=$(median "${rss[@]}"); p=$(median "${ratios[@]}")
# Two ratios: of the medians, and the median of each run's own ratio (its floor and diff run
# back to back, so a machine whose speed drifts during the call moves both alike).
echo "http-bench: N=$N page=$PAGE server=$SERVER: curl floor $f s, diff $o s ($(awk -v a="$o" -v b="$f" 'BEGIN{printf "%.2f", a/b}')x; paired $(awk -v a="$p" 'BEGIN{printf "%.2f", a}')x), peak RSS $((r / 1024)) MB (medians of $RUNS)"
