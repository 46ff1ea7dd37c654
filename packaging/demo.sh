#!/usr/bin/env bash
# The main job: the console on the embedded demo (a warehouse, a sales tool and a client portal
# as SQLite files, with their story played live). Without a display, the same story plays
# headless and `syncdesk-cli watch` prints what the console would show.
#   packaging/demo.sh [BUILD_DIR] [DEMO_DIR]   defaults: build, /tmp/syncdesk-demo
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
demo=${2:-${TMPDIR:-/tmp}/syncdesk-demo}
cli="$build/app/syncdesk-cli"
console="$build/ui/syncdesk"
[ -x "$cli" ] && [ -x "$console" ] || { echo "demo: $cli or $console not found; build first (see README)" >&2; exit 2; }

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "\$ syncdesk --demo-dir $demo"
  exec "$console" --demo-dir "$demo"
fi

echo "No display here: playing the demo headless for 45 s (a batch sync every 15 s)."
echo "On a desktop, the console shows the same: $console --demo"
"$cli" demo --out "$demo" --seconds 45 --batch-seconds 15 --fail-every 2 &
player=$!
trap 'kill $player 2>/dev/null || true' EXIT
sleep 1
echo "\$ syncdesk-cli watch --workspace $demo/demo.json --events"
timeout --signal=TERM 42 "$cli" watch --workspace "$demo/demo.json" --events || [ $? -eq 124 ]
wait "$player"
echo "\$ syncdesk-cli diff --workspace $demo/demo.json --flow devices"
set +e
"$cli" diff --workspace "$demo/demo.json" --flow devices
code=$?
set -e
# 1 means differences were found: the demo's conflicts and hand edits wait for an operator.
[ "$code" -le 1 ] || exit "$code"
