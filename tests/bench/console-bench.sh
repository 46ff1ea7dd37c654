#!/usr/bin/env bash
# Benchmark (not a test): the console's records view with N records (default 1,000,000) under
# 1,000 status changes a second for S seconds (default 60), offscreen. Targets: the window's
# event loop never stalls over 50 ms; a key filter over 1M rows under 200 ms; at most 100 bytes
# per record beyond its key bytes.
set -euo pipefail
N=${1:-1000000}
S=${2:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
QT_QPA_PLATFORM=offscreen /usr/bin/time -f 'peak RSS %M KB, %e s wall' "$build/tests/bench/console_bench" "$N" "$S"
