"""link, symlink, readlink, unlink, rename."""
from __future__ import annotations

import errno

import pytest

import dingofs


def test_symlink_and_readlink(client):
    a = client.symlink("relative/target", "/l")
    assert isinstance(a, dingofs.Attr)
    assert a.type == dingofs.FileType.Symlink
    assert client.readlink("/l") == "relative/target"
    assert client.readlink(b"/l") == b"relative/target"
    assert client.lstat("/l").length == len("relative/target")


def test_readlink_long_target(client):
    target = "/" + "/".join(["x" * 200] * 18)  # > 3600 bytes
    client.symlink(target, "/long")
    assert client.readlink("/long") == target


def test_readlink_non_utf8(client):
    target = b"/caf\xe9"
    client.symlink(target, b"/l")
    assert client.readlink(b"/l") == target
    assert client.readlink("/l") == target.decode("utf-8", "surrogateescape")


def test_symlink_followed(client):
    client.mkdir("/dir")
    client.write_bytes("/dir/f", b"through link")
    client.symlink("/dir", "/dl")
    assert client.read_bytes("/dl/f") == b"through link"
    client.symlink("dir/f", "/rel")
    assert client.read_bytes("/rel") == b"through link"


def test_open_through_dangling_symlink_creates_target(client):
    client.symlink("/created", "/dangling")
    with client.open("/dangling", "wb") as f:
        f.write(b"x")
    assert client.read_bytes("/created") == b"x"


def test_link(client):
    client.write_bytes("/f", b"data")
    a = client.link("/f", "/g")
    assert isinstance(a, dingofs.Attr)
    assert a.nlink == 2
    assert a.ino == client.stat("/f").ino
    client.unlink("/f")
    assert client.read_bytes("/g") == b"data"
    assert client.stat("/g").nlink == 1


def test_link_does_not_follow_source_symlink(client):
    client.write_bytes("/f", b"")
    client.symlink("/f", "/s")
    a = client.link("/s", "/s2")
    assert a.type == dingofs.FileType.Symlink
    assert client.lstat("/s2").ino == client.lstat("/s").ino


def test_unlink(client):
    client.write_bytes("/f", b"")
    assert client.unlink("/f") is None
    assert not client.exists("/f")
    with pytest.raises(FileNotFoundError):
        client.unlink("/f")
    client.symlink("/nowhere", "/s")
    client.unlink("/s")
    assert not client.islink("/s")


def test_unlink_open_file_stays_usable(client):
    client.write_bytes("/f", b"keep")
    with client.open("/f", "rb+") as f:
        client.unlink("/f")
        assert not client.exists("/f")
        assert f.read() == b"keep"
        f.write(b"more")
        f.seek(0)
        assert f.read() == b"keepmore"


def test_rename(client):
    client.write_bytes("/a", b"A")
    assert client.rename("/a", "/b") is None
    assert client.read_bytes("/b") == b"A"
    assert not client.exists("/a")
    client.write_bytes("/c", b"C")
    client.rename("/c", "/b")  # replaces
    assert client.read_bytes("/b") == b"C"
    client.rename("/b", "/b")  # no-op
    assert client.read_bytes("/b") == b"C"


def test_rename_directories(client):
    client.makedirs("/x/y")
    client.write_bytes("/x/y/f", b"1")
    client.mkdir("/empty")
    client.rename("/x", "/empty")  # a directory over an empty directory
    assert client.read_bytes("/empty/y/f") == b"1"
    client.mkdir("/full")
    client.write_bytes("/full/f", b"")
    with pytest.raises(OSError) as ei:
        client.rename("/empty", "/full")
    assert ei.value.errno == errno.ENOTEMPTY
    client.write_bytes("/file", b"")
    with pytest.raises(NotADirectoryError):
        client.rename("/empty", "/file")


def test_rename_like_os(client, local_dir):
    import os
    ops = [("a", "b"), ("d1", "d2"), ("b", "d2/b"), ("d2", "d2/sub"), ("missing", "x"),
           ("d2/b", "d2/b"), ("f", "d1")]
    client.write_bytes("/a", b"")
    (local_dir / "a").write_bytes(b"")
    client.mkdir("/d1")
    (local_dir / "d1").mkdir()
    client.write_bytes("/f", b"")
    (local_dir / "f").write_bytes(b"")
    for src, dst in ops:
        results = []
        for fn in (lambda: client.rename("/" + src, "/" + dst),
                   lambda: os.rename(local_dir / src, local_dir / dst)):
            try:
                fn()
                results.append(None)
            except OSError as e:
                results.append(e.errno)
        assert results[0] == results[1], (src, dst, results)
