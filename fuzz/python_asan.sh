#!/usr/bin/env bash
# The Python suite against an engine built with ASan+UBSan.
#
# Builds a private copy of the package (not the editable one of .venv) whose
# bridge links native/build-asan/libdingofs.a with -fsanitize=address,undefined,
# puts it first on PYTHONPATH and runs pytest with the ASan runtime preloaded
# into the interpreter (leak detection off: CPython keeps memory until exit).
# PYTHONMALLOC=malloc sends every Python allocation through ASan too.
#
# Usage: fuzz/python_asan.sh [pytest arguments]   (from anywhere)
# Variables: VPY (interpreter with the test extras, default .venv/bin/python),
#            ASAN_SITE (where the copy goes, default build/asan-site),
#            CC (compiler whose ASan runtime is preloaded, default gcc).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
VPY="${VPY:-$ROOT/.venv/bin/python}"
ASAN_SITE="${ASAN_SITE:-$ROOT/build/asan-site}"
CC="${CC:-gcc}"
SAN=address,undefined

make -C native all BUILDDIR=build-asan SANITIZE=$SAN

libasan="$($CC -print-file-name=libasan.so)"
case "$libasan" in /*) ;; *) echo "python_asan: no libasan.so for $CC" >&2; exit 1;; esac
libubsan="$($CC -print-file-name=libubsan.so)"

rm -rf "$ASAN_SITE"
mkdir -p "$ASAN_SITE"
cp -r dingofs "$ASAN_SITE/"
rm -f "$ASAN_SITE"/dingofs/_bridge*.so "$ASAN_SITE"/dingofs/_bridge*.c
find "$ASAN_SITE" -name __pycache__ -prune -exec rm -rf {} +
# The ASan archive is linked in place of native/build's; the sanitizer
# runtimes come in as shared libraries.
DINGOFS_USE_SYSTEM=0 \
DINGOFS_NATIVE_BUILD="$ROOT/native/build-asan" \
DINGOFS_LDFLAGS="-fsanitize=$SAN" \
  "$VPY" setup.py -q build_ext --force --build-lib "$ASAN_SITE" \
    --build-temp "$ASAN_SITE/.build-temp"

bridge="$(ls "$ASAN_SITE"/dingofs/_bridge*.so | head -n1)"
if ! ldd "$bridge" | grep libasan >/dev/null; then
  echo "python_asan: $bridge is not linked with ASan" >&2
  exit 1
fi

# The sanitized copy first; the project root after it for build_ffi and the
# other top-level helpers that the build tests import.
export PYTHONPATH="$ASAN_SITE:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export LD_PRELOAD="$libasan${libubsan:+ $libubsan}"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:${ASAN_OPTIONS_EXTRA:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export PYTHONMALLOC=malloc
# The tests (and the interpreters they start) must import the sanitized copy,
# not the editable tree: PYTHONSAFEPATH keeps the working directory off sys.path.
export PYTHONSAFEPATH=1
"$VPY" - <<'PY'
import dingofs, dingofs._ffi as f, os, sys
path = os.path.dirname(dingofs.__file__)
assert path == os.path.join(os.environ["PYTHONPATH"].split(":")[0], "dingofs"), path
print("python_asan: testing", path)
PY
exec "$VPY" -m pytest -p no:cacheprovider "$@"
