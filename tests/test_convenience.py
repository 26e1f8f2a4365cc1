"""Convenience helpers beyond the documented API."""
from __future__ import annotations

import errno
import os

import pytest

import dingofs


def test_exists_isdir_isfile_islink(client):
    client.mkdir("/d")
    client.write_bytes("/f", b"")
    client.symlink("/d", "/ld")
    client.symlink("/nowhere", "/dangling")
    table = {
        "/d": (True, True, False, False),
        "/f": (True, False, True, False),
        "/ld": (True, True, False, True),
        "/dangling": (False, False, False, True),
        "/missing": (False, False, False, False),
        "/f/under-file": (False, False, False, False),
    }
    for path, expected in table.items():
        got = (client.exists(path), client.isdir(path), client.isfile(path),
               client.islink(path))
        assert got == expected, path


def test_predicates_like_os_path(client, local_dir):
    client.mkdir("/d")
    (local_dir / "d").mkdir()
    for name in ("d", "missing", "d/x"):
        assert client.exists("/" + name) == os.path.exists(local_dir / name)
        assert client.isdir("/" + name) == os.path.isdir(local_dir / name)


def test_access(client):
    client.write_bytes("/f", b"")
    client.chmod("/f", 0o644)
    assert client.access("/f", os.F_OK) is True
    assert client.access("/f", os.R_OK | os.W_OK) is True
    assert client.access("/missing", os.F_OK) is False
    if os.geteuid() == 0:
        assert client.access("/f", os.X_OK) is False  # root: needs an x bit somewhere
        client.chmod("/f", 0o744)
        assert client.access("/f", os.X_OK) is True


def test_remove(client):
    client.write_bytes("/f", b"")
    client.remove("/f")
    assert not client.exists("/f")
    with pytest.raises(FileNotFoundError):
        client.remove("/f")
    client.mkdir("/d")
    with pytest.raises(IsADirectoryError):
        client.remove("/d")


def test_rmtree(client):
    client.makedirs("/t/a/b")
    for i in range(100):
        client.write_bytes(f"/t/a/b/{i}", b"x")
    client.symlink("/keep", "/t/link")
    client.mkdir("/keep")
    client.write_bytes("/keep/f", b"")
    client.symlink("/keep", "/t/a/dirlink")
    client.rmtree("/t")
    assert not client.exists("/t")
    assert client.exists("/keep/f")  # symlinks are not followed
    with pytest.raises(FileNotFoundError):
        client.rmtree("/t")


def test_read_write_bytes_text(client):
    assert client.write_bytes("/b", b"\x00\x01") in (None, 2)
    assert client.read_bytes("/b") == b"\x00\x01"
    client.write_bytes("/b", bytearray(b"new"))
    assert client.read_bytes("/b") == b"new"
    client.write_text("/t", "h\xe9llo\n", encoding="latin-1")
    assert client.read_bytes("/t") == b"h\xe9llo\n"
    assert client.read_text("/t", encoding="latin-1") == "h\xe9llo\n"
    client.write_text("/u", "\u20ac")
    assert client.read_text("/u") == "\u20ac"
    with pytest.raises(TypeError):
        client.write_bytes("/b", "str")
    with pytest.raises(TypeError):
        client.write_text("/t", b"bytes")


def test_copy_between_local_and_dingofs(client, local_dir):
    data = os.urandom(300_000)
    src = local_dir / "src.bin"
    src.write_bytes(data)
    # local path -> dingofs
    assert client.copy(str(src), "/in.bin", src_local=True) == len(data)
    assert client.read_bytes("/in.bin") == data
    # local file object -> dingofs
    with open(src, "rb") as fin:
        assert client.copy(fin, "/in2.bin") == len(data)
    assert client.read_bytes("/in2.bin") == data
    # dingofs -> local path and local file object
    out = local_dir / "out.bin"
    assert client.copy("/in.bin", str(out), dst_local=True) == len(data)
    assert out.read_bytes() == data
    with open(local_dir / "out2.bin", "wb") as fout:
        client.copy("/in2.bin", fout)
    assert (local_dir / "out2.bin").read_bytes() == data


def test_copy_inside_dingofs_is_server_side(client):
    data = os.urandom(1 << 20)
    client.write_bytes("/a", data)
    before = client.stats()
    assert client.copy("/a", "/b") == len(data)
    after = client.stats()
    assert client.read_bytes("/b") == data
    assert after["ops"].get("dingofs_x_copy_file_range", 0) > \
        before["ops"].get("dingofs_x_copy_file_range", 0)


def test_copy_missing_source(client, local_dir):
    with pytest.raises(FileNotFoundError):
        client.copy("/missing", "/x")
    with pytest.raises(FileNotFoundError):
        client.copy(str(local_dir / "missing"), "/x", src_local=True)


def test_atomic_write(client):
    client.write_bytes("/target", b"old")
    with client.atomic_write("/target") as f:
        f.write(b"new content")
        # not visible before the block ends
        assert client.read_bytes("/target") == b"old"
    assert client.read_bytes("/target") == b"new content"
    assert [e.name for e in client.listdir("/")] == ["target"]


def test_atomic_write_failure_keeps_old(client):
    client.write_bytes("/target", b"old")
    with pytest.raises(RuntimeError), client.atomic_write("/target") as f:
        f.write(b"partial")
        raise RuntimeError("abort")
    assert client.read_bytes("/target") == b"old"
    assert [e.name for e in client.listdir("/")] == ["target"]


def test_stats(client):
    s0 = client.stats()
    client.write_bytes("/f", b"x" * 1000)
    client.read_bytes("/f")
    with pytest.raises(FileNotFoundError):
        client.stat("/missing")
    s1 = client.stats()
    assert s1["calls"] > s0["calls"]
    assert s1["bytes_written"] - s0["bytes_written"] == 1000
    assert s1["bytes_read"] - s0["bytes_read"] == 1000
    assert s1["failed_calls"] == s0["failed_calls"] + 1
    assert s1["errors"].get("dingofs_stat", 0) + s1["errors"].get("dingofs_x_stat", 0) >= 1
    assert isinstance(s1["ops"], dict)


def test_stats_count_counted_calls(client):
    """pread, read, lseek and x_stat are counted in C by the bridge helpers."""
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


def test_stats_are_per_client(factory):
    a = factory()
    b = factory()
    a.write_bytes("/f", b"abc")
    assert b.stats()["bytes_written"] == 0
    with pytest.raises(OSError) as ei:
        a.rmdir("/f")
    assert ei.value.errno == errno.ENOTDIR
    assert isinstance(dingofs.Client, type)
