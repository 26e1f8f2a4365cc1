"""The check that keeps the prebuilt upstream client from stopping the process with
SIGILL on a processor without AVX-512 (it runs before any upstream mount)."""

from __future__ import annotations

import errno

import pytest

from dingofs import _ffi

WITH = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512dq avx512vl bmi2\n"
WITHOUT = "processor\t: 0\nflags\t\t: fpu sse2 avx2 bmi2 adx sha_ni vaes\n"
HALF = "flags\t\t: fpu avx512f\n"


def test_missing_cpu_features_reads_the_flags() -> None:
    assert _ffi.missing_cpu_features(WITH) == []
    assert _ffi.missing_cpu_features(WITHOUT) == ["avx512f", "avx512vl"]
    assert _ffi.missing_cpu_features(HALF) == ["avx512vl"]
    assert _ffi.missing_cpu_features("no flags line\n") == []


def test_this_machine_is_read() -> None:
    missing = _ffi.missing_cpu_features()
    assert set(missing) <= set(_ffi.UPSTREAM_CPU_FEATURES)


def test_embedded_engine_never_has_a_cpu_problem() -> None:
    for backend in _ffi.backends():
        if backend.embedded:
            assert backend.cpu_problem() == ""


class _Upstream:
    """Stands for an upstream library (one cannot be loaded in this tier): only the
    attributes cpu_problem() reads."""

    implementation = "upstream"
    library_path = "/usr/lib/libdingofs.so.1"


def test_upstream_message_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _Upstream()
    monkeypatch.setattr(_ffi, "missing_cpu_features", lambda cpuinfo=None: ["avx512vl"])
    why = _ffi.Backend.cpu_problem(fake)  # type: ignore[arg-type]
    assert "avx512vl" in why and "SIGILL" in why and "/usr/lib/libdingofs.so.1" in why
    assert "DINGOFS_SKIP_CPU_CHECK=1" in why
    monkeypatch.setenv("DINGOFS_SKIP_CPU_CHECK", "1")
    assert _ffi.Backend.cpu_problem(fake) == ""  # type: ignore[arg-type]
    monkeypatch.delenv("DINGOFS_SKIP_CPU_CHECK")
    monkeypatch.setattr(_ffi, "missing_cpu_features", lambda cpuinfo=None: [])
    assert _ffi.Backend.cpu_problem(fake) == ""  # type: ignore[arg-type]


def test_the_mount_fails_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Session.mount raises ENOEXEC with the explanation and never calls the library."""
    from dingofs._calls import Session

    class Lib:
        def dingofs_mount(self, *a: object) -> int:
            raise AssertionError("the library was called")

        dingofs_mount_nolog = dingofs_mount

    class Backend(_Upstream):
        def cpu_problem(self) -> str:
            return "this processor lacks avx512f (AVX-512)"

        def lacks(self, op: str) -> str:
            return ""

    s = Session.__new__(Session)
    s.backend = Backend()
    s.lib = Lib()
    s.h = 1
    from collections import Counter

    s.ops = Counter()
    s.errors = Counter()
    with pytest.raises(OSError) as info:
        s.mount(b"127.0.0.1:1", b"fs", b"/mnt", False)
    assert info.value.errno == errno.ENOEXEC
    assert "AVX-512" in str(info.value) and "dingofs_mount" in str(info.value)
