"""Errors: each errno reaches Python as the right class with full details."""
from __future__ import annotations

import errno
import os

import pytest

import dingofs

E = errno


def _setup_basic(c):
    c.mkdir("/dir")
    c.write_bytes("/dir/file", b"data")
    c.write_bytes("/file", b"x")
    c.mkdir("/full")
    c.write_bytes("/full/child", b"")
    c.symlink("/loop2", "/loop1")
    c.symlink("/loop1", "/loop2")
    c.mknod("/fifo", 0o644 | 0o010000)  # S_IFIFO
    c.setxattr("/file", "user.present", b"v")


def _flock_conflict(c):
    import fcntl
    holder = c.open("/file", "rb")
    holder.flock(fcntl.LOCK_EX)
    other = c.open("/file", "rb")
    other.flock(fcntl.LOCK_EX | fcntl.LOCK_NB)


# (id, call, expected errno, expected class, operation(s), filename, filename2)
CASES = [
    ("stat-missing", lambda c: c.stat("/missing"), E.ENOENT, FileNotFoundError,
     ("dingofs_stat", "dingofs_x_stat"), "/missing", None),
    ("lstat-missing", lambda c: c.lstat("/missing"), E.ENOENT, FileNotFoundError,
     ("dingofs_lstat", "dingofs_x_stat"), "/missing", None),
    ("open-missing", lambda c: c.open("/dir/missing", "rb"), E.ENOENT, FileNotFoundError,
     "dingofs_open", "/dir/missing", None),
    ("mkdir-exists", lambda c: c.mkdir("/dir"), E.EEXIST, FileExistsError,
     "dingofs_mkdir", "/dir", None),
    ("open-x-exists", lambda c: c.open("/file", "xb"), E.EEXIST, FileExistsError,
     "dingofs_open", "/file", None),
    ("symlink-exists", lambda c: c.symlink("/t", "/file"), E.EEXIST, FileExistsError,
     "dingofs_symlink", "/t", "/file"),
    ("link-exists", lambda c: c.link("/file", "/dir/file"), E.EEXIST, FileExistsError,
     "dingofs_link", "/file", "/dir/file"),
    ("stat-through-file", lambda c: c.stat("/file/x"), E.ENOTDIR, NotADirectoryError,
     ("dingofs_stat", "dingofs_x_stat"), "/file/x", None),
    ("rmdir-file", lambda c: c.rmdir("/file"), E.ENOTDIR, NotADirectoryError,
     "dingofs_rmdir", "/file", None),
    ("listdir-file", lambda c: c.listdir("/file"), E.ENOTDIR, NotADirectoryError,
     "dingofs_opendir", "/file", None),
    ("unlink-dir", lambda c: c.unlink("/dir"), E.EISDIR, IsADirectoryError,
     "dingofs_unlink", "/dir", None),
    ("open-dir-write", lambda c: c.open("/dir", "wb"), E.EISDIR, IsADirectoryError,
     "dingofs_open", "/dir", None),
    ("rename-file-over-dir", lambda c: c.rename("/file", "/dir"), E.EISDIR,
     IsADirectoryError, ("dingofs_rename", "dingofs_x_rename2"), "/file", "/dir"),
    ("rmdir-nonempty", lambda c: c.rmdir("/full"), E.ENOTEMPTY, dingofs.DingofsError,
     "dingofs_rmdir", "/full", None),
    ("link-dir", lambda c: c.link("/dir", "/dirlink"), E.EPERM, PermissionError,
     "dingofs_link", "/dir", "/dirlink"),
    ("rename-into-self", lambda c: c.rename("/dir", "/dir/sub"), E.EINVAL,
     dingofs.DingofsError, ("dingofs_rename", "dingofs_x_rename2"), "/dir", "/dir/sub"),
    ("readlink-not-link", lambda c: c.readlink("/file"), E.EINVAL, dingofs.DingofsError,
     "dingofs_readlink", "/file", None),
    ("stat-loop", lambda c: c.stat("/loop1"), E.ELOOP, dingofs.DingofsError,
     ("dingofs_stat", "dingofs_x_stat"), "/loop1", None),
    ("name-too-long", lambda c: c.mkdir("/" + "n" * 256), E.ENAMETOOLONG,
     dingofs.DingofsError, "dingofs_mkdir", "/" + "n" * 256, None),
    ("getxattr-missing", lambda c: c.getxattr("/file", "user.absent"), E.ENODATA,
     dingofs.DingofsError, "dingofs_getxattr", "/file", None),
    ("removexattr-missing", lambda c: c.removexattr("/file", "user.absent"), E.ENODATA,
     dingofs.DingofsError, "dingofs_removexattr", "/file", None),
    ("setxattr-create-exists",
     lambda c: c.setxattr("/file", "user.present", b"w", os.XATTR_CREATE), E.EEXIST,
     FileExistsError, "dingofs_setxattr", "/file", None),
    ("setxattr-bad-namespace", lambda c: c.setxattr("/file", "nonamespace", b"v"),
     E.EOPNOTSUPP, dingofs.DingofsError, "dingofs_setxattr", "/file", None),
    ("ioctl-unsupported", lambda c: c.ioctl("/file", 0x80045401), E.EOPNOTSUPP,
     dingofs.DingofsError, "dingofs_ioctl", "/file", None),
    ("open-fifo", lambda c: c.open("/fifo", "rb"), E.ENXIO, dingofs.DingofsError,
     "dingofs_open", "/fifo", None),
    ("flock-conflict", _flock_conflict, E.EWOULDBLOCK, BlockingIOError,
     "dingofs_x_flock", "/file", None),
    ("truncate-dir", lambda c: c.truncate("/dir", 0), E.EISDIR, IsADirectoryError,
     "dingofs_truncate", "/dir", None),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_errno_table(client, case):
    _id, call, num, cls, operation, fname, fname2 = case
    _setup_basic(client)
    with pytest.raises(cls) as ei:
        call(client)
    e = ei.value
    assert isinstance(e, dingofs.DingofsError)
    assert isinstance(e, OSError)
    assert e.errno == num
    assert e.dingofs_errno == num
    assert e.strerror == os.strerror(num)
    ops = (operation,) if isinstance(operation, str) else operation
    assert e.operation in ops
    assert e.filename == fname
    assert e.filename2 == fname2
    expected = f"[Errno {num}] {os.strerror(num)}: {e.operation} '{fname}'"
    if fname2 is not None:
        expected += f" -> '{fname2}'"
    assert str(e) == expected


def test_builtin_class_is_specific(client):
    """The class for ENOENT is both DingofsError and FileNotFoundError."""
    with pytest.raises(FileNotFoundError) as ei:
        client.stat("/nope")
    assert type(ei.value) is not FileNotFoundError
    assert issubclass(type(ei.value), dingofs.DingofsError)
    with pytest.raises(dingofs.DingofsError):
        client.stat("/nope")
    with pytest.raises(OSError):
        client.stat("/nope")


def test_bytes_path_in_error(client):
    with pytest.raises(FileNotFoundError) as ei:
        client.stat(b"/missing")
    assert ei.value.filename == b"/missing"
    assert str(ei.value).endswith("'/missing'")


def test_pathlike_in_error(client):
    import pathlib
    p = pathlib.PurePosixPath("/missing")
    with pytest.raises(FileNotFoundError) as ei:
        client.stat(p)
    assert os.fspath(ei.value.filename) == "/missing"


def test_enospc(factory):
    c = factory(params={"capacity": 65536})
    with pytest.raises(dingofs.DingofsError) as ei, c.open("/big", "wb", buffering=0) as f:
        f.write(b"x" * (1 << 20))
        f.fsync()
    assert ei.value.errno == E.ENOSPC


def test_inode_limit(factory):
    c = factory(params={"inodes": 4})
    with pytest.raises(dingofs.DingofsError) as ei:
        for i in range(10):
            c.mkdir(f"/d{i}")
    assert ei.value.errno == E.ENOSPC
    assert ei.value.operation == "dingofs_mkdir"


def test_erofs(factory):
    c = factory()
    c.mkdir("/d")
    ro = factory(params={"ro": 1})
    assert ro.isdir("/d")
    with pytest.raises(dingofs.DingofsError) as ei:
        ro.mkdir("/e")
    assert ei.value.errno == E.EROFS
    with pytest.raises(dingofs.DingofsError) as ei:
        ro.open("/new", "wb")
    assert ei.value.errno == E.EROFS


def test_mount_error(tmp_path):
    with pytest.raises(dingofs.DingofsError) as ei:
        dingofs.Client.build("10.0.0.1:6700", "fs", "/mnt/fs", log_dir=str(tmp_path))
    e = ei.value
    assert e.errno == E.EPROTONOSUPPORT
    assert e.operation in ("dingofs_mount", "dingofs_mount_nolog")


def test_stopped_client(client):
    client.write_bytes("/f", b"x")
    client.stop()
    calls = [
        lambda: client.stat("/f"),
        lambda: client.open("/f", "rb"),
        lambda: client.listdir("/"),
        lambda: client.scandir("/"),
        lambda: client.mkdir("/d"),
        lambda: client.statfs(),
        lambda: client.getxattr("/f", "user.x"),
        lambda: list(client.walk("/")),
    ]
    for call in calls:
        with pytest.raises(dingofs.ClientStoppedError) as ei:
            call()
        assert ei.value.errno == E.ENOTCONN
        assert isinstance(ei.value, dingofs.DingofsError)


# --------------------------------------------------------------------------
# mapping table (errnos that the engine cannot be made to return on demand)
# --------------------------------------------------------------------------
MAPPING = [
    (E.ENOENT, FileNotFoundError), (E.EEXIST, FileExistsError),
    (E.ENOTDIR, NotADirectoryError), (E.EISDIR, IsADirectoryError),
    (E.EACCES, PermissionError), (E.EPERM, PermissionError),
    (E.EINTR, InterruptedError), (E.ETIMEDOUT, TimeoutError),
    (E.EAGAIN, BlockingIOError), (E.ENOTCONN, dingofs.ClientStoppedError),
    (E.EIO, dingofs.DingofsError), (E.ENOSPC, dingofs.DingofsError),
]


@pytest.mark.parametrize("num,cls", MAPPING, ids=[E.errorcode[n] for n, _ in MAPPING])
def test_errno_class_mapping(num, cls):
    from dingofs.errors import error_from_errno
    e = error_from_errno(-num, "dingofs_read", "/a", "/b")
    assert isinstance(e, cls)
    assert isinstance(e, dingofs.DingofsError)
    assert e.errno == num
    assert e.strerror == os.strerror(num)
    assert str(e) == f"[Errno {num}] {os.strerror(num)}: dingofs_read '/a' -> '/b'"


def test_error_pickles(client):
    import pickle
    with pytest.raises(FileNotFoundError) as ei:
        client.stat("/missing")
    e2 = pickle.loads(pickle.dumps(ei.value))
    assert type(e2) is type(ei.value)
    assert e2.errno == E.ENOENT
    assert e2.operation == ei.value.operation
    assert str(e2) == str(ei.value)


# --------------------------------------------------------------------------
# TypeError / ValueError before any C call
# --------------------------------------------------------------------------
TYPE_ERRORS = [
    ("stat-int", lambda c: c.stat(123)),
    ("stat-none", lambda c: c.stat(None)),
    ("open-mode-int", lambda c: c.open("/f", 1)),
    ("mkdir-mode-str", lambda c: c.mkdir("/d", "777")),
    ("chmod-mode-float", lambda c: c.chmod("/f", 0.5)),
    ("chown-uid-str", lambda c: c.chown("/f", "root", 0)),
    ("truncate-len-str", lambda c: c.truncate("/f", "1")),
    ("rename-dst-int", lambda c: c.rename("/f", 5)),
    ("setxattr-value-int", lambda c: c.setxattr("/f", "user.a", 5)),
    ("setxattr-name-int", lambda c: c.setxattr("/f", 5, b"v")),
    ("ioctl-cmd-str", lambda c: c.ioctl("/f", "GETFLAGS")),
    ("ioctl-in-buf-int", lambda c: c.ioctl("/f", 0x80086601, 5)),
    ("set_attr-attr-dict", lambda c: c.set_attr("/f", dingofs.SET_ATTR_MODE, {"mode": 1})),
    ("symlink-target-int", lambda c: c.symlink(5, "/l")),
    ("utime-times-str", lambda c: c.utime("/f", "now")),
    ("utime-times-len", lambda c: c.utime("/f", (1, 2, 3))),  # TypeError, as os.utime
]

VALUE_ERRORS = [
    ("nul-stat", lambda c: c.stat("/a\0b")),
    ("nul-bytes", lambda c: c.mkdir(b"/a\0b")),
    ("nul-rename-dst", lambda c: c.rename("/f", "/g\0")),
    ("nul-xattr-name", lambda c: c.setxattr("/f", "user.a\0b", b"v")),
    ("bad-mode", lambda c: c.open("/f", "rw")),
    ("ioctl-flags", lambda c: c.ioctl("/f", 0x80086601, flags=1)),
    ("ioctl-out-size", lambda c: c.ioctl("/f", 0x80086601, out_size=-1)),
    ("chmod-negative", lambda c: c.chmod("/f", -1)),
    ("utime-both", lambda c: c.utime("/f", (1, 2), ns=(1, 2))),
    ("set_attr-unknown-bit", lambda c: c.set_attr("/f", 0x40000000, dingofs.Attr())),
]


@pytest.mark.parametrize("call", [c for _, c in TYPE_ERRORS], ids=[i for i, _ in TYPE_ERRORS])
def test_type_errors_before_c(client, call):
    client.write_bytes("/f", b"data")
    before = client.stats()
    with pytest.raises(TypeError):
        call(client)
    _assert_nothing_changed(client, before)


@pytest.mark.parametrize("call", [c for _, c in VALUE_ERRORS],
                         ids=[i for i, _ in VALUE_ERRORS])
def test_value_errors_before_c(client, call):
    client.write_bytes("/f", b"data")
    before = client.stats()
    with pytest.raises(ValueError) as ei:
        call(client)
    assert not isinstance(ei.value, OSError)
    _assert_nothing_changed(client, before)


@pytest.mark.parametrize("call", [lambda c: c.chown("/f", -2, -1),
                                  lambda c: c.chown("/f", 0, 1 << 32)],
                         ids=["uid-below-minus-one", "gid-above-maximum"])
def test_overflow_errors_before_c(client, call):
    """An id out of range is OverflowError, as os.chown raises it."""
    client.write_bytes("/f", b"data")
    before = client.stats()
    with pytest.raises(OverflowError):
        call(client)
    _assert_nothing_changed(client, before)


def _assert_nothing_changed(client, before):
    after = client.stats()
    assert _op_total(after) == _op_total(before), (before, after)
    assert client.read_bytes("/f") == b"data"
    assert sorted(client.listdir("/"), key=lambda e: e.name)[0].name == "f"


def _op_total(stats):
    ops = stats["ops"] if isinstance(stats, dict) else stats.ops
    return sum(ops.values()) if isinstance(ops, dict) else ops


def test_nul_message(client):
    with pytest.raises(ValueError, match="embedded null byte"):
        client.stat("/x\0")
