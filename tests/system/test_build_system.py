"""The system build mode: finding the library, failing with a fix, and compiling the
bridge unchanged against the upstream header."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from sysutil import ROOT, upstream_prefix

pytestmark = pytest.mark.system

BUILD_FFI = ROOT / "build_ffi.py"


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DINGOFS_") and k not in ("PKG_CONFIG_PATH", "PKG_CONFIG")}
    # A pkg-config that knows nothing: the lookup must not find a stray dingofs.pc.
    env["PKG_CONFIG"] = "false"
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=str(ROOT), env=env,
                          capture_output=True, text=True, timeout=120)


def _with_build_ffi(code: str) -> list[str]:
    """``-c`` arguments running ``code`` with the source tree's build_ffi importable
    (named, not taken from the current directory: with ``PYTHONSAFEPATH`` set, as when
    the tests of an sdist run against an installation, ``-c`` does not add it)."""
    return ["-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {code}"]


@pytest.mark.parametrize("env", [
    {},
    {"DINGOFS_PREFIX": "/nonexistent/dingofs-prefix"},
    {"DINGOFS_INCLUDE_DIR": "/nonexistent/include"},
], ids=["nothing", "bad-prefix", "include-dir-alone"])
def test_missing_system_library_stops_with_the_fix(env):
    proc = _run([str(BUILD_FFI), "--find-system"], _clean_env(**env))
    assert proc.returncode != 0
    msg = proc.stderr
    for needed in ("DINGOFS_PREFIX", "DINGOFS_INCLUDE_DIR", "DINGOFS_LIBRARY_DIR",
                   "pkg-config", "DINGOFS_USE_SYSTEM=0"):
        assert needed in msg, (needed, msg)
    assert "Traceback" not in msg


def test_setup_looks_for_nothing_until_it_builds():
    """Running setup.py for its metadata does not look for the system library."""
    proc = _run(["setup.py", "--name"], _clean_env(DINGOFS_USE_SYSTEM="1"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "dingofs"


def test_setup_stops_before_compiling_when_nothing_is_found(tmp_path):
    proc = _run(["setup.py", "build_ext", "--build-lib", str(tmp_path / "lib"),
                 "--build-temp", str(tmp_path / "temp")], _clean_env(DINGOFS_USE_SYSTEM="1"))
    assert proc.returncode != 0
    assert "DINGOFS_PREFIX" in proc.stderr and "Traceback" not in proc.stderr
    assert not list(tmp_path.rglob("*.o")) and not list(tmp_path.rglob("*.so"))


def test_unknown_use_system_value_is_rejected():
    proc = _run(_with_build_ffi("import build_ffi; build_ffi.selected_targets()"),
                _clean_env(DINGOFS_USE_SYSTEM="sometimes"))
    assert proc.returncode != 0 and "DINGOFS_USE_SYSTEM" in proc.stderr


@pytest.mark.parametrize("env,targets", [
    ({}, "bundled"),
    ({"DINGOFS_USE_SYSTEM": "1"}, "system"),
    ({"DINGOFS_USE_SYSTEM": "both"}, "bundled,system"),
    ({"DINGOFS_USE_SYSTEM": "0", "DINGOFS_PREFIX": "/p"}, "bundled"),
    ({"DINGOFS_PREFIX": "/p"}, "bundled,system"),
    ({"DINGOFS_INCLUDE_DIR": "/i", "DINGOFS_LIBRARY_DIR": "/l"}, "bundled,system"),
], ids=["default", "system-only", "both", "off", "prefix-configured", "dirs-configured"])
def test_selected_targets(env, targets):
    proc = _run(_with_build_ffi("import build_ffi; print(','.join(build_ffi.selected_targets()))"),
                _clean_env(**env))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == targets


def _prefix_or_skip() -> Path:
    prefix = upstream_prefix()
    if prefix is None:
        pytest.skip("the upstream client is not unpacked: run `make upstream` "
                    "(or set DINGOFS_TEST_UPSTREAM_PREFIX)")
    return prefix


@pytest.mark.upstream
def test_find_system_on_the_upstream_prefix():
    prefix = _prefix_or_skip()
    proc = _run([str(BUILD_FFI), "--find-system"], _clean_env(DINGOFS_PREFIX=str(prefix)))
    assert proc.returncode == 0, proc.stderr
    assert f"{prefix}/lib64/libdingofs.so" in proc.stdout
    assert f"-Wl,-rpath-link,{prefix}/dingofs.libs" in proc.stdout


@pytest.mark.upstream
@pytest.mark.parametrize("which", ["upstream", "ours"])
def test_bridge_source_compiles_against_header(tmp_path, which):
    """The system bridge's C sources, unchanged, compile against upstream's header
    (and ours): the code cffi generates with warnings that signal an ABI mismatch
    turned into errors, dingofs/_csrc/bridge.c with the warnings of its build."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler")
    if which == "upstream":
        include = _prefix_or_skip() / "include"
        libdir = _prefix_or_skip() / "lib64"
    else:
        include = ROOT / "native" / "include"
        libdir = tmp_path / "fake-lib"
        libdir.mkdir()
        (libdir / "libdingofs.so.1").write_bytes(b"")
    src = tmp_path / "bridge_sys.c"
    env = _clean_env(DINGOFS_USE_SYSTEM="1", DINGOFS_INCLUDE_DIR=str(include),
                     DINGOFS_LIBRARY_DIR=str(libdir))
    proc = _run([str(BUILD_FFI), "--emit-c", str(src)], env)
    assert proc.returncode == 0, proc.stderr
    pyinc = sysconfig.get_paths()["include"]
    csrc = ROOT / "dingofs" / "_csrc"
    flags = ["-c", "-o", str(tmp_path / "bridge_sys.o"), "-std=gnu11", "-Wall",
             "-Werror=implicit-function-declaration", "-Werror=incompatible-pointer-types",
             "-Werror=int-conversion", "-Werror=return-type", "-Wno-unused-function",
             f"-I{csrc}", f"-I{include}", f"-I{pyinc}", str(src)]
    cproc = subprocess.run([cc, *flags], capture_output=True, text=True, timeout=300)
    assert cproc.returncode == 0, cproc.stderr[-4000:]
    flags = ["-c", "-o", str(tmp_path / "bridge.o"), "-std=gnu11", "-Wall", "-Wextra",
             "-Werror", f"-I{csrc}", f"-I{include}", str(csrc / "bridge.c")]
    cproc = subprocess.run([cc, *flags], capture_output=True, text=True, timeout=300)
    assert cproc.returncode == 0, cproc.stderr[-4000:]
