#!/usr/bin/env bash
# Creates the demo data (a warehouse and a sales tool, as SQLite files), compares them with
# syncdesk-cli the way a script would, then opens the console on them (when there is a display).
#   packaging/demo.sh [BUILD_DIR] [DEMO_DIR]   defaults: build, /tmp/syncdesk-demo
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
demo=${2:-${TMPDIR:-/tmp}/syncdesk-demo}
cli="$build/app/syncdesk-cli"
[ -x "$cli" ] || { echo "demo: $cli not found; build first (see README)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "demo: sqlite3 is missing; run packaging/install-deps.sh" >&2; exit 2; }

rm -rf "$demo" && mkdir -p "$demo" && cd "$demo"
sqlite3 warehouse.db < "$root/resources/demo/warehouse.sql"
sqlite3 sales.db < "$root/resources/demo/sales.sql"          # the last hourly sync, then hand edits
sqlite3 warehouse.db < "$root/resources/demo/warehouse-morning.sql"
cp "$root/resources/demo/demo.workspace.json" demo.json

echo "Demo workspace: $demo/demo.json (warehouse.db → sales.db, flow 'devices')"
echo "\$ syncdesk-cli diff --workspace demo.json --flow devices --list"
set +e
"$cli" diff --workspace demo.json --flow devices --list
code=$?
set -e
# 1 means differences were found, which is what the demo shows.
[ "$code" -le 1 ] || exit "$code"

console="$build/ui/syncdesk"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$console" ]; then
  echo "\$ syncdesk demo.json"
  exec "$console" demo.json
fi
echo "No display here: on a desktop, open the console with: $console $demo/demo.json"
