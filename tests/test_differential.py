"""Differential tests: the SDK on ``local://`` against the host filesystem via ``os``.

The same random operation sequences run on both sides (see
``differential/machine.py``); results, sizes, modes, link counts, sorted
listings, file contents and the errno of every failure must agree.
Profiles (``HYPOTHESIS_PROFILE``): ``ci`` (default, short), ``dev``, ``long``
(10,000 examples). ``DINGOFS_FUZZ_SECONDS`` bounds the ``slow`` long run.

Every divergence found is kept below as a plain regression test.
"""
from __future__ import annotations

import errno
import gc
import os
import stat
import sys
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

sys.path.insert(0, os.path.dirname(__file__))

from differential import machine as dm  # noqa: E402
from differential.hostfs import escapes, probe_host  # noqa: E402
from differential.osclient import OsClient  # noqa: E402
from differential.runner import machine_settings, run_as_nobody, run_for  # noqa: E402

import dingofs  # noqa: E402


def build_client(base: str, umask: int) -> dingofs.Client:
    return dingofs.Client.build(f"local://d?base={base}", "d", "/mnt/d", umask=umask,
                                init_logging=False)


class SdkMachine(dm.DiffMachine):
    def open_client(self, base: str, umask: int) -> dingofs.Client:
        return build_client(base, umask)


class OsMachine(dm.DiffMachine):
    """The machine against an ``os``-backed stand-in: must never diverge."""

    def open_client(self, base: str, umask: int) -> OsClient:
        return OsClient(base, umask)


# --------------------------------------------------------------------------
# the harness itself
# --------------------------------------------------------------------------
def test_host_probe_reports_capabilities() -> None:
    caps = probe_host()
    assert caps.name_max >= 255
    if not caps.bytes_names:
        pytest.skip("host filesystem refuses non-UTF-8 names")


def test_escape_detection(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path)
    os.mkdir(root + b"/a")
    os.symlink(b"..", root + b"/a/up")
    os.symlink(b"../..", root + b"/a/out")
    os.symlink(b"/etc", root + b"/abs")
    assert not escapes(root, b"a/up/a")
    assert escapes(root, b"a/out")
    assert escapes(root, b"a/out/x")
    assert escapes(root, b"a/../..")
    assert escapes(root, b"abs")
    assert not escapes(root, b"missing/../../..")  # lookup fails before climbing
    os.symlink(b"loop", root + b"/loop")
    assert not escapes(root, b"loop")


def test_machine_agrees_with_itself() -> None:
    """Run against ``os`` on both sides the machine must see no divergence."""
    run_state_machine_as_test(OsMachine, settings=machine_settings(0.5, database=False))


class _Skewed:
    """A stat result whose link count is one too high."""

    def __init__(self, st: os.stat_result) -> None:
        self._st = st
        self.st_nlink = st.st_nlink + 1

    def __getattr__(self, name: str):
        return getattr(self._st, name)


class _NlinkLies(OsClient):
    def lstat(self, path: bytes) -> os.stat_result:
        st = super().lstat(path)
        if stat.S_ISREG(st.st_mode):
            return _Skewed(st)
        return st


class _FaultyMachine(dm.DiffMachine):
    def open_client(self, base: str, umask: int) -> OsClient:
        return _NlinkLies(base, umask)


def test_machine_detects_a_planted_fault() -> None:
    with pytest.raises(dm.Divergence):
        run_state_machine_as_test(
            _FaultyMachine, settings=settings(machine_settings(database=False),
                                              max_examples=200, print_blob=False,
                                              report_multiple_bugs=False))


# --------------------------------------------------------------------------
# the SDK against the host
# --------------------------------------------------------------------------
def test_differential_sdk_vs_host() -> None:
    run_state_machine_as_test(SdkMachine, settings=machine_settings())


def _run_unprivileged(scratch: str) -> None:
    dm.DiffMachine._caps = None  # probe again as this uid (trusted.* is root only)

    class Unprivileged(SdkMachine):
        scratch_parent = scratch

    run_state_machine_as_test(Unprivileged, settings=machine_settings(0.5, database=False))


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to an unprivileged uid")
def test_differential_unprivileged() -> None:
    run_as_nobody(_run_unprivileged)


@pytest.mark.slow
def test_differential_long() -> None:
    """``make fuzz-long``: 10,000 examples or DINGOFS_FUZZ_SECONDS, whichever first."""
    seconds = float(os.environ.get("DINGOFS_FUZZ_SECONDS", "3600"))
    examples = int(os.environ.get("DINGOFS_DIFF_EXAMPLES", "10000"))
    done = run_for(SdkMachine, seconds, examples)
    assert done > 0


# --------------------------------------------------------------------------
# regression tests: one per divergence found, minimal and explicit
# --------------------------------------------------------------------------
@pytest.fixture
def pair(tmp_path: Path):
    """(client, host directory) with the same umask on both sides."""
    umask = os.umask(0o022)
    os.umask(umask)
    host = tmp_path / "host"
    host.mkdir()
    base = tmp_path / "sdk"
    base.mkdir()
    client = build_client(str(base), umask)
    try:
        yield client, os.fsencode(host)
    finally:
        client.stop()


def _survives_in_child(fn) -> None:
    """Run ``fn`` in a forked child: it must neither crash nor fail."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            fn()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert not os.WIFSIGNALED(status), f"child killed by signal {os.WTERMSIG(status)}"
    assert os.WEXITSTATUS(status) == 0, f"child exit status {os.WEXITSTATUS(status)}"


def _failed_call_in_a_cycle(call) -> None:
    """Make a failing call whose exception (and its frames) become cyclic garbage."""
    for _ in range(20):
        try:
            call()
        except OSError as e:
            e.keep = e
        gc.collect()


def test_regression_failed_setxattr_then_gc_does_not_crash(tmp_path: Path) -> None:
    """Found by the differential run: a failed setxattr followed by a GC pass
    segfaulted the interpreter. The value was wrapped in a memoryview and handed to
    ``ffi.from_buffer`` without releasing it; once the exception's frames became
    cyclic garbage the collector cleared the still-exported memoryview."""

    def body() -> None:
        c = build_client(str(tmp_path), 0o022)
        _failed_call_in_a_cycle(lambda: c.setxattr(b"/missing", "user.a", b"value"))
        c.stop()

    _survives_in_child(body)


def test_regression_failed_pwrite_of_memoryview_then_gc_does_not_crash(tmp_path: Path) -> None:
    """Same root cause on the write path: the caller's memoryview stays exported
    by an unreleased ``ffi.from_buffer`` when the C call fails (EFBIG here)."""

    def body() -> None:
        c = build_client(str(tmp_path), 0o022)
        f = c.open("/f", "wb")
        _failed_call_in_a_cycle(lambda: f.pwrite(memoryview(b"payload"), 1 << 62))
        f.close()
        c.stop()

    _survives_in_child(body)


@pytest.mark.parametrize("op", ["getxattr", "setxattr", "removexattr"])
def test_regression_xattr_unknown_namespace_on_missing_path_is_enoent(pair, op: str) -> None:
    """Found by the differential run: Linux resolves the path before it looks at
    the attribute's namespace, so a missing path is ENOENT whatever the name; the
    engine checked the namespace first (ops.cc: XattrNs() before ResolveIno())
    and answered EOPNOTSUPP."""
    client, host = pair
    calls = {
        "getxattr": (lambda p: os.getxattr(p, "bogus.x"),
                     lambda p: client.getxattr(p, "bogus.x")),
        "setxattr": (lambda p: os.setxattr(p, "bogus.x", b"v"),
                     lambda p: client.setxattr(p, "bogus.x", b"v")),
        "removexattr": (lambda p: os.removexattr(p, "bogus.x"),
                        lambda p: client.removexattr(p, "bogus.x")),
    }
    on_host, on_sdk = calls[op]
    assert _errno_of(lambda: on_host(host + b"/missing")) == errno.ENOENT
    assert _errno_of(lambda: on_sdk(b"/missing")) == errno.ENOENT


def test_regression_link_directory_onto_existing_name_is_eexist(pair) -> None:
    """Found by the differential run: link(dir, existing) is EEXIST on Linux (the
    new name is checked before vfs_link refuses a directory); the engine checked
    the directory first (ops.cc Fs::Link: S_ISDIR -> EPERM before the lookup of
    newpath) and answered EPERM."""
    client, host = pair
    os.mkdir(host + b"/a")
    client.mkdir(b"/a")
    assert _errno_of(lambda: os.link(host + b"/a", host + b"/a", follow_symlinks=False)) \
        == errno.EEXIST
    assert _errno_of(lambda: client.link(b"/a", b"/a")) == errno.EEXIST
    # a fresh name still gives EPERM on both sides
    assert _errno_of(lambda: os.link(host + b"/a", host + b"/b", follow_symlinks=False)) \
        == errno.EPERM
    assert _errno_of(lambda: client.link(b"/a", b"/b")) == errno.EPERM


TRAILING_SLASH_CASES = {
    # name: (what exists at "x" beforehand, host call, sdk call, expected errno)
    "open-creat-missing": (None, lambda h: open(h + b"/x/", "ab"),  # noqa: SIM115
                           lambda c: c.open(b"/x/", "ab"), errno.EISDIR),
    "open-creat-file": ("file", lambda h: open(h + b"/x/", "ab"),  # noqa: SIM115
                        lambda c: c.open(b"/x/", "ab"), errno.EISDIR),
    "mkdir-over-file": ("file", lambda h: os.mkdir(h + b"/x/"),
                        lambda c: c.mkdir(b"/x/"), errno.EEXIST),
    "mknod-over-file": ("file", lambda h: os.mknod(h + b"/x/", 0o100644),
                        lambda c: c.mknod(b"/x/", 0o100644), errno.EEXIST),
}


@pytest.mark.parametrize("case", sorted(TRAILING_SLASH_CASES))
def test_regression_trailing_slash_on_create(pair, case: str) -> None:
    """Found by the differential run. Linux: O_CREAT with a trailing slash is
    EISDIR whether or not the name exists, and mkdir/mknod of an existing name
    is EEXIST before any trailing-slash check. The engine's resolver
    (path.cc: ``trailing && !S_ISDIR -> ENOTDIR`` on the final component) answered
    ENOTDIR first."""
    client, host = pair
    before, on_host, on_sdk, expected = TRAILING_SLASH_CASES[case]
    if before == "file":
        with open(host + b"/x", "wb"):
            pass
        client.open(b"/x", "wb").close()
    assert _errno_of(lambda: on_host(host)) == expected
    assert _errno_of(lambda: on_sdk(client)) == expected


@pytest.mark.parametrize("suffix", [b"/./", b"/.", b"/../", b"//"])
@pytest.mark.parametrize("mode", ["xb", "ab"])
def test_regression_create_on_directory_dot_names(pair, suffix: bytes, mode: str) -> None:
    """Found by the long differential run: ``open("dir/./", "xb")`` is EEXIST on
    Linux (a final "." or ".." names an existing directory, and O_EXCL reports
    that first), while ``open("dir//", "xb")`` and every non-exclusive create
    with a trailing slash are EISDIR. The engine answered EISDIR for all."""
    client, host = pair
    os.mkdir(host + b"/d")
    client.mkdir(b"/d")
    expected = _errno_of(lambda: open(host + b"/d" + suffix, mode))  # noqa: SIM115
    assert expected in (errno.EEXIST, errno.EISDIR)
    assert _errno_of(lambda: client.open(b"/d" + suffix, mode)) == expected


@pytest.mark.parametrize("target", [b"e/", b"d/", b"nx/", b"f/", b"missing/y/"])
@pytest.mark.parametrize("mode", ["ab+", "rb"])
def test_regression_create_through_symlink_with_trailing_slash(pair, target: bytes,
                                                                mode: str) -> None:
    """Found by the long differential run: creating through a symlink whose
    target ends in "/" (``e -> e/``) is EISDIR on Linux before the target's last
    name is looked up; the engine followed the loop and answered ELOOP."""
    client, host = pair
    os.mkdir(host + b"/d")
    client.mkdir(b"/d")
    open(host + b"/f", "wb").close()  # noqa: SIM115
    client.open(b"/f", "wb").close()
    os.symlink(target, host + b"/e")
    client.symlink(target, b"/e")
    expected = _errno_of(lambda: open(host + b"/e", mode).close())  # noqa: SIM115
    assert _errno_of(lambda: client.open(b"/e", mode).close()) == expected


def _errno_of(fn) -> int | None:
    try:
        fn()
    except OSError as e:
        return e.errno
    return None


@pytest.mark.parametrize("size", [1, 4000, 100_000], ids=["inline-1", "inline-4000", "data-file"])
@pytest.mark.parametrize("times", [None, (1000, 2000)], ids=["now", "explicit"])
@pytest.mark.parametrize("follow", [True, False], ids=["follow", "nofollow"])
def test_regression_utime_of_a_file_open_with_unwritten_bytes(pair, size: int, times,
                                                               follow: bool) -> None:
    """Found by the long differential run: ``open(p, "wb")``, ``write``, then
    ``utime(p)`` by path before the close lost the written bytes of a small
    file (the size stayed, the content read back as zeros). The engine's
    ``Fs::Utimens`` marked the open inode clean instead of committing it, and an
    inline file's bytes live in memory until that commit."""
    client, host = pair
    payload = bytes(range(1, 256)) * (size // 255) + bytes(range(1, size % 255 + 1))
    with open(host + b"/a", "wb") as hf, client.open(b"/a", "wb") as sf:
        hf.write(payload)
        sf.write(payload)
        hf.flush()  # the bytes reach the host's file before the times are set
        os.utime(host + b"/a", times, follow_symlinks=follow)
        client.utime(b"/a", times, follow_symlinks=follow)
    assert client.read_bytes(b"/a") == payload
    with open(host + b"/a", "rb") as f:
        assert f.read() == payload
    if times is not None:
        assert client.stat(b"/a").st_mtime == os.stat(host + b"/a").st_mtime == 2000
