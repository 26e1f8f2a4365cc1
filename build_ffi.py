"""cffi API-mode builder of the bridge between Python and the libdingofs C ABI.

Two targets share the same declarations and preamble:

``bundled`` (default)
    module ``dingofs._bridge``; the embedded engine's PIC static archive
    ``native/build/libdingofs.a`` is linked in whole and hidden
    (``--exclude-libs,ALL``) so the module exports only ``PyInit__bridge``.
``system`` (``DINGOFS_USE_SYSTEM=1``)
    module ``dingofs._bridge_sys`` linked against an installed
    ``libdingofs.so.1``, found with pkg-config ``dingofs``, else under
    ``DINGOFS_PREFIX`` (``include/`` and ``lib``/``lib64``), or given exactly by
    ``DINGOFS_INCLUDE_DIR`` and ``DINGOFS_LIBRARY_DIR``.

The extensions of the embedded engine (``dingofs_x_*``) are never declared in
the cdef: the preamble declares them weak and wraps each one (``dfx_*``) so the
module also loads against a library that lacks them.

Extra build variables: ``DINGOFS_NATIVE_BUILD`` (directory holding the
engine's ``libdingofs.a``), ``DINGOFS_EXTRA_LIBS`` (more ``-l`` flags),
``DINGOFS_LDFLAGS`` (extra linker flags, e.g. ``-Wl,-rpath-link,DIR``).
"""

from __future__ import annotations

import os
import shlex
import subprocess

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
CDEF_DIR = os.path.join(HERE, "dingofs", "_cdef")

#: Declaration files, in the order they are fed to ``cdef`` (types first, then
#: the groups of the public header, then the extension wrappers).
CDEF_FILES: list[str] = [
    os.path.join(CDEF_DIR, name)
    for name in (
        "00_platform.h",
        "10_types.h",
        "20_lifecycle.h",
        "30_fileio.h",
        "40_metadata.h",
        "50_directories.h",
        "60_links.h",
        "70_xattr_ioctl.h",
        "80_extensions.h",
    )
]

#: Module name of each target.
MODULES: dict[str, str] = {"bundled": "dingofs._bridge", "system": "dingofs._bridge_sys"}

# (name, return type, parameters, call arguments, value when absent) of every extension.
_EXTENSIONS: list[tuple[str, str, str, str, str]] = [
    ("version", "const char*", "int* is_embedded", "is_embedded", "NULL"),
    ("mknod", "int", "uintptr_t h, const char* path, mode_t mode, dev_t dev",
     "h, path, mode, dev", "-EOPNOTSUPP"),
    ("utimens", "int", "uintptr_t h, const char* path, const struct timespec ts[2], int flags",
     "h, path, ts, flags", "-EOPNOTSUPP"),
    ("stat", "int",
     "uintptr_t h, const char* path, int flags, struct stat* st, uint32_t* iflags",
     "h, path, flags, st, iflags", "-EOPNOTSUPP"),
    ("fstat", "int", "uintptr_t h, int fd, struct stat* st, uint32_t* iflags",
     "h, fd, st, iflags", "-EOPNOTSUPP"),
    ("readdirplus", "int",
     "uintptr_t h, uint64_t dh, dingofs_x_direntplus_t* buf, int count",
     "h, dh, buf, count", "-EOPNOTSUPP"),
    ("rename2", "int", "uintptr_t h, const char* src, const char* dst, unsigned int flags",
     "h, src, dst, flags", "-EOPNOTSUPP"),
    ("copy_file_range", "ssize_t",
     "uintptr_t h, int fd_in, off_t* off_in, int fd_out, off_t* off_out, size_t len, "
     "unsigned int flags",
     "h, fd_in, off_in, fd_out, off_out, len, flags", "-EOPNOTSUPP"),
    ("flock", "int", "uintptr_t h, int fd, int op", "h, fd, op", "-EOPNOTSUPP"),
    ("fallocate", "int", "uintptr_t h, int fd, int mode, off_t offset, off_t len",
     "h, fd, mode, offset, len", "-EOPNOTSUPP"),
    ("access", "int", "uintptr_t h, const char* path, int mode", "h, path, mode",
     "-EOPNOTSUPP"),
    ("lchown", "int", "uintptr_t h, const char* path, uid_t owner, gid_t group",
     "h, path, owner, group", "-EOPNOTSUPP"),
    ("fchmod", "int", "uintptr_t h, int fd, mode_t mode", "h, fd, mode", "-EOPNOTSUPP"),
    ("fchown", "int", "uintptr_t h, int fd, uid_t owner, gid_t group", "h, fd, owner, group",
     "-EOPNOTSUPP"),
    ("fsck", "int", "const char* mds_addrs, int flags, char** report",
     "mds_addrs, flags, report", "-EOPNOTSUPP"),
    ("free", "void", "void* p", "p", ""),
]

_PREAMBLE_HEAD = r"""
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <dirent.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <linux/fs.h>
#include <linux/falloc.h>
#include <dingofs/libdingofs.h>

/* A header without the extension section (the upstream one) still gets the types. */
#ifndef DINGOFS_X_TYPES_DEFINED
#define DINGOFS_X_TYPES_DEFINED 1
typedef struct {
  dingofs_dirent_t dirent;
  struct stat st;
  uint32_t flags;
} dingofs_x_direntplus_t;
#endif
#ifndef DINGOFS_X_RENAME_NOREPLACE
#define DINGOFS_X_RENAME_NOREPLACE 1u
#endif
#ifndef DINGOFS_X_RENAME_EXCHANGE
#define DINGOFS_X_RENAME_EXCHANGE 2u
#endif
#ifndef DINGOFS_X_NOFOLLOW
#define DINGOFS_X_NOFOLLOW 0x100
#endif
#ifndef DINGOFS_X_FSCK_REPAIR
#define DINGOFS_X_FSCK_REPAIR 1
#endif

static int dfx_flush_stdout(void) { return fflush(stdout); }
"""


def _preamble() -> str:
    """C source of the bridge: weak extension declarations and their wrappers."""
    out = [_PREAMBLE_HEAD]
    for bit, (name, ret, params, _args, _absent) in enumerate(_EXTENSIONS):
        out.append(f"#define DFX_HAVE_{name.upper()} (1u << {bit})")
        out.append(f"extern {ret} dingofs_x_{name}({params}) __attribute__((weak));")
    out.append("")
    for name, ret, params, args, absent in _EXTENSIONS:
        sym = f"dingofs_x_{name}"
        if ret == "void":
            body = f"if ({sym}) {sym}({args});"
        else:
            body = f"return {sym} ? {sym}({args}) : {absent};"
        out.append(f"static {ret} dfx_{name}({params}) {{ {body} }}")
    out.append("")
    out.append("static unsigned int dfx_present(void) {")
    out.append("  unsigned int m = 0;")
    for name, *_ in _EXTENSIONS:
        out.append(f"  if (dingofs_x_{name}) m |= DFX_HAVE_{name.upper()};")
    out.append("  return m;")
    out.append("}")
    return "\n".join(out) + "\n"


def read_cdef() -> str:
    """Concatenate the declaration files in :data:`CDEF_FILES` order."""
    parts = []
    for path in CDEF_FILES:
        with open(path, encoding="utf-8") as f:
            parts.append(f.read())
    return "\n".join(parts)


def _pkg_config(*args: str) -> list[str] | None:
    """Run ``pkg-config dingofs ARGS``; ``None`` when it or the package is missing."""
    exe = os.environ.get("PKG_CONFIG", "pkg-config")
    try:
        out = subprocess.run(
            [exe, *args, "dingofs"], check=True, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return shlex.split(out)


def _bundled_options() -> dict[str, object]:
    build_dir = os.environ.get("DINGOFS_NATIVE_BUILD", os.path.join(HERE, "native", "build"))
    archive = os.path.join(build_dir, "libdingofs.a")
    if not os.path.exists(archive):
        raise SystemExit(
            f"build_ffi: the embedded engine archive {archive} does not exist.\n"
            "Build it first with `make -C native` (setup.py's build_ext does it), or set "
            "DINGOFS_USE_SYSTEM=1 to link an installed libdingofs.so.1."
        )
    libs = ["-lsqlite3", "-lstdc++", "-lpthread", *shlex.split(os.environ.get(
        "DINGOFS_EXTRA_LIBS", ""))]
    return {
        "include_dirs": [os.path.join(HERE, "native", "include")],
        "extra_link_args": [
            "-Wl,--whole-archive", archive, "-Wl,--no-whole-archive",
            "-Wl,--exclude-libs,ALL", *libs,
            *shlex.split(os.environ.get("DINGOFS_LDFLAGS", "")),
        ],
        "depends": [archive, *CDEF_FILES,
                    os.path.join(HERE, "native", "include", "dingofs", "libdingofs.h")],
    }


def _find_system() -> tuple[list[str], list[str]]:
    """Locate an installed libdingofs: (include dirs, library dirs)."""
    inc_env = os.environ.get("DINGOFS_INCLUDE_DIR")
    lib_env = os.environ.get("DINGOFS_LIBRARY_DIR")
    if inc_env and lib_env:
        return [inc_env], [lib_env]
    prefix = os.environ.get("DINGOFS_PREFIX")
    if not prefix:
        cflags = _pkg_config("--cflags-only-I")
        ldflags = _pkg_config("--libs-only-L")
        if cflags is not None and ldflags is not None:
            incs = [f[2:] for f in cflags if f.startswith("-I")]
            libdirs = [f[2:] for f in ldflags if f.startswith("-L")]
            return incs or ["/usr/include"], libdirs
    if prefix:
        incs = [inc_env or os.path.join(prefix, "include")]
        if lib_env:
            return incs, [lib_env]
        for sub in ("lib64", "lib"):
            d = os.path.join(prefix, sub)
            if any(os.path.exists(os.path.join(d, n))
                   for n in ("libdingofs.so", "libdingofs.so.1")):
                return incs, [d]
        raise SystemExit(
            f"build_ffi: no libdingofs.so or libdingofs.so.1 under {prefix}/lib64 or "
            f"{prefix}/lib. Set DINGOFS_LIBRARY_DIR to the directory holding it."
        )
    raise SystemExit(
        "build_ffi: DINGOFS_USE_SYSTEM=1 but no system libdingofs was found.\n"
        "Install its pkg-config file (dingofs.pc), or set DINGOFS_PREFIX to the install "
        "prefix (with include/dingofs/libdingofs.h and lib/ or lib64/), or set both "
        "DINGOFS_INCLUDE_DIR and DINGOFS_LIBRARY_DIR. Unset DINGOFS_USE_SYSTEM to build "
        "the bundled engine instead."
    )


def _system_options() -> dict[str, object]:
    incs, libdirs = _find_system()
    libdingofs = None
    for d in libdirs:
        for n in ("libdingofs.so", "libdingofs.so.1"):
            if os.path.exists(os.path.join(d, n)):
                libdingofs = os.path.join(d, n)
                break
        if libdingofs:
            break
    # Without the unversioned development link, link the SONAME file directly.
    link = ["-ldingofs"] if libdingofs is None or libdingofs.endswith(".so") else [libdingofs]
    return {
        "include_dirs": incs,
        "library_dirs": libdirs,
        "runtime_library_dirs": libdirs,
        "extra_link_args": [*link, *shlex.split(os.environ.get("DINGOFS_LDFLAGS", ""))],
        "depends": list(CDEF_FILES),
    }


def make_builder(target: str = "bundled") -> FFI:
    """Return the :class:`cffi.FFI` builder of ``target`` (``bundled`` or ``system``)."""
    if target not in MODULES:
        raise ValueError(f"unknown bridge target {target!r}")
    ffi = FFI()
    ffi.cdef(read_cdef())
    opts = _bundled_options() if target == "bundled" else _system_options()
    ffi.set_source(
        MODULES[target],
        _preamble(),
        extra_compile_args=["-O2", "-Wno-unused-function"],
        **opts,  # type: ignore[arg-type]
    )
    return ffi


def selected_target() -> str:
    """The target chosen by the environment (``DINGOFS_USE_SYSTEM``)."""
    flag = os.environ.get("DINGOFS_USE_SYSTEM", "").strip().lower()
    return "system" if flag in ("1", "true", "yes", "on") else "bundled"


def _builder_for_environment() -> FFI:
    return make_builder(selected_target())


if __name__ in ("__cffi__", "__main__"):
    # Executed by cffi's setuptools integration (or by hand): build the real builder.
    ffibuilder = _builder_for_environment()
else:
    # Imported as a module (tests, tools): cffi also accepts a callable returning the
    # builder, and importing must not require the native library to exist yet.
    ffibuilder = _builder_for_environment  # type: ignore[assignment]

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=os.path.join(HERE, "build", "ffi"), verbose=True)
