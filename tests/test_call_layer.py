"""The call layer's rules: only it touches the bridges, and the one place where C
writes into a ``bytes`` object makes that object fresh and unshared."""

from __future__ import annotations

import re
import stat
import struct
import sys
from pathlib import Path

import pytest

import dingofs
from dingofs import _ffi
from dingofs._calls import Session, new_handle

PACKAGE = Path(dingofs.__file__).parent
#: Modules allowed to use a bridge's ``ffi``/``lib`` and a session's internals.
CALL_LAYER = {"_calls.py", "_ffi.py"}
FORBIDDEN = re.compile(
    r"\.lib\b|\.ffi\b|\bffi\.|\blib\.(?!\w+\s*=)"  # the compiled bridge
    r"|\b_?s(?:ession)?\._[a-z]\w*"  # a session's private members
    r"|\b_?client\._[a-z]\w*"  # a client's private members (from other modules)
)


def _offences(text: str) -> list[str]:
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0]
        code = code.replace("contextlib.", "").replace("importlib.", "")
        if FORBIDDEN.search(code):
            out.append(f"{lineno}: {line.strip()}")
    return out


def test_the_pattern_catches_what_it_should() -> None:
    assert _offences("x = self._s.lib.O_RDONLY")
    assert _offences("cbuf = ffi.from_buffer(b)")
    assert _offences("buf = s._scratch_pool.pop()")
    assert _offences("it = client._scandir(p, True, 64)")
    assert not _offences("with contextlib.suppress(OSError):")
    assert not _offences("flags = s.k.O_RDONLY")


@pytest.mark.parametrize("module", sorted(
    p.name for p in PACKAGE.glob("*.py") if p.name not in CALL_LAYER and p.name != "client.py"))
def test_only_the_call_layer_touches_the_bridge(module: str) -> None:
    assert _offences((PACKAGE / module).read_text()) == []


def test_the_client_touches_no_bridge_and_no_session_internals() -> None:
    text = (PACKAGE / "client.py").read_text()
    # The client may use its own private members (self._x), never a session's or a bridge's.
    bad = [line for line in _offences(text) if "client._" not in line or "self" not in line]
    assert bad == []


@pytest.fixture(scope="module")
def session() -> Session:
    backend = _ffi.backends()[0]
    s = Session(backend, new_handle(backend))
    yield s
    s.delete()


def test_fresh_bytes_are_new_and_unshared(session: Session) -> None:
    scratch = session.scratch()
    try:
        for value in (b"Z", b"\x00", b"", b"abc" * 1000):
            session.copy(scratch, value, len(value))  # cffi accepts bytes as a source
            n = max(len(value), 1)

            def fill(cbuf: object, want: int, value: bytes = value) -> int:
                session.copy(cbuf, scratch, len(value))
                return len(value)

            a = session.fresh(n, fill)
            b = session.fresh(n, fill)
            assert a == b == value
            assert a is not b or value == b""
            if value:
                # Nothing but the local name holds it: not a cached one-byte object, not
                # an interned or otherwise shared bytes.
                assert sys.getrefcount(a) == 2
        # The interpreter's own one-byte objects were not written into.
        assert bytes([0x5A]) == b"Z" and bytes(1) == b"\x00"
    finally:
        session.unscratch(scratch)


def test_fresh_refuses_an_empty_buffer(session: Session) -> None:
    with pytest.raises(ValueError):
        session.fresh(0, lambda cbuf, n: 0)


def test_fresh_passes_a_failure_on(session: Session) -> None:
    def fail(cbuf: object, n: int) -> int:
        raise OSError(5, "boom")

    with pytest.raises(OSError):
        session.fresh(16, fail)


def test_read_results_are_unshared(client: dingofs.Client) -> None:
    with client.open("/fresh.bin", "wb") as f:
        f.write(b"x" * 300_000)
    with client.open("/fresh.bin", "rb") as f:
        big = f.read(200_000)  # through Session.fresh
        rest = f.read()  # readall: through Session.fresh too
        part = f.pread(100_000, 1000)
    assert big == b"x" * 200_000 and rest == b"x" * 100_000 and part == b"x" * 100_000
    assert type(big) is type(rest) is type(part) is bytes
    # Only the local name holds each (getrefcount adds its own argument).
    assert sys.getrefcount(big) == 2
    assert sys.getrefcount(rest) == 2
    assert sys.getrefcount(part) == 2


def test_stat_without_the_extension_matches_x_stat(client: dingofs.Client) -> None:
    """The plain ``dingofs_stat``/``dingofs_lstat`` path that a library without
    ``dingofs_x_stat`` takes gives the same attributes (the flags read on first use)."""
    client.write_bytes("/plain.bin", b"abc")
    client.symlink("plain.bin", "/plain.lnk")
    nodump = 0x40  # FS_NODUMP_FL
    client.ioctl("/plain.bin", dingofs.FS_IOC_SETFLAGS, struct.pack("<Q", nodump))
    mount = client._mount
    nofollow = client._s.nofollow
    for path, flags in (("/plain.bin", 0), ("/plain.lnk", 0), ("/plain.lnk", nofollow)):
        plain = mount.stat_plain(mount.gate, path.encode(), flags, path)
        fast = mount.session.x_stat_attr(mount.gate, path.encode(), flags, path)
        assert plain == fast, path
        assert plain.flags == fast.flags
    assert mount.stat_plain(mount.gate, b"/plain.bin", 0).flags == nodump
    with pytest.raises(FileNotFoundError):
        mount.stat_plain(mount.gate, b"/missing", 0, "/missing")
    client.stop()
    with pytest.raises(dingofs.ClientStoppedError):
        mount.stat_plain(mount.gate, b"/plain.bin", 0, "/plain.bin")


def test_readinto_past_one_chunk_fills_in_pieces(client: dingofs.Client,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A buffer larger than one C read (``CHUNK``) is filled by a loop of reads, up to
    the end of the file."""
    from dingofs import _calls

    monkeypatch.setattr(_calls, "CHUNK", 1000)
    data = bytes(range(256)) * 20  # 5,120 bytes
    client.write_bytes("/chunks.bin", data)
    reads_before = client.stats()["ops"].get("dingofs_read", 0)
    with client.open("/chunks.bin", "rb") as f:
        buf = bytearray(4500)
        assert f.readinto(buf) == 4500
        assert bytes(buf) == data[:4500]
        assert f.readinto(buf) == 620  # the rest, then the end of the file
        assert bytes(buf[:620]) == data[4500:]
        assert f.readinto(buf) == 0
    assert client.stats()["ops"]["dingofs_read"] - reads_before >= 5 + 2


def test_every_attribute_call_decodes_the_same_record(client: dingofs.Client) -> None:
    """stat, lstat, fstat, a scandir entry, set_attr's result and the plain calls all
    come through the bridge's one attribute record: each field arrives whole (times
    before the epoch, nanoseconds, sizes past 4 GiB, the inode flags)."""
    atime = -1_500_000_000_123_456_789  # 1922, with nanoseconds
    mtime = 4_102_444_800_987_654_321  # 2100
    client.write_bytes("/rec.bin", b"abc")
    client.truncate("/rec.bin", 5 << 30)
    client.ioctl("/rec.bin", dingofs.FS_IOC_SETFLAGS, struct.pack("<Q", 0x40))
    client.utime("/rec.bin", ns=(atime, mtime))
    a = client.stat("/rec.bin")
    assert (a.atime, a.mtime, a.length, a.flags) == (atime, mtime, 5 << 30, 0x40)
    assert a.st_atime_ns == atime and a.st_mtime_ns == mtime
    assert a.ino > 1 and stat.S_ISREG(a.mode) and a.nlink == 1 and a.dev == client.stat("/").dev
    assert client.lstat("/rec.bin") == a
    with client.open("/rec.bin", "rb") as f:
        assert f.stat() == a and f.stat().flags == 0x40
        plain_f = client._s.plain_attr("dingofs_fstat", f._fd, "/rec.bin")
    (entry,) = [e for e in client.scandir("/", attrs=True) if e.name == "rec.bin"]
    assert entry.stat() == a and entry.stat().flags == 0x40
    mount = client._mount
    plain = mount.stat_plain(mount.gate, b"/rec.bin", 0, "/rec.bin")
    assert plain == a and plain.flags == 0x40
    assert plain_f[:10] == a[:10] and plain_f.flags == 0  # no loader: flags not read
    changed = client.set_attr("/rec.bin", dingofs.SET_ATTR_MODE, dingofs.Attr(mode=0o600))
    assert stat.S_IMODE(changed.mode) == 0o600
    assert (changed.atime, changed.mtime, changed.length, changed.flags) == (
        atime, mtime, 5 << 30, 0x40)


def test_a_file_gate_is_shut_and_its_descriptor_closed_once(client: dingofs.Client) -> None:
    """``Session.close_file`` (one C call): a second close through the same file
    gate, as from a thread that saw the file open just before another closed it,
    closes nothing, not even a newer file that got the same descriptor number."""
    client.write_bytes("/c.bin", b"abc")
    mount = client._mount
    s = mount.session
    f = client.open("/c.bin", "rb")
    fg, fd = f._gate, f._fd
    before = s.snapshot()["ops"].get("dingofs_close", 0)
    s.close_file(fg, mount.gate, fd)
    newer = client.open("/c.bin", "rb")
    fg.closed = False  # the Python mirror as the late thread saw it
    s.close_file(fg, mount.gate, fd)
    assert fg.closed
    assert s.snapshot()["ops"]["dingofs_close"] == before + 1
    assert newer.read() == b"abc"
    newer.close()
    assert s.snapshot()["ops"]["dingofs_close"] == before + 2
