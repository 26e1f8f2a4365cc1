"""Thin call layer: one method per C function, one checker for return codes.

A :class:`Session` binds a :class:`~dingofs._ffi.Backend` to one handle. Its
methods take already-encoded ``bytes`` paths plus the caller's original path
objects (only used in error messages), call C, count the call and turn a
negative return code into the exception from :mod:`dingofs.errors`.
"""

from __future__ import annotations

import errno as _errno
import threading
from typing import Any

from ._ffi import Backend
from .errors import error_from_errno

__all__ = ["Session", "CHUNK"]

#: Largest byte count given to one C read/write call (Ctrl-C is honoured between calls).
CHUNK = 64 * 1024 * 1024

_Path = Any  # the user's path object, for messages


class Session:
    """C calls on handle ``h`` of ``backend``, with per-session statistics."""

    def __init__(self, backend: Backend, h: int) -> None:
        self.backend = backend
        self.ffi = backend.ffi
        self.lib = backend.lib
        self.h = h
        self._stats_lock = threading.Lock()
        self.ops: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.bytes_read = 0
        self.bytes_written = 0

    # -- the checker -----------------------------------------------------------------------
    def check(self, rc: int, op: str, p1: _Path = None, p2: _Path = None) -> int:
        """Count one call of ``op``; raise for a negative ``rc``, else return it."""
        with self._stats_lock:
            self.ops[op] = self.ops.get(op, 0) + 1
            if rc < 0:
                self.errors[op] = self.errors.get(op, 0) + 1
        if rc < 0:
            raise error_from_errno(-rc, op, p1, p2)
        return rc

    def _moved(self, nread: int = 0, nwritten: int = 0) -> None:
        with self._stats_lock:
            self.bytes_read += nread
            self.bytes_written += nwritten

    def snapshot(self) -> dict[str, Any]:
        """A copy of the statistics."""
        with self._stats_lock:
            return {
                "ops": dict(self.ops),
                "errors": dict(self.errors),
                "bytes_read": self.bytes_read,
                "bytes_written": self.bytes_written,
                "calls": sum(self.ops.values()),
                "failed_calls": sum(self.errors.values()),
            }

    # -- lifecycle and configuration -------------------------------------------------------
    def delete(self) -> None:
        self.lib.dingofs_delete(self.h)

    def conf_set(self, key: bytes, value: bytes, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_conf_set(self.h, key, value), "dingofs_conf_set", shown)

    def conf_load(self, path: bytes, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_conf_load(self.h, path), "dingofs_conf_load", shown)

    def conf_get(self, key: bytes, shown: _Path = None) -> str:
        size = 256
        while True:
            buf = self.ffi.new("char[]", size)
            rc = self.lib.dingofs_conf_get(self.h, key, buf, size)
            if rc == -_errno.ERANGE and size < (1 << 24):  # ERANGE: retry with a larger buffer
                size *= 16
                continue
            self.check(rc, "dingofs_conf_get", shown)
            return self.ffi.string(buf).decode("utf-8", "surrogateescape")

    def conf_list(self) -> list[tuple[str, str, str, str]]:
        ffi = self.ffi
        opts = ffi.new("dingofs_option_t**")
        count = ffi.new("int*")
        self.check(self.lib.dingofs_conf_list(self.h, opts, count), "dingofs_conf_list")
        out = []
        try:
            arr = opts[0]
            for i in range(count[0]):
                o = arr[i]
                out.append(tuple(
                    ffi.string(f).decode("utf-8", "replace") if f != ffi.NULL else ""
                    for f in (o.name, o.type, o.default_value, o.description)
                ))
        finally:
            self.lib.dingofs_conf_list_free(opts[0], count[0])
        return out  # type: ignore[return-value]

    def conf_print(self) -> None:
        self.lib.dingofs_conf_print(self.h)
        self.lib.dfx_flush_stdout()

    def mount(self, addrs: bytes, fsname: bytes, mountpoint: bytes, log: bool,
              shown: _Path = None) -> None:
        if log:
            rc = self.lib.dingofs_mount(self.h, addrs, fsname, mountpoint)
            self.check(rc, "dingofs_mount", shown)
        else:
            rc = self.lib.dingofs_mount_nolog(self.h, addrs, fsname, mountpoint)
            self.check(rc, "dingofs_mount_nolog", shown)

    def umount(self) -> None:
        self.check(self.lib.dingofs_umount(self.h), "dingofs_umount")

    # -- file I/O --------------------------------------------------------------------------
    def open(self, path: bytes, flags: int, mode: int, shown: _Path = None) -> int:
        return self.check(self.lib.dingofs_open(self.h, path, flags, mode), "dingofs_open",
                          shown)

    def read(self, fd: int, cbuf: Any, n: int, shown: _Path = None) -> int:
        got = self.check(self.lib.dingofs_read(self.h, fd, cbuf, n), "dingofs_read", shown)
        self._moved(nread=got)
        return got

    def write(self, fd: int, cbuf: Any, n: int, shown: _Path = None) -> int:
        put = self.check(self.lib.dingofs_write(self.h, fd, cbuf, n), "dingofs_write", shown)
        self._moved(nwritten=put)
        return put

    def pread(self, fd: int, cbuf: Any, n: int, offset: int, shown: _Path = None) -> int:
        got = self.check(self.lib.dingofs_pread(self.h, fd, cbuf, n, offset), "dingofs_pread",
                         shown)
        self._moved(nread=got)
        return got

    def pwrite(self, fd: int, cbuf: Any, n: int, offset: int, shown: _Path = None) -> int:
        put = self.check(self.lib.dingofs_pwrite(self.h, fd, cbuf, n, offset),
                         "dingofs_pwrite", shown)
        self._moved(nwritten=put)
        return put

    def lseek(self, fd: int, offset: int, whence: int, shown: _Path = None) -> int:
        return self.check(self.lib.dingofs_lseek(self.h, fd, offset, whence), "dingofs_lseek",
                          shown)

    def flush(self, fd: int, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_flush(self.h, fd), "dingofs_flush", shown)

    def fsync(self, fd: int, datasync: bool, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_fsync(self.h, fd, 1 if datasync else 0), "dingofs_fsync",
                   shown)

    def close(self, fd: int, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_close(self.h, fd), "dingofs_close", shown)

    def ftruncate(self, fd: int, length: int, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_ftruncate(self.h, fd, length), "dingofs_ftruncate", shown)

    # -- metadata --------------------------------------------------------------------------
    def new_stat(self) -> Any:
        return self.ffi.new("struct stat*")

    def stat(self, path: bytes, shown: _Path = None) -> Any:
        st = self.ffi.new("struct stat*")
        self.check(self.lib.dingofs_stat(self.h, path, st), "dingofs_stat", shown)
        return st

    def lstat(self, path: bytes, shown: _Path = None) -> Any:
        st = self.ffi.new("struct stat*")
        self.check(self.lib.dingofs_lstat(self.h, path, st), "dingofs_lstat", shown)
        return st

    def fstat(self, fd: int, shown: _Path = None) -> Any:
        st = self.ffi.new("struct stat*")
        self.check(self.lib.dingofs_fstat(self.h, fd, st), "dingofs_fstat", shown)
        return st

    def chmod(self, path: bytes, mode: int, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_chmod(self.h, path, mode), "dingofs_chmod", shown)

    def chown(self, path: bytes, uid: int, gid: int, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_chown(self.h, path, uid, gid), "dingofs_chown", shown)

    def truncate(self, path: bytes, length: int, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_truncate(self.h, path, length), "dingofs_truncate", shown)

    def utimes(self, path: bytes, times_us: tuple[int, int] | None,
               shown: _Path = None) -> None:
        if times_us is None:
            tv = self.ffi.NULL
        else:
            tv = self.ffi.new("struct timeval[2]")
            for i, us in enumerate(times_us):
                sec, usec = divmod(us, 1_000_000)
                tv[i].tv_sec = sec
                tv[i].tv_usec = usec
        self.check(self.lib.dingofs_utimes(self.h, path, tv), "dingofs_utimes", shown)

    def statfs(self) -> tuple[int, int, int, int]:
        st = self.ffi.new("dingofs_statfs_t*")
        self.check(self.lib.dingofs_statfs(self.h, st), "dingofs_statfs")
        return st.total_bytes, st.used_bytes, st.total_inodes, st.used_inodes

    # -- directories -----------------------------------------------------------------------
    def mkdir(self, path: bytes, mode: int, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_mkdir(self.h, path, mode), "dingofs_mkdir", shown)

    def mkdirs(self, path: bytes, mode: int, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_mkdirs(self.h, path, mode), "dingofs_mkdirs", shown)

    def rmdir(self, path: bytes, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_rmdir(self.h, path), "dingofs_rmdir", shown)

    def opendir(self, path: bytes, shown: _Path = None) -> int:
        dh = self.ffi.new("uint64_t*")
        self.check(self.lib.dingofs_opendir(self.h, path, dh), "dingofs_opendir", shown)
        return int(dh[0])

    def readdir(self, dh: int, buf: Any, count: int, shown: _Path = None) -> int:
        return self.check(self.lib.dingofs_readdir(self.h, dh, buf, count), "dingofs_readdir",
                          shown)

    def closedir(self, dh: int, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_closedir(self.h, dh), "dingofs_closedir", shown)

    # -- links, rename, unlink -------------------------------------------------------------
    def rename(self, src: bytes, dst: bytes, s1: _Path = None, s2: _Path = None) -> None:
        self.check(self.lib.dingofs_rename(self.h, src, dst), "dingofs_rename", s1, s2)

    def unlink(self, path: bytes, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_unlink(self.h, path), "dingofs_unlink", shown)

    def link(self, old: bytes, new: bytes, s1: _Path = None, s2: _Path = None) -> None:
        self.check(self.lib.dingofs_link(self.h, old, new), "dingofs_link", s1, s2)

    def symlink(self, target: bytes, linkpath: bytes, s1: _Path = None,
                s2: _Path = None) -> None:
        self.check(self.lib.dingofs_symlink(self.h, target, linkpath), "dingofs_symlink",
                   s1, s2)

    def readlink(self, path: bytes, shown: _Path = None) -> bytes:
        size = 256
        while True:
            buf = self.ffi.new("char[]", size)
            n = self.check(self.lib.dingofs_readlink(self.h, path, buf, size),
                           "dingofs_readlink", shown)
            if n < size:
                return self.ffi.buffer(buf, n)[:]
            size *= 4

    # -- xattr and ioctl -------------------------------------------------------------------
    def setxattr(self, path: bytes, name: bytes, value: Any, flags: int,
                 shown: _Path = None) -> None:
        size = len(value)
        if not size:
            self.check(self.lib.dingofs_setxattr(self.h, path, name, self.ffi.NULL, 0, flags),
                       "dingofs_setxattr", shown)
            return
        with self.ffi.from_buffer(value) as cval:
            rc = self.lib.dingofs_setxattr(self.h, path, name, cval, size, flags)
        self.check(rc, "dingofs_setxattr", shown)

    def getxattr(self, path: bytes, name: bytes, shown: _Path = None) -> bytes:
        for _ in range(8):
            n = self.check(self.lib.dingofs_getxattr(self.h, path, name, self.ffi.NULL, 0),
                           "dingofs_getxattr", shown)
            if n == 0:
                return b""
            buf = self.ffi.new("char[]", n)
            rc = self.lib.dingofs_getxattr(self.h, path, name, buf, n)
            if rc == -_errno.ERANGE:  # the value grew in between; ask again
                continue
            got = self.check(rc, "dingofs_getxattr", shown)
            return self.ffi.buffer(buf, got)[:]
        raise error_from_errno(_errno.ERANGE, "dingofs_getxattr", shown)

    def listxattr(self, path: bytes, shown: _Path = None) -> bytes:
        for _ in range(8):
            n = self.check(self.lib.dingofs_listxattr(self.h, path, self.ffi.NULL, 0),
                           "dingofs_listxattr", shown)
            if n == 0:
                return b""
            buf = self.ffi.new("char[]", n)
            rc = self.lib.dingofs_listxattr(self.h, path, buf, n)
            if rc == -_errno.ERANGE:
                continue
            got = self.check(rc, "dingofs_listxattr", shown)
            return self.ffi.buffer(buf, got)[:]
        raise error_from_errno(_errno.ERANGE, "dingofs_listxattr", shown)

    def removexattr(self, path: bytes, name: bytes, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_removexattr(self.h, path, name), "dingofs_removexattr",
                   shown)

    def ioctl(self, fd: int, cmd: int, arg: Any, shown: _Path = None) -> int:
        return self.check(self.lib.dingofs_ioctl(self.h, fd, cmd, arg), "dingofs_ioctl", shown)

    # -- extensions (wrappers return -EOPNOTSUPP when absent) ------------------------------
    def has(self, ext: str) -> bool:
        return self.backend.has(ext)

    def x_mknod(self, path: bytes, mode: int, dev: int, shown: _Path = None) -> None:
        self.check(self.lib.dfx_mknod(self.h, path, mode, dev), "dingofs_x_mknod", shown)

    def x_utimens(self, path: bytes, ts: tuple[tuple[int, int], tuple[int, int]] | None,
                  flags: int, shown: _Path = None) -> None:
        if ts is None:
            cts = self.ffi.NULL
        else:
            cts = self.ffi.new("struct timespec[2]")
            for i, (sec, nsec) in enumerate(ts):
                cts[i].tv_sec = sec
                cts[i].tv_nsec = nsec
        self.check(self.lib.dfx_utimens(self.h, path, cts, flags), "dingofs_x_utimens", shown)

    def x_stat(self, path: bytes, flags: int, shown: _Path = None) -> tuple[Any, int]:
        st = self.ffi.new("struct stat*")
        fl = self.ffi.new("uint32_t*")
        self.check(self.lib.dfx_stat(self.h, path, flags, st, fl), "dingofs_x_stat", shown)
        return st, int(fl[0])

    def x_fstat(self, fd: int, shown: _Path = None) -> tuple[Any, int]:
        st = self.ffi.new("struct stat*")
        fl = self.ffi.new("uint32_t*")
        self.check(self.lib.dfx_fstat(self.h, fd, st, fl), "dingofs_x_fstat", shown)
        return st, int(fl[0])

    def x_readdirplus(self, dh: int, buf: Any, count: int, shown: _Path = None) -> int:
        return self.check(self.lib.dfx_readdirplus(self.h, dh, buf, count),
                          "dingofs_x_readdirplus", shown)

    def x_rename2(self, src: bytes, dst: bytes, flags: int, s1: _Path = None,
                  s2: _Path = None) -> None:
        self.check(self.lib.dfx_rename2(self.h, src, dst, flags), "dingofs_x_rename2", s1, s2)

    def x_copy_file_range(self, fd_in: int, off_in: int | None, fd_out: int,
                          off_out: int | None, length: int, s1: _Path = None,
                          s2: _Path = None) -> int:
        pin = self.ffi.new("off_t*", off_in) if off_in is not None else self.ffi.NULL
        pout = self.ffi.new("off_t*", off_out) if off_out is not None else self.ffi.NULL
        n = self.check(self.lib.dfx_copy_file_range(self.h, fd_in, pin, fd_out, pout, length,
                                                    0), "dingofs_x_copy_file_range", s1, s2)
        self._moved(nread=n, nwritten=n)
        return n

    def x_flock(self, fd: int, op: int, shown: _Path = None) -> None:
        self.check(self.lib.dfx_flock(self.h, fd, op), "dingofs_x_flock", shown)

    def x_fallocate(self, fd: int, mode: int, offset: int, length: int,
                    shown: _Path = None) -> None:
        self.check(self.lib.dfx_fallocate(self.h, fd, mode, offset, length),
                   "dingofs_x_fallocate", shown)

    def x_access(self, path: bytes, mode: int, shown: _Path = None) -> int:
        """Raw result of the access extension (0 or -errno), counted but not raised."""
        rc = int(self.lib.dfx_access(self.h, path, mode))
        with self._stats_lock:
            self.ops["dingofs_x_access"] = self.ops.get("dingofs_x_access", 0) + 1
        return rc

    def x_lchown(self, path: bytes, uid: int, gid: int, shown: _Path = None) -> None:
        self.check(self.lib.dfx_lchown(self.h, path, uid, gid), "dingofs_x_lchown", shown)

    def x_fchmod(self, fd: int, mode: int, shown: _Path = None) -> None:
        self.check(self.lib.dfx_fchmod(self.h, fd, mode), "dingofs_x_fchmod", shown)

    def x_fchown(self, fd: int, uid: int, gid: int, shown: _Path = None) -> None:
        self.check(self.lib.dfx_fchown(self.h, fd, uid, gid), "dingofs_x_fchown", shown)


def fsck(backend: Backend, addrs: bytes, repair: bool, shown: _Path = None) -> tuple[int, str]:
    """Run the consistency checker of ``backend`` on ``addrs``: (problems, report)."""
    ffi, lib = backend.ffi, backend.lib
    report = ffi.new("char**")
    flags = int(lib.DINGOFS_X_FSCK_REPAIR) if repair else 0
    rc = lib.dfx_fsck(addrs, flags, report)
    try:
        text = ffi.string(report[0]).decode("utf-8", "replace") if report[0] != ffi.NULL else ""
    finally:
        if report[0] != ffi.NULL:
            lib.dfx_free(report[0])
    if rc < 0:
        raise error_from_errno(-rc, "dingofs_x_fsck", shown)
    return rc, text


def new_handle(backend: Backend) -> int:
    """``dingofs_new()``; :class:`MemoryError` when the library returns 0."""
    h = int(backend.lib.dingofs_new())
    if h == 0:
        raise MemoryError("dingofs_new returned no handle")
    return h
