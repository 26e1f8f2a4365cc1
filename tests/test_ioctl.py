"""ioctl: inode flags through FS_IOC_GETFLAGS / FS_IOC_SETFLAGS."""
from __future__ import annotations

import errno
import struct

import pytest

import dingofs

FS_IOC_GETFLAGS = 0x80086601
FS_IOC_SETFLAGS = 0x40086602
FS_IOC32_GETFLAGS = 0x80046601
FS_IOC_FSGETXATTR = 0x801C581F
FS_NODUMP_FL = 0x40
FS_NOATIME_FL = 0x80
FS_IMMUTABLE_FL = 0x10
FS_APPEND_FL = 0x20


def test_module_constants():
    for name, value in (("FS_IOC_GETFLAGS", FS_IOC_GETFLAGS),
                        ("FS_IOC_SETFLAGS", FS_IOC_SETFLAGS)):
        assert getattr(dingofs, name) == value


def test_getflags_default(client):
    client.write_bytes("/f", b"")
    out = client.ioctl("/f", FS_IOC_GETFLAGS)
    assert isinstance(out, bytes)
    assert len(out) == 8
    assert struct.unpack("<Q", out)[0] == 0


def test_setflags_then_getflags(client):
    client.write_bytes("/f", b"")
    out = client.ioctl("/f", FS_IOC_SETFLAGS, struct.pack("<Q", FS_NODUMP_FL | FS_NOATIME_FL))
    assert len(out) == 8
    got = client.ioctl("/f", FS_IOC_GETFLAGS)
    assert struct.unpack("<Q", got)[0] == FS_NODUMP_FL | FS_NOATIME_FL
    assert client.stat("/f").flags == FS_NODUMP_FL | FS_NOATIME_FL


def test_flags_on_directory(client):
    client.mkdir("/d")
    client.ioctl("/d", FS_IOC_SETFLAGS, struct.pack("<I", FS_NODUMP_FL))
    assert client.stat("/d").flags == FS_NODUMP_FL


@pytest.mark.parametrize("out_size", [0, 1, 4, 8, 16, 100])
def test_out_size(client, out_size):
    client.write_bytes("/f", b"")
    client.ioctl("/f", FS_IOC_SETFLAGS, struct.pack("<I", FS_NODUMP_FL))
    out = client.ioctl("/f", FS_IOC_GETFLAGS, out_size=out_size)
    assert len(out) == out_size
    full = struct.pack("<Q", FS_NODUMP_FL) + bytes(max(0, out_size - 8))
    assert out == full[:out_size]


def test_buffer_sized_by_cmd_and_in_buf(client):
    client.write_bytes("/f", b"")
    # a 4-byte command with a short in_buf: the buffer is zero-filled to the size
    client.ioctl("/f", FS_IOC_SETFLAGS, b"\x40")
    assert client.stat("/f").flags == FS_NODUMP_FL
    out = client.ioctl("/f", FS_IOC32_GETFLAGS, out_size=4)
    assert struct.unpack("<I", out)[0] == FS_NODUMP_FL
    # the 28-byte fsxattr: out_size larger than 8 returns the whole struct
    xa = client.ioctl("/f", FS_IOC_FSGETXATTR, out_size=28)
    assert len(xa) == 28
    # in_buf longer than out_size and cmd size: accepted, out_size bytes back
    out = client.ioctl("/f", FS_IOC_GETFLAGS, b"\xff" * 32, out_size=8)
    assert struct.unpack("<Q", out)[0] == FS_NODUMP_FL


def test_in_buf_any_buffer(client):
    client.write_bytes("/f", b"")
    client.ioctl("/f", FS_IOC_SETFLAGS, bytearray(struct.pack("<Q", FS_NODUMP_FL)))
    assert client.stat("/f").flags == FS_NODUMP_FL
    client.ioctl("/f", FS_IOC_SETFLAGS, memoryview(struct.pack("<Q", 0)))
    assert client.stat("/f").flags == 0


def test_flags_must_be_zero(client):
    client.write_bytes("/f", b"")
    with pytest.raises(ValueError):
        client.ioctl("/f", FS_IOC_GETFLAGS, flags=1)
    assert len(client.ioctl("/f", FS_IOC_GETFLAGS, flags=0)) == 8


def test_unsupported_cmd(client):
    client.write_bytes("/f", b"")
    with pytest.raises(dingofs.DingofsError) as ei:
        client.ioctl("/f", 0x5401)
    assert ei.value.errno == errno.EOPNOTSUPP


def test_ioctl_missing_path(client):
    with pytest.raises(FileNotFoundError):
        client.ioctl("/missing", FS_IOC_GETFLAGS)


@pytest.mark.root
def test_immutable_enforced(client):
    client.write_bytes("/f", b"data")
    client.ioctl("/f", FS_IOC_SETFLAGS, struct.pack("<Q", FS_IMMUTABLE_FL))
    try:
        with pytest.raises(PermissionError):
            client.open("/f", "ab")
        with pytest.raises(PermissionError):
            client.unlink("/f")
        with pytest.raises(PermissionError):
            client.setxattr("/f", "user.x", b"")
        assert client.read_bytes("/f") == b"data"
    finally:
        client.ioctl("/f", FS_IOC_SETFLAGS, struct.pack("<Q", 0))
    client.unlink("/f")


@pytest.mark.root
def test_append_only_enforced(client):
    client.write_bytes("/f", b"data")
    client.ioctl("/f", FS_IOC_SETFLAGS, struct.pack("<Q", FS_APPEND_FL))
    try:
        with client.open("/f", "ab") as f:
            f.write(b"+")
        with pytest.raises(PermissionError):
            client.open("/f", "wb")
        with pytest.raises(PermissionError):
            client.truncate("/f", 0)
        assert client.read_bytes("/f") == b"data+"
    finally:
        client.ioctl("/f", FS_IOC_SETFLAGS, struct.pack("<Q", 0))
