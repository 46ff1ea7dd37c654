#!/usr/bin/env bash
# Installs every Debian 12 package SyncDesk needs to build, run and test.
# Safe to run again: apt-get skips what is already there.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  qt6-base-dev qt6-base-dev-tools qt6-charts-dev qt6-httpserver-dev qt6-websockets-dev qtkeychain-qt6-dev
  libqt6opengl6-dev libxkbcommon-dev libgl-dev   # Qt Charts' CMake config needs these
  libpq-dev libxxhash-dev libsqlite3-dev libssl-dev nlohmann-json3-dev libsimdjson-dev
  # the Debian package: icons, man pages, and the checks its CI test runs
  dpkg-dev librsvg2-bin help2man desktop-file-utils appstream lintian
  # run
  libqt6sql6-sqlite libqt6sql6-psql libqt6svg6
  # test and benchmark: a real PostgreSQL 15 with wal2json, SQLite tools, timing
  postgresql-15 postgresql-contrib postgresql-15-wal2json sqlite3 sqlite3-tools time moreutils gawk jq
  xvfb xauth poppler-utils fonts-dejavu-core
  # test: the console's secrets in a real desktop keychain (a private D-Bus session running
  # gnome-keyring's Secret Service, which QtKeychain reaches through libsecret)
  dbus gnome-keyring libsecret-1-0
  # test: third-party HTTP servers (json-server, pouchdb-server) come from npm, run by node
  nodejs curl
)

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
# Debian's npm, unless the node already installed brings its own (NodeSource's nodejs does, and
# conflicts with Debian's npm package).
if ! command -v npm >/dev/null; then
  $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
echo "install-deps: ${#packages[@]} packages present, npm $(npm --version)"
# The HTTP servers the tests run against, pinned, from the npm registry (tests/support/http-servers.sh).
"$(dirname "$0")/../tests/support/http-servers.sh" install
