"""Find an installed libdingofs (the system library) for the system bridge.

Order: ``DINGOFS_INCLUDE_DIR`` + ``DINGOFS_LIBRARY_DIR`` (exact directories),
then ``DINGOFS_PREFIX`` (``include/``, and ``lib64/`` then ``lib/``), then
pkg-config ``dingofs`` (the program named by ``PKG_CONFIG``). A prefix laid out
like the upstream client (``PREFIX/dingofs.libs`` next to the library
directory) gets ``-rpath-link`` to it. The library's version comes from
``DINGOFS_SYSTEM_VERSION``, else ``LIBDIR/pkgconfig/dingofs.pc``, else
``pkg-config --modversion``.

Nothing is looked up when this module is imported: only :func:`find_system`
looks. ``python buildtools/find_lib.py`` prints what it finds.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

#: Where the header lies below an include directory.
HEADER_REL = os.path.join("dingofs", "libdingofs.h")

#: File names of the library to link, in order of preference (development link first).
LIBRARY_NAMES = ("libdingofs.so", "libdingofs.so.1")

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
    """The system build was asked for but no usable libdingofs was found.

    A :class:`SystemExit`, so that the build stops with the message and no traceback.
    """

    def __init__(self, problem: str) -> None:
        super().__init__(f"build_ffi: {problem}\n{_HOW_TO_FIX}")


def library_file(libdir: str) -> str | None:
    """The libdingofs file to link in ``libdir``, or ``None`` when it holds none."""
    for name in LIBRARY_NAMES:
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
    :ivar source: how it was found (``"DINGOFS_INCLUDE_DIR/DINGOFS_LIBRARY_DIR"``,
        ``"DINGOFS_PREFIX"``, ``"pkg-config"``).
    :raises SystemLibraryNotFound: when the directories lack the library or the header.
    """

    def __init__(self, include_dirs: list[str], library_dir: str, link_flags: list[str],
                 version: str, source: str) -> None:
        lib = library_file(library_dir)
        if lib is None:
            raise SystemLibraryNotFound(
                f"no libdingofs.so or libdingofs.so.1 in {library_dir} (from {source})."
            )
        if not any(os.path.isfile(os.path.join(d, HEADER_REL)) for d in include_dirs):
            raise SystemLibraryNotFound(
                f"no {HEADER_REL} under {', '.join(include_dirs) or '(no include dir)'} "
                f"(from {source})."
            )
        self.include_dirs = include_dirs
        self.library_dir = library_dir
        self.library = lib
        self.link_flags = link_flags
        self.version = version
        self.source = source

    def __repr__(self) -> str:
        return (f"SystemLibrary(include_dirs={self.include_dirs!r}, library={self.library!r}, "
                f"version={self.version!r}, source={self.source!r})")

    def link_options(self) -> dict[str, list[str]]:
        """Options of a setuptools ``Extension`` that links this library; its directory
        is the run-time search path."""
        link = ["-ldingofs"] if self.library.endswith(".so") else [self.library]
        return {
            "include_dirs": list(self.include_dirs),
            "library_dirs": [self.library_dir],
            "runtime_library_dirs": [self.library_dir],
            "libraries": ["dl"],
            "extra_link_args": [*link, *self.link_flags],
            "depends": [self.library],
        }

    def describe(self) -> str:
        """The lines ``build_ffi.py --find-system`` prints."""
        return "\n".join([
            f"source:       {self.source}",
            f"include_dirs: {' '.join(self.include_dirs)}",
            f"library:      {self.library}",
            f"link_flags:   {' '.join(self.link_flags)}",
            f"version:      {self.version or '(unknown)'}",
        ])


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
    """``items`` without repetitions, in their first order."""
    return list(dict.fromkeys(items))


def system_configured() -> bool:
    """Whether the environment names a system library explicitly (no lookup is made)."""
    env = os.environ
    return bool(env.get("DINGOFS_PREFIX", "").strip()) or bool(
        env.get("DINGOFS_INCLUDE_DIR", "").strip() and env.get("DINGOFS_LIBRARY_DIR", "").strip()
    )


def _from_pkg_config() -> SystemLibrary | None:
    """The library pkg-config ``dingofs`` describes; ``None`` when it knows none."""
    cflags = _pkg_config("--cflags-only-I")
    libs = _pkg_config("--libs")
    if cflags is None or libs is None:
        return None
    incs = [f[2:] for f in cflags if f.startswith("-I")] or ["/usr/include"]
    libdirs = [f[2:] for f in libs if f.startswith("-L")]
    if not libdirs:
        var = _pkg_config("--variable=libdir")
        libdirs = [var[0]] if var else []
    extra = [f for f in libs if not f.startswith(("-L", "-l"))]
    found = [d for d in libdirs if library_file(d)]
    if not found:
        raise SystemLibraryNotFound(
            "pkg-config dingofs names no directory holding libdingofs.so or "
            f"libdingofs.so.1 (library dirs: {', '.join(libdirs) or 'none'})."
        )
    version = (_pkg_config("--modversion") or [""])[0] or _version_hint()
    return SystemLibrary(incs, found[0], _unique(extra + _deps_rpath_link(found[0])), version,
                         "pkg-config")


def find_system() -> SystemLibrary:
    """Locate an installed libdingofs, or stop the build saying how to point at one.

    :returns: where the library, its header and its dependencies are.
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
            if library_file(d):
                return SystemLibrary(incs, d, _deps_rpath_link(d), _version_hint(d),
                                     "DINGOFS_PREFIX")
        raise SystemLibraryNotFound(
            f"no libdingofs.so or libdingofs.so.1 in {' or '.join(candidates)} "
            f"(DINGOFS_PREFIX={prefix})."
        )
    found = _from_pkg_config()
    if found is not None:
        return found
    raise SystemLibraryNotFound(
        "a system libdingofs was requested (DINGOFS_USE_SYSTEM) but none was found: "
        "DINGOFS_PREFIX, DINGOFS_INCLUDE_DIR/DINGOFS_LIBRARY_DIR are unset and "
        "pkg-config does not know the package dingofs."
    )


def main() -> int:
    """Print where the system library is found (or stop saying how to point at one)."""
    print(find_system().describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
