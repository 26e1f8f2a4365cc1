"""The bridge's Python fallbacks give the same results as its C helpers.

The compiled bridge adds helpers around the public C API (``dfx_readdir_pack``
and the ``dfx_*_counted`` calls). A bridge built without them still works:
:mod:`dingofs._calls` and :mod:`dingofs.dir` look each helper up on the
bridge's ``lib`` and use Python equivalents over the plain C functions when it
is missing. These tests build a second client on the same filesystem whose
session sees the real ``lib`` with only those helper names hidden (every call
still goes to the real library), and compare both clients' results.
"""
from __future__ import annotations

import stat
import types

import pytest

from dingofs import _ffi
from dingofs.dir import BATCH

HELPERS = frozenset({
    "dfx_readdir_pack", "dfx_pread_counted", "dfx_read_counted", "dfx_lseek_counted",
    "dfx_stat_counted", "dfx_fstat_counted",
})


class _HelpersHidden:
    """A bridge ``lib`` without the preamble helpers; everything else is the real one."""

    def __init__(self, lib: object) -> None:
        self._lib = lib

    def __getattr__(self, name: str) -> object:
        if name in HELPERS:
            raise AttributeError(name)
        return getattr(self._lib, name)


@pytest.fixture
def pair(factory, monkeypatch):
    """``(with_helpers, fallback)``: two clients on one filesystem."""
    fast = factory("t")
    backend = _ffi.backend_for(fast.mds_addrs)
    missing = sorted(n for n in HELPERS if not hasattr(backend.lib, n))
    if missing:
        pytest.skip(f"this bridge lacks {missing}; only the fallback path exists")
    with monkeypatch.context() as m:
        m.setattr(backend, "lib", _HelpersHidden(backend.lib))
        slow = factory("t")
    assert backend.lib is fast._s.lib  # restored
    return fast, slow


def test_fallback_client_really_uses_python_paths(pair):
    fast, slow = pair
    # C helpers are cffi built-in functions; the fallbacks are Python functions.
    assert not isinstance(fast._s.pread_counted, types.FunctionType)
    for fn in (slow._s.pread_counted, slow._s.read_counted, slow._s.lseek_counted,
               slow._s.x_stat_counted, slow._s.x_fstat_counted):
        assert isinstance(fn, types.FunctionType)
    fast.mkdir("/d")
    with fast.scandir("/d") as it:
        assert it._pack is not None
    with slow.scandir("/d") as it:
        assert it._pack is None


def _populate(client) -> None:
    client.mkdir(b"/tree")
    client.mkdir(b"/tree/sub")
    for i in range(3 * BATCH + 9):
        name = b"f%04d" % i
        if i % 5 == 1:
            name += b"-\xff\xfe"
        if i % 11 == 0:
            name = name + b"L" * (255 - len(name))
        with client.open(b"/tree/" + name, "wb") as f:
            f.write(bytes(range(256)) * (i % 7))
    for i in range(40):
        client.mknod(b"/tree/sub/s%03d\xe9" % i, stat.S_IFREG | 0o600)
    client.symlink("f0002", "/tree/link")
    client.symlink("nowhere", "/tree/dangling")
    client.mknod("/tree/fifo", stat.S_IFIFO | 0o644)


@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_listings_match(pair, as_bytes):
    fast, slow = pair
    _populate(fast)
    top = b"/tree" if as_bytes else "/tree"

    def listdir(c):
        return sorted((e.name, e.ino, e.is_dir(follow_symlinks=False),
                       e.is_symlink()) for e in c.listdir(top))

    def scandir(c):
        with c.scandir(top) as it:
            return sorted((e.name, e.attr, e.is_file()) for e in it)

    def walk(c, topdown):
        return sorted((d, sorted(ds), sorted(fs)) for d, ds, fs in c.walk(top, topdown))

    assert listdir(slow) == listdir(fast)
    assert len(listdir(slow)) == 3 * BATCH + 9 + 4
    assert scandir(slow) == scandir(fast)
    for topdown in (True, False):
        assert walk(slow, topdown) == walk(fast, topdown)
    names = [n for n, *_ in listdir(slow)]
    assert all(type(n) is (bytes if as_bytes else str) for n in names)
    # Attributes from the fallback listing agree with lstat, entry by entry.
    for name, attr, _ in scandir(slow):
        path = (b"/tree/" if as_bytes else "/tree/") + name
        assert attr == slow.lstat(path) == fast.lstat(path)


def test_stat_pread_readinto_match(pair):
    fast, slow = pair
    data = bytes((i * 7 + 3) % 251 for i in range(300_000))
    fast.write_bytes("/blob", data)
    fast.symlink("/blob", "/blob-link")
    for path in ("/blob", "/blob-link", "/"):
        assert slow.stat(path) == fast.stat(path)
        assert slow.lstat(path) == fast.lstat(path)
    with pytest.raises(FileNotFoundError):
        slow.stat("/missing")
    with pytest.raises(FileNotFoundError):
        slow.lstat("/missing")

    spans = [(0, 1), (5, 4096), (65_000, 70_000), (299_990, 100), (400_000, 10), (0, 65_536)]
    results = []
    for c in (fast, slow):
        with c.open("/blob", "rb", buffering=0) as f:
            got = [f.pread(n, off) for off, n in spans]
            assert f.stat() == c.stat("/blob")
            chunks = []
            buf = bytearray(40_000)
            f.seek(123)
            while True:
                n = f.readinto(buf)
                if not n:
                    break
                chunks.append(bytes(buf[:n]))
            assert f.tell() == len(data)
            f.seek(0)
            whole = f.read()
        results.append((got, b"".join(chunks), whole))
    assert results[1] == results[0]
    got, streamed, whole = results[1]
    assert got == [data[off:off + n] for off, n in spans]
    assert streamed == data[123:]
    assert whole == data


def test_getxattr_matches(pair):
    fast, slow = pair
    fast.write_bytes("/x", b"")
    values = {"user.empty": b"", "user.small": b"v\x00\xff", "user.big": b"\xab" * 65_536}
    for name, value in values.items():
        fast.setxattr("/x", name, value)
    for name, value in values.items():
        assert slow.getxattr("/x", name, as_bytes=True) == value
        assert fast.getxattr("/x", name, as_bytes=True) == value
    assert sorted(slow.listxattr("/x")) == sorted(fast.listxattr("/x")) == sorted(values)
    with pytest.raises(OSError):
        slow.getxattr("/x", "user.absent")


@pytest.mark.parametrize("which", ["helpers", "fallback"])
def test_stats_count_counted_calls(pair, which):
    fast, slow = pair
    client = fast if which == "helpers" else slow
    size = 10_000
    client.write_bytes("/s", bytes(size))
    spans = [(0, 100), (9_990, 100), (size, 50), (123, 4096), (size + 10, 1), (0, 1)] * 5
    expect_bytes = sum(max(0, min(n, size - off)) for off, n in spans)
    with client.open("/s", "rb", buffering=0) as f:
        before = client.stats()
        for off, n in spans:
            f.pread(n, off)
        mid = client.stats()
        buf = bytearray(3000)
        reads = 0
        f.seek(0)
        while f.readinto(buf):
            reads += 1
        reads += 1  # the call that returned 0
        after = client.stats()
    ops0, ops1, ops2 = before["ops"], mid["ops"], after["ops"]
    assert ops1.get("dingofs_pread", 0) - ops0.get("dingofs_pread", 0) == len(spans)
    assert mid["bytes_read"] - before["bytes_read"] == expect_bytes
    assert ops2.get("dingofs_read", 0) - ops1.get("dingofs_read", 0) == reads
    assert ops2.get("dingofs_lseek", 0) - ops1.get("dingofs_lseek", 0) >= 1
    assert after["bytes_read"] - mid["bytes_read"] == size
    assert after["calls"] - before["calls"] == sum(
        ops2.get(k, 0) - ops0.get(k, 0) for k in set(ops2) | set(ops0))

    before = client.stats()
    for _ in range(7):
        client.stat("/s")
    with pytest.raises(FileNotFoundError):
        client.stat("/nope")
    after = client.stats()
    assert after["ops"]["dingofs_x_stat"] - before["ops"].get("dingofs_x_stat", 0) == 8
    assert after["bytes_read"] == before["bytes_read"]
