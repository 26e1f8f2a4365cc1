"""cffi API-mode builder of the bridges between Python and the libdingofs C ABI.

Two targets share the same declarations and preamble:

``bundled``
    module ``dingofs._bridge``; the embedded engine's PIC static archive
    ``native/build/libdingofs.a`` is linked in whole and hidden
    (``--exclude-libs,ALL``) so the module exports only ``PyInit__bridge``.
``system``
    module ``dingofs._bridge_sys`` linked against an installed
    ``libdingofs.so.1`` (e.g. the upstream cluster client), found with
    ``DINGOFS_INCLUDE_DIR`` + ``DINGOFS_LIBRARY_DIR`` (exact directories), else
    under ``DINGOFS_PREFIX`` (``include/`` and ``lib64``/``lib``), else with
    pkg-config ``dingofs``. The library directory becomes the module's run-time
    search path.

Which targets are built (:func:`selected_targets`) is chosen by
``DINGOFS_USE_SYSTEM``:

* ``1``/``yes``/``true``/``on``: the system bridge only (no engine is built;
  ``local://`` is then unavailable);
* ``both``: the bundled bridge and the system bridge;
* ``0``/``no``/``false``/``off``: the bundled bridge only;
* unset or empty: the bundled bridge, plus the system bridge when a system
  library is configured explicitly (``DINGOFS_PREFIX``, or both
  ``DINGOFS_INCLUDE_DIR`` and ``DINGOFS_LIBRARY_DIR``).

The extensions of the embedded engine (``dingofs_x_*``) are never declared in
the cdef: the preamble declares them weak and wraps each one (``dfx_*``) so the
module also loads against a library that lacks them.

Extra build variables: ``DINGOFS_NATIVE_BUILD`` (directory holding the
engine's ``libdingofs.a``), ``DINGOFS_EXTRA_LIBS`` (more ``-l`` flags of the
bundled build), ``DINGOFS_LDFLAGS`` (extra linker flags of every bridge),
``DINGOFS_SYSTEM_VERSION`` (version recorded for the system library when
pkg-config does not give one), ``PKG_CONFIG`` (the pkg-config program),
``DINGOFS_REPRO_FLAGS`` (replaces the ``-ffile-prefix-map`` that keeps the
build directory out of the bridges).
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
        "90_helpers.h",
    )
]

#: Module name of each target.
MODULES: dict[str, str] = {"bundled": "dingofs._bridge", "system": "dingofs._bridge_sys"}

# (name, return type, parameters, call arguments, value when absent) of every extension;
# the position is the DFX_HAVE_* bit, so new ones go at the end.
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
    ("setattr", "int",
     "uintptr_t h, const char* path, int flags, unsigned int mask, mode_t mode, uid_t uid, "
     "gid_t gid, off_t size, const struct timespec ts[2], struct stat* st, uint32_t* iflags",
     "h, path, flags, mask, mode, uid, gid, size, ts, st, iflags", "-EOPNOTSUPP"),
    ("last_attr", "int", "uintptr_t h, struct stat* st, uint32_t* iflags", "h, st, iflags",
     "-EOPNOTSUPP"),
    ("last_error", "size_t", "char* buf, size_t bufsz", "buf, bufsz", "0"),
]

_PREAMBLE_HEAD = r"""
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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
#ifndef DINGOFS_X_SET_MODE
#define DINGOFS_X_SET_MODE 0x01u
#define DINGOFS_X_SET_UID 0x02u
#define DINGOFS_X_SET_GID 0x04u
#define DINGOFS_X_SET_SIZE 0x08u
#define DINGOFS_X_SET_ATIME 0x10u
#define DINGOFS_X_SET_MTIME 0x20u
#endif

static int dfx_flush_stdout(void) { return fflush(stdout); }

/* Version of the library this bridge was built against, when the build knew it. */
#ifndef DFX_BUILT_VERSION
#define DFX_BUILT_VERSION ""
#endif
static const char* dfx_built_version(void) { return DFX_BUILT_VERSION; }

/* File of the object that defines the core functions this bridge calls: the
 * bridge module itself when the engine is linked in, else the shared library. */
static const char* dfx_library_path(void) {
  Dl_info info;
  if (dladdr((void*)&dingofs_new, &info) != 0 && info.dli_fname != NULL)
    return info.dli_fname;
  return NULL;
}
"""


# Helpers of the Python hot paths; they only call core functions and the dfx_* wrappers,
# so they compile against any header that has the core functions.
_PREAMBLE_TAIL = r"""
/* One batch of directory entries, packed for a cheap decode in Python.
 *   plus:   0 reads dingofs_readdir() records into tmp (dingofs_dirent_t[count]),
 *           1 reads dfx_readdirplus() records (dingofs_x_direntplus_t[count]).
 *   names:  receives the names (without "." and ".."), each followed by a NUL
 *           (capacity: count * sizeof(d_name)).
 *   inos, types: the inode number and d_type of each packed entry.
 *   attrs:  with plus, the struct stat of each packed entry at k * stride and its
 *           inode flags at k * stride + flags_off (capacity: count * stride); else unused.
 *   out[0]: entries packed; out[1]: bytes used in names; out[2]: set to 1 when the
 *           batch held "." with inode 1 (the root directory), else left alone.
 * Returns the number of records the library returned (0 at the end) or -errno. */
static int dfx_readdir_pack(uintptr_t h, uint64_t dh, int plus, void* tmp, int count,
                            char* names, uint64_t* inos, unsigned char* types,
                            char* attrs, size_t stride, size_t flags_off, int64_t* out) {
  int n, i;
  int64_t k = 0;
  size_t used = 0;
  if (count <= 0) return -EINVAL;
  if (plus) n = dfx_readdirplus(h, dh, (dingofs_x_direntplus_t*)tmp, count);
  else n = dingofs_readdir(h, dh, (dingofs_dirent_t*)tmp, count);
  if (n < 0) return n;
  if (n > count) n = count;
  for (i = 0; i < n; i++) {
    const dingofs_dirent_t* d;
    size_t len;
    if (plus) d = &((const dingofs_x_direntplus_t*)tmp)[i].dirent;
    else d = &((const dingofs_dirent_t*)tmp)[i];
    len = strnlen(d->d_name, sizeof d->d_name);
    if (len == 0) continue;
    if (d->d_name[0] == '.' && (len == 1 || (len == 2 && d->d_name[1] == '.'))) {
      if (len == 1 && d->d_ino == 1) out[2] = 1;
      continue;
    }
    memcpy(names + used, d->d_name, len);
    used += len;
    names[used++] = '\0';
    inos[k] = d->d_ino;
    types[k] = d->d_type;
    if (plus) {
      const dingofs_x_direntplus_t* e = &((const dingofs_x_direntplus_t*)tmp)[i];
      memcpy(attrs + (size_t)k * stride, &e->st, sizeof e->st);
      memcpy(attrs + (size_t)k * stride + flags_off, &e->flags, sizeof e->flags);
    }
    k++;
  }
  out[0] = k;
  out[1] = (int64_t)used;
  return n;
}

/* Statistics of the hot I/O calls, kept in C: counts[0] calls, counts[1] bytes moved
 * (relaxed atomics; the GIL is released during the call). */
static void dfx_count(int64_t* counts, ssize_t r) {
  __atomic_fetch_add(&counts[0], 1, __ATOMIC_RELAXED);
  if (r > 0) __atomic_fetch_add(&counts[1], (int64_t)r, __ATOMIC_RELAXED);
}

static ssize_t dfx_pread_counted(uintptr_t h, int fd, char* buf, size_t count, off_t offset,
                                 int64_t* counts) {
  ssize_t r = dingofs_pread(h, fd, buf, count, offset);
  dfx_count(counts, r);
  return r;
}

static ssize_t dfx_read_counted(uintptr_t h, int fd, char* buf, size_t count,
                                int64_t* counts) {
  ssize_t r = dingofs_read(h, fd, buf, count);
  dfx_count(counts, r);
  return r;
}

static int dfx_stat_counted(uintptr_t h, const char* path, int flags, struct stat* st,
                            uint32_t* iflags, int64_t* counts) {
  int r = dfx_stat(h, path, flags, st, iflags);
  __atomic_fetch_add(&counts[0], 1, __ATOMIC_RELAXED);
  return r;
}

static int dfx_fstat_counted(uintptr_t h, int fd, struct stat* st, uint32_t* iflags,
                             int64_t* counts) {
  int r = dfx_fstat(h, fd, st, iflags);
  __atomic_fetch_add(&counts[0], 1, __ATOMIC_RELAXED);
  return r;
}

static off_t dfx_lseek_counted(uintptr_t h, int fd, off_t offset, int whence,
                               int64_t* counts) {
  off_t r = dingofs_lseek(h, fd, offset, whence);
  __atomic_fetch_add(&counts[0], 1, __ATOMIC_RELAXED);
  return r;
}
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
    out.append(_PREAMBLE_TAIL)
    return "\n".join(out) + "\n"


def read_cdef() -> str:
    """Concatenate the declaration files in :data:`CDEF_FILES` order."""
    parts = []
    for path in CDEF_FILES:
        with open(path, encoding="utf-8") as f:
            parts.append(f.read())
    return "\n".join(parts)


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")

#: Where to look for the header below an include directory.
HEADER_REL = os.path.join("dingofs", "libdingofs.h")

_HOW_TO_FIX = (
    "Point the build at the library in one of these ways:\n"
    "  * DINGOFS_PREFIX=DIR   with DIR/include/dingofs/libdingofs.h and\n"
    "                         DIR/lib64/ or DIR/lib/ holding libdingofs.so.1\n"
    "                         (the upstream client unpacked by `make upstream`\n"
    "                         is such a prefix: DINGOFS_PREFIX=$PWD/.upstream);\n"
    "  * DINGOFS_INCLUDE_DIR=DIR and DINGOFS_LIBRARY_DIR=DIR, given exactly;\n"
    "  * a dingofs.pc file on PKG_CONFIG_PATH (pkg-config dingofs).\n"
    "Or set DINGOFS_USE_SYSTEM=0 to build only the bundled embedded engine."
)


class SystemLibraryNotFound(SystemExit):
    """The system build was asked for but no usable libdingofs was found."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"build_ffi: {problem}\n{_HOW_TO_FIX}")


def _pkg_config(*args: str) -> list[str] | None:
    """Run ``pkg-config ARGS dingofs``; ``None`` when it or the package is missing."""
    exe = os.environ.get("PKG_CONFIG", "pkg-config")
    try:
        out = subprocess.run(
            [exe, *args, "dingofs"], check=True, capture_output=True, text=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return shlex.split(out)


def bundled_archive() -> str:
    """Path of the embedded engine's static archive the bundled bridge links."""
    build_dir = os.environ.get("DINGOFS_NATIVE_BUILD", os.path.join(HERE, "native", "build"))
    return os.path.join(build_dir, "libdingofs.a")


def check_bundled_archive() -> None:
    """Stop with a clear message when the engine archive is missing."""
    archive = bundled_archive()
    if not os.path.exists(archive):
        raise SystemExit(
            f"build_ffi: the embedded engine archive {archive} does not exist.\n"
            "Build it first with `make -C native` (setup.py's build_ext does it), point "
            "DINGOFS_NATIVE_BUILD at the directory holding it, or set DINGOFS_USE_SYSTEM=1 "
            "to link an installed libdingofs.so.1 instead."
        )


def _bundled_options() -> dict[str, object]:
    # setup.py's build_ext runs `make -C native` before linking; the archive
    # need not exist yet when the builder is made.
    archive = bundled_archive()
    libs = ["-lsqlite3", "-lstdc++", "-lpthread", "-ldl", *shlex.split(os.environ.get(
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


def _library_file(libdir: str) -> str | None:
    """The libdingofs file to link in ``libdir`` (development link first)."""
    for name in ("libdingofs.so", "libdingofs.so.1"):
        path = os.path.join(libdir, name)
        if os.path.exists(path):
            return path
    return None


class SystemLibrary:
    """Where an installed libdingofs lives, as found by :func:`find_system`.

    :ivar include_dirs: directories to search for ``dingofs/libdingofs.h``.
    :ivar library_dir: the directory holding ``libdingofs.so``/``.so.1``.
    :ivar library: the file to link against.
    :ivar link_flags: extra linker flags (e.g. ``-Wl,-rpath-link`` for the
        library's own dependencies).
    :ivar version: the library version when known ("" otherwise).
    :ivar source: how it was found (``"DINGOFS_INCLUDE_DIR"``, ``"DINGOFS_PREFIX"``,
        ``"pkg-config"``).
    """

    def __init__(self, include_dirs: list[str], library_dir: str, link_flags: list[str],
                 version: str, source: str) -> None:
        self.include_dirs = include_dirs
        self.library_dir = library_dir
        lib = _library_file(library_dir)
        if lib is None:
            raise SystemLibraryNotFound(
                f"no libdingofs.so or libdingofs.so.1 in {library_dir} (from {source})."
            )
        self.library = lib
        if not any(os.path.isfile(os.path.join(d, HEADER_REL)) for d in include_dirs):
            raise SystemLibraryNotFound(
                f"no {HEADER_REL} under {', '.join(include_dirs) or '(no include dir)'} "
                f"(from {source})."
            )
        self.link_flags = link_flags
        self.version = version
        self.source = source

    def __repr__(self) -> str:
        return (f"SystemLibrary(include_dirs={self.include_dirs!r}, library={self.library!r}, "
                f"version={self.version!r}, source={self.source!r})")


def _deps_rpath_link(libdir: str) -> list[str]:
    """``-rpath-link`` for a library that carries its dependencies next to it.

    The upstream prebuilt client keeps them in ``PREFIX/dingofs.libs`` (its
    RPATH is ``$ORIGIN/../dingofs.libs``); the linker needs to be told.
    """
    deps = os.path.join(os.path.dirname(os.path.abspath(libdir)), "dingofs.libs")
    return [f"-Wl,-rpath-link,{deps}"] if os.path.isdir(deps) else []


def _version_hint(libdir: str = "") -> str:
    """``DINGOFS_SYSTEM_VERSION``, else the ``Version:`` of ``LIBDIR/pkgconfig/dingofs.pc``."""
    given = os.environ.get("DINGOFS_SYSTEM_VERSION", "").strip()
    if given or not libdir:
        return given
    try:
        with open(os.path.join(libdir, "pkgconfig", "dingofs.pc"), encoding="utf-8") as f:
            for line in f:
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _unique(items: list[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def find_system() -> SystemLibrary:
    """Locate an installed libdingofs, or stop the build saying how to point at one.

    Order: ``DINGOFS_INCLUDE_DIR`` + ``DINGOFS_LIBRARY_DIR``, then
    ``DINGOFS_PREFIX`` (``lib64`` then ``lib``), then pkg-config ``dingofs``.

    :raises SystemLibraryNotFound: (a :class:`SystemExit`) when nothing usable is found.
    """
    inc_env = os.environ.get("DINGOFS_INCLUDE_DIR", "").strip()
    lib_env = os.environ.get("DINGOFS_LIBRARY_DIR", "").strip()
    prefix = os.environ.get("DINGOFS_PREFIX", "").strip()
    if (inc_env or lib_env) and not prefix and not (inc_env and lib_env):
        raise SystemLibraryNotFound(
            "DINGOFS_INCLUDE_DIR and DINGOFS_LIBRARY_DIR must be given together "
            "(or use DINGOFS_PREFIX)."
        )
    if inc_env and lib_env:
        return SystemLibrary([inc_env], lib_env, _deps_rpath_link(lib_env), _version_hint(lib_env),
                             "DINGOFS_INCLUDE_DIR/DINGOFS_LIBRARY_DIR")
    if prefix:
        if not os.path.isdir(prefix):
            raise SystemLibraryNotFound(f"DINGOFS_PREFIX={prefix} is not a directory.")
        incs = [inc_env or os.path.join(prefix, "include")]
        candidates = [lib_env] if lib_env else [os.path.join(prefix, d) for d in ("lib64", "lib")]
        for d in candidates:
            if _library_file(d):
                return SystemLibrary(incs, d, _deps_rpath_link(d), _version_hint(d),
                                     "DINGOFS_PREFIX")
        raise SystemLibraryNotFound(
            f"no libdingofs.so or libdingofs.so.1 in {' or '.join(candidates)} "
            f"(DINGOFS_PREFIX={prefix})."
        )
    cflags = _pkg_config("--cflags-only-I")
    libs = _pkg_config("--libs")
    if cflags is not None and libs is not None:
        incs = [f[2:] for f in cflags if f.startswith("-I")] or ["/usr/include"]
        libdirs = [f[2:] for f in libs if f.startswith("-L")]
        if not libdirs:
            var = _pkg_config("--variable=libdir")
            libdirs = [var[0]] if var else []
        extra = [f for f in libs if not f.startswith(("-L", "-l"))]
        found = [d for d in libdirs if _library_file(d)]
        if not found:
            raise SystemLibraryNotFound(
                "pkg-config dingofs names no directory holding libdingofs.so or "
                f"libdingofs.so.1 (library dirs: {', '.join(libdirs) or 'none'})."
            )
        version = (_pkg_config("--modversion") or [""])[0] or _version_hint()
        return SystemLibrary(incs, found[0], _unique(extra + _deps_rpath_link(found[0])), version,
                             "pkg-config")
    raise SystemLibraryNotFound(
        "a system libdingofs was requested (DINGOFS_USE_SYSTEM) but none was found: "
        "DINGOFS_PREFIX, DINGOFS_INCLUDE_DIR/DINGOFS_LIBRARY_DIR are unset and "
        "pkg-config does not know the package dingofs."
    )


def _system_options() -> tuple[dict[str, object], str]:
    found = find_system()
    link = ["-ldingofs"] if found.library.endswith(".so") else [found.library]
    opts: dict[str, object] = {
        "include_dirs": found.include_dirs,
        "library_dirs": [found.library_dir],
        # The run-time search path of the module: where the library was found.
        "runtime_library_dirs": [found.library_dir],
        "libraries": ["dl"],
        "extra_link_args": [*link, *found.link_flags,
                            *shlex.split(os.environ.get("DINGOFS_LDFLAGS", ""))],
        "depends": [*CDEF_FILES, found.library],
    }
    return opts, found.version


def _c_string(text: str) -> str:
    """``text`` as a C string literal for a ``-D`` definition."""
    safe = "".join(c for c in text if c.isprintable() and c not in '"\\')
    return f'"{safe}"'


def _reproducible_flags() -> list[str]:
    """Keep the source tree's location out of the module (its debug information).

    Two checkouts of one commit in different directories then build
    byte-identical bridges; ``DINGOFS_REPRO_FLAGS`` replaces these flags.
    """
    given = os.environ.get("DINGOFS_REPRO_FLAGS")
    if given is not None:
        return shlex.split(given)
    return [f"-ffile-prefix-map={HERE}=."]


def make_builder(target: str = "bundled") -> FFI:
    """Return the :class:`cffi.FFI` builder of ``target`` (``bundled`` or ``system``)."""
    if target not in MODULES:
        raise ValueError(f"unknown bridge target {target!r}")
    ffi = FFI()
    ffi.cdef(read_cdef())
    if target == "bundled":
        from_version = ""
        opts = _bundled_options()
    else:
        opts, from_version = _system_options()
    ffi.set_source(
        MODULES[target],
        _preamble(),
        extra_compile_args=["-O2", "-Wno-unused-function", *_reproducible_flags()],
        define_macros=[("DFX_BUILT_VERSION", _c_string(from_version))],
        **opts,
    )
    return ffi


def _system_configured() -> bool:
    """Whether the environment names a system library explicitly."""
    env = os.environ
    return bool(env.get("DINGOFS_PREFIX", "").strip()) or bool(
        env.get("DINGOFS_INCLUDE_DIR", "").strip() and env.get("DINGOFS_LIBRARY_DIR", "").strip()
    )


def selected_targets() -> list[str]:
    """The bridges the environment asks for, bundled first (see the module docstring).

    :raises SystemExit: for a value of ``DINGOFS_USE_SYSTEM`` that means nothing.
    """
    flag = os.environ.get("DINGOFS_USE_SYSTEM", "").strip().lower()
    if flag in _TRUE:
        return ["system"]
    if flag == "both":
        return ["bundled", "system"]
    if flag in _FALSE:
        return ["bundled"]
    if flag:
        raise SystemExit(
            f"build_ffi: DINGOFS_USE_SYSTEM={flag!r} is not understood; use 1 (system library "
            "only), both (bundled engine and system library) or 0 (bundled engine only)."
        )
    return ["bundled", "system"] if _system_configured() else ["bundled"]


def selected_target() -> str:
    """The main target: ``system`` when only the system bridge is built, else ``bundled``."""
    return selected_targets()[0] if selected_targets() == ["system"] else "bundled"


def bundled_builder() -> FFI:
    """Builder of ``dingofs._bridge`` (named in setup.py's ``cffi_modules``)."""
    return make_builder("bundled")


def system_builder() -> FFI:
    """Builder of ``dingofs._bridge_sys`` (named in setup.py's ``cffi_modules``)."""
    return make_builder("system")


def _builder_for_environment() -> FFI:
    return make_builder(selected_target())


#: Builder of the main target for ``cffi_modules`` ("build_ffi.py:ffibuilder"); a
#: callable (cffi calls it) so that importing this file builds nothing.
ffibuilder = _builder_for_environment


def _main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="build_ffi.py",
        description="Build the bridges into build/ffi, or show what a system build would use.")
    parser.add_argument("--find-system", action="store_true",
                        help="print where the system libdingofs is found and exit")
    parser.add_argument("--emit-c", metavar="FILE",
                        help="write the C source of the selected target to FILE and exit")
    parser.add_argument("--target", choices=sorted(MODULES), default=None)
    args = parser.parse_args(argv)
    if args.find_system:
        found = find_system()
        print(f"source:       {found.source}")
        print(f"include_dirs: {' '.join(found.include_dirs)}")
        print(f"library:      {found.library}")
        print(f"link_flags:   {' '.join(found.link_flags)}")
        print(f"version:      {found.version or '(unknown)'}")
        return 0
    targets = [args.target] if args.target else selected_targets()
    if args.emit_c:
        make_builder(targets[0]).emit_c_code(args.emit_c)
        return 0
    for t in targets:
        if t == "bundled":
            check_bundled_archive()
        make_builder(t).compile(tmpdir=os.path.join(HERE, "build", "ffi"), verbose=True)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(_main(sys.argv[1:]))
