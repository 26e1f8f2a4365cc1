"""What the objects of one mounted filesystem share.

A :class:`Mount` is made by :class:`~dingofs.client.Client` when it mounts and
is handed to the files (:class:`~dingofs.file.DingoFile`) and directory
iterators (:class:`~dingofs.dir.ScandirIterator`) it opens. It holds the call
session, the client's call gate, the filesystem's device number and the
registries of open files and iterators, so that files and iterators need no
private member of the client.
"""

from __future__ import annotations

import contextlib
import errno as _errno
import weakref
from typing import Any

from ._calls import Gate, Session
from .errors import DingofsError
from .types import Attr

__all__ = ["Mount", "Use"]


class Use:
    """``with`` block counting one call in flight on a gate."""

    __slots__ = ("_gate",)

    def __init__(self, gate: Gate, op: str, path: Any) -> None:
        gate.enter(op, path)
        self._gate = gate

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        self._gate.leave()


class Mount:
    """The session, gate, device number and open objects of one mounted filesystem.

    :ivar session: the call layer of the mounted handle.
    :ivar gate: the client's call gate (closed by ``Client.stop``).
    :ivar dev: the ``st_dev`` given to every attribute record.
    :ivar files: the open files by ``id()``: ``(weak reference, the file's gate)``.
    :ivar readinto, read_bytes, pread_bytes, lseek, x_fstat_attr: the session's calls of the hot
        file methods, bound once per mount (not once per open file);
        ``x_fstat_attr`` is ``None`` when the library lacks the extension.
    :ivar stat_attr: ``(gate, path, flags, shown) -> Attr``: the session's
        ``x_stat_attr``, or :meth:`stat_plain` when the library lacks it.
    """

    __slots__ = ("session", "gate", "dev", "files", "_iters", "readinto", "read_bytes",
                 "pread_bytes", "lseek", "x_fstat_attr", "stat_attr")

    def __init__(self, session: Session, dev: int) -> None:
        self.session = session
        self.gate = session.gate("client")
        self.dev = dev
        session.dev = dev
        # Open files and iterators by id(): (weak reference, gate), added and removed
        # with single (atomic) dict operations so that open/close take no lock.
        # A file adds itself to ``files`` directly (one dict store on every open).
        self.files: dict[int, tuple[weakref.ref[Any], Gate]] = {}
        self._iters: dict[int, tuple[weakref.ref[Any], Gate]] = {}
        self.readinto = session.readinto
        self.read_bytes = session.read_bytes
        self.pread_bytes = session.pread_bytes
        self.lseek = session.lseek
        self.x_fstat_attr = session.x_fstat_attr if session.has_xfstat else None
        self.stat_attr = session.x_stat_attr if session.has_xstat else self.stat_plain

    # -- calls in flight -------------------------------------------------------------------
    def use(self, op: str, path: Any = None) -> Use:
        """A ``with`` block counting one call in flight (refused once stopped)."""
        return Use(self.gate, op, path)

    # -- open files and iterators ----------------------------------------------------------
    def add_iter(self, it: Any, gate: Gate) -> None:
        """Register an open directory iterator (closed by :meth:`close_all`)."""
        self._iters[id(it)] = (weakref.ref(it), gate)

    def forget_iter(self, it: Any) -> None:
        """Unregister an iterator that closes."""
        self._iters.pop(id(it), None)

    @staticmethod
    def _alive(refs: dict[int, tuple[weakref.ref[Any], Gate]]) -> list[tuple[Any, Gate]]:
        out = []
        for r, gate in refs.copy().values():
            obj = r()
            if obj is not None:
                out.append((obj, gate))
        return out

    def counts(self) -> tuple[int, int]:
        """``(open files, open iterators)``."""
        return len(self._alive(self.files)), len(self._alive(self._iters))

    def close_all(self) -> None:
        """Close every open iterator, then every open file; errors are not raised."""
        for it, _ in self._alive(self._iters):
            with contextlib.suppress(Exception):  # never raise from here
                it.close()
        for f, _ in self._alive(self.files):
            with contextlib.suppress(Exception):  # never raise from here
                f.close()

    def kill_after_fork(self) -> None:
        """In a fork child: the client's, files' and iterators' gates refuse every call."""
        self.gate.kill_after_fork()
        for _, gate in self._alive(self.files):
            gate.kill_after_fork()
        for _, gate in self._alive(self._iters):
            gate.kill_after_fork()

    # -- attributes without the extensions -------------------------------------------------
    def stat_plain(self, g: Gate, p: bytes, flags: int, shown: Any = None) -> Attr:
        """``x_stat_attr`` through ``dingofs_stat``/``dingofs_lstat`` (``flags``: 0 or
        the session's ``nofollow``); the inode flags are read on first use."""
        op = "dingofs_lstat" if flags else "dingofs_stat"
        with Use(g, op, shown):
            return self.session.plain_attr(op, p, shown, lambda: self.read_flags(p))

    def read_flags(self, p: bytes) -> int:
        """Inode flags via ``O_RDONLY|O_NONBLOCK`` open + ``FS_IOC_GETFLAGS`` (no extension)."""
        s, k = self.session, self.session.k
        with self.use("dingofs_ioctl", p):
            try:
                fd = s.open(self.gate, p, k.O_RDONLY | k.O_NONBLOCK, 0, p)
            except DingofsError as exc:
                if exc.errno in (_errno.ENXIO, _errno.ELOOP):
                    return 0
                raise
            try:
                try:
                    return s.get_flags(fd, p)
                except DingofsError as exc:
                    if exc.errno in (_errno.EOPNOTSUPP, _errno.ENOTTY):
                        return 0
                    raise
            finally:
                s.close(self.gate, fd, p)
