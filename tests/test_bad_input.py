"""Bad input at the Python layer: every case must raise a clear Python exception.

NUL bytes, over-long names and paths, negative and huge offsets and sizes,
wrong types, closed files and iterators, stopped clients, ``stop()`` racing
I/O in other threads, and a client inherited through ``fork()``. Nothing may
crash the process or reach C as garbage.
"""
from __future__ import annotations

import errno
import io
import os
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

import dingofs

ENAMETOOLONG = errno.ENAMETOOLONG


@pytest.fixture
def fs(tmp_path: Path) -> Iterator[dingofs.Client]:
    base = tmp_path / "dfs"
    base.mkdir()
    c = dingofs.Client.build(f"local://bad?base={base}", "bad", "/mnt/bad",
                             init_logging=False)
    try:
        c.mkdir("/d")
        with c.open("/d/f", "wb") as f:
            f.write(b"0123456789")
        yield c
    finally:
        c.stop()


def oserror(fn: Callable[[], Any], *errnos: int) -> OSError:
    with pytest.raises(OSError) as info:
        fn()
    assert isinstance(info.value, dingofs.DingofsError), repr(info.value)
    assert info.value.errno in errnos, (info.value.errno, errnos, str(info.value))
    return info.value


def bad_value(fn: Callable[[], Any], *errnos: int) -> BaseException:
    """A rejected value: ValueError/OverflowError from Python, or -errno from C."""
    with pytest.raises((ValueError, OverflowError, OSError)) as info:
        fn()
    e = info.value
    if isinstance(e, OSError) and not isinstance(e, io.UnsupportedOperation):
        assert e.errno in (errnos or (errno.EINVAL,)), (e.errno, str(e))
    return e


# --------------------------------------------------------------------------
# NUL bytes in every path-like and name-like argument
# --------------------------------------------------------------------------
NUL_PATHS = ["/d/a\0b", b"/d/a\0b", Path("/d/a\0b"), "\0"]

PATH_CALLS: dict[str, Callable[[dingofs.Client, Any], Any]] = {
    "stat": lambda c, p: c.stat(p),
    "lstat": lambda c, p: c.lstat(p),
    "mkdir": lambda c, p: c.mkdir(p),
    "makedirs": lambda c, p: c.makedirs(p),
    "rmdir": lambda c, p: c.rmdir(p),
    "unlink": lambda c, p: c.unlink(p),
    "listdir": lambda c, p: c.listdir(p),
    "scandir": lambda c, p: c.scandir(p),
    "open-r": lambda c, p: c.open(p, "rb"),
    "open-w": lambda c, p: c.open(p, "wb"),
    "mknod": lambda c, p: c.mknod(p, 0o100644),
    "chmod": lambda c, p: c.chmod(p, 0o644),
    "chown": lambda c, p: c.chown(p, -1, -1),
    "truncate": lambda c, p: c.truncate(p, 0),
    "utime": lambda c, p: c.utime(p),
    "readlink": lambda c, p: c.readlink(p),
    "rename-src": lambda c, p: c.rename(p, "/d/x"),
    "rename-dst": lambda c, p: c.rename("/d/f", p),
    "link-src": lambda c, p: c.link(p, "/d/x"),
    "link-dst": lambda c, p: c.link("/d/f", p),
    "symlink-link": lambda c, p: c.symlink("f", p),
    "symlink-target": lambda c, p: c.symlink(p, "/d/x"),
    "setxattr": lambda c, p: c.setxattr(p, "user.a", b"v"),
    "getxattr": lambda c, p: c.getxattr(p, "user.a"),
    "listxattr": lambda c, p: c.listxattr(p),
    "removexattr": lambda c, p: c.removexattr(p, "user.a"),
}


@pytest.mark.parametrize("call", sorted(PATH_CALLS), ids=str)
@pytest.mark.parametrize("path", NUL_PATHS, ids=["str", "bytes", "pathlike", "only-nul"])
def test_nul_in_path_is_value_error(fs: dingofs.Client, call: str, path: Any) -> None:
    with pytest.raises(ValueError, match="null"):
        PATH_CALLS[call](fs, path)
    # nothing was created or changed on the way
    assert sorted(e.name for e in fs.listdir("/d")) == ["f"]


@pytest.mark.parametrize("name", ["user.a\0b", b"user.a\0b"], ids=["str", "bytes"])
def test_nul_in_xattr_name_is_value_error(fs: dingofs.Client, name: Any) -> None:
    for call in (lambda: fs.setxattr("/d/f", name, b"v"), lambda: fs.getxattr("/d/f", name),
                 lambda: fs.removexattr("/d/f", name)):
        with pytest.raises(ValueError):
            call()


# --------------------------------------------------------------------------
# over-long names and paths
# --------------------------------------------------------------------------
def test_255_byte_name_works_256_is_enametoolong(fs: dingofs.Client) -> None:
    ok = "/d/" + "n" * 255
    fs.mkdir(ok)
    assert fs.stat(ok).st_mode & 0o170000 == 0o040000
    bad = "/d/" + "n" * 256
    for call in ("stat", "lstat", "mkdir", "open-w", "open-r", "unlink", "rmdir", "mknod",
                 "symlink-link", "rename-dst", "link-dst", "chmod", "truncate"):
        oserror(lambda call=call: PATH_CALLS[call](fs, bad), ENAMETOOLONG)
    # non-ASCII: the limit is in bytes, not characters (128 x 2 bytes = 256)
    oserror(lambda: fs.mkdir("/d/" + "\u00e9" * 128), ENAMETOOLONG)
    fs.mkdir(b"/d/" + b"\xe9" * 255)


def test_path_length_limit(fs: dingofs.Client) -> None:
    """Paths up to 4095 bytes are looked up; 4096 and more are ENAMETOOLONG."""
    def path_of(n: int) -> str:
        p = "/d" + "/a" * ((n - 2) // 2)
        return p + "x" * (n - len(p))

    p4095, p4096 = path_of(4095), path_of(4096)
    assert (len(p4095), len(p4096)) == (4095, 4096)
    oserror(lambda: fs.stat(p4095), errno.ENOENT)
    oserror(lambda: fs.stat(p4096), ENAMETOOLONG)
    oserror(lambda: fs.open(p4096, "wb"), ENAMETOOLONG)
    oserror(lambda: fs.mkdir(p4096), ENAMETOOLONG)
    oserror(lambda: fs.stat("/" * 70000), ENAMETOOLONG)


def test_long_symlink_target(fs: dingofs.Client) -> None:
    target = "t/" * 2047 + "x"  # 4095 bytes: accepted like Linux
    fs.symlink(target, "/d/l")
    assert fs.readlink("/d/l") == target
    oserror(lambda: fs.symlink("t" * 4096, "/d/l2"), ENAMETOOLONG)


def test_xattr_limits(fs: dingofs.Client) -> None:
    oserror(lambda: fs.setxattr("/d/f", "user." + "x" * 251, b"v"), errno.ERANGE)
    oserror(lambda: fs.setxattr("/d/f", "", b"v"), errno.ERANGE, errno.EOPNOTSUPP)
    oserror(lambda: fs.setxattr("/d/f", "user.big", b"v" * 65537), errno.E2BIG)
    oserror(lambda: fs.setxattr("/d/f", "nonamespace", b"v"), errno.EOPNOTSUPP)
    fs.setxattr("/d/f", "user." + "x" * 250, b"v" * 65536)


# --------------------------------------------------------------------------
# negative and huge offsets, sizes and lengths
# --------------------------------------------------------------------------
def test_negative_offsets_and_sizes(fs: dingofs.Client) -> None:
    with fs.open("/d/f", "rb+") as f:
        bad_value(lambda: f.pread(4, -1))
        bad_value(lambda: f.pwrite(b"x", -1))
        bad_value(lambda: f.pread(-2, 0))
        bad_value(lambda: f.truncate(-1))
        bad_value(lambda: f.seek(-1))
        bad_value(lambda: f.seek(-100, io.SEEK_END))
        assert f.tell() == 0  # failed seeks do not move the offset
        f.seek(0, io.SEEK_END)
        assert f.tell() == 10
        bad_value(lambda: f.seek(0, 7))
    bad_value(lambda: fs.truncate("/d/f", -1))
    assert fs.stat("/d/f").st_size == 10


def test_huge_offsets_and_sizes(fs: dingofs.Client) -> None:
    huge = 1 << 64
    with fs.open("/d/f", "rb+") as f:
        bad_value(lambda: f.pread(4, huge))
        bad_value(lambda: f.pwrite(b"x", huge))
        bad_value(lambda: f.seek(huge))
        bad_value(lambda: f.truncate(huge))
        # in range for off_t, beyond what a file may hold
        bad_value(lambda: f.pwrite(b"x", (1 << 63) - 1), errno.EFBIG, errno.EINVAL)
        bad_value(lambda: f.truncate(1 << 62), errno.EFBIG, errno.EINVAL)
        # a huge read of a small file returns what is there, allocating no more
        assert f.pread(1 << 62, 0) == b"0123456789"
        assert f.read(1 << 62) == b"0123456789"
        assert f.read(1 << 62) == b""
    bad_value(lambda: fs.truncate("/d/f", huge))
    bad_value(lambda: fs.truncate("/d/f", 1 << 62), errno.EFBIG, errno.EINVAL)
    bad_value(lambda: fs.utime("/d/f", ns=(huge * huge, 0)))
    assert fs.stat("/d/f").st_size == 10


# --------------------------------------------------------------------------
# wrong types
# --------------------------------------------------------------------------
WRONG_TYPES: dict[str, Callable[[dingofs.Client], Any]] = {
    "stat(int)": lambda c: c.stat(3),
    "stat(None)": lambda c: c.stat(None),
    "stat(float)": lambda c: c.stat(1.5),
    "stat(list)": lambda c: c.stat(["/d"]),
    "mkdir(mode=str)": lambda c: c.mkdir("/d/m", "755"),
    "mkdir(mode=float)": lambda c: c.mkdir("/d/m", 493.0),
    "chmod(mode=None)": lambda c: c.chmod("/d/f", None),
    "chown(uid=str)": lambda c: c.chown("/d/f", "root", -1),
    "truncate(str)": lambda c: c.truncate("/d/f", "1"),
    "rename(dst=None)": lambda c: c.rename("/d/f", None),
    "link(dst=int)": lambda c: c.link("/d/f", 5),
    "symlink(target=int)": lambda c: c.symlink(5, "/d/s"),
    "open(mode=int)": lambda c: c.open("/d/f", 5),
    "open(buffering=str)": lambda c: c.open("/d/f", "rb", "big"),
    "setxattr(name=int)": lambda c: c.setxattr("/d/f", 5, b"v"),
    "setxattr(value=int)": lambda c: c.setxattr("/d/f", "user.a", 5),
    "setxattr(flags=str)": lambda c: c.setxattr("/d/f", "user.a", b"v", "0"),
    "getxattr(name=None)": lambda c: c.getxattr("/d/f", None),
    "utime(times=str)": lambda c: c.utime("/d/f", "now"),
    "utime(ns=list-of-str)": lambda c: c.utime("/d/f", ns=("1", "2")),
    "ioctl(cmd=str)": lambda c: c.ioctl("/d/f", "GETFLAGS"),
    "set_attr(mask=str)": lambda c: c.set_attr("/d/f", "mode", dingofs.Attr()),
}


@pytest.mark.parametrize("case", sorted(WRONG_TYPES), ids=str)
def test_wrong_types_are_type_errors(fs: dingofs.Client, case: str) -> None:
    with pytest.raises(TypeError):
        WRONG_TYPES[case](fs)
    assert sorted(e.name for e in fs.listdir("/d")) == ["f"]
    assert fs.stat("/d/f").st_size == 10


WRONG_VALUES: dict[str, Callable[[dingofs.Client], Any]] = {
    "open(mode='rz')": lambda c: c.open("/d/f", "rz"),
    "open(mode='rw')": lambda c: c.open("/d/f", "rw"),
    "open(mode='')": lambda c: c.open("/d/f", ""),
    "open(mode='bt')": lambda c: c.open("/d/f", "rbt"),
    "open(binary+encoding)": lambda c: c.open("/d/f", "rb", encoding="utf-8"),
    "open(buffering=1 binary)": lambda c: c.open("/d/f", "wb", 0, newline="x"),
    "ioctl(flags=1)": lambda c: c.ioctl("/d/f", 0x80086601, flags=1),
    "utime(times+ns)": lambda c: c.utime("/d/f", (1, 2), ns=(1, 2)),
    "utime(times 3-tuple)": lambda c: c.utime("/d/f", (1, 2, 3)),
}


@pytest.mark.parametrize("case", sorted(WRONG_VALUES), ids=str)
def test_wrong_values_are_value_errors(fs: dingofs.Client, case: str) -> None:
    with pytest.raises((ValueError, TypeError)):
        WRONG_VALUES[case](fs)
    assert fs.stat("/d/f").st_size == 10


def test_file_method_types(fs: dingofs.Client) -> None:
    with fs.open("/d/f", "rb+") as f:
        with pytest.raises(TypeError):
            f.write("text into a binary file")
        with pytest.raises(TypeError):
            f.write(5)
        with pytest.raises(TypeError):
            f.read("5")
        with pytest.raises(TypeError):
            f.seek("1")
        with pytest.raises(TypeError):
            f.seek(1.0)
        with pytest.raises(TypeError):
            f.pwrite(b"x", 1.5)
        with pytest.raises(TypeError):
            f.pread(None, 0)
        with pytest.raises(TypeError):
            f.truncate("3")
        with pytest.raises(TypeError):
            f.readinto(b"immutable bytes")
        assert f.read() == b"0123456789"


def test_build_bad_arguments(tmp_path: Path) -> None:
    url = f"local://x?base={tmp_path}"
    with pytest.raises(ValueError):
        dingofs.Client.build("", "x", "/mnt/x")
    with pytest.raises(ValueError):
        dingofs.Client.build(url, "x", "")
    with pytest.raises(TypeError):
        dingofs.Client.build(None, "x", "/mnt/x")
    with pytest.raises(TypeError):
        dingofs.Client.build(url, "x", "/mnt/x", umask="022")
    with pytest.raises(ValueError):
        dingofs.Client.build(url, "x", "/mnt/x", umask=-1)
    with pytest.raises((ValueError, OSError)):
        dingofs.Client.build(url, "x", "/mnt/x", conf_file=str(tmp_path / "missing.conf"))
    bad_conf = tmp_path / "bad.conf"
    bad_conf.write_text("this line is not an option\n")
    with pytest.raises((ValueError, OSError)):
        dingofs.Client.build(url, "x", "/mnt/x", conf_file=str(bad_conf))
    with pytest.raises(ValueError):
        dingofs.Client.build("local://x\0y", "x", "/mnt/x")


# --------------------------------------------------------------------------
# closed files and iterators
# --------------------------------------------------------------------------
def test_closed_file(fs: dingofs.Client) -> None:
    f = fs.open("/d/f", "rb+")
    f.close()
    f.close()  # idempotent
    assert f.closed
    calls = [lambda: f.read(), lambda: f.read(1), lambda: f.write(b"x"), lambda: f.seek(0),
             lambda: f.tell(), lambda: f.pread(1, 0), lambda: f.pwrite(b"x", 0),
             lambda: f.truncate(0), lambda: f.stat(), lambda: f.fsync(), lambda: f.flush(),
             lambda: f.readinto(bytearray(4)), lambda: f.readline(), lambda: next(iter(f)),
             lambda: f.readable(), lambda: f.writable(), lambda: f.seekable()]
    for call in calls:
        with pytest.raises(ValueError, match="closed file"):
            call()
    with pytest.raises(ValueError), f:
        pass
    assert fs.stat("/d/f").st_size == 10


def test_closed_scandir_iterator(fs: dingofs.Client) -> None:
    for i in range(100):
        fs.mknod(f"/d/n{i}", 0o100644)
    it = fs.scandir("/d")
    first = next(it)
    assert first.name
    it.close()
    it.close()
    with pytest.raises(StopIteration):
        next(it)
    with fs.scandir("/d") as it2:
        for _ in it2:
            break
    with pytest.raises(StopIteration):
        next(it2)


def test_buffered_wrapper_after_raw_close(fs: dingofs.Client) -> None:
    f = fs.open("/d/f", "rb", buffering=4096)
    f.close()
    with pytest.raises(ValueError):
        f.read()


# --------------------------------------------------------------------------
# stopped clients
# --------------------------------------------------------------------------
def test_stopped_client(tmp_path: Path) -> None:
    c = dingofs.Client.build(f"local://s?base={tmp_path}", "s", "/mnt/s", init_logging=False)
    c.mkdir("/d")
    f = c.open("/d/f", "wb")
    it = c.scandir("/d")
    c.stop()
    c.stop()  # idempotent
    for call in (lambda: c.stat("/d"), lambda: c.mkdir("/e"), lambda: c.open("/d/f", "rb"),
                 lambda: c.listdir("/d"), lambda: c.statfs(), lambda: c.unlink("/d/f"),
                 lambda: c.setxattr("/d", "user.a", b""), lambda: c.rename("/d", "/e"),
                 lambda: c.truncate("/d/f", 0)):
        with pytest.raises(dingofs.ClientStoppedError) as info:
            call()
        assert info.value.errno == errno.ENOTCONN
        assert isinstance(info.value, dingofs.DingofsError)
    # its files and iterators were closed by stop()
    assert f.closed
    with pytest.raises((ValueError, dingofs.ClientStoppedError)):
        f.write(b"x")
    with pytest.raises((StopIteration, dingofs.ClientStoppedError)):
        next(it)
    # and the data written before stop is there for the next client
    with dingofs.Client.build(f"local://s?base={tmp_path}", "s", "/mnt/s",
                              init_logging=False) as c2:
        assert c2.stat("/d/f").st_size == 0


def test_context_manager_stops(tmp_path: Path) -> None:
    with dingofs.Client.build(f"local://s?base={tmp_path}", "s", "/mnt/s",
                              init_logging=False) as c:
        c.mkdir("/d")
    with pytest.raises(dingofs.ClientStoppedError):
        c.stat("/d")


def test_stop_while_threads_do_io(tmp_path: Path) -> None:
    """stop() racing I/O: every thread ends with a result or a clear error."""
    c = dingofs.Client.build(f"local://r?base={tmp_path}", "r", "/mnt/r", init_logging=False)
    c.mkdir("/d")
    started = threading.Barrier(5)
    problems: list[str] = []
    counts = [0] * 4

    def worker(k: int) -> None:
        try:
            f = c.open(f"/d/f{k}", "wb+")
        except Exception:  # noqa: BLE001
            problems.append(traceback.format_exc())
            return
        started.wait()
        payload = bytes([k]) * 4096
        try:
            while True:
                if k % 2:
                    f.write(payload)
                    f.pread(4096, 0)
                else:
                    c.stat(f"/d/f{k}")
                    c.listdir("/d")
                    f.pwrite(payload, 0)
                counts[k] += 1
        except dingofs.ClientStoppedError:
            return
        except ValueError as e:  # the file was closed by stop()
            if "closed file" not in str(e):
                problems.append(traceback.format_exc())
        except Exception:  # noqa: BLE001
            problems.append(traceback.format_exc())

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(4)]
    for t in threads:
        t.start()
    started.wait(timeout=30)
    time.sleep(0.2)
    c.stop()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive(), "a thread hung after stop()"
    assert not problems, "\n".join(problems)
    assert all(n > 0 for n in counts), counts


def _in_child(fn: Callable[[], None], timeout: float = 60.0) -> tuple[int, str]:
    """Run fn in a forked child; returns (exit status, traceback text)."""
    with tempfile.TemporaryFile() as report:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                fn()
                code = 0
            except BaseException:  # noqa: BLE001 - reported to the parent
                report.write(traceback.format_exc().encode())
                report.flush()
            os._exit(code)
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise AssertionError("child did not finish")
            time.sleep(0.02)
        report.seek(0)
        return status, report.read().decode(errors="replace")


def test_client_used_after_fork(tmp_path: Path) -> None:
    c = dingofs.Client.build(f"local://k?base={tmp_path}", "k", "/mnt/k", init_logging=False)
    try:
        c.mkdir("/d")
        f = c.open("/d/f", "wb")
        f.write(b"parent")
        f.flush()
        it = c.scandir("/d")

        def child() -> None:
            for call in (lambda: c.stat("/d"), lambda: c.mkdir("/e"), lambda: f.write(b"x"),
                         lambda: f.tell(), lambda: next(it), lambda: c.open("/d/f", "rb")):
                try:
                    call()
                except dingofs.ClientStoppedError as e:
                    assert e.errno == errno.ENOTCONN
                    assert "new" in str(e) and "Client" in str(e), str(e)
                else:
                    raise AssertionError("an inherited object still worked after fork()")
            c.stop()  # harmless in the child, must not touch the parent's state
            f.close()
            with dingofs.Client.build(f"local://k?base={tmp_path}", "k", "/mnt/k",
                                      init_logging=False) as c2:
                c2.mkdir("/from-child")
                assert c2.stat("/d/f").st_size == len(b"parent")

        status, text = _in_child(child)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, text
        # the parent's client, file and iterator still work
        f.write(b"!")
        f.close()
        assert c.stat("/d/f").st_size == len(b"parent!")
        assert c.stat("/from-child").st_mode & 0o170000 == 0o040000
        assert sorted(e.name for e in it) == ["f"]
    finally:
        c.stop()
