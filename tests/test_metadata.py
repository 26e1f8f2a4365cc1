"""stat/lstat, Attr, set_attr, chmod/chown/utime, truncate."""
from __future__ import annotations

import errno
import os
import stat
import time

import pytest

import dingofs
from dingofs import FileType

NS = 1_000_000_000


def test_constants():
    assert (dingofs.SET_ATTR_MODE, dingofs.SET_ATTR_UID, dingofs.SET_ATTR_GID,
            dingofs.SET_ATTR_SIZE, dingofs.SET_ATTR_ATIME, dingofs.SET_ATTR_MTIME,
            dingofs.SET_ATTR_ATIME_NOW, dingofs.SET_ATTR_MTIME_NOW, dingofs.SET_ATTR_CTIME,
            dingofs.SET_ATTR_FLAGS) == (0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x80, 0x100, 0x400,
                                        0x100000)


def test_filetype_values():
    assert FileType.Directory == 1
    assert FileType.Symlink == 2
    assert FileType.File == 3
    for name in ("FIFO", "CHR", "BLK", "SOCK"):
        assert isinstance(getattr(FileType, name), FileType)
    assert issubclass(FileType, int)


def test_stat_fields(client):
    t0 = time.time_ns()
    client.write_bytes("/f", b"hello")
    a = client.stat("/f")
    assert isinstance(a, dingofs.Attr)
    for f in ("ino", "mode", "nlink", "uid", "gid", "length", "rdev", "atime", "mtime",
              "ctime", "flags"):
        assert isinstance(getattr(a, f), int), f
    assert a.type == FileType.File
    assert stat.S_ISREG(a.mode)
    assert a.nlink == 1
    assert a.uid == os.geteuid()
    assert a.gid == os.getegid()
    assert a.length == 5
    assert a.rdev == 0
    assert a.flags == 0
    assert a.ino > 1
    now = time.time_ns()
    for t in (a.atime, a.mtime, a.ctime):
        assert t0 - 2 * NS <= t <= now + 2 * NS


def test_root(client):
    a = client.stat("/")
    assert a.ino == 1
    assert a.type == FileType.Directory
    assert a.nlink == 2


def test_directory_nlink(client):
    client.mkdir("/d")
    client.mkdir("/d/a")
    client.mkdir("/d/b")
    client.write_bytes("/d/f", b"")
    assert client.stat("/d").nlink == 4


def test_stat_result_view(client):
    client.write_bytes("/f", b"x" * 10_000)
    a = client.stat("/f")
    assert a.st_mode == a.mode
    assert a.st_ino == a.ino
    assert a.st_nlink == a.nlink
    assert a.st_uid == a.uid
    assert a.st_gid == a.gid
    assert a.st_size == a.length == 10_000
    assert a.st_atime_ns == a.atime
    assert a.st_mtime_ns == a.mtime
    assert a.st_ctime_ns == a.ctime
    assert a.st_mtime == pytest.approx(a.mtime / NS)
    assert isinstance(a.st_mtime, float)
    assert a.st_blksize > 0
    assert a.st_blocks * 512 >= 10_000
    # st_dev: stable per filesystem
    client.mkdir("/d")
    assert client.stat("/d").st_dev == a.st_dev
    assert client.stat("/f").st_dev == a.st_dev


def test_st_dev_differs_between_filesystems(factory):
    a = factory("one")
    b = factory("two")
    assert a.stat("/").st_dev != b.stat("/").st_dev
    again = factory("one")
    assert again.stat("/").st_dev == a.stat("/").st_dev


def test_indexing_like_stat_result(client):
    client.write_bytes("/f", b"abc")
    a = client.stat("/f")
    assert len(a) == 10
    assert a[stat.ST_MODE] == a.mode
    assert a[stat.ST_INO] == a.ino
    assert a[stat.ST_DEV] == a.st_dev
    assert a[stat.ST_NLINK] == a.nlink
    assert a[stat.ST_UID] == a.uid
    assert a[stat.ST_GID] == a.gid
    assert a[stat.ST_SIZE] == 3
    assert a[stat.ST_MTIME] == a.mtime // NS
    assert a[-1] == a.ctime // NS
    assert tuple(a)[:3] == (a.mode, a.ino, a.st_dev)


def test_to_stat_result(client):
    client.write_bytes("/f", b"abc")
    a = client.stat("/f")
    r = a.to_stat_result()
    assert isinstance(r, os.stat_result)
    assert r.st_mode == a.mode
    assert r.st_size == 3
    assert r.st_mtime_ns == a.mtime
    assert r.st_atime_ns == a.atime
    assert r.st_ctime_ns == a.ctime
    assert r.st_ino == a.ino
    assert r.st_dev == a.st_dev
    assert stat.S_ISREG(r.st_mode)
    assert r.st_blksize == a.st_blksize


def test_empty_attr():
    a = dingofs.Attr()
    a.flags = 0x40
    assert a.flags == 0x40
    b = dingofs.Attr(mode=0o600, uid=5, gid=6, length=7, atime=8, mtime=9)
    assert (b.mode, b.uid, b.gid, b.length, b.atime, b.mtime) == (0o600, 5, 6, 7, 8, 9)


def test_stat_follows_lstat_does_not(client):
    client.write_bytes("/target", b"12345")
    client.symlink("/target", "/link")
    s = client.stat("/link")
    ls_ = client.lstat("/link")
    assert s.type == FileType.File and s.length == 5
    assert ls_.type == FileType.Symlink
    assert stat.S_ISLNK(ls_.mode)
    assert ls_.length == len("/target")
    assert ls_.ino != s.ino
    assert ls_.flags == 0


def test_chmod_keeps_type(client, local_dir):
    client.write_bytes("/f", b"")
    client.mkdir("/d")
    for path in ("/f", "/d"):
        before = client.stat(path)
        a = client.chmod(path, 0o4751)
        assert isinstance(a, dingofs.Attr)
        assert stat.S_IFMT(a.mode) == stat.S_IFMT(before.mode)
        assert stat.S_IMODE(a.mode) == 0o4751
        assert client.stat(path).mode == a.mode
        assert a.ctime >= before.ctime


def test_chown(client):
    client.write_bytes("/f", b"")
    a = client.chown("/f", 1234, 5678)
    assert (a.uid, a.gid) == (1234, 5678)
    a = client.chown("/f", -1, 99)
    assert (a.uid, a.gid) == (1234, 99)
    a = client.chown("/f", 42, -1)
    assert (a.uid, a.gid) == (42, 99)
    assert client.stat("/f").uid == 42


def test_utime_seconds_and_ns(client):
    client.write_bytes("/f", b"")
    client.utime("/f", (1_000_000_000.5, 2_000_000_000.25))
    a = client.stat("/f")
    assert a.atime == 1_000_000_000_500_000_000
    assert a.mtime == 2_000_000_000_250_000_000
    client.utime("/f", ns=(123_456_789_012_345_678, 987_654_321_123_456_789))
    a = client.stat("/f")
    assert a.atime == 123_456_789_012_345_678
    assert a.mtime == 987_654_321_123_456_789


def test_utime_now(client):
    client.write_bytes("/f", b"")
    client.utime("/f", ns=(1, 2))
    before = time.time_ns()
    client.utime("/f")
    a = client.stat("/f")
    assert a.atime >= before - NS and a.mtime >= before - NS


def test_utime_follow_symlinks(client):
    client.write_bytes("/t", b"")
    client.symlink("/t", "/l")
    client.utime("/l", ns=(5 * NS, 6 * NS), follow_symlinks=False)
    assert client.lstat("/l").mtime == 6 * NS
    assert client.stat("/t").mtime != 6 * NS
    client.utime("/l", ns=(7 * NS, 8 * NS))
    assert client.stat("/t").mtime == 8 * NS


def test_utime_like_os(client, local_dir):
    client.write_bytes("/f", b"")
    p = local_dir / "f"
    p.write_bytes(b"")
    for kwargs in ({"ns": (10**18 + 1, 10**18 + 3)}, {"times": (12.75, 13.5)}):
        client.utime("/f", **kwargs)
        os.utime(p, **kwargs)
        a = client.stat("/f")
        s = os.stat(p)
        assert (a.st_atime_ns, a.st_mtime_ns) == (s.st_atime_ns, s.st_mtime_ns)


def test_truncate(client):
    client.write_bytes("/f", b"0123456789")
    assert client.truncate("/f", 4) is None
    assert client.read_bytes("/f") == b"0123"
    client.truncate("/f", 8)
    assert client.read_bytes("/f") == b"0123\0\0\0\0"


def test_write_updates_mtime_ctime(client):
    client.write_bytes("/f", b"a")
    client.utime("/f", ns=(NS, NS))
    before = client.stat("/f")
    with client.open("/f", "ab") as f:
        f.write(b"b")
    after = client.stat("/f")
    assert after.mtime > before.mtime
    assert after.ctime >= before.ctime
    assert after.atime == NS  # noatime


# --------------------------------------------------------------------------
# set_attr
# --------------------------------------------------------------------------
def test_set_attr_each_field(client):
    client.write_bytes("/f", b"0123456789")
    A = dingofs.Attr
    r = client.set_attr("/f", dingofs.SET_ATTR_MODE, A(mode=0o640))
    assert isinstance(r, dingofs.Attr)
    assert stat.S_IMODE(r.mode) == 0o640 and stat.S_ISREG(r.mode)
    r = client.set_attr("/f", dingofs.SET_ATTR_UID, A(uid=77))
    assert r.uid == 77
    r = client.set_attr("/f", dingofs.SET_ATTR_GID, A(gid=88))
    assert r.gid == 88 and r.uid == 77
    r = client.set_attr("/f", dingofs.SET_ATTR_SIZE, A(length=3))
    assert r.length == 3
    r = client.set_attr("/f", dingofs.SET_ATTR_ATIME, A(atime=5 * NS + 7))
    assert r.atime == 5 * NS + 7
    r = client.set_attr("/f", dingofs.SET_ATTR_MTIME, A(mtime=6 * NS + 9))
    assert r.mtime == 6 * NS + 9 and r.atime == 5 * NS + 7
    t = time.time_ns()
    r = client.set_attr("/f", dingofs.SET_ATTR_ATIME_NOW | dingofs.SET_ATTR_MTIME_NOW, A())
    assert r.atime >= t - NS and r.mtime >= t - NS
    r = client.set_attr("/f", dingofs.SET_ATTR_FLAGS, A(flags=0x4000))  # FS_NODUMP_FL... any
    assert r.flags == 0x4000
    assert client.stat("/f").flags == 0x4000
    r = client.set_attr("/f", dingofs.SET_ATTR_CTIME, A())
    assert r.length == 3


def test_set_attr_fields_not_in_mask_unchanged(client):
    client.write_bytes("/f", b"abc")
    before = client.stat("/f")
    r = client.set_attr("/f", dingofs.SET_ATTR_MODE,
                        dingofs.Attr(mode=0o600, uid=999, gid=999, length=0, mtime=1))
    assert (r.uid, r.gid, r.length, r.mtime) == (before.uid, before.gid, 3, before.mtime)


def test_set_attr_order_and_applied_mask(client):
    """SIZE, UID/GID, MODE, times, FLAGS: stops at the first failure."""
    client.mkdir("/d")
    A = dingofs.Attr
    mask = (dingofs.SET_ATTR_SIZE | dingofs.SET_ATTR_MODE | dingofs.SET_ATTR_MTIME)
    # SIZE fails on a directory: nothing else is applied
    before = client.stat("/d")
    with pytest.raises(dingofs.DingofsError) as ei:
        client.set_attr("/d", mask, A(mode=0o700, length=0, mtime=NS))
    assert ei.value.errno == errno.EISDIR
    assert ei.value.applied_mask == 0
    after = client.stat("/d")
    assert after.mode == before.mode and after.mtime == before.mtime


@pytest.mark.root
def test_set_attr_stops_at_first_failure_immutable(client):
    """An immutable file refuses SIZE, the first step: nothing is applied."""
    client.write_bytes("/f", b"abcdef")
    A = dingofs.Attr
    client.set_attr("/f", dingofs.SET_ATTR_FLAGS, A(flags=0x10))  # FS_IMMUTABLE_FL
    try:
        before = client.stat("/f")
        with pytest.raises(PermissionError) as ei:
            client.set_attr("/f", dingofs.SET_ATTR_SIZE | dingofs.SET_ATTR_MODE,
                            A(length=1, mode=0o600))
        assert ei.value.applied_mask == 0
        after = client.stat("/f")
        assert after.length == 6 and after.mode == before.mode
    finally:
        client.set_attr("/f", dingofs.SET_ATTR_FLAGS, A(flags=0))


def test_set_attr_flags_failure_after_mode_and_times(client):
    """FLAGS is applied last: on a FIFO (no ioctl possible) MODE and MTIME are
    already applied when it fails, and applied_mask says so."""
    A = dingofs.Attr
    client.mknod("/fifo", stat.S_IFIFO | 0o644)
    mask = dingofs.SET_ATTR_MODE | dingofs.SET_ATTR_MTIME | dingofs.SET_ATTR_FLAGS
    with pytest.raises(dingofs.DingofsError) as ei:
        client.set_attr("/fifo", mask, A(mode=0o600, mtime=3 * NS, flags=0x4000))
    assert ei.value.applied_mask == dingofs.SET_ATTR_MODE | dingofs.SET_ATTR_MTIME
    st_ = client.lstat("/fifo")
    assert stat.S_IMODE(st_.mode) == 0o600
    assert st_.mtime == 3 * NS


def test_set_attr_rejects_bad_arguments(client):
    client.write_bytes("/f", b"")
    with pytest.raises(TypeError):
        client.set_attr("/f", "mode", dingofs.Attr())
    with pytest.raises(TypeError):
        client.set_attr("/f", dingofs.SET_ATTR_MODE, None)


def test_mknod(client):
    client.umask = 0o022
    a = client.mknod("/fifo", stat.S_IFIFO | 0o666)
    assert isinstance(a, dingofs.Attr)
    assert a.type == FileType.FIFO
    assert stat.S_IMODE(a.mode) == 0o644
    r = client.mknod("/reg", stat.S_IFREG | 0o600)
    assert r.type == FileType.File
    assert client.read_bytes("/reg") == b""
    s = client.mknod("/sock", stat.S_IFSOCK | 0o600)
    assert s.type == FileType.SOCK
    with pytest.raises(FileExistsError):
        client.mknod("/fifo", stat.S_IFIFO | 0o600)


@pytest.mark.root
def test_mknod_device_as_root(client):
    a = client.mknod("/chr", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    assert a.type == FileType.CHR
    assert a.rdev == os.makedev(1, 3)
    b = client.mknod("/blk", stat.S_IFBLK | 0o600, os.makedev(8, 1))
    assert b.type == FileType.BLK
    assert b.flags == 0
