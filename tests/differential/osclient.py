"""A stand-in client that serves the SDK's method names with plain ``os`` calls.

Used only to check the differential machine itself: run against the host it
must report no divergence, and with a planted fault it must report one.
"""
from __future__ import annotations

import io
import os
from typing import Any

from .machine import host_fstat, host_pread, host_pwrite


class _Entry:
    def __init__(self, name: bytes) -> None:
        self.name = name


class OsFile(io.FileIO):
    def pread(self, n: int, offset: int) -> bytes:
        return host_pread(self, n, offset)

    def pwrite(self, data: bytes, offset: int) -> int:
        return host_pwrite(self, data, offset)

    def stat(self) -> os.stat_result:
        return host_fstat(self)

    def fsync(self) -> None:
        os.fsync(self.fileno())


class OsClient:
    """Maps absolute in-filesystem paths onto a host directory."""

    def __init__(self, root: str, umask: int) -> None:
        self.root = os.fsencode(root)
        os.makedirs(self.root, exist_ok=True)
        self.umask = umask

    def _p(self, path: bytes) -> bytes:
        return self.root + path

    def stop(self) -> None:
        pass

    def mkdir(self, path: bytes, mode: int = 0o777) -> None:
        os.mkdir(self._p(path), mode)

    def mknod(self, path: bytes, mode: int, dev: int = 0) -> None:
        os.mknod(self._p(path), mode, dev)

    def open(self, path: bytes, mode: str = "rb", buffering: int = -1) -> OsFile:
        return OsFile(self._p(path), mode.replace("b", ""))

    def unlink(self, path: bytes) -> None:
        os.unlink(self._p(path))

    def rmdir(self, path: bytes) -> None:
        os.rmdir(self._p(path))

    def rename(self, src: bytes, dst: bytes) -> None:
        os.rename(self._p(src), self._p(dst))

    def link(self, src: bytes, dst: bytes) -> None:
        os.link(self._p(src), self._p(dst), follow_symlinks=False)

    def symlink(self, target: bytes, path: bytes) -> None:
        os.symlink(target, self._p(path))

    def readlink(self, path: bytes) -> bytes:
        return os.readlink(self._p(path))

    def chmod(self, path: bytes, mode: int) -> None:
        os.chmod(self._p(path), mode)

    def truncate(self, path: bytes, length: int) -> None:
        os.truncate(self._p(path), length)

    def utime(self, path: bytes, times: Any = None, *, ns: Any = None,
              follow_symlinks: bool = True) -> None:
        if ns is not None:
            os.utime(self._p(path), ns=ns, follow_symlinks=follow_symlinks)
        else:
            os.utime(self._p(path), times, follow_symlinks=follow_symlinks)

    def stat(self, path: bytes) -> os.stat_result:
        return os.stat(self._p(path))

    def lstat(self, path: bytes) -> os.stat_result:
        return os.lstat(self._p(path))

    def listdir(self, path: bytes) -> list[_Entry]:
        return [_Entry(n) for n in os.listdir(self._p(path))]

    def setxattr(self, path: bytes, name: str, value: bytes, flags: int = 0) -> None:
        os.setxattr(self._p(path), name, value, flags)

    def getxattr(self, path: bytes, name: str, *, as_bytes: bool = False) -> Any:
        v = os.getxattr(self._p(path), name)
        return v if as_bytes else v.decode("utf-8", "surrogateescape")

    def listxattr(self, path: bytes) -> list[str]:
        return os.listxattr(self._p(path))

    def removexattr(self, path: bytes, name: str) -> None:
        os.removexattr(self._p(path), name)
