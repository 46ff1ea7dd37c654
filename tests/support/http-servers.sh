#!/usr/bin/env bash
# The third-party HTTP servers the HTTP connector's tests run against, pinned, installed from
# the npm registry into a folder the tests own (.cache/test-servers in the checkout):
#   json-server 0.17.4     REST collections, RFC 8288 Link paging, field_gte filters
#   pouchdb-server 4.2.0   the CouchDB API: _all_docs, _changes, _rev conditional writes
# Usage: http-servers.sh install [DIR]   (does nothing when the pinned versions are there)
set -euo pipefail
cmd=${1:-install}
dir=${2:-$(cd "$(dirname "$0")/../.." && pwd)/.cache/test-servers}
want=("json-server@0.17.4" "pouchdb-server@4.2.0")

installed() { # name version
  local p="$dir/node_modules/$1/package.json"
  [ -f "$p" ] && grep -q "\"version\": \"$2\"" "$p"
}

case "$cmd" in
install)
  if installed json-server 0.17.4 && installed pouchdb-server 4.2.0 \
     && [ -x "$dir/node_modules/.bin/json-server" ] && [ -x "$dir/node_modules/.bin/pouchdb-server" ]; then
    echo "http-servers: json-server 0.17.4 and pouchdb-server 4.2.0 present in $dir"
    exit 0
  fi
  mkdir -p "$dir"
  # No install scripts: pouchdb-server runs --in-memory in the tests, so its native LevelDB
  # and SQLite builds (which would fetch node headers from the internet) are not needed.
  npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error "${want[@]}" >/dev/null
  installed json-server 0.17.4 && installed pouchdb-server 4.2.0 || {
    echo "http-servers: npm install did not leave the pinned versions in $dir" >&2; exit 1; }
  echo "http-servers: installed ${want[*]} into $dir"
  ;;
*) echo "usage: $0 install [DIR]" >&2; exit 2 ;;
esac
