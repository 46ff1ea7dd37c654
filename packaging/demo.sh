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

seconds=${SYNCDESK_DEMO_SECONDS:-45}
batch=$(( seconds / 3 > 0 ? seconds / 3 : 1 ))
echo "No display here: playing the demo headless for $seconds s (a batch sync every $batch s)."
echo "On a desktop, the console shows the same: $console --demo (the story told: $demo.story.log)"
rm -f "$demo/demo.json"
"$cli" demo --out "$demo" --seconds "$seconds" --batch-seconds "$batch" --fail-every 2 > "$demo.story.log" &
player=$!
trap 'kill $player 2>/dev/null || true' EXIT
# The workspace is there once the player has written it.
for _ in $(seq 1 100); do [ -f "$demo/demo.json" ] && break; sleep 0.1; done
# The live table, a frame every 5 s (on a terminal, watch redraws it in place every second).
echo "\$ syncdesk-cli watch --workspace $demo/demo.json --table"
timeout --signal=TERM $(( seconds - 3 )) "$cli" watch --workspace "$demo/demo.json" --table 2>/dev/null || [ $? -eq 124 ]
wait "$player"
echo "\$ syncdesk-cli diff --workspace $demo/demo.json --flow devices"
set +e
"$cli" diff --workspace "$demo/demo.json" --flow devices
code=$?
set -e
# 1 means differences were found: the demo's conflicts and hand edits wait for an operator.
[ "$code" -le 1 ] || exit "$code"
