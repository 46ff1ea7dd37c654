#!/usr/bin/env bash
# Writes a program's man page from its own --help and --version (help2man), so the page never
# drifts from the program. For syncdesk-cli each command's --help becomes a section of its own.
#   make-manpage.sh PROGRAM "ONE-LINE DESCRIPTION" OUT.1.gz
set -euo pipefail
program=$1 description=$2 out=$3
name=$(basename "$program")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# roff: a backslash is \e, and a line may not begin with a control character.
roff() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }

{
  if [ "$name" = syncdesk-cli ]; then
    echo '[COMMANDS]'
    for command in $("$program" --help | awk '/^Commands:/{on=1; next} on && NF==0{exit} on{print $1}'); do
      echo ".SS \"$name $command\""
      echo '.nf'
      "$program" "$command" --help | roff
      echo '.fi'
    done
    echo '[FILES]'
    echo '.TP'
    echo '.I /usr/lib/systemd/system/syncdesk-watch@.service'
    echo 'Runs \fBsyncdesk-cli watch\fR as an agent on \fI/etc/syncdesk/INSTANCE.json\fR, with its'
    echo 'state store in \fI/var/lib/syncdesk\fR and PostgreSQL passwords from'
    echo '\fI/etc/syncdesk/INSTANCE.pgpass\fR handed over as a systemd credential.'
  fi
  echo '[SEE ALSO]'
  if [ "$name" = syncdesk-cli ]; then echo '.BR syncdesk (1)'; else echo '.BR syncdesk-cli (1)'; fi
} > "$work/include"

# help2man runs the program by name so that its usage line does not show the build path.
PATH="$(cd "$(dirname "$program")" && pwd):$PATH" QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$work" \
  help2man --no-info --section=1 --name="$description" \
           --include="$work/include" --output="$work/$name.1" "$name"
gzip -9n -c "$work/$name.1" > "$out.tmp"
mv "$out.tmp" "$out"
