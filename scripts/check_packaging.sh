#!/usr/bin/env bash
# check_packaging.sh - the packaging checks of CI (`make dist-check`), on clean
# clones of the checkout's HEAD commit (uncommitted changes are not seen):
#
#   1. `make dist` in two clones in different directories: each builds the sdist
#      and a wheel from it, runs `twine check` and scripts/check_dist.py (the sdist
#      against `git ls-files`, LICENSE and the markdown README in the metadata);
#      no license deprecation warning from the current setuptools;
#   2. reproducibility: the engine library and archive (`make -C native`) and the
#      wheel's extension module of both clones are byte-identical;
#   3. the sdist installs into a fresh venv (the engine is built) and the README
#      quick start runs as written;
#   4. the distro case: `make -C native install PREFIX=/usr DESTDIR=stage`, then the
#      sdist built against the staged library (DINGOFS_USE_SYSTEM=1,
#      DINGOFS_PREFIX=stage/usr) offline (`--no-index --no-build-isolation`) with
#      Debian 12's setuptools 66, wheel 0.38 and cffi 1.15; the quick start, then
#      the test suite of the unpacked sdist (minus the slow and cluster marks)
#      against that installation, with PYTHONSAFEPATH=1 so that no Python of the
#      run imports the unpacked source (scripts/pytest_installed_guard.py proves it).
#
# Every step runs under `timeout`; the time of each is printed at the end.
# Environment: PYTHON (default python3), DINGOFS_MAKE_JOBS (default 2),
# KEEP_WORK=1 keeps the scratch directory, DEBIAN_PINS (default
# "setuptools==66.* wheel==0.38.* cffi==1.15.*"), PIP_* as pip reads them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
JOBS="${DINGOFS_MAKE_JOBS:-2}"
DEBIAN_PINS="${DEBIAN_PINS:-setuptools==66.* wheel==0.38.* cffi==1.15.*}"
export DINGOFS_MAKE_JOBS="$JOBS"
# The checks choose the build mode themselves.
unset DINGOFS_USE_SYSTEM DINGOFS_PREFIX DINGOFS_INCLUDE_DIR DINGOFS_LIBRARY_DIR

WORK="$(mktemp -d "${TMPDIR:-/tmp}/dingofs-packaging.XXXXXX")"
TIMES=()
# On every exit: the time of each step run so far (a failed one included), then
# the scratch directory removed unless KEEP_WORK=1.
cleanup() {
  if [ ${#TIMES[@]} -gt 0 ]; then
    echo "check_packaging: times:"
    printf '  %s\n' "${TIMES[@]}"
  fi
  [ "${KEEP_WORK:-0}" = 1 ] && echo "check_packaging: kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

say() { echo "check_packaging: $*"; }
die() { echo "check_packaging: FAILED: $*" >&2; exit 1; }

# python -P and PYTHONSAFEPATH, which keep the unpacked sdist off sys.path, are 3.11's.
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  die "$PYTHON is older than 3.11 (the checks run the installed package with python -P)"

# step NAME SECONDS CMD...: run CMD under timeout and record how long it took.
step() {
  local name="$1" limit="$2" start=$SECONDS rc=0
  shift 2
  say "== $name (limit ${limit}s)"
  # A new bash runs the step so that timeout can stop it (functions are exported).
  timeout "$limit" bash -c '"$@"' step "$@" || rc=$?
  TIMES+=("$(printf '%-44s %4ss' "$name" $((SECONDS - start)))")
  [ "$rc" = 0 ] || die "$name (exit $rc$([ "$rc" = 124 ] && echo ', timed out'))"
}

COMMIT="$(git -C "$ROOT" rev-parse HEAD)"
say "commit $COMMIT, scratch $WORK"
A="$WORK/a/dingofs"
B="$WORK/second-place/longer/dingofs-clone"
TOOLS="$WORK/tools"

setup_clones() {
  git clone -q --no-hardlinks "$ROOT" "$A"
  git clone -q --no-hardlinks "$ROOT" "$B"
  git -C "$A" checkout -q "$COMMIT"
  git -C "$B" checkout -q "$COMMIT"
  "$PYTHON" -m venv "$TOOLS"
  "$TOOLS/bin/python" -m pip install -q --upgrade pip
  "$TOOLS/bin/python" -m pip install -q build twine
}

# make -C native, then make dist (sdist, wheel from it, twine, check_dist).
build_clone() {
  local dir="$1"
  make -s -C "$dir/native" -j"$JOBS"
  make -C "$dir" dist VENV="$TOOLS" PYTHON="$PYTHON" > "$dir.dist.log" 2>&1 ||
    { tail -n 40 "$dir.dist.log"; return 1; }
  grep '^check_dist:\|PASSED\|FAILED' "$dir.dist.log"
  # The current setuptools must not warn about the license metadata.
  if grep -i -E 'deprecat|SetuptoolsWarning' "$dir.dist.log" | grep -i 'licen'; then
    echo "license metadata warnings in the build of $dir" >&2
    return 1
  fi
}

compare() {
  local f ok=0
  for f in native/build/libdingofs.so.1.0.0 native/build/libdingofs.a; do
    if cmp -s "$A/$f" "$B/$f"; then
      say "identical: $f ($(sha256sum < "$A/$f" | cut -c1-16))"
    else
      say "DIFFERENT: $f"; ok=1
    fi
  done
  mkdir -p "$WORK/wa" "$WORK/wb"
  (cd "$WORK/wa" && "$TOOLS/bin/python" -m zipfile -e "$A"/dist/*.whl .)
  (cd "$WORK/wb" && "$TOOLS/bin/python" -m zipfile -e "$B"/dist/*.whl .)
  for f in $(cd "$WORK/wa" && ls dingofs/_bridge*.so); do
    if cmp -s "$WORK/wa/$f" "$WORK/wb/$f"; then
      say "identical: $f of the wheel ($(sha256sum < "$WORK/wa/$f" | cut -c1-16))"
    else
      say "DIFFERENT: $f of the wheel"; ok=1
    fi
  done
  if cmp -s "$A"/dist/*.whl "$B"/dist/*.whl; then say "identical: the whole wheel"; fi
  return $ok
}

SDIST=""
sdist_venv() {
  "$PYTHON" -m venv "$WORK/venv-sdist"
  "$WORK/venv-sdist/bin/python" -m pip install -q --upgrade pip
  "$WORK/venv-sdist/bin/python" -m pip install -q "$SDIST"
  (cd "$WORK" && "$WORK/venv-sdist/bin/python" -P "$A/scripts/run_quickstart.py" "$A/README.md")
}

STAGE="$WORK/stage"
stage_install() {
  make -s -C "$A/native" install PREFIX=/usr DESTDIR="$STAGE"
  (cd "$STAGE" && find . \( -type f -o -type l \) | sort)
  local f
  for f in usr/include/dingofs/libdingofs.h usr/lib/libdingofs.so.1.0.0 usr/lib/libdingofs.so.1 \
           usr/lib/libdingofs.so usr/lib/pkgconfig/dingofs.pc \
           usr/lib/cmake/dingofs/dingofsConfig.cmake usr/lib/cmake/dingofs/dingofsConfigVersion.cmake; do
    [ -e "$STAGE/$f" ] || { echo "missing in the staged install: $f" >&2; return 1; }
  done
  [ "$(readlink "$STAGE/usr/lib/libdingofs.so.1")" = libdingofs.so.1.0.0 ] || return 1
  grep -q '^prefix=/usr$' "$STAGE/usr/lib/pkgconfig/dingofs.pc"
}

DEB="$WORK/venv-debian"
debian_build() {
  "$PYTHON" -m venv "$DEB"
  # shellcheck disable=SC2086  # DEBIAN_PINS is a list of requirements
  "$DEB/bin/python" -m pip install -q $DEBIAN_PINS
  "$DEB/bin/python" -m pip list 2>/dev/null | grep -i -E '^(setuptools|wheel|cffi) '
  # Offline from here: nothing but the sdist and what the venv holds.
  DINGOFS_USE_SYSTEM=1 DINGOFS_PREFIX="$STAGE/usr" \
    "$DEB/bin/python" -m pip install -v --no-index --no-build-isolation --no-deps "$SDIST" \
    > "$WORK/debian-build.log" 2>&1 || { tail -n 40 "$WORK/debian-build.log"; return 1; }
  if grep -i -E 'deprecat|SetuptoolsWarning' "$WORK/debian-build.log" | grep -i 'licen'; then
    echo "license metadata warnings with setuptools 66" >&2
    return 1
  fi
  (cd "$WORK" && "$DEB/bin/python" -P "$A/scripts/run_quickstart.py" "$A/README.md")
}

debian_test_deps() {
  # The test extra, as the installed metadata lists it.
  "$DEB/bin/python" - > "$WORK/test-requirements.txt" <<'PY'
import importlib.metadata as m
for req in m.requires("dingofs") or []:
    name, _, marker = req.partition(";")
    if "extra" in marker and "test" in marker.split("==")[-1]:
        print(name.strip())
PY
  "$DEB/bin/python" -m pip install -q -r "$WORK/test-requirements.txt"
}

debian_tests() {
  mkdir -p "$WORK/unpacked"
  tar -xzf "$SDIST" -C "$WORK/unpacked"
  local src
  src="$(echo "$WORK"/unpacked/dingofs-*)"
  # PYTHONSAFEPATH=1 (python -P, inherited by every child Python the tests start:
  # `python -m dingofs`, `python -c`): the unpacked tree is never on sys.path. The
  # guard plugin fails the run unless dingofs comes from site-packages and runs on
  # the staged library, in pytest and in a child started as the tests start theirs.
  (cd "$src" && PYTHONSAFEPATH=1 PYTHONPATH="$src/scripts" \
    DINGOFS_GUARD_SOURCE="$src" DINGOFS_GUARD_LIBRARY_DIR="$STAGE/usr/lib" \
    "$DEB/bin/python" -m pytest -p pytest_installed_guard -n "$JOBS" -q -rs --durations=10 \
      -m "not slow and not cluster" -p no:cacheprovider)
}

export ROOT PYTHON JOBS DEBIAN_PINS WORK A B TOOLS STAGE DEB SDIST
export -f say setup_clones build_clone compare sdist_venv stage_install debian_build \
  debian_test_deps debian_tests

step "clones of HEAD, tools venv"                 120 setup_clones
step "clone 1: make native, make dist"            300 build_clone "$A"
step "clone 2: make native, make dist"            300 build_clone "$B"
step "reproducibility: compare the two builds"     60 compare
SDIST="$(echo "$A"/dist/dingofs-*.tar.gz)"
export SDIST
step "sdist into a fresh venv, quick start"       300 sdist_venv
step "make install DESTDIR (staged /usr)"          60 stage_install
step "setuptools 66 offline build on the stage"   180 debian_build
step "test requirements into the stage venv"     180 debian_test_deps
step "test suite from the sdist on the stage"     720 debian_tests

say "sdist: $(basename "$SDIST"): $(tar -tzf "$SDIST" | grep -vc '/$') files, $(($(stat -c %s "$SDIST") / 1024)) KiB"
say "all packaging checks passed"
