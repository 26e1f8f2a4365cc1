"""The cffi declarations cover the whole public header; extensions are optional."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import bundled_backend

ROOT = Path(__file__).resolve().parents[1]
HEADER = ROOT / "native" / "include" / "dingofs" / "libdingofs.h"

_DECL = re.compile(
    r"(?P<ret>[A-Za-z_][\w\s\*]*?[\s\*])(?P<name>dingofs_\w+)\s*\((?P<params>[^)]*)\)\s*;")


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def header_functions() -> dict[str, tuple[str, str]]:
    """name -> (return type, parameter list) of every function in the header."""
    text = " ".join(_strip_comments(HEADER.read_text()).split())
    out = {}
    for m in _DECL.finditer(text):
        ret = m.group("ret").strip()
        ret = re.sub(r"^.*?\b(?=(const\s+)?[A-Za-z_]\w*\s*\**$)", "", ret).strip()
        out[m.group("name")] = (ret, m.group("params").strip())
    return out


def load_build_ffi():
    spec = importlib.util.spec_from_file_location("_dingofs_build_ffi_under_test",
                                                  ROOT / "build_ffi.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def build_ffi():
    return load_build_ffi()


@pytest.fixture(scope="module")
def cdef_text(build_ffi):
    paths = [Path(p) if os.path.isabs(p) else ROOT / p for p in build_ffi.CDEF_FILES]
    assert paths, "CDEF_FILES is empty"
    for p in paths:
        assert p.is_file(), p
    return _strip_comments(build_ffi.read_cdef())


def _norm_params(params):
    """The parameter types of a parameter list (names and spacing dropped)."""
    parts = []
    for p in params.split(","):
        p = " ".join(p.replace("*", " * ").replace("[", " [ ").split())
        # drop the parameter name (last identifier before optional [..])
        p = re.sub(r"\s[A-Za-z_]\w*(\s\[.*\])?$", lambda m: m.group(1) or "", p)
        parts.append(p.replace(" ", ""))
    return parts


def test_loading_the_builder_leaves_sys_path_alone():
    """A process that loads build_ffi.py (as these tests do) goes on importing the
    installed package: the source tree does not stay on sys.path."""
    before = list(sys.path)
    load_build_ffi()
    assert sys.path == before


def _core(funcs):
    return sorted(n for n in funcs if not n.startswith("dingofs_x_"))


def _ext(funcs):
    return sorted(n for n in funcs if n.startswith("dingofs_x_"))


def test_header_has_45_core_functions():
    funcs = header_functions()
    core = _core(funcs)
    assert len(core) == 45, core
    assert "dingofs_new" in core and "dingofs_ioctl" in core
    assert len(_ext(funcs)) >= 9


def test_every_core_function_is_declared(cdef_text):
    declared = set(re.findall(r"\b(dingofs_\w+)\s*\(", cdef_text))
    missing = [n for n in _core(header_functions()) if n not in declared]
    assert missing == []


def test_core_declarations_match_header(cdef_text):
    """Same return type and parameter types as the header (names ignored)."""
    cdef_funcs = {m.group("name"): (m.group("ret").strip(), m.group("params").strip())
                  for m in _DECL.finditer(" ".join(cdef_text.split()))}
    for name in _core(header_functions()):
        ret, params = header_functions()[name]
        cret, cparams = cdef_funcs[name]
        assert ret.replace(" ", "") == cret.replace(" ", ""), name
        assert _norm_params(params) == _norm_params(cparams), name


def test_extension_list_matches_header(build_ffi, cdef_text):
    """extensions.def, the one list the wrappers come from, has each extension of the
    header once, with its return and parameter types; the cdef declares its wrappers
    with the same signatures."""
    entries = build_ffi.read_extensions()
    names = [name for name, _, _ in entries]
    assert len(names) == len(set(names))
    header = header_functions()
    assert sorted("dingofs_x_" + n for n in names) == _ext(header)
    wrappers = {m.group(1): m.group(2) for m in re.finditer(
        r"\bdfx_(\w+)\s*\(([^)]*)\)\s*;", " ".join(cdef_text.split()))}
    for name, ret, params in entries:
        hret, hparams = header["dingofs_x_" + name]
        assert ret.replace(" ", "") == hret.replace(" ", ""), name
        assert params.startswith("(") and params.endswith(")"), name
        assert _norm_params(params[1:-1]) == _norm_params(hparams), name
        assert _norm_params(wrappers[name]) == _norm_params(hparams), name


def test_extensions_are_wrapped_not_declared(cdef_text):
    """The cdef never declares dingofs_x_* itself (so the module loads against a
    library without them) but declares a wrapper for each one."""
    declared = set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", cdef_text))
    assert not [n for n in declared if n.startswith("dingofs_x_")]
    for ext in _ext(header_functions()):
        short = ext[len("dingofs_x_"):]
        assert any(d != ext and d.endswith("_" + short) for d in declared), ext


def test_package_extension_names_match_header():
    from dingofs import _ffi
    assert sorted(_ffi.EXTENSIONS) == sorted(n[len("dingofs_x_"):]
                                             for n in _ext(header_functions()))


def test_bundled_backend_has_every_extension():
    import dingofs
    from dingofs import _ffi
    b = bundled_backend()
    assert b.embedded is True
    assert b.version == dingofs.__version__
    assert set(b.extensions) == set(_ffi.EXTENSIONS)
    assert all(b.has(e) for e in _ffi.EXTENSIONS)


def test_bundled_bridge_links_no_shared_libdingofs():
    """The engine is static inside the bridge: no libdingofs.so.1 is mapped unless a
    system bridge is loaded too."""
    from dingofs import _ffi
    bundled = bundled_backend()
    maps = Path("/proc/self/maps").read_text()
    names = {b.name for b in _ffi.backends()}
    if "system" not in names:
        assert "libdingofs.so" not in maps
    assert bundled.module_file and os.path.basename(bundled.module_file) in maps


def test_system_bridge_on_the_engine_has_every_extension():
    """A system bridge built against this project's own libdingofs.so.1 (a distro
    build: ``make -C native install``, then ``DINGOFS_USE_SYSTEM=1``) has the whole
    engine: every extension, the package's version, from the mapped shared library."""
    import dingofs
    from dingofs import _ffi
    system = [b for b in _ffi.backends() if b.name == "system"]
    if not system:
        pytest.skip("no system bridge (dingofs._bridge_sys) is loaded")
    b = system[0]
    if b.implementation != "embedded":
        pytest.skip(f"the system library is not this project's engine ({b.implementation})")
    assert b.kind == "system" and b.embedded is True
    assert b.version == dingofs.__version__
    assert set(b.extensions) == set(_ffi.EXTENSIONS)
    assert os.path.basename(b.library_path).startswith("libdingofs.so")
    assert b.library_path != os.path.realpath(b.module_file)
    assert b.library_path in Path("/proc/self/maps").read_text()


# --------------------------------------------------------------------------
# extensions absent: compile the real bridge source against a library that
# only has the 45 core functions (stubs), and look at it through dingofs._ffi
# --------------------------------------------------------------------------
def _stub_source() -> str:
    lines = ["#include <errno.h>"]
    for name in _core(header_functions()):
        ret, params = header_functions()[name]
        if ret == "void":
            body = ""
        elif ret == "uintptr_t":
            body = "return 0;"
        else:
            body = "return -ENOSYS;"
        fixed = [q.strip() for q in params.split(",")]
        lines.append(f"{ret} {name}({', '.join(fixed)}) {{ {body} }}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def stub_bridge(build_ffi, tmp_path_factory):
    from cffi import FFI
    tmp = tmp_path_factory.mktemp("stubbridge")
    ffi = FFI()
    ffi.cdef(build_ffi.read_cdef())
    modname = "_dingofs_stub_bridge"
    opts = build_ffi.compile_options()
    ffi.set_source(modname, build_ffi.read_preamble() + _stub_source(),
                   sources=opts["sources"],
                   include_dirs=[*opts["include_dirs"], str(ROOT / "native" / "include")],
                   extra_compile_args=["-Wno-unused-function", "-Wno-unused-parameter"])
    so = ffi.compile(tmpdir=str(tmp), verbose=False)
    spec = importlib.util.spec_from_file_location(modname, so)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    sys.modules.pop(modname, None)
    return mod


def test_absent_extensions_report_eopnotsupp(stub_bridge):
    import errno

    from dingofs import _ffi
    lib, ffi = stub_bridge.lib, stub_bridge.ffi
    backend = _ffi.Backend("stub", stub_bridge)
    assert backend.extensions == frozenset()
    assert backend.embedded is False
    assert backend.version == ""
    assert int(lib.dfx_present()) == 0
    assert lib.dfx_version(ffi.NULL) == ffi.NULL
    E = -errno.EOPNOTSUPP
    st = ffi.new("struct stat*")
    fl = ffi.new("uint32_t*")
    assert lib.dfx_mknod(1, b"/x", 0o100644, 0) == E
    assert lib.dfx_utimens(1, b"/x", ffi.NULL, 0) == E
    assert lib.dfx_stat(1, b"/x", 0, st, fl) == E
    assert lib.dfx_fstat(1, 3, st, fl) == E
    buf = ffi.new("dingofs_x_direntplus_t[4]")
    assert lib.dfx_readdirplus(1, 1, buf, 4) == E
    assert lib.dfx_rename2(1, b"/a", b"/b", 0) == E
    assert lib.dfx_copy_file_range(1, 3, ffi.NULL, 4, ffi.NULL, 10, 0) == E
    assert lib.dfx_flock(1, 3, 2) == E
    assert lib.dfx_fallocate(1, 3, 0, 0, 10) == E
    assert lib.dfx_access(1, b"/x", 0) == E
    assert lib.dfx_lchown(1, b"/x", 0, 0) == E
    assert lib.dfx_fchmod(1, 3, 0o644) == E
    assert lib.dfx_fchown(1, 3, 0, 0) == E
    assert lib.dfx_fsck(b"local://x", 0, ffi.NULL) == E
    assert lib.dfx_setattr(1, b"/x", 0, 1, 0o644, 0, 0, 0, ffi.NULL, st, fl) == E
    assert lib.dfx_last_attr(1, st, fl) == E
    buf_err = ffi.new("char[16]")
    assert lib.dfx_last_error(buf_err, 16) == 0
    local = ffi.new("dingofs_x_local_t**")
    assert lib.dfx_local_info(b"local://x", 0, local) == E
    assert lib.dfx_local_list(ffi.NULL, 0, local) == E
    assert local[0] == ffi.NULL
    assert lib.dfx_local_remove(b"local://x") == E
    lib.dfx_free(ffi.NULL)  # a no-op, must not crash
    # the core functions are the stubs: the module really is bound to them
    assert lib.dingofs_new() == 0
    assert lib.dingofs_stat(1, b"/", st) == -errno.ENOSYS


def test_absent_extension_raises_through_call_layer(stub_bridge):
    import errno

    import dingofs
    from dingofs import _calls, _ffi
    backend = _ffi.Backend("stub", stub_bridge)
    session = _calls.Session(backend, 1)
    assert session.has("mknod") is False
    with pytest.raises(dingofs.DingofsError) as ei:
        session.x_mknod(b"/x", 0o100644, 0, "/x")
    assert ei.value.errno == errno.EOPNOTSUPP
    assert ei.value.operation == "dingofs_x_mknod"
    for call, op in ((lambda: _calls.local_info(backend, b"local://x"), "dingofs_x_local_info"),
                     (lambda: _calls.local_list(backend, None), "dingofs_x_local_list"),
                     (lambda: _calls.local_remove(backend, b"local://x"),
                      "dingofs_x_local_remove")):
        with pytest.raises(dingofs.DingofsError) as ei:
            call()
        assert ei.value.errno == errno.EOPNOTSUPP
        assert ei.value.operation == op
        assert "extension of the embedded engine" in str(ei.value)
    # without the extension, the identity is the address itself
    assert _calls.filesystem_identity(backend, "local://x", "x") == "local://x|x"


def test_one_version_number_in_the_tree():
    """The package's version is the only one written down: the engine's and the
    examples' build files read it from dingofs/_version.py."""
    root = Path(__file__).resolve().parent.parent
    native_mk = root / "native" / "Makefile"
    examples_mk = root / "examples" / "c" / "Makefile"
    if not native_mk.exists() or shutil.which("make") is None:
        pytest.skip("needs the source tree and make")
    import dingofs
    for mk in (native_mk, examples_mk):
        text = mk.read_text()
        assert dingofs.__version__ not in text, mk
        assert "dingofs/_version.py" in text, mk
    out = subprocess.run(["make", "-s", "-C", str(root / "native"), "-p", "-n", "-q",
                          "VERSION_CHECK"], capture_output=True, text=True).stdout
    assert f"VERSION := {dingofs.__version__}" in out
