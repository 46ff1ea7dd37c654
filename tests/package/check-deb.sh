#!/usr/bin/env bash
# Builds the .deb from a finished build and checks it as Debian would: its contents, the
# desktop entry, the AppStream metainfo, lintian (errors fail), and a real install into a
# scratch root where the installed syncdesk-cli must run.
#   check-deb.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "check-deb: $*" >&2; exit 1; }

cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 \
  || { cat "$work/cpack.log" >&2; fail "cpack failed"; }
deb=$(ls "$work"/out/syncdesk_*.deb)
echo "built $(basename "$deb") ($(du -k "$deb" | cut -f1) kB)"

dpkg -c "$deb" > "$work/contents"
for path in ./usr/bin/syncdesk ./usr/bin/syncdesk-cli \
            ./usr/share/applications/org.syncdesk.SyncDesk.desktop \
            ./usr/share/metainfo/org.syncdesk.SyncDesk.metainfo.xml \
            ./usr/share/icons/hicolor/scalable/apps/org.syncdesk.SyncDesk.svg \
            ./usr/share/icons/hicolor/16x16/apps/org.syncdesk.SyncDesk.png \
            ./usr/share/icons/hicolor/48x48/apps/org.syncdesk.SyncDesk.png \
            ./usr/share/icons/hicolor/256x256/apps/org.syncdesk.SyncDesk.png \
            ./usr/share/man/man1/syncdesk.1.gz ./usr/share/man/man1/syncdesk-cli.1.gz \
            ./usr/lib/systemd/system/syncdesk-watch@.service \
            ./usr/share/doc/syncdesk/copyright ./usr/share/doc/syncdesk/changelog.gz; do
  grep -q " $path\$" "$work/contents" || fail "the package lacks $path"
done
if grep -E ' \./usr/(include|lib/[^s])|tst_|bench' "$work/contents"; then fail "the package holds build or test files"; fi
if awk '{print $2}' "$work/contents" | grep -v '^root/root$'; then fail "files not owned by root"; fi

depends=$(dpkg-deb -f "$deb" Depends)
for dep in libqt6sql6-psql libqt6sql6-sqlite libpq5 libqt6widgets6 libqt6charts6; do
  grep -q "$dep" <<<"$depends" || fail "Depends lacks $dep: $depends"
done
recommends=$(dpkg-deb -f "$deb" Recommends)
for dep in libsecret-1-0 qt6-wayland; do
  grep -q "$dep" <<<"$recommends" || fail "Recommends lacks $dep: $recommends"
done

dpkg-deb -x "$deb" "$work/tree"
desktop-file-validate "$work/tree/usr/share/applications/org.syncdesk.SyncDesk.desktop"
appstreamcli validate --no-net "$work/tree/usr/share/metainfo/org.syncdesk.SyncDesk.metainfo.xml"
# Through a file: grep -q would close a pipe early, and pipefail would report zcat's SIGPIPE.
zcat "$work/tree/usr/share/man/man1/syncdesk-cli.1.gz" > "$work/syncdesk-cli.1"
grep -q 'syncdesk-cli watch' "$work/syncdesk-cli.1" || fail "the syncdesk-cli man page lacks the watch command"

# lintian refuses to run as root only with --allow-root.
lintian_args=(--fail-on error --tag-display-limit 0)
[ "$(id -u)" = 0 ] && lintian_args+=(--allow-root)
lintian "${lintian_args[@]}" "$deb"

# A real install into a scratch root: dpkg's own database there, dependencies taken from the host.
root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
dpkg --root="$root" --force-depends --force-not-root --force-script-chrootless \
     --log=/dev/null -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i failed"; }
dpkg --root="$root" -s syncdesk | grep -q '^Status: install ok installed' || fail "dpkg did not install it"
version=$("$root/usr/bin/syncdesk-cli" --version)
[ "$version" = "syncdesk-cli $(dpkg-deb -f "$deb" Version)" ] || fail "installed syncdesk-cli said '$version'"
echo "installed into a scratch root: $version"
# The CLI never links Qt GUI (its start-up); it loads the PDF module, from where the package
# put it, only to write a PDF.
if ldd "$root/usr/bin/syncdesk-cli" | grep -q libQt6Gui; then fail "the installed syncdesk-cli links Qt GUI"; fi
echo '{"version": 1, "systems": [], "flows": []}' > "$work/ws.json"
QT_QPA_PLATFORM=offscreen "$root/usr/bin/syncdesk-cli" audit export --workspace "$work/ws.json" \
  --format pdf --out "$work/audit.pdf" || fail "the installed syncdesk-cli could not write a PDF"
[ "$(head -c 5 "$work/audit.pdf")" = "%PDF-" ] || fail "the installed syncdesk-cli wrote no PDF"
echo "the installed syncdesk-cli wrote a PDF through its module"
