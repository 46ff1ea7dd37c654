#!/usr/bin/env bash
# Benchmark (not a test): how soon a signed webhook delivery shows as a pending record on
# `syncdesk-cli watch --events` (issue 12: <= 100 ms p99 after the webhook is received).
#   tests/bench/webhook-bench.sh [ROUNDS] [RECORDS]     defaults: 300 1000
# json-server (tests/support/http-servers.sh) holds RECORDS items, a SQLite file the same;
# each round edits one item on json-server and sends a Standard Webhooks delivery naming it
# (tests/bench/webhook-bench.js), then times the event line from the moment the delivery was
# sent. Each round uses its own record, so every round is a fresh change.
set -euo pipefail
ROUNDS=${1:-300}
RECORDS=${2:-1000}
root=$(cd "$(dirname "$0")/../.." && pwd)
cli=${BUILD:-$root/build}/app/syncdesk-cli
servers=$root/.cache/test-servers/node_modules/.bin
[ -x "$cli" ] || { echo "bench: $cli not built" >&2; exit 2; }
[ -x "$servers/json-server" ] || { echo "bench: run tests/support/http-servers.sh install first" >&2; exit 2; }
[ "$ROUNDS" -le "$RECORDS" ] || { echo "bench: ROUNDS must not exceed RECORDS" >&2; exit 2; }
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api_port=$(free_port)
hook_port=$(free_port)

python3 - "$work" "$RECORDS" <<'PY'
import json, sqlite3, sys
work, n = sys.argv[1], int(sys.argv[2])
json.dump({"items": [{"id": i, "name": f"n{i}"} for i in range(1, n + 1)]}, open(f"{work}/db.json", "w"))
db = sqlite3.connect(f"{work}/t.db")
db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
db.executemany("INSERT INTO items VALUES (?, ?)", [(i, f"n{i}") for i in range(1, n + 1)])
db.commit()
PY
"$servers/json-server" --host 127.0.0.1 --port "$api_port" --quiet "$work/db.json" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -s -o /dev/null "http://127.0.0.1:$api_port/items/1"; do sleep 0.2; done

cat > "$work/ws.json" <<JSON
{"version": 1, "systems": [
  {"name": "api", "kind": "http", "base_url": "http://127.0.0.1:$api_port"},
  {"name": "lite", "kind": "sqlite", "path": "$work/t.db"}],
 "flows": [{"name": "items",
  "source": {"system": "api", "resource": "items",
             "webhook": {"listen": "127.0.0.1:$hook_port", "path": "/hooks/items",
                         "secret": {"env": "BENCH_HOOK_SECRET"}}},
  "target": {"system": "lite", "table": "items"}, "key": ["id"], "fields": ["name"]}]}
JSON
key=$(head -c 32 /dev/urandom | base64)
node "$root/tests/bench/webhook-bench.js" "$cli" "$work/ws.json" "http://127.0.0.1:$api_port" \
  "http://127.0.0.1:$hook_port/hooks/items" "$key" "$ROUNDS" "$RECORDS" > "$work/latencies"
sort -g "$work/latencies" | awk '{a[NR]=$1} END {
  i50=int(NR*0.50+0.5); if(i50<1)i50=1; i99=int(NR*0.99+0.5); if(i99<1)i99=1; if(i99>NR)i99=NR;
  printf "webhook-bench: %d deliveries: delivery -> pending event p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", NR, a[i50], a[i99], a[NR] }'
