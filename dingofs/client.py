"""The :class:`Client`: one mounted DingoFS filesystem."""

from __future__ import annotations

import contextlib
import errno as _errno
import io
import math
import os
import re
import stat as _stat
import sys
import threading
import time
import uuid
import warnings
import weakref
from collections.abc import Iterator
from typing import (
    IO,
    Any,
    Callable,
    Literal,
    Union,
    overload,
)

from . import _ffi, _options
from ._calls import Constants, Session, new_handle
from ._calls import filesystem_id as _filesystem_id
from ._calls import fsck as _fsck
from ._mount import Mount, Use
from ._util import (
    _FSENC,
    _FSERR,
    _fspath_slow,
    fspath,
    int_arg,
    is_bytes_path,
    read_umask,
    text_arg,
)
from .dir import BATCH as _SCANDIR_BATCH
from .dir import DirEntry, ScandirIterator, drain
from .dir import walk as _walk
from .errors import ClientStoppedError, DingofsError, error_from_errno, same_file_error
from .file import (
    DingoFile,
    check_open_args,
    open_wrapped,
    parse_mode,
)
from .types import (
    SET_ATTR_ALL,
    SET_ATTR_ATIME,
    SET_ATTR_ATIME_NOW,
    SET_ATTR_FLAGS,
    SET_ATTR_GID,
    SET_ATTR_MODE,
    SET_ATTR_MTIME,
    SET_ATTR_MTIME_NOW,
    SET_ATTR_SIZE,
    SET_ATTR_UID,
    Attr,
    FileType,
    FsStat,
    OptionInfo,
)

__all__ = ["Client"]

Path = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
#: A path given as text: results named by it are ``str``.
StrPath = Union[str, "os.PathLike[str]"]
#: A path given as bytes: results named by it are ``bytes``.
BytesPath = Union[bytes, "os.PathLike[bytes]"]
#: ``open`` modes that give text (a ``t`` in the mode).
TextMode = Literal[
    "rt", "wt", "at", "xt", "r+t", "w+t", "a+t", "x+t", "rt+", "wt+", "at+", "xt+",
    "tr", "tw", "ta", "tx",
]
#: ``open`` modes that give bytes unless a text keyword is passed (a mode
#: without ``t`` is binary here, as upstream has it).
BinaryMode = Literal[
    "rb", "wb", "ab", "xb", "r+b", "w+b", "a+b", "x+b", "rb+", "wb+", "ab+", "xb+",
    "br", "bw", "ba", "bx", "r", "w", "a", "x", "r+", "w+", "a+", "x+",
]

_NS = 1_000_000_000
_COPY_CHUNK = 8 * 1024 * 1024
#: Entries per C call of listdir (scandir keeps 64 for its laziness).
_LISTDIR_BATCH = 1024
_CONF_LINE = re.compile(r"^--?[A-Za-z0-9_.\-]+=.*$")

# -- every live client, for fork handling -------------------------------------------------------
_clients: weakref.WeakSet[Client] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for c in list(_clients):
        c._inherited_by_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _finalize_client(session: Session, pid: int, name: str) -> None:
    """Safety net for a client that was never stopped (runs once, never in a fork child)."""
    if os.getpid() != pid:
        return
    warnings.warn(f"dingofs client {name!r} was not stopped", ResourceWarning, stacklevel=2)
    with contextlib.suppress(Exception):
        session.umount()
    with contextlib.suppress(Exception):
        session.delete()


def _check_conf_file(conf_file: Any) -> bytes | None:
    if conf_file is None or conf_file == "" or conf_file == b"":
        return None
    raw = fspath(conf_file, "conf_file")
    # Opened by the name as given, so a FileNotFoundError's filename is that name
    # (str for a str path), as open() reports it.
    with open(os.fspath(conf_file), "rb") as f:
        for lineno, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith(b"#"):
                continue
            if not _CONF_LINE.match(text.decode("utf-8", "surrogateescape")):
                raise ValueError(
                    f"{os.fsdecode(raw)}:{lineno}: expected '--key=value' or '-key=value', "
                    f"got {text.decode('utf-8', 'replace')!r}"
                )
    return raw


def _float_to_ns(t: float) -> int:
    """Seconds as a float to integer nanoseconds, rounding down like :func:`os.utime`."""
    sec = math.floor(t)
    nsec = math.floor((t - sec) * _NS)
    if nsec >= _NS:
        sec, nsec = sec + 1, nsec - _NS
    return int(sec) * _NS + int(nsec)


def _required_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{what} must not be empty")
    if "\0" in value:
        raise ValueError("embedded null byte")
    return value


def _open_flags(m: Any, k: Constants) -> int:
    """The ``open(2)`` flags of a parsed mode (the same values in every bridge)."""
    if m.updating:
        flags = k.O_RDWR
    elif m.reading:
        flags = k.O_RDONLY
    else:
        flags = k.O_WRONLY
    if m.writing:
        flags |= k.O_CREAT | k.O_TRUNC
    elif m.appending:
        flags |= k.O_CREAT | k.O_APPEND
    elif m.creating:
        flags |= k.O_CREAT | k.O_EXCL
    return int(flags)


class Client:
    """A mounted DingoFS filesystem.

    Make one with :meth:`build`; release it with :meth:`stop` or a ``with``
    block. A client is thread-safe: many threads may share it. Paths are
    ``str``, ``bytes`` or ``os.PathLike``; results that are paths keep the
    type of the argument.
    """

    # -- construction and lifetime ---------------------------------------------------------
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("use dingofs.Client.build(...) to create a client")

    @classmethod
    def build(
        cls,
        mds_addrs: str,
        fs_name: str,
        mount_point: str,
        conf_file: str = "",
        log_dir: str = "",
        log_level: str = "",
        log_v: int = 0,
        *,
        init_logging: bool = True,
        umask: int | None = None,
    ) -> Client:
        """Mount a filesystem and return its client.

        :param mds_addrs: ``"host:port[,host:port]"`` of a cluster, or
            ``"local://NAME[?base=DIR&...]"`` for the embedded engine (parameters:
            ``base``, ``storage``/``path``, ``create``, ``ro``, ``capacity``,
            ``inodes``, ``unsafe_fs``; see the README).
        :param fs_name: the filesystem name.
        :param mount_point: a label used in logs (no kernel mount is made).
        :param conf_file: a file of ``--key=value`` lines applied at mount.
        :param log_dir: directory of the log file (default: ``set_option`` state, then
            the library's).
        :param log_level: ``INFO``, ``WARNING``, ``ERROR`` …
        :param log_v: verbose logging level.
        :param init_logging: ``False`` mounts without creating a log file.
        :param umask: applied to created files and directories instead of the
            process umask (``0`` gives the library's exact modes). Without it the
            process umask is read once, here: a later :func:`os.umask` does not
            reach this client; set :attr:`umask` for that.
        :raises TypeError, ValueError: for bad arguments (before any C call).
        :raises DingofsError: when the library cannot mount; with the engine's
            ``x_last_error`` extension the message ends with its explanation (also in
            ``detail``), e.g. a wrong ``fs_name``, an unknown address parameter, or a
            base directory on a network/FUSE filesystem (``ENOLCK``; ``unsafe_fs=1``
            in the address mounts anyway).
        :returns: the mounted client (use it as a context manager, or call :meth:`stop`).
        """
        mds = _required_str(mds_addrs, "mds_addrs")
        fs = _required_str(fs_name, "fs_name")
        mp = _required_str(mount_point, "mount_point")
        for value, what in ((log_dir, "log_dir"), (log_level, "log_level")):
            if not isinstance(value, str):
                raise TypeError(f"{what} must be str, not {type(value).__name__}")
        if isinstance(log_v, str):
            try:
                log_v = int(log_v)
            except ValueError:
                raise ValueError(f"log_v must be an integer, got {log_v!r}") from None
        log_v = int_arg(log_v, "log_v")
        if umask is not None:
            umask = int_arg(umask, "umask", 0, 0o777)
        conf = _check_conf_file(conf_file)

        backend = _ffi.backend_for(mds)
        session = Session(backend, new_handle(backend))
        try:
            if conf is not None:
                session.conf_load(conf, conf_file)
            state = _options.log_settings()
            settings = (
                ("log_dir", log_dir or state.get("log_dir", "")),
                ("log_level", log_level or state.get("log_level", "")),
                ("log_v", str(log_v) if log_v else state.get("log_v", "")),
            )
            for key, value in settings:
                if value:
                    session.conf_set(key.encode(), value.encode("utf-8", "surrogateescape"),
                                     key)
            session.mount(mds.encode("utf-8", "surrogateescape"),
                          fs.encode("utf-8", "surrogateescape"),
                          mp.encode("utf-8", "surrogateescape"), bool(init_logging), mds)
        except BaseException:
            session.delete()
            raise
        self = object.__new__(cls)
        self._setup(session, mds, fs, mp, umask)
        return self

    def _setup(self, session: Session, mds: str, fs: str, mp: str,
               umask: int | None) -> None:
        self._s = session
        self._backend = session.backend
        self._mds_addrs = mds
        self._fs_name = fs
        self._mount_point = mp
        # Read once: reading it costs more than some of the calls it serves.
        self._umask = umask if umask is not None else read_umask()
        self._dev = _filesystem_id(session.backend, mds, fs)
        self._mount = Mount(session, self._dev)
        self._gate = self._mount.gate
        self._lock = threading.Lock()
        self._nofollow = session.nofollow
        self._has_last_attr = session.has("last_attr")
        self._has_setattr = session.has("setattr")
        # The session calls of the hot paths, bound once.
        self._stat_attr = self._mount.stat_attr
        self._x_access = session.x_access if session.has_access else None
        self._built_at = time.time()
        self._pid = os.getpid()
        self._finalizer = weakref.finalize(self, _finalize_client, session, self._pid, mds)
        _clients.add(self)

    def stop(self) -> None:
        """Unmount and release the client. Idempotent.

        New calls are refused at once; calls in flight finish first; open files
        and scandir iterators are closed; then the filesystem is unmounted.
        """
        if self._gate.forked:
            self._finalizer.detach()
            return
        if not self._gate.shut():
            return
        self._mount.close_all()
        self._finalizer.detach()
        try:
            self._s.umount()
        except DingofsError as exc:
            if exc.errno != _errno.ENOTCONN:
                self._s.delete()
                raise
        self._s.delete()

    @property
    def closed(self) -> bool:
        """True once :meth:`stop` has run (or in a child process after ``fork()``)."""
        return self._gate.closed

    def __enter__(self) -> Client:
        """Use the client in a ``with`` block; :meth:`stop` runs at its end.

        :returns: this client.
        :raises ClientStoppedError: if the client was already stopped (or was
            inherited through ``fork()``), as ``with`` on a closed file raises.
        """
        if self._gate.closed:
            raise self._gate.refused("__enter__")
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._gate.closed else "mounted"
        return f"<dingofs.Client {self._mds_addrs!r} fs={self._fs_name!r} {state}>"

    def __getstate__(self) -> Any:
        raise TypeError("a dingofs.Client cannot be pickled; build a new one where needed")

    def _inherited_by_fork(self) -> None:
        self._lock = threading.Lock()
        self._mount.kill_after_fork()
        self._finalizer.detach()

    def _use(self, op: str, path: Any = None) -> Use:
        return Use(self._gate, op, path)

    def _call(self, op: str, path: Any, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` counted as one call in flight on the client (refused once stopped)."""
        gate = self._gate
        gate.enter(op, path)
        try:
            return fn(*args)
        finally:
            gate.leave()

    # -- identity --------------------------------------------------------------------------
    @property
    def mds_addrs(self) -> str:
        """The address this client was built with (``"host:port,..."`` or ``"local://..."``)."""
        return self._mds_addrs

    @property
    def fs_name(self) -> str:
        """The name of the mounted filesystem."""
        return self._fs_name

    @property
    def mount_point(self) -> str:
        """The mount point label given to :meth:`build`."""
        return self._mount_point

    @property
    def umask(self) -> int:
        """The umask applied to files and directories this client creates.

        The ``umask`` given to :meth:`build`, else the process umask at
        :meth:`build`; a later :func:`os.umask` does not change it, assigning
        this property does (``0 <= value <= 0o777``).
        """
        return self._umask

    @umask.setter
    def umask(self, value: int) -> None:
        self._umask = int_arg(value, "umask", 0, 0o777)

    # -- attribute conversion --------------------------------------------------------------
    def _stat_raw(self, p: bytes, path: Any, follow: bool) -> Attr:
        return self._stat_attr(self._gate, p, 0 if follow else self._nofollow, path)

    def _partial_attr(self, **known: int) -> Attr:
        """An :class:`Attr` marked :attr:`~Attr.partial` holding only ``known`` (and ``dev``)."""
        a = Attr(dev=self._dev, partial=True)
        for name, value in known.items():
            setattr(a, name, value)
        return a

    def _changed(self, p: bytes, path: Any, follow: bool, known: Callable[[], Attr],
                 recorded: bool = True) -> Attr:
        """The attributes of what a change that just succeeded on this thread created or
        changed (``p``, following a final symlink with ``follow``).

        With the engine's ``x_last_attr`` extension, and ``recorded`` (the change was a
        call the engine remembers), they come from the change's own transaction, so a
        lost search permission or another client's rename cannot fail them. Otherwise
        ``p`` is stat'ed again; when that fails the change is still not reported as
        failed: the result is ``known()``, an :attr:`Attr.partial` record of what the
        request determined.
        """
        if recorded and self._has_last_attr:
            a = self._s.x_last_attr()
            if a is not None:
                return a
        try:
            return self._stat_raw(p, path, follow)
        except DingofsError:
            return known()

    # -- metadata --------------------------------------------------------------------------
    def statfs(self) -> FsStat:
        """Capacity and usage of the filesystem.

        :returns: the capacity and usage (:class:`FsStat`).
        :raises ClientStoppedError: if the client was stopped.
        """
        with self._use("dingofs_statfs"):
            total, used, inodes, used_inodes = self._s.statfs()
        return FsStat(int(total), int(used), int(inodes), int(used_inodes))

    def stat(self, path: Path) -> Attr:
        """Attributes of ``path``, following symlinks.

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :returns: the attributes of the file (symlinks followed).
        :raises FileNotFoundError: if ``path`` does not exist (other errors as
            :func:`os.stat` raises them).
        """
        # The hot path: the argument checks and one session call (gated in C).
        p = path.encode(_FSENC, _FSERR) if type(path) is str else _fspath_slow(path, "path")
        if 0 in p:
            raise ValueError("embedded null byte")
        return self._stat_attr(self._gate, p, 0, path)

    def lstat(self, path: Path) -> Attr:
        """Attributes of ``path`` itself (a final symlink is not followed).

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :returns: the attributes of ``path`` itself (a final symlink is not followed).
        :raises FileNotFoundError: if ``path`` does not exist (other errors as
            :func:`os.lstat` raises them).
        """
        # As stat, with the no-follow flag.
        p = path.encode(_FSENC, _FSERR) if type(path) is str else _fspath_slow(path, "path")
        if 0 in p:
            raise ValueError("embedded null byte")
        return self._stat_attr(self._gate, p, self._nofollow, path)

    def chmod(self, path: Path, mode: int) -> Attr:
        """Set the permission bits (``07777``); the type bits are kept.

        :returns: the new attributes, read in the same engine transaction as the
            change. With a library lacking the extension they are read again
            afterwards; if that fails (e.g. the change removed search permission)
            the result is :attr:`Attr.partial` with only ``mode`` (the requested
            bits) set, and no exception is raised for the applied change.
        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param mode: the permission bits (``0o7777`` at most; type bits are ignored).
        :raises FileNotFoundError: if ``path`` does not exist (and the other
            :class:`OSError` subclasses of the matching :mod:`os` call).
        :raises PermissionError: if the caller does not own the file.
        """
        p = fspath(path)
        mode = int_arg(mode, "mode", 0, 0o7777 | _stat.S_IFMT(0o170000))
        with self._use("dingofs_chmod", path):
            self._s.chmod(p, mode & 0o7777, path)
            return self._changed(p, path, True, lambda: self._partial_attr(mode=mode))

    def _id(self, value: Any, what: str) -> int:
        """A uid or gid as :func:`os.chown` takes it: ``-1`` (or ``0xFFFFFFFF``)
        keeps the field; outside ``[-1, 0xFFFFFFFF]`` is :class:`OverflowError`."""
        v = int_arg(value, what)
        if v < -1:
            raise OverflowError(f"{what} is less than minimum")
        if v > 0xFFFF_FFFF:
            raise OverflowError(f"{what} is greater than maximum")
        return 0xFFFF_FFFF if v == -1 else v

    def _owner_known(self, u: int, g: int) -> Attr:
        """The :attr:`Attr.partial` result of a chown to ``u``/``g`` (``0xFFFFFFFF``: kept)."""
        known = {}
        if u != 0xFFFF_FFFF:
            known["uid"] = u
        if g != 0xFFFF_FFFF:
            known["gid"] = g
        return self._partial_attr(**known)

    def chown(self, path: Path, uid: int, gid: int) -> Attr:
        """Set owner and group; ``-1`` leaves a field unchanged.

        :returns: the new attributes, read in the same engine transaction as the
            change. With a library lacking the extension they are read again
            afterwards; if that fails the result is :attr:`Attr.partial` with only
            the ``uid``/``gid`` given (not ``-1``) set, and no exception is raised.
        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param uid: the new owner, ``-1`` to keep it.
        :param gid: the new group, ``-1`` to keep it.
        :raises OverflowError: for an id outside ``[-1, 0xFFFFFFFF]``, as :func:`os.chown`.
        :raises FileNotFoundError: if ``path`` does not exist (and the other
            :class:`OSError` subclasses of the matching :mod:`os` call).
        """
        return self._chown(path, uid, gid, True)

    def lchown(self, path: Path, uid: int, gid: int) -> Attr:
        """:meth:`chown` that does not follow a final symlink (needs the extension).

        :returns: the new attributes of ``path`` itself, as :meth:`chown` returns them.
        :param path: the path whose own owner changes, even if it is a symlink.
        :param uid: as for :meth:`chown`.
        :param gid: as for :meth:`chown`.
        :raises OverflowError: as :func:`os.lchown` does.
        :raises FileNotFoundError: if ``path`` does not exist.
        """
        return self._chown(path, uid, gid, False)

    def _chown(self, path: Path, uid: int, gid: int, follow: bool) -> Attr:
        p = fspath(path)
        u = self._id(uid, "uid")
        g = self._id(gid, "gid")
        op = "dingofs_chown" if follow else "dingofs_x_lchown"
        with self._use(op, path):
            if follow:
                self._s.chown(p, u, g, path)
            else:
                self._s.x_lchown(p, u, g, path)
            return self._changed(p, path, follow, lambda: self._owner_known(u, g))

    def truncate(self, path: Path, length: int) -> None:
        """Set the size of a file, like :func:`os.truncate`.

        :param path: the file.
        :param length: the new size in bytes.
        :raises OSError: ``EINVAL`` for a negative ``length`` (as the kernel
            answers), and the errors of :func:`os.truncate`.
        :raises TypeError: if ``length`` is not an integer.
        """
        p = fspath(path)
        length = int_arg(length, "length")
        if length < 0:
            raise error_from_errno(_errno.EINVAL, "dingofs_truncate", path)
        with self._use("dingofs_truncate", path):
            self._s.truncate(p, length, path)

    def _set_times(self, p: bytes, path: Any, atime: int | None, mtime: int | None,
                   follow: bool, now_a: bool = False, now_m: bool = False) -> None:
        """Set times in ns; ``None`` keeps a time, ``now_*`` sets it to now."""
        s, k = self._s, self._s.k
        if s.has("utimens"):
            def spec(value: int | None, now: bool) -> tuple[int, int]:
                if now:
                    return (0, k.UTIME_NOW)
                if value is None:
                    return (0, k.UTIME_OMIT)
                sec, nsec = divmod(value, _NS)
                return (sec, nsec)
            flags = 0 if follow else k.DINGOFS_X_NOFOLLOW
            s.x_utimens(p, (spec(atime, now_a), spec(mtime, now_m)), flags, path)
            return
        if not follow:
            raise error_from_errno(_errno.EOPNOTSUPP, "dingofs_x_utimens", path)
        if now_a and now_m:
            s.utimes(p, None, path)
            return
        if atime is None and not now_a or mtime is None and not now_m:
            cur = self._stat_raw(p, path, True)
            if atime is None and not now_a:
                atime = cur.atime
            if mtime is None and not now_m:
                mtime = cur.mtime
        now = time.time_ns()
        a = now if now_a else atime
        m = now if now_m else mtime
        assert a is not None and m is not None
        s.utimes(p, (a // 1000, m // 1000), path)

    def utime(self, path: Path, times: tuple[float, float] | None = None, *,
              ns: tuple[int, int] | None = None, follow_symlinks: bool = True) -> None:
        """Set access and modification times, like :func:`os.utime`.

        ``times`` is ``(atime, mtime)`` in seconds, ``ns`` the same in
        nanoseconds; neither sets both to now. Nanosecond precision needs the
        engine's extension; other libraries get microseconds.

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param times: ``(atime, mtime)`` in seconds, or ``None``.
        :param ns: ``(atime, mtime)`` in nanoseconds.
        :param follow_symlinks: set the times of a final symlink's target (default) or of the link
            (needs the engine's extension).
        :raises TypeError: for ``times``/``ns`` that are not a tuple of two numbers.
        :raises ValueError: when both ``times`` and ``ns`` are given, or a time is not finite.
        :raises FileNotFoundError: if ``path`` does not exist (and the other
            :class:`OSError` subclasses of the matching :mod:`os` call).
        """
        p = fspath(path)
        if times is not None and ns is not None:
            raise ValueError("utime: you may specify either 'times' or 'ns' but not both")
        pair: tuple[int, int] | None = None
        if times is not None:
            if not isinstance(times, tuple) or len(times) != 2:
                raise TypeError("utime: 'times' must be either a tuple of two numbers or None")
            vals = []
            for t in times:
                if isinstance(t, bool) or not isinstance(t, (int, float)):
                    raise TypeError("utime: 'times' must contain numbers")
                if isinstance(t, float) and not math.isfinite(t):
                    raise ValueError("utime: times must be finite")
                vals.append(t * _NS if isinstance(t, int) else _float_to_ns(t))
            pair = (vals[0], vals[1])
        elif ns is not None:
            if not isinstance(ns, tuple) or len(ns) != 2:
                raise TypeError("utime: 'ns' must be a tuple of two ints")
            pair = (int_arg(ns[0], "ns"), int_arg(ns[1], "ns"))
        with self._use("dingofs_utimes", path):
            if pair is None:
                self._set_times(p, path, None, None, bool(follow_symlinks), True, True)
            else:
                self._set_times(p, path, pair[0], pair[1], bool(follow_symlinks))

    def set_attr(self, path: Path, mask: int, attr: Attr) -> Attr:
        """Change the attributes named by ``mask`` (``SET_ATTR_*`` bits) to ``attr``'s.

        Applied in the order SIZE, UID/GID, MODE, times, FLAGS; the first
        failure stops and its exception carries ``applied_mask`` (the bits
        already applied). ``SET_ATTR_CTIME`` is accepted: every change sets
        ctime to now anyway.

        With the engine's ``x_setattr`` extension, SIZE, UID/GID, MODE and the
        times (``*_NOW`` included) are one transaction: all of them or none
        (``applied_mask`` 0 when it fails), and the result is read in that
        transaction. FLAGS (an ``FS_IOC_SETFLAGS`` ioctl) is always a separate
        step after it; its failure has ``applied_mask`` = the other bits.

        :returns: the new attributes (after FLAGS, read through the file opened to
            set them). With a library lacking the extensions the result is read
            again afterwards; if that fails the change is not reported as failed:
            the result is :attr:`Attr.partial`, holding only the fields ``mask``
            set from ``attr`` (``mode`` as given, ``uid``, ``gid``, ``length``,
            explicit ``atime``/``mtime``, ``flags``).
        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param mask: the ``SET_ATTR_*`` bits of the fields to change.
        :param attr: an :class:`Attr` holding the new values.
        :raises ValueError: for a bit of ``mask`` that is not a ``SET_ATTR_*`` value.
        :raises DingofsError: when a step fails (with ``applied_mask``).
        """
        p = fspath(path)
        mask = int_arg(mask, "mask", 0)
        if not isinstance(attr, Attr):
            raise TypeError(f"attr must be a dingofs.Attr, not {type(attr).__name__}")
        if mask & ~SET_ATTR_ALL:
            raise ValueError(f"unknown set_attr mask bits: {hex(mask & ~SET_ATTR_ALL)}")
        if mask & SET_ATTR_SIZE:
            int_arg(attr.length, "attr.length", 0)
        if mask & SET_ATTR_MODE:
            int_arg(attr.mode, "attr.mode", 0)
        if mask & SET_ATTR_UID:
            self._id(attr.uid, "attr.uid")
        if mask & SET_ATTR_GID:
            self._id(attr.gid, "attr.gid")
        if mask & SET_ATTR_FLAGS:
            int_arg(attr.flags, "attr.flags", 0, 0xFFFF_FFFF)
        tbits = SET_ATTR_ATIME | SET_ATTR_MTIME | SET_ATTR_ATIME_NOW | SET_ATTR_MTIME_NOW
        xbits = SET_ATTR_SIZE | SET_ATTR_UID | SET_ATTR_GID | SET_ATTR_MODE | tbits
        applied = 0
        result: Attr | None = None

        def known() -> Attr:
            fields: dict[str, int] = {}
            for bit, name in ((SET_ATTR_SIZE, "length"), (SET_ATTR_UID, "uid"),
                              (SET_ATTR_GID, "gid"), (SET_ATTR_MODE, "mode"),
                              (SET_ATTR_ATIME, "atime"), (SET_ATTR_MTIME, "mtime"),
                              (SET_ATTR_FLAGS, "flags")):
                if applied & bit:
                    fields[name] = getattr(attr, name)
            return self._partial_attr(**fields)

        with self._use("dingofs_setattr", path):
            try:
                if mask & xbits and self._has_setattr:
                    # One transaction: all or none, so nothing is applied if it fails.
                    result = self._set_attr_one(p, path, mask, attr)
                    applied = mask & xbits
                else:
                    if mask & SET_ATTR_SIZE:
                        self._s.truncate(p, attr.length, path)
                        applied |= SET_ATTR_SIZE
                    if mask & (SET_ATTR_UID | SET_ATTR_GID):
                        u = self._id(attr.uid, "uid") if mask & SET_ATTR_UID else 0xFFFF_FFFF
                        g = self._id(attr.gid, "gid") if mask & SET_ATTR_GID else 0xFFFF_FFFF
                        self._s.chown(p, u, g, path)
                        applied |= mask & (SET_ATTR_UID | SET_ATTR_GID)
                    if mask & SET_ATTR_MODE:
                        self._s.chmod(p, attr.mode & 0o7777, path)
                        applied |= SET_ATTR_MODE
                    if mask & tbits:
                        self._set_times(
                            p, path,
                            attr.atime if mask & SET_ATTR_ATIME else None,
                            attr.mtime if mask & SET_ATTR_MTIME else None,
                            True, bool(mask & SET_ATTR_ATIME_NOW),
                            bool(mask & SET_ATTR_MTIME_NOW))
                        applied |= mask & tbits
                if mask & SET_ATTR_FLAGS:
                    fd = self._write_flags(p, path, attr.flags)
                    applied |= SET_ATTR_FLAGS
                    # The result through the open file: no second path lookup.
                    try:
                        return self._fd_attr(fd, path)
                    except DingofsError:
                        return known()
                    finally:
                        self._close_quietly(fd, path)
            except DingofsError as exc:
                exc.applied_mask = applied  # type: ignore[attr-defined]
                raise
            if result is not None:
                return result
            if not applied:  # nothing changed: a failing stat is a real error
                return self._stat_raw(p, path, True)
            return self._changed(p, path, True, known)

    def _set_attr_one(self, p: bytes, path: Any, mask: int, attr: Attr) -> Attr:
        """The non-FLAGS part of :meth:`set_attr` as one ``dingofs_x_setattr``
        transaction; returns the attributes it read after the change."""
        k = self._s.k
        xmask = 0
        mode = uid = gid = size = 0
        if mask & SET_ATTR_SIZE:
            xmask |= k.DINGOFS_X_SET_SIZE
            size = attr.length
        if mask & SET_ATTR_UID:
            xmask |= k.DINGOFS_X_SET_UID
            uid = self._id(attr.uid, "uid")
        if mask & SET_ATTR_GID:
            xmask |= k.DINGOFS_X_SET_GID
            gid = self._id(attr.gid, "gid")
        if mask & SET_ATTR_MODE:
            xmask |= k.DINGOFS_X_SET_MODE
            mode = attr.mode & 0o7777
        ts: tuple[tuple[int, int], tuple[int, int]] | None = None
        spec = [(0, k.UTIME_OMIT), (0, k.UTIME_OMIT)]
        for i, (bit, now_bit, xbit, name) in enumerate((
                (SET_ATTR_ATIME, SET_ATTR_ATIME_NOW, k.DINGOFS_X_SET_ATIME, "atime"),
                (SET_ATTR_MTIME, SET_ATTR_MTIME_NOW, k.DINGOFS_X_SET_MTIME, "mtime"))):
            if mask & now_bit:
                spec[i] = (0, k.UTIME_NOW)
            elif mask & bit:
                spec[i] = divmod(int(getattr(attr, name)), _NS)
            else:
                continue
            xmask |= int(xbit)
        if xmask & (k.DINGOFS_X_SET_ATIME | k.DINGOFS_X_SET_MTIME):
            ts = (spec[0], spec[1])
        return self._s.x_setattr(p, 0, xmask, mode, uid, gid, size, ts, path)

    def _write_flags(self, p: bytes, path: Any, flags: int) -> int:
        """Set the inode flags of ``p`` (``FS_IOC_SETFLAGS`` on an ``O_RDONLY|O_NONBLOCK``
        open); returns the still open fd, which the caller closes."""
        s, k = self._s, self._s.k
        fd = s.open(self._gate, p, k.O_RDONLY | k.O_NONBLOCK, 0, path)
        try:
            s.set_flags(fd, flags, path)
        except BaseException:
            self._close_quietly(fd, path)
            raise
        return fd

    def _close_quietly(self, fd: int, path: Any) -> None:
        """Close ``fd``; a failure to close is not the caller's error."""
        with contextlib.suppress(DingofsError):
            self._s.close(self._gate, fd, path)

    def _fd_attr(self, fd: int, path: Any) -> Attr:
        """The attributes of the open ``fd`` (flags included) without a path lookup."""
        s = self._s
        if s.has_xfstat:
            return s.x_fstat_attr(self._gate, fd, path)
        a = s.plain_attr("dingofs_fstat", fd, path, lambda: s.get_flags(fd, path))
        a.flags  # noqa: B018 - read now, while fd is open
        return a

    def access(self, path: Path, mode: int) -> bool:
        """Whether the caller may access ``path`` with ``mode`` (``os.F_OK``, ``R_OK`` …).

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param mode: ``os.F_OK`` or a combination of ``os.R_OK``, ``os.W_OK``, ``os.X_OK``.
        :returns: whether the access is allowed (False if ``path`` does not exist).
        :raises ValueError: for an invalid ``mode``.
        """
        p = path.encode(_FSENC, _FSERR) if type(path) is str else _fspath_slow(path, "path")
        if 0 in p:
            raise ValueError("embedded null byte")
        if type(mode) is not int or not 0 <= mode <= 7:
            mode = int_arg(mode, "mode", 0, 7)
        x_access = self._x_access
        if x_access is not None:
            return x_access(self._gate, p, mode, path) == 0
        try:
            a = self._stat_raw(p, path, True)
        except DingofsError as exc:
            if exc.errno == _errno.ENOTCONN:
                raise
            return False
        if mode == os.F_OK:
            return True
        uid = os.geteuid()
        if uid == 0:
            return not (mode & os.X_OK) or bool(a.mode & 0o111) or a.is_dir()
        if a.uid == uid:
            bits = (a.mode >> 6) & 7
        elif a.gid == os.getegid() or a.gid in os.getgroups():
            bits = (a.mode >> 3) & 7
        else:
            bits = a.mode & 7
        return (bits & mode) == mode

    def exists(self, path: Path) -> bool:
        """Whether ``path`` exists (a dangling symlink does not).

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :returns: True if ``path`` exists; False for a missing path, a dangling symlink or
            a path with a NUL byte (as :func:`os.path.exists`).
        :raises ClientStoppedError: if the client was stopped.
        """
        return self._probe(path, True) is not None

    # isdir, isfile and islink answer as os.path does: False where exists() is False.
    def isdir(self, path: Path) -> bool:
        """Whether ``path`` is a directory, or a symlink to one.

        :param path: the path to test.
        :returns: the answer (False when nothing is there).
        """
        return self._is(path, True, _stat.S_IFDIR)

    def isfile(self, path: Path) -> bool:
        """Whether ``path`` is a regular file, or a symlink to one.

        :param path: the path to test.
        :returns: the answer (False when nothing is there).
        """
        return self._is(path, True, _stat.S_IFREG)

    def islink(self, path: Path) -> bool:
        """Whether ``path`` itself is a symbolic link.

        :param path: the path to test.
        :returns: the answer (False when nothing is there).
        """
        return self._is(path, False, _stat.S_IFLNK)

    def _is(self, path: Path, follow: bool, fmt: int) -> bool:
        a = self._probe(path, follow)
        return a is not None and _stat.S_IFMT(a.mode) == fmt

    def _probe(self, path: Path, follow: bool) -> Attr | None:
        try:
            p = fspath(path)
        except ValueError:  # an embedded NUL names nothing (os.path.exists: False)
            return None
        try:
            return self._stat_raw(p, path, follow)
        except DingofsError as exc:
            if exc.errno == _errno.ENOTCONN:
                raise
            return None

    # -- directories -----------------------------------------------------------------------
    def mkdir(self, path: Path, mode: int = 0o777) -> Attr:
        """Create a directory (``mode`` minus the umask).

        :returns: the new directory's attributes, read in the same engine
            transaction as its creation. With a library lacking the extension they
            are read again afterwards; if that fails the result is
            :attr:`Attr.partial` with only ``mode`` (type and permission bits) set.
        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param mode: permission bits, from which the umask is removed.
        :returns: the new directory's attributes.
        :raises FileExistsError: if ``path`` exists.
        :raises FileNotFoundError: if the parent does not exist.
        """
        p = fspath(path)
        mode = int_arg(mode, "mode", 0, 0o7777)
        perm = mode & ~self._umask & 0o7777
        with self._use("dingofs_mkdir", path):
            self._s.mkdir(p, perm, path)
            return self._changed(p, path, False,
                                 lambda: self._partial_attr(mode=_stat.S_IFDIR | perm))

    def makedirs(self, path: Path, mode: int = 0o777, exist_ok: bool = False) -> None:
        """Create a directory and its missing parents, like :func:`os.makedirs`.

        Missing parents get ``0o777`` minus the umask, the leaf ``mode`` minus the umask.

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param mode: permission bits of the leaf directory (umask removed).
        :param exist_ok: do not fail if the leaf directory exists.
        :raises FileExistsError: if the leaf exists and ``exist_ok`` is false, or a
            component exists and is not a directory.
        """
        p = fspath(path)
        mode = int_arg(mode, "mode", 0, 0o7777)
        umask = self._umask
        head = p.rstrip(b"/").rpartition(b"/")[0]
        with self._use("dingofs_mkdirs", path):
            if head:
                try:
                    parent = self._stat_raw(head, path, True)
                except FileNotFoundError:
                    self._s.mkdirs(head, 0o777 & ~umask, path)
                else:
                    if not parent.is_dir():
                        raise error_from_errno(_errno.ENOTDIR, "dingofs_mkdirs", path)
            try:
                self._s.mkdir(p, mode & ~umask & 0o7777, path)
            except FileExistsError:
                if not exist_ok:
                    raise
                try:
                    is_dir = self._stat_raw(p, path, True).is_dir()
                except DingofsError:
                    is_dir = False
                if not is_dir:
                    raise

    def rmdir(self, path: Path) -> None:
        """Remove an empty directory.

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :raises OSError: ``ENOTEMPTY`` if the directory is not empty,
            :class:`NotADirectoryError` for a file, :class:`FileNotFoundError` if missing.
        """
        p = fspath(path)
        self._call("dingofs_rmdir", path, self._s.rmdir, p, path)

    @overload
    def scandir(self, path: StrPath | None = "/", *,
                attrs: bool | None = None) -> ScandirIterator[str]: ...
    @overload
    def scandir(self, path: BytesPath, *, attrs: bool | None = None) -> ScandirIterator[bytes]: ...

    def scandir(self, path: Path | None = "/", *,
                attrs: bool | None = None) -> ScandirIterator[Any]:
        """A lazy iterator of :class:`DirEntry` (64 entries per C call).

        ``None`` is the root, as :func:`os.scandir` takes it for the current
        directory (a client's current directory is ``/``).

        :param path: a directory of this filesystem (``str``, ``bytes`` or
            ``os.PathLike``); ``None`` is the root.
        :param attrs: when entries' attributes are read: ``True`` with every
            batch of names (for a caller that will ``stat()`` each entry: no
            call per entry), ``False`` never in advance (names only; each
            ``stat()`` is then one call), ``None`` (default) from the first
            batch after one entry's attributes were asked for.
        :returns: an iterator of :class:`DirEntry` (``str`` names for a ``str`` path,
            ``bytes`` for ``bytes``); use it as a context manager.
        :raises FileNotFoundError: if the directory does not exist.
        :raises NotADirectoryError: if ``path`` is not a directory.
        """
        if attrs is not None and type(attrs) is not bool:
            raise TypeError(f"attrs must be a bool or None, not {type(attrs).__name__}")
        return self._scandir("/" if path is None else path, attrs, _SCANDIR_BATCH)

    def _scandir(self, path: Path, plus: bool | None, batch: int) -> ScandirIterator[Any]:
        """scandir reading ``batch`` entries per C call; ``plus``: prefetch every
        entry's attributes (True), never (False), or once one entry's attributes
        were asked for (None, what :meth:`scandir` does)."""
        p = fspath(path)
        as_bytes = is_bytes_path(path)
        dirpath = os.fspath(path)
        with self._use("dingofs_opendir", path):
            dh = self._s.opendir(p, path)
            try:
                it: ScandirIterator[Any] = ScandirIterator(
                    self, self._mount, path, dirpath, as_bytes, dh, plus=plus, batch=batch)
            except BaseException:
                with contextlib.suppress(Exception):
                    self._s.closedir(dh, path)
                raise
        return it

    @overload
    def listdir(self, path: StrPath | None = "/") -> list[DirEntry[str]]: ...
    @overload
    def listdir(self, path: BytesPath) -> list[DirEntry[bytes]]: ...

    def listdir(self, path: Path | None = "/") -> list[DirEntry[Any]]:
        """Every entry of a directory at once (each with ``name`` and ``ino``; ``attr``
        and ``stat()`` are fetched on first use). ``None`` is the root, as
        :func:`os.listdir` takes it for the current directory.

        :param path: a directory of this filesystem (``str``, ``bytes`` or
            ``os.PathLike``); ``None`` is the root.
        :returns: the entries (:class:`DirEntry`), ``.`` and ``..`` excluded.
        :raises FileNotFoundError: if the directory does not exist.
        :raises NotADirectoryError: if ``path`` is not a directory.
        """
        if path is None:
            path = "/"
        with self._scandir(path, False, _LISTDIR_BATCH) as it:
            return drain(it)

    @overload
    def walk(self, top: StrPath, topdown: bool = True,
             onerror: Callable[[OSError], Any] | None = None,
             followlinks: bool = False) -> Iterator[tuple[str, list[str], list[str]]]: ...
    @overload
    def walk(self, top: BytesPath, topdown: bool = True,
             onerror: Callable[[OSError], Any] | None = None,
             followlinks: bool = False
             ) -> Iterator[tuple[bytes, list[bytes], list[bytes]]]: ...

    def walk(self, top: Path, topdown: bool = True,
             onerror: Callable[[OSError], Any] | None = None,
             followlinks: bool = False) -> Iterator[tuple[Any, list[Any], list[Any]]]:
        """Walk a tree like :func:`os.walk`: ``(dirpath, dirnames, filenames)``.

        :param top: the directory to walk.
        :param topdown: yield a directory before its subdirectories (and let the caller
            prune ``dirnames``).
        :param onerror: called with the :class:`OSError` of a directory that cannot be
            listed (default: ignore it).
        :param followlinks: descend into symlinks to directories.
        :returns: an iterator of ``(dirpath, dirnames, filenames)``, ``str`` or ``bytes``
            as ``top`` is.
        :raises TypeError: for a ``top`` that is not a path.
        """
        fspath(top)
        self._gate.enter("dingofs_opendir", top)
        self._gate.leave()
        return _walk(self, self._scandir, top, topdown, onerror, followlinks)

    def rmtree(self, path: Path, ignore_errors: bool = False,
               onerror: Callable[[Callable[..., Any], Any, Any], Any] | None = None) -> None:
        """Remove a directory tree (symlinks are removed, never followed).

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param ignore_errors: ignore every failure.
        :param onerror: called as ``onerror(function, path, exc_info)`` for each failure
            (as :func:`shutil.rmtree`); default: raise it.
        :raises OSError: the first failure, unless ``ignore_errors`` or ``onerror``.
        """

        def handle(func: Callable[..., Any], p: Any, exc: BaseException) -> None:
            if isinstance(exc, ClientStoppedError):
                raise exc
            if ignore_errors:
                return
            if onerror is not None:
                onerror(func, p, sys.exc_info())
                return
            raise exc

        try:
            if self.lstat(path).is_symlink():
                raise OSError("Cannot call rmtree on a symbolic link")
        except OSError as exc:
            handle(self.lstat, path, exc)
            return
        self._rmtree_inner(path, handle)

    def _rmtree_inner(self, path: Any, handle: Callable[..., None]) -> None:
        try:
            entries = self.listdir(path)
        except OSError as exc:
            handle(self.listdir, path, exc)
            entries = []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                self._rmtree_inner(entry.path, handle)
            else:
                try:
                    self.unlink(entry.path)
                except OSError as exc:
                    handle(self.unlink, entry.path, exc)
        try:
            self.rmdir(path)
        except OSError as exc:
            handle(self.rmdir, path, exc)

    # -- files -----------------------------------------------------------------------------
    @overload
    def open(self, path: Path, mode: TextMode, buffering: int = -1,
             encoding: str | None = None, errors: str | None = None,
             newline: str | None = None) -> io.TextIOWrapper: ...
    @overload
    def open(self, path: Path, mode: BinaryMode = "rb", buffering: Literal[-1, 0] = -1,
             encoding: None = None, errors: None = None,
             newline: None = None) -> DingoFile: ...
    @overload
    def open(self, path: Path, mode: BinaryMode, buffering: int,
             encoding: None = None, errors: None = None,
             newline: None = None) -> DingoFile | io.BufferedIOBase: ...
    @overload
    def open(self, path: Path, mode: BinaryMode = "rb", buffering: int = -1, *,
             encoding: str, errors: str | None = None,
             newline: str | None = None) -> io.TextIOWrapper: ...
    @overload
    def open(self, path: Path, mode: str = "rb", buffering: int = -1,
             encoding: str | None = None, errors: str | None = None,
             newline: str | None = None) -> Any: ...

    def open(self, path: Path, mode: str = "rb", buffering: int = -1,
             encoding: str | None = None, errors: str | None = None,
             newline: str | None = None) -> Any:
        """Open a file.

        Binary unless ``mode`` has ``t`` or a text keyword is given (then a
        :class:`io.TextIOWrapper`). ``buffering`` -1 or 0 returns the
        :class:`DingoFile` itself; > 1 a :mod:`io` buffered object of that size.

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param mode: as :func:`open`, binary unless it has ``t`` or a text keyword is
            given (default ``"rb"``).
        :param buffering: ``-1`` (or any negative) or ``0``: the unbuffered
            :class:`DingoFile`; ``> 1``: a buffered file of that size.
        :param encoding: text encoding (text mode).
        :param errors: text error handler (text mode).
        :param newline: newline translation (text mode).
        :returns: a :class:`DingoFile`, a buffered binary file or an :class:`io.TextIOWrapper`.
        :raises ValueError: for an invalid mode or combination of arguments.
        :raises FileNotFoundError: if ``path`` does not exist (and the other
            :class:`OSError` subclasses of the matching :mod:`os` call).
        :raises IsADirectoryError: when opening a directory.
        """
        p = fspath(path)
        m = parse_mode(mode)
        plain = (type(buffering) is int and buffering == -1 and not m.text and encoding is None
                 and errors is None and newline is None)
        if not plain:
            buffering = check_open_args(m, buffering, encoding, errors, newline)
        s = self._s
        k = s.k
        flags = m.oflags
        if flags < 0:
            flags = m.oflags = _open_flags(m, k)
        cmode = 0o666 & ~self._umask if flags & k.O_CREAT else 0
        # The open is gated in C. A stop() that begins after it either finds the new
        # file registered (and closes it with the others) or has closed the gate
        # before the registration, which the check below sees: then the file is
        # given up (its descriptor goes with the handle) and the call refused.
        gate = self._gate
        fd = s.open(gate, p, flags, cmode, path, m.read_only)
        try:
            if m.appending:
                s.lseek(gate, fd, 0, k.SEEK_END, path)
            raw = DingoFile(self, self._mount, fd, path, m.normalised,
                            m.reading or m.updating, not m.reading or m.updating)
        except BaseException:
            with contextlib.suppress(Exception):
                s.close(gate, fd, path)
            raise
        if gate.closed:
            raw.abandon()
            raise gate.refused("dingofs_open", path)
        if plain:
            return raw
        return open_wrapped(raw, m, mode, buffering, encoding, errors, newline)

    def read_bytes(self, path: Path) -> bytes:
        """The whole content of a file.

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :returns: the file's contents.
        :raises FileNotFoundError: if ``path`` does not exist (and the other
            :class:`OSError` subclasses of the matching :mod:`os` call).
        """
        with self.open(path, "rb") as f:
            data: bytes = f.readall()
        return data

    def write_bytes(self, path: Path, data: Any) -> int:
        """Create or replace a file with ``data`` (any bytes-like object).

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param data: any bytes-like object.
        :returns: the number of bytes written.
        :raises TypeError: if ``data`` is not bytes-like.
        :raises FileNotFoundError: if the parent directory does not exist.
        """
        if isinstance(data, str):
            raise TypeError("data must be bytes-like, not str")
        memoryview(data)  # TypeError before opening anything
        with self.open(path, "wb") as f:
            n: int = f.write(data)
        return n

    def read_text(self, path: Path, encoding: str | None = None,
                  errors: str | None = None) -> str:
        """The whole content of a file decoded as text.

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param encoding: text encoding (default: the locale's).
        :param errors: text error handler.
        :returns: the decoded contents.
        :raises FileNotFoundError: if ``path`` does not exist (and the other
            :class:`OSError` subclasses of the matching :mod:`os` call).
        """
        with self.open(path, "rt", encoding=encoding, errors=errors) as f:
            text: str = f.read()
        return text

    def write_text(self, path: Path, data: str, encoding: str | None = None,
                   errors: str | None = None, newline: str | None = None) -> int:
        """Create or replace a file with ``data`` encoded as text.

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param data: the text.
        :param encoding: text encoding (default: the locale's).
        :param errors: text error handler.
        :param newline: newline translation.
        :returns: the number of characters written.
        :raises TypeError: if ``data`` is not a ``str``.
        :raises FileNotFoundError: if the parent directory does not exist.
        """
        if not isinstance(data, str):
            raise TypeError(f"data must be str, not {type(data).__name__}")
        with self.open(path, "wt", encoding=encoding, errors=errors, newline=newline) as f:
            n: int = f.write(data)
        return n

    @contextlib.contextmanager
    def atomic_write(self, path: Path, mode: str = "wb", *, encoding: str | None = None,
                     errors: str | None = None, newline: str | None = None,
                     overwrite: bool = True) -> Iterator[IO[Any]]:
        """Write a file all or nothing: a temporary name, fsync, then rename.

        An existing ``path`` keeps its permission bits, owner and group (where
        this process may set them) and extended attributes: they are copied
        to the new file before the rename.

        :param path: the file to write.
        :param mode: ``"wb"`` (default), ``"wt"``, or ``"w"``: binary as upstream
            has it, text when ``encoding``, ``errors`` or ``newline`` is given
            (as :meth:`open` decides).
        :param encoding: text encoding (text mode).
        :param errors: text error handler (text mode).
        :param newline: newline translation (text mode).
        :param overwrite: replace an existing ``path`` (default); with False an
            existing ``path`` raises at the end and the data are dropped.
        :returns: a context manager giving the open file; on an exception
            inside the block the temporary file is removed and ``path`` is
            untouched.
        :raises ValueError: for another ``mode``, or text keywords with ``"wb"``.
        :raises FileExistsError: with ``overwrite=False`` when ``path`` exists.
        """
        if mode not in ("w", "wb", "wt"):
            raise ValueError(f"atomic_write mode must be 'w', 'wb' or 'wt', not {mode!r}")
        text = mode == "wt" or mode == "w" and (
            encoding is not None or errors is not None or newline is not None)
        p = fspath(path)
        head, _, tail = p.rpartition(b"/")
        tmp_raw = (head + b"/" if _ else b"") + b"." + tail + b".tmp-" + \
            uuid.uuid4().hex[:12].encode()
        tmp: Any = tmp_raw if isinstance(path, bytes) else os.fsdecode(tmp_raw)
        xmode = "xt" if text else "xb"
        f = self.open(tmp, xmode, 65536 if text else -1, encoding=encoding,
                      errors=errors, newline=newline)
        ok = False
        try:
            yield f
            f.flush()
            if overwrite:
                self._keep_metadata(path, tmp)
            raw = f if isinstance(f, DingoFile) else getattr(f, "buffer", f)
            raw = getattr(raw, "raw", raw)
            raw.fsync()
            f.close()
            if overwrite:
                self.rename(tmp, path)
            else:
                self.rename(tmp, path, noreplace=True)
            ok = True
        finally:
            if not ok:
                with contextlib.suppress(Exception):
                    f.close()
                with contextlib.suppress(Exception):
                    self.unlink(tmp)

    def _keep_metadata(self, path: Any, tmp: Any) -> None:
        """Give ``tmp`` the mode, owner and xattrs of the file ``path`` names
        (following a symlink), if it exists; an owner this process may not set
        is left as it is."""
        try:
            old = self.stat(path)
        except FileNotFoundError:
            return
        if not _stat.S_ISREG(old.st_mode):
            return
        new = self.stat(tmp)
        if (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
            try:
                self.chown(tmp, old.st_uid, old.st_gid)
            except PermissionError:
                with contextlib.suppress(PermissionError):  # the group alone may be ours
                    self.chown(tmp, -1, old.st_gid)
        # After chown, which clears set-id bits.
        self.chmod(tmp, _stat.S_IMODE(old.st_mode))
        for name in self.listxattr(path):
            try:
                self.setxattr(tmp, name, self.getxattr(path, name, as_bytes=True))
            except OSError as exc:  # a namespace this process may not write
                if exc.errno not in (_errno.EPERM, _errno.EACCES, _errno.EOPNOTSUPP):
                    raise

    def copy(self, src: Any, dst: Any, *, src_local: bool = False,
             dst_local: bool = False) -> int:
        """Copy a file's data; returns the number of bytes copied.

        Both paths name files of this filesystem by default, and the copy runs
        inside the library where it offers a server-side copy. A local file takes
        part as an open file object (``src`` readable in binary mode, ``dst``
        writable) or as a path with ``src_local=True`` / ``dst_local=True``.

        :raises SameFileError: (a :class:`shutil.SameFileError`) when ``dst`` is
            the file ``src`` names: the same inode through another spelling of
            the path, a hard link or a symlink (symlinks are followed as the copy
            follows them). The check runs before ``dst`` is opened for writing,
            so the data stay intact. Only files of one filesystem are compared:
            two paths of this filesystem, two local paths (as
            :func:`shutil.copyfile` does), and an open regular file (a
            :class:`DingoFile` or a local file) against a path or an open file
            of its own filesystem. A local file and a file of this filesystem
            are never the same file.
        :param src: the source: a path, or an open binary file.
        :param dst: the destination: a path, or an open binary file.
        :param src_local: ``src`` is a path on the local disk.
        :param dst_local: ``dst`` is a path on the local disk.
        :returns: the number of bytes copied.
        """
        src_obj = hasattr(src, "read") or hasattr(src, "readinto")
        dst_obj = hasattr(dst, "write")
        src_kind = "object" if src_obj else "local" if src_local else "dingofs"
        dst_kind = "object" if dst_obj else "local" if dst_local else "dingofs"
        if src_kind == dst_kind == "dingofs":
            return self._copy_inside(src, dst)
        if {src_kind, dst_kind} != {"dingofs", "local"}:  # else: two filesystems
            src_key = self._copy_key(src, src_kind)
            if src_key is not None and src_key == self._copy_key(dst, dst_kind, src_key[0]):
                raise same_file_error(self._copy_name(src), self._copy_name(dst))
        if src_obj or src_local:
            if dst_obj or dst_local:
                with contextlib.ExitStack() as stack:
                    fin = src if src_obj else stack.enter_context(open(src, "rb"))
                    fout = dst if dst_obj else stack.enter_context(open(dst, "wb"))
                    return self._pump(fin, fout)
            with contextlib.ExitStack() as stack:
                fin = src if src_obj else stack.enter_context(open(src, "rb"))
                fout = stack.enter_context(self.open(dst, "wb"))
                return self._pump(fin, fout)
        with contextlib.ExitStack() as stack:
            fin = stack.enter_context(self.open(src, "rb"))
            fout = dst if dst_obj else stack.enter_context(open(dst, "wb"))
            return self._pump(fin, fout)

    def _copy_inside(self, src: Path, dst: Path) -> int:
        """:meth:`copy` between two paths of this filesystem."""
        with self.open(src, "rb") as fin:
            # The file ``dst`` names now, before it is truncated, against the
            # open source (no race with a rename of ``src``); a new ``dst``
            # costs one call.
            there = self._probe(dst, True)
            if there is not None:
                here = fin.stat()
                if (there.st_dev, there.st_ino) == (here.st_dev, here.st_ino):
                    raise same_file_error(src, dst)
            with self.open(dst, "wb") as fout:
                if self._s.has("copy_file_range"):
                    total = 0
                    while True:
                        try:
                            with self._use("dingofs_x_copy_file_range", src):
                                n = self._s.x_copy_file_range(fin._fd, None, fout._fd, None,
                                                              _COPY_CHUNK * 8, src, dst)
                        except DingofsError as exc:
                            if exc.errno in (_errno.EOPNOTSUPP, _errno.EXDEV) and total == 0:
                                break
                            raise
                        if n == 0:
                            return total
                        total += n
                return self._pump(fin, fout)

    def _copy_key(self, x: Any, kind: str,
                  domain: str | None = None) -> tuple[str, int, int] | None:
        """Identity ``(filesystem, st_dev, st_ino)`` of one side of :meth:`copy`.

        ``kind`` is ``"dingofs"`` (a path of this filesystem), ``"local"`` (a
        local path) or ``"object"`` (an open file: a :class:`DingoFile`, a
        buffered one, or an object with a local ``fileno()``; regular files
        only, so that e.g. a terminal as both stdin and stdout is no error).
        ``None`` when unknown (missing, unusable; the copy itself then reports
        any error) or when the path cannot be in ``domain`` (``"dingofs"`` or
        ``"local"``, the other side's filesystem: no call is made then).
        """
        if domain is not None and kind != "object" and kind != domain:
            return None
        try:
            if kind == "dingofs":
                attr = self._probe(x, True)
                return None if attr is None else ("dingofs", attr.st_dev, attr.st_ino)
            if kind == "local":
                st = os.stat(x)
                return ("local", st.st_dev, st.st_ino)
            raw = getattr(x, "raw", x)
            if isinstance(raw, DingoFile):
                attr = raw.stat()
                if not _stat.S_ISREG(attr.st_mode):
                    return None
                return ("dingofs", attr.st_dev, attr.st_ino)
            st = os.fstat(x.fileno())
            if not _stat.S_ISREG(st.st_mode):
                return None
            return ("local", st.st_dev, st.st_ino)
        except (OSError, ValueError, TypeError, AttributeError):
            return None

    @staticmethod
    def _copy_name(x: Any) -> Any:
        """One side of :meth:`copy` for a message: the path, or a file object's name."""
        if hasattr(x, "read") or hasattr(x, "readinto") or hasattr(x, "write"):
            return getattr(x, "name", None) or repr(x)
        return x

    @staticmethod
    def _pump(fin: Any, fout: Any) -> int:
        buf = bytearray(_COPY_CHUNK)
        mv = memoryview(buf)
        total = 0
        readinto = getattr(fin, "readinto", None)
        while True:
            if readinto is not None:
                n = readinto(buf)
                chunk: Any = mv[:n] if n else b""
            else:
                chunk = fin.read(_COPY_CHUNK)
                n = len(chunk)
            if not n:
                return total
            if isinstance(chunk, str):
                raise TypeError("copy() needs binary file objects, got text")
            view = memoryview(chunk)
            while view.nbytes:
                wrote = fout.write(view)
                view = view[wrote if wrote is not None else view.nbytes:]
            total += n

    # -- names -----------------------------------------------------------------------------
    def unlink(self, path: Path) -> None:
        """Remove a file (not a directory).

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :raises FileNotFoundError: if ``path`` does not exist (and the other
            :class:`OSError` subclasses of the matching :mod:`os` call).
        :raises IsADirectoryError: for a directory.
        """
        p = fspath(path)
        self._call("dingofs_unlink", path, self._s.unlink, p, path)

    remove = unlink

    def rename(self, src: Path, dst: Path, *, noreplace: bool = False) -> None:
        """Rename ``src`` to ``dst`` atomically, replacing ``dst`` unless ``noreplace``.

        :param src: the existing name.
        :param dst: the new name.
        :param noreplace: fail with :class:`FileExistsError` if ``dst`` exists (needs the
            engine's rename extension).
        :raises FileNotFoundError: if ``src`` does not exist.
        :raises OSError: the other errors of :func:`os.rename`.
        """
        ps = fspath(src)
        pd = fspath(dst)
        with self._use("dingofs_rename", src):
            if noreplace:
                self._s.x_rename2(ps, pd, self._s.k.DINGOFS_X_RENAME_NOREPLACE, src, dst)
            else:
                self._s.rename(ps, pd, src, dst)

    def replace(self, src: Path, dst: Path) -> None:
        """Rename ``src`` to ``dst``, replacing ``dst`` if it exists, like
        :func:`os.replace` (the same as :meth:`rename`).

        :param src: the existing name.
        :param dst: the new name.
        :raises FileNotFoundError: if ``src`` does not exist.
        :raises IsADirectoryError: if ``dst`` is a directory and ``src`` is not.
        :raises OSError: ``ENOTEMPTY`` for a non-empty directory ``dst``, and the
            other errors of :func:`os.replace`.
        """
        self.rename(src, dst)

    def exchange(self, a: Path, b: Path) -> None:
        """Swap two existing names atomically (needs the engine's rename extension).

        :param a: one existing name.
        :param b: the other existing name.
        :raises FileNotFoundError: if either does not exist.
        """
        pa = fspath(a)
        pb = fspath(b)
        with self._use("dingofs_x_rename2", a):
            self._s.x_rename2(pa, pb, self._s.k.DINGOFS_X_RENAME_EXCHANGE, a, b)

    def link(self, src: Path, dst: Path) -> Attr:
        """Make ``dst`` another name of ``src``; returns the attributes of ``dst``.

        They are read in the same engine transaction as the link; with a library
        lacking the extension they are read again afterwards, and if that fails
        the result is an :attr:`Attr.partial` record with no field known.

        :param src: the existing file.
        :param dst: the new name.
        :returns: the attributes of ``dst``.
        :raises FileExistsError: if ``dst`` exists.
        :raises FileNotFoundError: if ``src`` does not exist.
        """
        ps = fspath(src)
        pd = fspath(dst)
        with self._use("dingofs_link", src):
            self._s.link(ps, pd, src, dst)
            return self._changed(pd, dst, False, self._partial_attr)

    def symlink(self, target: Path, link: Path) -> Attr:
        """Create ``link`` as a symlink to ``target``; returns the link's attributes.

        They are read in the same engine transaction as the creation; with a
        library lacking the extension they are read again afterwards, and if that
        fails the result is :attr:`Attr.partial` with ``mode`` (``S_IFLNK | 0o777``)
        and ``length`` (the target's length) set.

        :param target: the link's contents, stored verbatim (need not exist).
        :param link: the path of the new link.
        :returns: the link's attributes.
        :raises FileExistsError: if ``link`` exists.
        """
        pt = fspath(target, "target")
        pl = fspath(link)
        with self._use("dingofs_symlink", link):
            self._s.symlink(pt, pl, target, link)
            return self._changed(pl, link, False, lambda: self._partial_attr(
                mode=_stat.S_IFLNK | 0o777, length=len(pt)))

    @overload
    def readlink(self, path: StrPath) -> str: ...
    @overload
    def readlink(self, path: BytesPath) -> bytes: ...

    def readlink(self, path: Path) -> str | bytes:
        """The target of a symlink (``bytes`` for a bytes path).

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :returns: the target, verbatim (``bytes`` for a bytes path).
        :raises OSError: ``EINVAL`` if ``path`` is not a symbolic link.
        :raises FileNotFoundError: if ``path`` does not exist (and the other
            :class:`OSError` subclasses of the matching :mod:`os` call).
        """
        p = fspath(path)
        with self._use("dingofs_readlink", path):
            raw = self._s.readlink(p, path)
        return raw if is_bytes_path(path) else os.fsdecode(raw)

    def mknod(self, path: Path, mode: int, dev: int = 0) -> Attr:
        """Create a regular file, FIFO or socket (devices need root).

        ``mode`` holds the type (``stat.S_IFIFO`` …; none means a regular file)
        and the permission bits, from which the umask is removed.

        :returns: the new inode's attributes, read in the same engine transaction
            as its creation. With a library lacking the extension they are read
            again afterwards; if that fails the result is :attr:`Attr.partial` with
            ``mode`` (type and permission bits) and ``rdev`` set.
        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param mode: the type and permission bits.
        :param dev: the device number (for devices).
        :raises FileExistsError: if ``path`` exists.
        :raises PermissionError: for a device without privilege.
        """
        p = fspath(path)
        mode = int_arg(mode, "mode", 0, 0xFFFF_FFFF)
        dev = int_arg(dev, "dev", 0)
        fmt = _stat.S_IFMT(mode) or _stat.S_IFREG
        perm = mode & 0o7777 & ~self._umask
        with self._use("dingofs_x_mknod", path):
            recorded = self._s.has("mknod")
            if recorded:
                self._s.x_mknod(p, fmt | perm, dev, path)
            elif fmt == _stat.S_IFREG:
                k = self._s.k
                fd = self._s.open(self._gate, p, k.O_WRONLY | k.O_CREAT | k.O_EXCL, perm, path)
                self._s.close(self._gate, fd, path)
            else:
                raise error_from_errno(_errno.EOPNOTSUPP, "dingofs_x_mknod", path)
            return self._changed(p, path, False, lambda: self._partial_attr(
                mode=fmt | perm, rdev=dev), recorded)

    # -- extended attributes and ioctl -----------------------------------------------------
    def setxattr(self, path: Path, name: str | bytes, value: Any, flags: int = 0) -> None:
        """Set an extended attribute (``value``: ``str`` or any bytes-like object).

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param name: the attribute's name, with its namespace (``user.tag``).
        :param value: ``str`` (UTF-8) or a bytes-like object.
        :param flags: ``0``, ``XATTR_CREATE`` or ``XATTR_REPLACE`` (:mod:`os` constants).
        :raises TypeError: for a ``value`` that is not text or bytes-like.
        :raises OSError: ``ENODATA``/``EEXIST`` as the flags ask, ``E2BIG``/``ERANGE`` for a value
            or name too long, ``EOPNOTSUPP`` for an unknown namespace.
        """
        p = fspath(path)
        n = text_arg(name, "name")
        if isinstance(value, str):
            data: bytes = value.encode("utf-8", "surrogateescape")
        else:
            try:
                with memoryview(value) as mv:
                    data = mv.tobytes()
            except TypeError:
                raise TypeError(f"value must be str or bytes-like, not "
                                f"{type(value).__name__}") from None
        flags = int_arg(flags, "flags", 0)
        self._call("dingofs_setxattr", path, self._s.setxattr, p, n, data, flags, path)

    @overload
    def getxattr(self, path: Path, name: str | bytes, *,
                 as_bytes: Literal[False] = False) -> str: ...
    @overload
    def getxattr(self, path: Path, name: str | bytes, *, as_bytes: Literal[True]) -> bytes: ...
    @overload
    def getxattr(self, path: Path, name: str | bytes, *, as_bytes: bool) -> str | bytes: ...

    def getxattr(self, path: Path, name: str | bytes, *,
                 as_bytes: bool = False) -> str | bytes:
        """An extended attribute's value: ``str`` (UTF-8, lossless) or ``bytes``.

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param name: the attribute's name.
        :param as_bytes: return ``bytes`` instead of ``str``.
        :returns: the value.
        :raises OSError: ``ENODATA`` if the attribute does not exist.
        :raises ValueError: for a NUL byte in ``path`` or ``name``.
        """
        p = path.encode(_FSENC, _FSERR) if type(path) is str else _fspath_slow(path, "path")
        if 0 in p:
            raise ValueError("embedded null byte")
        if type(name) is str:
            n = name.encode("utf-8", "surrogateescape")
            if 0 in n:
                raise ValueError("embedded null byte")
        else:
            n = text_arg(name, "name")
        raw = self._s.getxattr(self._gate, p, n, path)
        return raw if as_bytes else raw.decode("utf-8", "surrogateescape")

    def listxattr(self, path: Path) -> list[str]:
        """Names of the extended attributes of ``path``.

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :returns: the names of the file's extended attributes.
        :raises FileNotFoundError: if ``path`` does not exist (and the other
            :class:`OSError` subclasses of the matching :mod:`os` call).
        """
        p = fspath(path)
        with self._use("dingofs_listxattr", path):
            raw = self._s.listxattr(p, path)
        return [n.decode("utf-8", "surrogateescape") for n in raw.split(b"\0") if n]

    def removexattr(self, path: Path, name: str | bytes) -> None:
        """Remove an extended attribute.

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param name: the attribute's name.
        :raises OSError: ``ENODATA`` if the attribute does not exist.
        """
        p = fspath(path)
        n = text_arg(name, "name")
        with self._use("dingofs_removexattr", path):
            self._s.removexattr(p, n, path)

    def ioctl(self, path: Path, cmd: int, in_buf: Any = b"", out_size: int = 8,
              flags: int = 0) -> bytes:
        """Run an inode ioctl on ``path`` (e.g. ``FS_IOC_GETFLAGS``) and return ``out_size`` bytes.

        The argument buffer is zeroed, ``max(out_size, size in cmd,
        len(in_buf))`` bytes long, and starts with ``in_buf``. ``flags`` exists
        for compatibility and must be 0.

        :param path: a path of this filesystem (``str``, ``bytes`` or ``os.PathLike``).
        :param cmd: the ioctl request number.
        :param in_buf: the argument's first bytes.
        :param out_size: the number of bytes returned.
        :param flags: must be 0.
        :returns: ``out_size`` bytes of the argument buffer after the call.
        :raises ValueError: for non-zero ``flags`` or a negative ``out_size``.
        :raises OSError: ``ENOTTY`` for an unknown request.
        """
        p = fspath(path)
        cmd = int_arg(cmd, "cmd", 0, 0xFFFF_FFFF)
        if isinstance(in_buf, str):
            raise TypeError("in_buf must be bytes-like, not str")
        try:
            with memoryview(in_buf) as mv:
                data = mv.tobytes()
        except TypeError:
            raise TypeError(f"in_buf must be bytes-like, not {type(in_buf).__name__}") from None
        out_size = int_arg(out_size, "out_size", 0)
        if int_arg(flags, "flags") != 0:
            raise ValueError("ioctl flags must be 0")
        size = max(out_size, (cmd >> 16) & 0x3FFF, len(data), 1)
        s, k = self._s, self._s.k
        with self._use("dingofs_ioctl", path):
            fd = s.open(self._gate, p, k.O_RDONLY | k.O_NONBLOCK, 0, path)
            try:
                out = s.ioctl(fd, cmd, data, size, path)
            finally:
                s.close(self._gate, fd, path)
        return out[:out_size]

    # -- statistics ------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Operation counts, bytes moved and errors since :meth:`build`.

        :returns: ``{"ops": {c_function: count}, "errors": {c_function: count},
            "calls", "failed_calls", "bytes_read", "bytes_written",
            "open_files", "open_iterators", "uptime_s"}``.
        """
        snap = self._s.snapshot()
        snap["open_files"], snap["open_iterators"] = self._mount.counts()
        snap["uptime_s"] = time.time() - self._built_at
        return snap

    @property
    def library(self) -> dict[str, Any]:
        """Which library serves this client (see :func:`dingofs.library_info`)."""
        return self._backend.info()

    # -- options (static) ------------------------------------------------------------------
    @staticmethod
    def set_option(key: str, value: Any) -> None:
        """Set a configuration option, before or after clients exist.

        ``log_dir``, ``log_level`` and ``log_v`` are kept by the module and
        applied by later :meth:`build` calls (unless an argument overrides
        them). Every other key is handed to each loaded library that knows it.

        :raises DingofsError: when no loaded library knows the key or accepts the value.
        :param key: the option's name.
        :param value: its value (converted to text; booleans as ``true``/``false``).
        """
        _options.set_option(key, value)

    @staticmethod
    def get_option(key: str) -> str:
        """The current value of an option, as a string.

        :param key: the option's name.
        :returns: the value as text.
        :raises DingofsError: when no loaded library knows the key.
        """
        return _options.get_option(key)

    @staticmethod
    def list_options() -> list[OptionInfo]:
        """Every option of every loaded library (each says which library).

        :returns: an :class:`OptionInfo` for each option.
        """
        return _options.list_options()

    @staticmethod
    def print_options(file: IO[str] | None = None) -> None:
        """Print every option and its current value to ``file`` (default ``sys.stdout``).

        :param file: a text stream (default ``sys.stdout``).
        """
        _options.print_options(file)

    # -- maintenance -----------------------------------------------------------------------
    @staticmethod
    def fsck(mds_addrs: str, repair: bool = False) -> tuple[int, str]:
        """Check (and with ``repair`` fix) a ``local://`` filesystem without mounting it.

        :returns: ``(problems, report)``; 0 problems means consistent.
        :param mds_addrs: the ``local://NAME?...`` address of the filesystem.
        :param repair: fix what can be fixed (the filesystem must not be mounted).
        """
        addrs = _required_str(mds_addrs, "mds_addrs")
        backend = _ffi.backend_for(addrs)
        return _fsck(backend, addrs.encode("utf-8", "surrogateescape"), bool(repair), addrs)


# Keep names used only in annotations or re-exported from here.
_ = (FileType, set, io)
