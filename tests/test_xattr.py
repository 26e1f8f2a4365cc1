"""Extended attributes."""
from __future__ import annotations

import errno
import os

import pytest

import dingofs


def test_set_get_list_remove(client):
    client.write_bytes("/f", b"")
    assert client.setxattr("/f", "user.a", b"1") is None
    client.setxattr("/f", "user.b", "two")
    assert client.getxattr("/f", "user.a") == "1"
    assert client.getxattr("/f", "user.b", as_bytes=True) == b"two"
    names = client.listxattr("/f")
    assert isinstance(names, list)
    assert sorted(names) == ["user.a", "user.b"]
    assert all(isinstance(n, str) for n in names)
    assert client.removexattr("/f", "user.a") is None
    assert client.listxattr("/f") == ["user.b"]
    with pytest.raises(dingofs.DingofsError) as ei:
        client.getxattr("/f", "user.a")
    assert ei.value.errno == errno.ENODATA


def test_getxattr_str_is_lossless(client):
    client.write_bytes("/f", b"")
    raw = b"\xff\xfe binary \x00 with nul \xc3\xa9"
    client.setxattr("/f", "user.bin", raw)
    s = client.getxattr("/f", "user.bin")
    assert isinstance(s, str)
    assert s.encode("utf-8", "surrogateescape") == raw
    client.setxattr("/f", "user.copy", s)  # str back in: same bytes
    assert client.getxattr("/f", "user.copy", as_bytes=True) == raw


@pytest.mark.parametrize("value", [b"", b"x", bytearray(b"ba"), memoryview(b"mv"),
                                   bytes(range(256)) * 256],
                         ids=["empty", "bytes", "bytearray", "memoryview", "64KiB"])
def test_value_types(client, value):
    client.write_bytes("/f", b"")
    client.setxattr("/f", "user.v", value)
    assert client.getxattr("/f", "user.v", as_bytes=True) == bytes(value)


def test_getxattr_as_bytes_is_keyword_only(client):
    client.write_bytes("/f", b"")
    client.setxattr("/f", "user.v", b"x")
    with pytest.raises(TypeError):
        client.getxattr("/f", "user.v", True)


def test_flags(client):
    client.write_bytes("/f", b"")
    client.setxattr("/f", "user.a", b"1", os.XATTR_CREATE)
    with pytest.raises(FileExistsError):
        client.setxattr("/f", "user.a", b"2", os.XATTR_CREATE)
    client.setxattr("/f", "user.a", b"3", os.XATTR_REPLACE)
    assert client.getxattr("/f", "user.a") == "3"
    with pytest.raises(dingofs.DingofsError) as ei:
        client.setxattr("/f", "user.new", b"x", flags=os.XATTR_REPLACE)
    assert ei.value.errno == errno.ENODATA
    client.setxattr("/f", "user.a", b"4", flags=0)
    assert client.getxattr("/f", "user.a") == "4"


def test_xattr_on_directory_and_symlink_target(client):
    client.mkdir("/d")
    client.setxattr("/d", "user.dir", b"yes")
    assert client.listxattr("/d") == ["user.dir"]
    client.symlink("/d", "/l")
    assert client.getxattr("/l", "user.dir") == "yes"  # follows


def test_many_and_large_names(client):
    client.write_bytes("/f", b"")
    names = [f"user.{'n' * 200}{i:03d}" for i in range(60)]
    for n in names:
        client.setxattr("/f", n, n.encode())
    assert sorted(client.listxattr("/f")) == sorted(names)
    assert client.getxattr("/f", names[17]) == names[17]


def test_xattr_errors(client):
    client.write_bytes("/f", b"")
    with pytest.raises(FileNotFoundError):
        client.getxattr("/missing", "user.a")
    with pytest.raises(dingofs.DingofsError) as ei:
        client.setxattr("/f", "user." + "n" * 300, b"")
    assert ei.value.errno == errno.ERANGE
    with pytest.raises(dingofs.DingofsError) as ei:
        client.removexattr("/f", "user.none")
    assert ei.value.errno == errno.ENODATA
    with pytest.raises(TypeError):
        client.setxattr("/f", "user.a", 3)
    with pytest.raises(TypeError):
        client.setxattr("/f", "user.a", b"", "0")
    assert client.listxattr("/f") == []


def test_xattr_bytes_path(client):
    client.write_bytes("/f", b"")
    client.setxattr(b"/f", "user.a", b"1")
    assert client.getxattr(b"/f", "user.a") == "1"
    assert "user.a" in client.listxattr(b"/f")
    client.removexattr(b"/f", "user.a")
