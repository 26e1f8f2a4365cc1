#!/bin/sh
# unversioned.sh FILE... - fail if a file exports (library) or imports
# (program) any dingofs_* symbol with a symbol version, or if a library does
# not export exactly the 45 core functions plus dingofs_x_* extensions.
set -eu
status=0
for f in "$@"; do
  syms="$(objdump -T "$f" | grep -E '[[:space:]]dingofs_[a-z_0-9]+$' || true)"
  n_core="$(printf '%s\n' "$syms" | grep -E '[[:space:]]dingofs_[a-z_0-9]+$' |
    grep -vc '[[:space:]]dingofs_x_' || true)"
  # Version column: "Base" (defined, unversioned) or empty (undefined,
  # unversioned); anything else, e.g. "DINGOFS_1" or "(DINGOFS_1)", is a version.
  versioned="$(printf '%s\n' "$syms" | awk 'NF && $(NF-1) !~ /^(Base|\*UND\*|[0-9a-f]+)$/' || true)"
  if [ -n "$versioned" ]; then
    echo "FAIL $f: versioned dingofs symbols:"
    printf '%s\n' "$versioned" | head -5
    status=1
  else
    echo "ok   $f: $n_core core dingofs_* symbols, none versioned"
  fi
  case "$f" in
    *.so*)
      if [ "$n_core" -ne 45 ]; then
        echo "FAIL $f: exports $n_core core functions, expected 45"
        status=1
      fi ;;
  esac
done
exit $status
