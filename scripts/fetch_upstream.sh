#!/usr/bin/env bash
# fetch_upstream.sh [DEST] - unpack the upstream prebuilt libdingofs into a prefix.
#
# Downloads the wheel pinned (by version and sha256) in requirements-upstream.txt
# with pip's normal client and cache, and unpacks only its C library parts:
#
#   DEST/include/dingofs/libdingofs.h     upstream header
#   DEST/lib64/libdingofs.so.1.0.0        the library (SONAME libdingofs.so.1)
#   DEST/lib64/libdingofs.so.1, .so       symlinks to it
#   DEST/lib64/cmake/dingofs/             find_package(dingofs) -> dingofs::c
#   DEST/lib64/pkgconfig/dingofs.pc       generated here for this prefix
#   DEST/dingofs.libs/                    its bundled dependencies ($ORIGIN RPATH)
#
# The wheel is never installed. Running the script again is cheap: a complete
# DEST for the same pinned hash is left alone.
#
# Environment: PYTHON (default python3), PIP_* variables are honoured by pip.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$ROOT/requirements-upstream.txt"
DEST="${1:-$ROOT/.upstream}"
PYTHON="${PYTHON:-python3}"

die() { echo "fetch_upstream: $*" >&2; exit 1; }

[ -f "$REQ" ] || die "missing $REQ"
mkdir -p "$DEST"
DEST="$(cd "$DEST" && pwd)"

# The pinned hash identifies what a complete DEST must contain.
PIN="$(grep -o 'sha256:[0-9a-f]\{64\}' "$REQ" | head -n1)"
[ -n "$PIN" ] || die "no sha256 pin in $REQ"
STAMP="$DEST/.fetched"

complete() {
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$PIN" ] &&
    [ -f "$DEST/include/dingofs/libdingofs.h" ] &&
    [ -f "$DEST/lib64/libdingofs.so.1.0.0" ] &&
    [ -e "$DEST/lib64/libdingofs.so.1" ] &&
    [ -e "$DEST/lib64/libdingofs.so" ] &&
    [ -f "$DEST/lib64/pkgconfig/dingofs.pc" ] &&
    [ -d "$DEST/dingofs.libs" ]
}

if complete; then
  echo "fetch_upstream: $DEST is up to date ($PIN)"
  exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/dingofs-upstream.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

echo "fetch_upstream: downloading the pinned wheel (pip cache is used)"
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: \
  --implementation cp --python-version 3.11 --abi cp311 \
  --platform manylinux_2_34_x86_64 \
  --require-hashes -r "$REQ" -d "$WORK/wheel"

WHEEL="$(ls "$WORK"/wheel/*.whl 2>/dev/null | head -n1)"
[ -n "$WHEEL" ] || die "pip did not produce a wheel"

echo "fetch_upstream: unpacking $(basename "$WHEEL") into $DEST"
STAGE="$WORK/stage"
"$PYTHON" - "$WHEEL" "$STAGE" <<'PY'
import os, sys, zipfile

wheel, stage = sys.argv[1], sys.argv[2]
keep = ("include/", "lib64/", "dingofs.libs/")
# The wheel stores three identical copies of the library; keep one real file
# and make the other two names symlinks.
aliases = {"lib64/libdingofs.so", "lib64/libdingofs.so.1"}
with zipfile.ZipFile(wheel) as zf:
    names = [n for n in zf.namelist() if n.startswith(keep)]
    for need in ("include/dingofs/libdingofs.h", "lib64/libdingofs.so.1.0.0"):
        if need not in names:
            sys.exit("fetch_upstream: wheel lacks " + need)
    for name in names:
        if name.endswith("/") or name in aliases:
            continue
        target = os.path.join(stage, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with zf.open(name) as src, open(target, "wb") as dst:
            while True:
                block = src.read(1 << 20)
                if not block:
                    break
                dst.write(block)
        mode = 0o755 if ".so" in os.path.basename(name) else 0o644
        os.chmod(target, mode)
for alias in aliases:
    os.symlink("libdingofs.so.1.0.0", os.path.join(stage, alias))
PY

mkdir -p "$STAGE/lib64/pkgconfig"
cat > "$STAGE/lib64/pkgconfig/dingofs.pc" <<EOF
prefix=$DEST
includedir=\${prefix}/include
libdir=\${prefix}/lib64
depsdir=\${prefix}/dingofs.libs

Name: dingofs
Description: DingoFS client library (upstream prebuilt, from the dingofs 5.2.0 wheel)
Version: 5.2.0
Cflags: -I\${includedir}
Libs: -L\${libdir} -Wl,-rpath-link,\${depsdir} -ldingofs
EOF

# Replace only the parts this script manages, then mark DEST complete.
rm -f "$STAMP"
for part in include lib64 dingofs.libs; do
  rm -rf "${DEST:?}/$part"
  mv "$STAGE/$part" "$DEST/$part"
done
echo "$PIN" > "$STAMP"
complete || die "unpacked tree is incomplete"
echo "fetch_upstream: done; PKG_CONFIG_PATH=$DEST/lib64/pkgconfig"
