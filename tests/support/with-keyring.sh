#!/bin/sh
# Runs a command (a test of the console's keychain secrets) against a real desktop keychain on a
# headless machine: a private D-Bus session bus with gnome-keyring's Secret Service, its login
# keyring created and unlocked up front (nothing can prompt without a display), in a home of
# its own that is removed afterwards.   with-keyring.sh COMMAND [ARG...]
set -eu
for tool in dbus-run-session gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || { echo "with-keyring: $tool is missing (packaging/install-deps.sh installs it)" >&2; exit 2; }
done
home=$(mktemp -d "${TMPDIR:-/tmp}/syncdesk-keyring.XXXXXX")
trap 'rm -rf "$home"' EXIT
mkdir -m 700 "$home/run"
export HOME="$home" XDG_DATA_HOME="$home/data" XDG_RUNTIME_DIR="$home/run"
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS
export QT_QPA_PLATFORM=offscreen
# A non-empty password: with an empty one gnome-keyring creates no login keyring to write to.
dbus-run-session -- sh -c '
  printf %s "syncdesk-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' sh "$@"
