"""cffi API-mode builder of the bridges between Python and the libdingofs C ABI.

A bridge is the code cffi generates from the declarations (``dingofs/_cdef/``,
``dingofs/_csrc/extensions.def``) after ``dingofs/_csrc/bridge.h``, plus
``dingofs/_csrc/bridge.c``. Target ``bundled`` (``dingofs._bridge``) links the
engine's PIC archive ``native/build/libdingofs.a`` whole and hidden
(``--exclude-libs,ALL``: the module exports only ``PyInit__bridge``); target
``system`` (``dingofs._bridge_sys``) links an installed ``libdingofs.so.1`` that
:mod:`buildtools.find_lib` finds, with its directory as run-time search path.

``DINGOFS_USE_SYSTEM`` chooses the targets (:func:`selected_targets`); INSTALL.md
lists every build variable. Importing this file looks nothing up: setup.py's
builders get their library from :func:`add_target_options` when the build runs.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from typing import Any

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
# buildtools/ is next to this file; the tree leaves sys.path again so that a process
# loading this file (a test) goes on importing the installed package, not the tree.
sys.path.insert(0, HERE)
try:
    from buildtools import find_lib
finally:
    sys.path.remove(HERE)

CDEF_DIR = os.path.join(HERE, "dingofs", "_cdef")
CSRC_DIR = os.path.join(HERE, "dingofs", "_csrc")
#: The one list of the wrapped extensions (an X-macro file, see its comment).
EXTENSIONS_DEF = os.path.join(CSRC_DIR, "extensions.def")
#: The header cffi puts in front of the code it generates (its ``set_source`` text).
BRIDGE_HEADER = os.path.join(CSRC_DIR, "bridge.h")
#: C files compiled into every bridge besides the code cffi generates.
C_SOURCES: list[str] = [os.path.join(CSRC_DIR, "bridge.c")]

#: Declaration files in ``cdef`` order: types, the header's groups, the wrappers (made by
#: :func:`extension_cdef` from ``extensions.def``), the helpers (marked in ``bridge.h``).
CDEF_FILES: list[str] = [
    *(os.path.join(CDEF_DIR, name) for name in (
        "00_platform.h", "10_types.h", "20_lifecycle.h", "30_fileio.h", "40_metadata.h",
        "50_directories.h", "60_links.h", "70_xattr_ioctl.h", "80_extensions.h")),
    EXTENSIONS_DEF,
    BRIDGE_HEADER,
]

#: Module name of each target.
MODULES: dict[str, str] = {"bundled": "dingofs._bridge", "system": "dingofs._bridge_sys"}

#: Warnings of native/'s C (tests, fuzz driver, examples): the bridge is clean of them.
WARNINGS = ["-Wall", "-Wextra", "-Werror"]

#: An entry of extensions.def: _VOID?, name, return type (not with _VOID), (parameters).
_ENTRY = re.compile(r"\bDFX_EXTENSION(_VOID)?\(\s*(\w+)\s*,\s*(?:([^,()]+?)\s*,\s*)?(\([^()]*\))")


def read_extensions() -> list[tuple[str, str, str]]:
    """``(name, return type, "(parameters)")`` of each entry of ``extensions.def``, in
    the order of their feature bits."""
    text = re.sub(r"/\*.*?\*/", " ", _read(EXTENSIONS_DEF), flags=re.S)
    return [(m.group(2), " ".join((m.group(3) or "void").split()), " ".join(m.group(4).split()))
            for m in _ENTRY.finditer(text)]


def extension_cdef() -> str:
    """The cffi declarations of the wrappers ``dfx_NAME`` of ``extensions.def``."""
    return "".join(f"{ret} dfx_{name}{params};\n" for name, ret, params in read_extensions())


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def read_preamble() -> str:
    """The C text cffi puts in front of the code it generates: :data:`BRIDGE_HEADER`."""
    return _read(BRIDGE_HEADER)


def read_cdef() -> str:
    """The declarations of :data:`CDEF_FILES` in order (of ``bridge.h``, its marked part)."""
    helpers = _read(BRIDGE_HEADER).split("/* cdef: begin")[1].split("/* cdef: end */")[0]
    helpers = re.sub(r"(?m)^#define (\w+) .*$", r"#define \1 ...", helpers.split("*/", 1)[1])
    return "\n".join(extension_cdef() if path == EXTENSIONS_DEF else
                     helpers if path == BRIDGE_HEADER else _read(path) for path in CDEF_FILES)


def bundled_archive() -> str:
    """Path of the engine's archive (``libdingofs.a``) the bundled bridge links."""
    build_dir = os.environ.get("DINGOFS_NATIVE_BUILD", os.path.join(HERE, "native", "build"))
    return os.path.join(build_dir, "libdingofs.a")


def check_bundled_archive() -> None:
    """Stop with a clear message when the engine archive is missing."""
    if not os.path.exists(archive := bundled_archive()):
        raise SystemExit(
            f"build_ffi: the embedded engine archive {archive} does not exist.\n"
            "Build it first with `make -C native` (setup.py's build_ext does it), point "
            "DINGOFS_NATIVE_BUILD at the directory holding it, or set DINGOFS_USE_SYSTEM=1 "
            "to link an installed libdingofs.so.1 instead."
        )


def _reproducible_flags() -> list[str]:
    """Flags that keep the source tree's location out of the module's debug information
    (two checkouts of one commit build identical bridges); ``DINGOFS_REPRO_FLAGS``
    replaces them."""
    given = os.environ.get("DINGOFS_REPRO_FLAGS")
    return [f"-ffile-prefix-map={HERE}=."] if given is None else shlex.split(given)


def _c_string(text: str) -> str:
    """``text`` as a C string literal for a ``-D`` definition."""
    safe = "".join(c for c in text if c.isprintable() and c not in '"\\')
    return f'"{safe}"'


def compile_options() -> dict[str, Any]:
    """``set_source`` options common to both targets: the C files and how to compile them."""
    return {
        "sources": list(C_SOURCES),
        "include_dirs": [CSRC_DIR],
        "extra_compile_args": ["-O2", "-std=gnu11", *WARNINGS, *_reproducible_flags()],
        "depends": [*CDEF_FILES, *C_SOURCES, BRIDGE_HEADER],
    }


def target_options(target: str) -> dict[str, Any]:
    """``set_source`` options of ``target``: its library (the system target looks for it).

    :raises SystemExit: when the system library is not found.
    """
    ldflags = shlex.split(os.environ.get("DINGOFS_LDFLAGS", ""))
    if target == "bundled":
        # setup.py's build_ext runs `make -C native` before linking.
        archive = bundled_archive()
        libs = ["-lsqlite3", "-lstdc++", "-lpthread", "-ldl",
                *shlex.split(os.environ.get("DINGOFS_EXTRA_LIBS", ""))]
        return {
            "include_dirs": [os.path.join(HERE, "native", "include")],
            "extra_link_args": ["-Wl,--whole-archive", archive, "-Wl,--no-whole-archive",
                                "-Wl,--exclude-libs,ALL", *libs, *ldflags],
            "define_macros": [("DFX_BUILT_VERSION", _c_string(""))],
            "depends": [archive, os.path.join(HERE, "native", "include", "dingofs",
                                              "libdingofs.h")],
        }
    found = find_lib.find_system()
    opts: dict[str, Any] = found.link_options()
    opts["extra_link_args"] += ldflags
    opts["define_macros"] = [("DFX_BUILT_VERSION", _c_string(found.version))]
    return opts


def make_builder(target: str = "bundled", with_library: bool = True) -> FFI:
    """Return the :class:`cffi.FFI` builder of ``target`` (``bundled`` or ``system``).

    :param with_library: include :func:`target_options` (else :func:`add_target_options`).
    """
    if target not in MODULES:
        raise ValueError(f"unknown bridge target {target!r}")
    opts = compile_options()
    if with_library:
        for key, value in target_options(target).items():
            opts.setdefault(key, []).extend(value)
    ffi = FFI()
    ffi.cdef(read_cdef())
    ffi.set_source(MODULES[target], read_preamble(), **opts)
    return ffi


def add_target_options(ext: Any) -> None:
    """Complete the setuptools ``Extension`` of a builder made without its library
    (setup.py calls it from cffi's ``pre_run`` hook, when the build runs)."""
    target = next(t for t, module in MODULES.items() if module == ext.name)
    for key, value in target_options(target).items():
        getattr(ext, key).extend(value)


def selected_targets() -> list[str]:
    """The bridges ``DINGOFS_USE_SYSTEM`` asks for, bundled first: ``1`` (``yes``, ``true``,
    ``on``) the system one; ``both``; ``0`` (``no``, ``false``, ``off``) the bundled one;
    unset, the bundled one plus the system one when ``DINGOFS_PREFIX`` or both
    ``DINGOFS_INCLUDE_DIR`` and ``DINGOFS_LIBRARY_DIR`` name a library.

    :raises SystemExit: for any other value.
    """
    flag = os.environ.get("DINGOFS_USE_SYSTEM", "").strip().lower()
    if flag in ("1", "true", "yes", "on"):
        return ["system"]
    if flag == "both":
        return ["bundled", "system"]
    if flag in ("0", "false", "no", "off"):
        return ["bundled"]
    if flag:
        raise SystemExit(f"build_ffi: DINGOFS_USE_SYSTEM={flag!r} is not understood; use 1 "
                         "(system library only), both (bundled engine and system library) "
                         "or 0 (bundled engine only).")
    return ["bundled", "system"] if find_lib.system_configured() else ["bundled"]


def bundled_builder() -> FFI:
    """Builder of ``dingofs._bridge`` for setup.py's ``cffi_modules`` (library added later)."""
    return make_builder("bundled", with_library=False)


def system_builder() -> FFI:
    """Builder of ``dingofs._bridge_sys`` for setup.py (library looked for later)."""
    return make_builder("system", with_library=False)


def ffibuilder() -> FFI:
    """Complete builder of the main target (the system one when it is the only one)."""
    return make_builder(selected_targets()[0])


def _main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="build_ffi.py", description=(
        "Compile the bridges into build/ffi, or show what a system build would use."))
    parser.add_argument("--find-system", action="store_true",
                        help="print where the system libdingofs is found and exit")
    parser.add_argument("--emit-c", metavar="FILE",
                        help="write the C cffi generates for the selected target to FILE")
    parser.add_argument("--target", choices=sorted(MODULES), default=None)
    args = parser.parse_args(argv)
    if args.find_system:
        return find_lib.main()
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
    sys.exit(_main(sys.argv[1:]))
