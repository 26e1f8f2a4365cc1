#!/bin/sh
# sigs.sh INCLUDE_DIR [CC] - print the dingofs_* prototypes declared by
# INCLUDE_DIR/dingofs/libdingofs.h, one per line, normalised by the compiler
# (gcc -aux-info), sorted. Extensions (dingofs_x_*) are left out.
set -eu
inc="$1"
cc="${2:-gcc}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/dingofs-sigs.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
printf '#include <dingofs/libdingofs.h>\n' > "$tmp/h.c"
"$cc" -I"$inc" -fsyntax-only -aux-info "$tmp/aux.txt" "$tmp/h.c"
grep -o 'extern [^;]*[ *]dingofs_[a-z_0-9]* *([^;]*;' "$tmp/aux.txt" |
  grep -v ' \**dingofs_x_' | sort -u
