"""Thin call layer: one method per C function, one checker for return codes.

A :class:`Session` binds a :class:`~dingofs._ffi.Backend` to one handle. Its
methods take already-encoded ``bytes`` paths plus the caller's original path
objects (only used in error messages), call C, count the call and turn a
negative return code into the exception from :mod:`dingofs.errors`.

Every call on a handle or an open file runs inside the call gate of its
object (:class:`Gate`), so that a stopped client's handle or a closed file's
descriptor is never used. The hot methods (those taking a gate ``g`` first)
are gated in C by the bridge; every other method must be called between
``g.enter()`` and ``g.leave()`` of the object's gate.

The methods on the hot paths (stat, read, pread, write, access, close) are
written for a low per-call cost: the C functions are looked up once, result
buffers come from small per-session pools instead of an ``ffi.new`` per call,
attributes come back from C as one fixed record (the bridge's ``dfx_attr_t``)
decoded with one precompiled :class:`struct.Struct` (:data:`ATTR_RECORD`),
and statistics are plain counters (an increment lost to a thread race is
acceptable for statistics; nothing else depends on them).
"""

from __future__ import annotations

import errno as _errno
import hashlib
import os
import platform
import stat as _stat
import struct
from collections import defaultdict
from typing import Any, Callable, TypeVar

from ._ffi import Backend
from .errors import DingofsError, error_from_errno, stopped_error
from .types import Attr, attr_from_record, flags_on_first_use

__all__ = ["Session", "Gate", "Constants", "CHUNK", "SCRATCH", "ATTR_RECORD"]

#: Largest byte count given to one C read/write call (Ctrl-C is honoured between calls).
CHUNK = 64 * 1024 * 1024
#: Size of the pooled scratch buffers used for small reads (results are copied out).
SCRATCH = 64 * 1024

_Path = Any  # the user's path object, for messages
#: A C function returning an integer (``int``, ``ssize_t``, ``off_t``) through cffi.
_IntCall = Callable[..., int]
#: ``ffi.unpack`` of a ``char`` buffer: ``(cdata, length) -> bytes``.
_Unpack = Callable[[Any, int], bytes]
_EOPNOTSUPP = _errno.EOPNOTSUPP

#: The bridge's ``dfx_attr_t`` (``dingofs/_csrc/bridge.h``): ino, mode, nlink, uid, gid,
#: size, rdev, atime/mtime/ctime in nanoseconds, blksize, blocks, flags, 8 bytes each.
ATTR_RECORD = struct.Struct("=Q12q")


#: Operations whose calls (and bytes read) the bridge helpers ``dfx_*_counted`` count
#: in C, with the bridge constant that places their (calls, bytes) pair in
#: :attr:`Session.io_counts` (``dingofs/_csrc/bridge.h``).
IO_COUNTS = (("dingofs_pread", "DFX_COUNT_PREAD"), ("dingofs_read", "DFX_COUNT_READ"),
             ("dingofs_lseek", "DFX_COUNT_LSEEK"), ("dingofs_x_stat", "DFX_COUNT_STAT"),
             ("dingofs_x_fstat", "DFX_COUNT_FSTAT"), ("dingofs_x_access", "DFX_COUNT_ACCESS"),
             ("dingofs_close", "DFX_COUNT_CLOSE"))


_T = TypeVar("_T")


def _once_per_bridge(cache: dict[int, _T], obj: Any, make: Callable[[Any], _T]) -> _T:
    """``make(obj)`` for ``obj``, the ``ffi`` or ``lib`` of a bridge: made on the first
    call, then kept in ``cache``."""
    made = cache.get(id(obj))
    if made is None:
        made = cache[id(obj)] = make(obj)
    return made


_NAME_MAX: dict[int, int] = {}


def _name_max(ffi: Any) -> int:
    """Longest name a ``dingofs_dirent_t`` of a bridge's ``ffi`` holds (its ``d_name``)."""
    return _once_per_bridge(_NAME_MAX, ffi, lambda f: int(
        f.sizeof(dict(f.typeof("dingofs_dirent_t").fields)["d_name"].type)))


def _make_new_bytes() -> Callable[[int], bytes] | None:
    """A function returning a new, uninitialised ``bytes`` of ``n`` >= 1 bytes, or None.

    Reading straight into a fresh bytes object saves the copy a bytearray would
    need, and leaving it uninitialised saves zero-filling memory the library
    overwrites at once (``bytes(n)`` costs about 20 µs per MiB). Both rely on
    CPython (``PyBytes_FromStringAndSize(NULL, n)``, the way C code builds a
    bytes object it then fills: for ``n`` >= 1 it always allocates a new object,
    never one of the interpreter's shared ones); other interpreters get ``None``
    and take the bytearray path. Only :meth:`Session.fresh` uses it, and the
    object it makes is not seen by anyone before the library has filled it.
    """
    if platform.python_implementation() != "CPython":
        return None
    try:
        import ctypes

        fn = ctypes.pythonapi.PyBytes_FromStringAndSize
        fn.restype = ctypes.py_object
        fn.argtypes = (ctypes.c_void_p, ctypes.c_ssize_t)
    except (ImportError, AttributeError, OSError):
        return None

    def new_bytes(n: int) -> bytes:
        b: bytes = fn(None, n)
        return b

    return new_bytes


#: Made on first use: ``[new_bytes or None]``.
_NEW_BYTES: list[Callable[[int], bytes] | None] = []


class Constants:
    """The C constants that callers of a :class:`Session` pass to it, as ``int``.

    Read once per bridge from its compiled ``lib`` (the values are those of the
    library's header and of the host's ``<fcntl.h>``), so that no module above
    the call layer reads ``lib``.
    """

    O_RDONLY: int
    O_WRONLY: int
    O_RDWR: int
    O_CREAT: int
    O_EXCL: int
    O_TRUNC: int
    O_APPEND: int
    O_NONBLOCK: int
    SEEK_SET: int
    SEEK_CUR: int
    SEEK_END: int
    UTIME_NOW: int
    UTIME_OMIT: int
    DINGOFS_X_NOFOLLOW: int
    DINGOFS_X_SET_SIZE: int
    DINGOFS_X_SET_UID: int
    DINGOFS_X_SET_GID: int
    DINGOFS_X_SET_MODE: int
    DINGOFS_X_SET_ATIME: int
    DINGOFS_X_SET_MTIME: int
    DINGOFS_X_RENAME_NOREPLACE: int
    DINGOFS_X_RENAME_EXCHANGE: int

    def __init__(self, lib: Any) -> None:
        for name in Constants.__annotations__:
            setattr(self, name, int(getattr(lib, name)))


_CONSTANTS: dict[int, Constants] = {}


def constants_of(lib: Any) -> Constants:
    """The :class:`Constants` of a bridge's ``lib`` (made once per bridge)."""
    return _once_per_bridge(_CONSTANTS, lib, Constants)


class Gate:
    """The call gate of one object (a client, an open file, a directory iterator).

    The gate itself is a ``dfx_gate_t`` of the bridge (``dingofs/_csrc/bridge.h``):
    the bridge's gated calls enter and leave it in C around the library call,
    so a hot call pays no Python for it, and :meth:`shut` waits in C, without the
    GIL, for the calls in flight. :meth:`enter` and :meth:`leave` do the same
    around a group of calls made from Python. :attr:`closed` mirrors the C flag
    for quick checks; the C flag decides.
    """

    __slots__ = ("c", "closed", "forked", "what", "on_closed", "_lib", "_counts")

    def __init__(self, session: Session, what: str,
                 on_closed: Callable[[], BaseException] | None = None) -> None:
        #: The ``dfx_gate_t*``: open, no call in flight, the session's handle and the
        #: statistics its counted calls add to.
        self.c = session.ffi.new("dfx_gate_t*", session.gate_template)
        self._counts = session.io_counts  # kept alive with the gate
        self._lib = session.lib
        self.closed = False
        self.forked = False
        #: What the object is, for the error of a refused call.
        self.what = what
        #: Builds the error of a call refused because the object was closed (not
        #: inherited by fork); ``None``: :class:`~dingofs.errors.ClientStoppedError`.
        self.on_closed = on_closed

    def refused(self, operation: str = "", path: Any = None) -> BaseException:
        """The error for a call that found the gate closed."""
        if self.on_closed is not None and not self.forked:
            return self.on_closed()
        return stopped_error(operation, path, forked=self.forked, what=self.what)

    def enter(self, operation: str = "", path: Any = None) -> None:
        """Count one call in flight, or raise :meth:`refused` when the gate is closed."""
        if self._lib.dfx_gate_enter(self.c):
            self.closed = True
            raise self.refused(operation, path)

    def leave(self) -> None:
        """The counterpart of a successful :meth:`enter`."""
        self._lib.dfx_gate_leave(self.c)

    def shut(self) -> bool:
        """Close the gate and wait for the calls in flight; False if it was closed already."""
        self.closed = True
        return bool(self._lib.dfx_gate_shut(self.c))

    def kill_after_fork(self) -> None:
        """In a fork child: calls of vanished threads never leave; forget them."""
        self._lib.dfx_gate_kill(self.c)
        self.closed = True
        self.forked = True


class Session:
    """C calls on handle ``h`` of ``backend``, with per-session statistics."""

    def __init__(self, backend: Backend, h: int) -> None:
        self.backend = backend
        ffi = self.ffi = backend.ffi
        lib = self.lib = backend.lib
        self.h = h
        #: The C constants callers pass to this session's methods.
        self.k = constants_of(lib)
        #: What a gated call returns when its gate is closed (``DFX_REFUSED``).
        self.refused_rc = int(lib.DFX_REFUSED)
        self.ops: defaultdict[str, int] = defaultdict(int)
        self.errors: defaultdict[str, int] = defaultdict(int)
        self.bytes_read = 0
        self.bytes_written = 0
        if ffi.sizeof("dfx_attr_t") != ATTR_RECORD.size:
            raise RuntimeError("the bridge's dfx_attr_t does not match ATTR_RECORD")
        self.has_xstat = backend.has("stat")
        self.has_xfstat = backend.has("fstat")
        self.has_access = backend.has("access")
        #: ``st_dev`` of every :class:`~dingofs.types.Attr` this session builds (set by
        #: the mount: a stable id of the filesystem).
        self.dev = 0
        #: ``DINGOFS_X_NOFOLLOW``: the flag of :meth:`x_stat_attr` for lstat.
        self.nofollow = int(lib.DINGOFS_X_NOFOLLOW)
        # Pools of reusable output buffers: pop one (or make one), use it, put it back.
        # list.pop/append are atomic, so threads (and signal handlers) never share one.
        self._stat_pool: list[tuple[Any, Any]] = []
        self._scratch_pool: list[Any] = []
        self._unpack_attr: Callable[..., tuple[int, ...]] = ATTR_RECORD.unpack_from
        #: ``ffi.unpack``: the first ``n`` bytes of a ``char`` buffer as ``bytes``.
        self.unpack: _Unpack = ffi.unpack
        # The gated calls of the bridge (their first argument is a gate's ``c``).
        self._write: _IntCall = lib.dfx_write_gated
        self._pwrite: _IntCall = lib.dfx_pwrite_gated
        self._close: _IntCall = lib.dfx_close_gated
        self._close_file: _IntCall = lib.dfx_close_file
        self._shut_before = int(lib.DFX_SHUT_BEFORE)
        self._open: _IntCall = lib.dfx_open_gated
        self._getxattr_gated: _IntCall = lib.dfx_getxattr_gated
        #: Statistics of the hot I/O calls, counted in C by the bridge helpers
        #: (see :data:`IO_COUNTS`); merged into :meth:`snapshot`.
        self.io_counts = ffi.new("int64_t[]", int(lib.DFX_COUNTS))
        # What a new gate starts as: open, no call in flight, this handle and these
        # statistics (one struct copy per Gate instead of two member stores).
        self._gate_init = ffi.new("dfx_gate_t*")
        self._gate_init.h = h
        self._gate_init.counts = self.io_counts
        self.gate_template = self._gate_init[0]
        self._io_slots = [(op, int(getattr(lib, slot))) for op, slot in IO_COUNTS]
        # The bridge's C helpers that also count themselves, in the pair of io_counts
        # that their gate (a Gate's ``c``) points at.
        self._pread_counted: _IntCall = lib.dfx_pread_counted
        self._read_counted: _IntCall = lib.dfx_read_counted
        self._lseek_counted: _IntCall = lib.dfx_lseek_counted
        self._x_stat_counted: _IntCall = lib.dfx_stat_counted
        self._x_fstat_counted: _IntCall = lib.dfx_fstat_counted
        self._access_counted: _IntCall = lib.dfx_access_counted

    # -- the checker -----------------------------------------------------------------------
    def check(self, rc: int, op: str, p1: _Path = None, p2: _Path = None) -> int:
        """Count one call of ``op``; raise for a negative ``rc``, else return it."""
        self.ops[op] += 1
        if rc < 0:
            raise self.fail(rc, op, p1, p2)
        return rc

    def failg(self, g: Gate, rc: int, op: str, shown: _Path = None) -> BaseException:
        """:meth:`fail` for a gated call: its gate's error when the gate refused it."""
        if rc == self.refused_rc:
            g.closed = True
            return g.refused(op, shown)
        return self.fail(rc, op, shown)

    def gate(self, what: str, on_closed: Callable[[], BaseException] | None = None) -> Gate:
        """A new, open :class:`Gate` for an object of this session."""
        return Gate(self, what, on_closed)

    def fail(self, rc: int, op: str, p1: _Path = None, p2: _Path = None) -> DingofsError:
        """Count a failure of ``op`` (already counted as a call) and build its exception."""
        self.errors[op] += 1
        detail = ""
        if rc == -_EOPNOTSUPP:
            lacks = getattr(self.backend, "lacks", None)
            detail = lacks(op) if lacks is not None else ""
        return error_from_errno(-rc, op, p1, p2, detail=detail)

    def _moved(self, nread: int = 0, nwritten: int = 0) -> None:
        self.bytes_read += nread
        self.bytes_written += nwritten

    def snapshot(self) -> dict[str, Any]:
        """A copy of the statistics."""
        ops = dict(self.ops)
        errors = dict(self.errors)
        counts = self.io_counts
        nread = self.bytes_read
        for op, i in self._io_slots:
            calls = int(counts[i])
            if calls:
                ops[op] = ops.get(op, 0) + calls
            nread += int(counts[i + 1])
        return {
            "ops": ops,
            "errors": errors,
            "bytes_read": nread,
            "bytes_written": self.bytes_written,
            "calls": sum(ops.values()),
            "failed_calls": sum(errors.values()),
        }

    # -- pooled buffers --------------------------------------------------------------------
    def _new_stat_buffer(self) -> tuple[Any, Any]:
        """A ``dfx_attr_t*`` and a buffer over it (for :data:`ATTR_RECORD`)."""
        rec = self.ffi.new("dfx_attr_t*")
        return rec, self.ffi.buffer(rec)

    def scratch(self) -> Any:
        """A pooled ``char[SCRATCH]`` buffer; give it back with :meth:`unscratch`."""
        try:
            return self._scratch_pool.pop()
        except IndexError:
            return self.ffi.new("char[]", SCRATCH)

    def unscratch(self, buf: Any) -> None:
        if len(self._scratch_pool) < 8:
            self._scratch_pool.append(buf)

    # -- attributes in one decode ----------------------------------------------------------
    def x_stat_attr(self, g: Gate, path: bytes, flags: int, shown: _Path = None) -> Attr:
        """``dingofs_x_stat`` (counted in C) as an :class:`~dingofs.types.Attr`;
        ``flags`` 0 follows a final symlink, :attr:`nofollow` does not."""
        pool = self._stat_pool
        try:
            buf = pool.pop()
        except IndexError:
            buf = self._new_stat_buffer()
        rc = self._x_stat_counted(g.c, path, flags, buf[0])
        if rc < 0:
            pool.append(buf)
            raise self.failg(g, rc, "dingofs_x_stat", shown)
        a = attr_from_record(self._unpack_attr(buf[1]), self.dev)
        pool.append(buf)
        return a

    def x_fstat_attr(self, g: Gate, fd: int, shown: _Path = None) -> Attr:
        """``dingofs_x_fstat`` (counted in C) as an :class:`~dingofs.types.Attr`."""
        pool = self._stat_pool
        try:
            buf = pool.pop()
        except IndexError:
            buf = self._new_stat_buffer()
        rc = self._x_fstat_counted(g.c, fd, buf[0])
        if rc < 0:
            pool.append(buf)
            raise self.failg(g, rc, "dingofs_x_fstat", shown)
        a = attr_from_record(self._unpack_attr(buf[1]), self.dev)
        pool.append(buf)
        return a

    def plain_attr(self, op: str, arg: Any, shown: _Path = None,
                   loader: Callable[[], int] | None = None) -> Attr:
        """``dingofs_stat``/``dingofs_lstat`` (``arg`` a path) or ``dingofs_fstat``
        (``arg`` an fd), the core calls that return no inode flags: for a regular
        file or a directory, ``loader()`` reads them on first use (no ``loader``: 0)."""
        lib = self.lib
        pool = self._stat_pool
        try:
            buf = pool.pop()
        except IndexError:
            buf = self._new_stat_buffer()
        if op == "dingofs_fstat":
            rc = lib.dfx_fstat_plain(self.h, arg, buf[0])
        else:
            rc = lib.dfx_stat_plain(self.h, arg, op == "dingofs_stat", buf[0])
        self.ops[op] += 1
        if rc < 0:
            pool.append(buf)
            raise self.fail(rc, op, shown)
        a = attr_from_record(self._unpack_attr(buf[1]), self.dev)
        pool.append(buf)
        fmt = _stat.S_IFMT(a.mode)
        if loader is not None and (fmt == _stat.S_IFREG or fmt == _stat.S_IFDIR):
            flags_on_first_use(a, loader)
        return a

    def fstat_mode_size(self, fd: int, shown: _Path = None) -> tuple[int, int]:
        """``(st_mode, st_size)`` of an open file through ``dingofs_fstat``."""
        pool = self._stat_pool
        try:
            buf = pool.pop()
        except IndexError:
            buf = self._new_stat_buffer()
        rec = buf[0]
        rc = self.lib.dfx_fstat_plain(self.h, fd, rec)
        self.ops["dingofs_fstat"] += 1
        if rc < 0:
            pool.append(buf)
            raise self.fail(rc, "dingofs_fstat", shown)
        result = (rec.mode, rec.size)
        pool.append(buf)
        return result

    # -- buffers handed to C -----------------------------------------------------------------
    def fresh(self, n: int, fill: Callable[[Any, int], int]) -> bytes:
        """A new ``bytes`` object that the library fills: ``fill(cdata, n)`` writes up
        to ``n`` >= 1 bytes at ``cdata`` and returns how many it wrote.

        The object is made here, unshared, and nobody sees it before ``fill``
        returns (``fill`` gets only a C pointer to it); then it is trimmed to
        what was written. This is the only place where C writes into a
        ``bytes`` object.
        """
        if n < 1:
            raise ValueError("fresh() needs n >= 1")
        if not _NEW_BYTES:
            _NEW_BYTES.append(_make_new_bytes())
        new_bytes = _NEW_BYTES[0]
        ffi = self.ffi
        buf: bytes | bytearray
        if new_bytes is not None:
            buf = new_bytes(n)
            cbuf = ffi.from_buffer(buf)
        else:
            buf = bytearray(n)
            cbuf = ffi.from_buffer("char[]", buf, True)
        try:
            got = fill(cbuf, n)
        finally:
            # Release the export at once: a cdata left to the garbage collector
            # could outlive (and then touch) the exporting object inside a cycle.
            ffi.release(cbuf)
        if got == n:
            return buf if type(buf) is bytes else bytes(buf)
        return bytes(memoryview(buf)[:got])

    def view_in(self, data: Any) -> tuple[Any, int]:
        """A C view of a bytes-like object's bytes and its size (a non-contiguous
        buffer is copied once); the caller gives it back with :meth:`release`.

        :raises TypeError: for ``str`` or an object that is not bytes-like.
        """
        if isinstance(data, str):
            raise TypeError("a bytes-like object is required, not 'str'")
        ffi = self.ffi
        try:
            cbuf = ffi.from_buffer(data)
        except (TypeError, ValueError, BufferError):
            with memoryview(data) as mv:  # TypeError for non-buffers
                copy = mv.tobytes()
            cbuf = ffi.from_buffer(copy)
        return cbuf, len(cbuf)

    def view_out(self, buffer: Any, op: str = "readinto") -> Any:
        """A writable C view of ``buffer`` (its length: ``len()``); given back with
        :meth:`release`.

        :raises TypeError: when ``buffer`` is not a writable bytes-like object.
        """
        try:
            return self.ffi.from_buffer("char[]", buffer, True)
        except (TypeError, BufferError):
            raise TypeError(f"{op}() argument must be a writable bytes-like object, not "
                            f"{type(buffer).__name__}") from None

    def release(self, cbuf: Any) -> None:
        """End a view made by :meth:`view_in` or :meth:`view_out`."""
        self.ffi.release(cbuf)

    def copy(self, dst: Any, src: Any, n: int) -> None:
        """Copy ``n`` bytes between C buffers (views or :meth:`scratch` buffers)."""
        self.ffi.memmove(dst, src, n)

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
            raw: bytes = self.ffi.string(buf)
            return raw.decode("utf-8", "surrogateescape")

    def conf_list(self) -> list[tuple[str, str, str, str]]:
        ffi = self.ffi
        opts = ffi.new("dingofs_option_t**")
        count = ffi.new("int*")
        self.check(self.lib.dingofs_conf_list(self.h, opts, count), "dingofs_conf_list")
        out: list[tuple[str, str, str, str]] = []

        def text(field: Any) -> str:
            if field == ffi.NULL:
                return ""
            raw: bytes = ffi.string(field)
            return raw.decode("utf-8", "replace")

        try:
            arr = opts[0]
            for i in range(count[0]):
                o = arr[i]
                out.append((text(o.name), text(o.type), text(o.default_value),
                            text(o.description)))
        finally:
            self.lib.dingofs_conf_list_free(opts[0], count[0])
        return out

    def conf_print(self) -> None:
        self.lib.dingofs_conf_print(self.h)
        self.lib.dfx_flush_stdout()

    def flush_c_stdout(self) -> None:
        """Flush the C library's ``stdout`` buffer (before fd 1 is redirected)."""
        self.lib.dfx_flush_stdout()

    def mount(self, addrs: bytes, fsname: bytes, mountpoint: bytes, log: bool,
              shown: _Path = None) -> None:
        """``dingofs_mount`` (``dingofs_mount_nolog`` without ``log``). A failure's
        exception carries the library's explanation (:func:`last_error`) as its
        ``detail`` when the library gives one."""
        cpu = getattr(self.backend, "cpu_problem", None)
        why = cpu() if cpu is not None else ""
        if why:
            op = "dingofs_mount" if log else "dingofs_mount_nolog"
            self.ops[op] += 1
            exc = self.fail(-_errno.ENOEXEC, op, shown)
            exc.detail = why
            raise exc
        if log:
            op = "dingofs_mount"
            rc = self.lib.dingofs_mount(self.h, addrs, fsname, mountpoint)
        else:
            op = "dingofs_mount_nolog"
            rc = self.lib.dingofs_mount_nolog(self.h, addrs, fsname, mountpoint)
        self.ops[op] += 1
        if rc < 0:
            exc = self.fail(rc, op, shown)
            why = last_error(self.backend)
            if why and not exc.detail:
                exc.detail = why
            raise exc

    def umount(self) -> None:
        self.check(self.lib.dingofs_umount(self.h), "dingofs_umount")

    # -- file I/O --------------------------------------------------------------------------
    def open(self, g: Gate, path: bytes, flags: int, mode: int, shown: _Path = None,
             refuse_dir: bool = False) -> int:
        """``dingofs_open``; ``refuse_dir``: a directory is ``EISDIR`` (closed again in C)."""
        fd = self._open(g.c, path, flags, mode, refuse_dir)
        if fd < 0:
            if fd != self.refused_rc:
                self.ops["dingofs_open"] += 1
            raise self.failg(g, fd, "dingofs_open", shown)
        self.ops["dingofs_open"] += 1
        return fd

    def read(self, g: Gate, fd: int, cbuf: Any, n: int, shown: _Path = None) -> int:
        got = self._read_counted(g.c, fd, cbuf, n)
        if got < 0:
            raise self.failg(g, got, "dingofs_read", shown)
        return got

    def fill(self, g: Gate, fd: int, cbuf: Any, n: int, shown: _Path = None) -> int:
        """``dingofs_read`` in :data:`CHUNK` pieces until ``n`` bytes are in ``cbuf`` or
        the file ends; the caller holds ``g`` (:meth:`Gate.enter`) around the loop."""
        total = 0
        while total < n:
            got = self.read(g, fd, cbuf + total, min(n - total, CHUNK), shown)
            if got == 0:
                break
            total += got
        return total

    def readinto(self, g: Gate, fd: int, buffer: Any, shown: _Path = None) -> int:
        """``readinto``: fill a writable bytes-like object from the file position (one
        ``dingofs_read`` up to :data:`CHUNK` bytes; larger, :meth:`fill` under the gate).

        :raises TypeError: when ``buffer`` is not a writable bytes-like object.
        """
        ffi = self.ffi
        try:
            cbuf = ffi.from_buffer("char[]", buffer, True)
        except (TypeError, BufferError):
            raise TypeError(f"readinto() argument must be a writable bytes-like object, "
                            f"not {type(buffer).__name__}") from None
        try:
            n = len(cbuf)
            if n <= CHUNK:
                if n == 0:
                    return 0
                got = self._read_counted(g.c, fd, cbuf, n)
                if got < 0:
                    raise self.failg(g, got, "dingofs_read", shown)
                return got
            g.enter("dingofs_read", shown)
            try:
                return self.fill(g, fd, cbuf, n, shown)
            finally:
                g.leave()
        finally:
            # At once: a view left to the garbage collector could outlive its exporter.
            ffi.release(cbuf)

    def read_bytes(self, g: Gate, fd: int, n: int, shown: _Path = None) -> bytes:
        """One ``dingofs_read`` of at most :data:`SCRATCH` bytes, returned as ``bytes``."""
        pool = self._scratch_pool
        try:
            buf = pool.pop()
        except IndexError:
            buf = self.ffi.new("char[]", SCRATCH)
        got = self._read_counted(g.c, fd, buf, n)
        if got < 0:
            pool.append(buf)
            raise self.failg(g, got, "dingofs_read", shown)
        data = self.unpack(buf, got)
        pool.append(buf)
        return data

    def write(self, g: Gate, fd: int, cbuf: Any, n: int, shown: _Path = None) -> int:
        put = self._write(g.c, fd, cbuf, n)
        if put < 0:
            if put != self.refused_rc:
                self.ops["dingofs_write"] += 1
            raise self.failg(g, put, "dingofs_write", shown)
        self.ops["dingofs_write"] += 1
        self.bytes_written += put
        return put

    def pread(self, g: Gate, fd: int, cbuf: Any, n: int, offset: int,
              shown: _Path = None) -> int:
        got = self._pread_counted(g.c, fd, cbuf, n, offset)
        if got < 0:
            raise self.failg(g, got, "dingofs_pread", shown)
        return got

    def pread_bytes(self, g: Gate, fd: int, n: int, offset: int, shown: _Path = None) -> bytes:
        """One ``dingofs_pread`` of at most :data:`SCRATCH` bytes, returned as ``bytes``."""
        pool = self._scratch_pool
        try:
            buf = pool.pop()
        except IndexError:
            buf = self.ffi.new("char[]", SCRATCH)
        got = self._pread_counted(g.c, fd, buf, n, offset)
        if got < 0:
            pool.append(buf)
            raise self.failg(g, got, "dingofs_pread", shown)
        data = self.unpack(buf, got)
        pool.append(buf)
        return data

    def pwrite(self, g: Gate, fd: int, cbuf: Any, n: int, offset: int,
               shown: _Path = None) -> int:
        put = self._pwrite(g.c, fd, cbuf, n, offset)
        if put < 0:
            if put != self.refused_rc:
                self.ops["dingofs_pwrite"] += 1
            raise self.failg(g, put, "dingofs_pwrite", shown)
        self.ops["dingofs_pwrite"] += 1
        self.bytes_written += put
        return put

    def lseek(self, g: Gate, fd: int, offset: int, whence: int, shown: _Path = None) -> int:
        pos = self._lseek_counted(g.c, fd, offset, whence)
        if pos < 0:
            raise self.failg(g, pos, "dingofs_lseek", shown)
        return pos

    def flush(self, fd: int, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_flush(self.h, fd), "dingofs_flush", shown)

    def fsync(self, fd: int, datasync: bool, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_fsync(self.h, fd, 1 if datasync else 0), "dingofs_fsync",
                   shown)

    def close(self, g: Gate, fd: int, shown: _Path = None) -> None:
        rc = self._close(g.c, fd)
        if rc < 0:
            if rc != self.refused_rc:
                self.ops["dingofs_close"] += 1
            raise self.failg(g, rc, "dingofs_close", shown)
        self.ops["dingofs_close"] += 1

    def close_file(self, fg: Gate, g: Gate, fd: int, shown: _Path = None) -> None:
        """Shut an open file's gate ``fg`` and close its descriptor ``fd`` under the
        handle's gate ``g``, in one C call (counted in C); nothing happens when ``fg``
        was shut already. Sets ``fg.closed`` first: the file refuses new calls from
        then on."""
        fg.closed = True
        rc = self._close_file(fg.c, g.c, fd)
        if rc and rc != self._shut_before:
            raise self.failg(g, rc, "dingofs_close", shown)

    def ftruncate(self, fd: int, length: int, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_ftruncate(self.h, fd, length), "dingofs_ftruncate", shown)

    # -- metadata --------------------------------------------------------------------------
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

    def closedir(self, dh: int, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_closedir(self.h, dh), "dingofs_closedir", shown)

    def listing(self, dh: int, batch: int, can_plus: bool) -> Listing:
        """The reader of directory handle ``dh``, ``batch`` entries per C call
        (attributes too when ``can_plus``; see :class:`Listing`)."""
        return Listing(self, dh, batch, can_plus)

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
                return self.unpack(buf, n)
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

    def getxattr(self, g: Gate, path: bytes, name: bytes, shown: _Path = None) -> bytes:
        """The value of one attribute: one C call into a pooled :data:`SCRATCH` buffer
        (64 KiB, the largest value Linux allows); the size query is only made when
        the library answers ``-ERANGE`` (a larger value)."""
        pool = self._scratch_pool
        try:
            buf = pool.pop()
        except IndexError:
            buf = self.ffi.new("char[]", SCRATCH)
        try:
            n = self._getxattr_gated(g.c, path, name, buf, SCRATCH)
            if n >= 0:
                self.ops["dingofs_getxattr"] += 1
                return self.unpack(buf, n)
        finally:
            if len(pool) < 8:
                pool.append(buf)
        if n != -_errno.ERANGE:
            if n != self.refused_rc:
                self.ops["dingofs_getxattr"] += 1
            raise self.failg(g, n, "dingofs_getxattr", shown)
        self.ops["dingofs_getxattr"] += 1
        g.enter("dingofs_getxattr", shown)
        try:
            return self._getxattr_sized(path, name, shown)
        finally:
            g.leave()

    def _getxattr_sized(self, path: bytes, name: bytes, shown: _Path = None) -> bytes:
        """getxattr of a value larger than :data:`SCRATCH`: ask the size, then read."""
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
            return self.unpack(buf, got)
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
            return self.unpack(buf, got)
        raise error_from_errno(_errno.ERANGE, "dingofs_listxattr", shown)

    def removexattr(self, path: bytes, name: bytes, shown: _Path = None) -> None:
        self.check(self.lib.dingofs_removexattr(self.h, path, name), "dingofs_removexattr",
                   shown)

    def ioctl(self, fd: int, cmd: int, data: bytes, size: int, shown: _Path = None) -> bytes:
        """``dingofs_ioctl`` with a ``size``-byte argument buffer that starts with
        ``data``; returns the buffer after the call."""
        ffi = self.ffi
        arg = ffi.new("char[]", size)
        if data:
            ffi.memmove(arg, data, len(data))
        self.check(self.lib.dingofs_ioctl(self.h, fd, cmd, arg), "dingofs_ioctl", shown)
        return bytes(ffi.buffer(arg, size))

    def get_flags(self, fd: int, shown: _Path = None) -> int:
        """The inode flags of an open file (``FS_IOC_GETFLAGS``)."""
        raw = self.ioctl(fd, int(self.lib.FS_IOC_GETFLAGS), b"", 8, shown)
        return int.from_bytes(raw[:4], "little")

    def set_flags(self, fd: int, flags: int, shown: _Path = None) -> None:
        """Set the inode flags of an open file (``FS_IOC_SETFLAGS``)."""
        self.ioctl(fd, int(self.lib.FS_IOC_SETFLAGS), int(flags).to_bytes(8, "little"), 8,
                   shown)

    # -- extensions (wrappers return -EOPNOTSUPP when absent) ------------------------------
    def has(self, ext: str) -> bool:
        return self.backend.has(ext)

    def x_mknod(self, path: bytes, mode: int, dev: int, shown: _Path = None) -> None:
        self.check(self.lib.dfx_mknod(self.h, path, mode, dev), "dingofs_x_mknod", shown)

    def _timespecs(self, ts: tuple[tuple[int, int], tuple[int, int]] | None) -> Any:
        """``struct timespec[2]`` of ``((sec, nsec), (sec, nsec))``; NULL for None."""
        if ts is None:
            return self.ffi.NULL
        cts = self.ffi.new("struct timespec[2]")
        for i, (sec, nsec) in enumerate(ts):
            cts[i].tv_sec = sec
            cts[i].tv_nsec = nsec
        return cts

    def x_utimens(self, path: bytes, ts: tuple[tuple[int, int], tuple[int, int]] | None,
                  flags: int, shown: _Path = None) -> None:
        cts = self._timespecs(ts)
        self.check(self.lib.dfx_utimens(self.h, path, cts, flags), "dingofs_x_utimens", shown)

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

    def x_access(self, g: Gate, path: bytes, mode: int, shown: _Path = None) -> int:
        """Raw result of the access extension (0 or -errno), counted in C but not
        raised (raised when the gate refused the call)."""
        rc = self._access_counted(g.c, path, mode)
        if rc == self.refused_rc:
            raise self.failg(g, rc, "dingofs_x_access", shown)
        return rc

    def x_lchown(self, path: bytes, uid: int, gid: int, shown: _Path = None) -> None:
        self.check(self.lib.dfx_lchown(self.h, path, uid, gid), "dingofs_x_lchown", shown)

    def x_setattr(self, path: bytes, flags: int, mask: int, mode: int, uid: int, gid: int,
                  size: int, ts: tuple[tuple[int, int], tuple[int, int]] | None,
                  shown: _Path = None) -> Attr:
        """``dingofs_x_setattr``: the changes named by ``mask`` (``DINGOFS_X_SET_*``) in one
        transaction, all or none; returns the attributes after the change, read in that
        transaction (an :class:`~dingofs.types.Attr`)."""
        cts = self._timespecs(ts)
        pool = self._stat_pool
        try:
            buf = pool.pop()
        except IndexError:
            buf = self._new_stat_buffer()
        rc = self.lib.dfx_setattr_rec(self.h, path, flags, mask, mode, uid, gid, size, cts,
                                      buf[0])
        self.ops["dingofs_x_setattr"] += 1
        if rc < 0:
            pool.append(buf)
            raise self.fail(rc, "dingofs_x_setattr", shown)
        a = attr_from_record(self._unpack_attr(buf[1]), self.dev)
        pool.append(buf)
        return a

    def x_last_attr(self) -> Attr | None:
        """``dingofs_x_last_attr``: the attributes of the inode the calling thread's last
        successful change on this handle created or changed, read in that change's own
        transaction (an :class:`~dingofs.types.Attr`); ``None`` when the library has
        none to give (``-ENODATA``, or the extension is absent). Never raises."""
        pool = self._stat_pool
        try:
            buf = pool.pop()
        except IndexError:
            buf = self._new_stat_buffer()
        rc = self.lib.dfx_last_attr_rec(self.h, buf[0])
        self.ops["dingofs_x_last_attr"] += 1
        if rc < 0:
            pool.append(buf)
            self.errors["dingofs_x_last_attr"] += 1
            return None
        a = attr_from_record(self._unpack_attr(buf[1]), self.dev)
        pool.append(buf)
        return a



_ALLOCATORS: dict[int, Any] = {}


def _allocator(ffi: Any) -> Any:
    """``ffi.new`` without zero-filling (for output buffers the library overwrites)."""
    alloc = _ALLOCATORS.get(id(ffi))
    if alloc is None:
        alloc = _ALLOCATORS[id(ffi)] = ffi.new_allocator(should_clear_after_alloc=False)
    return alloc


class Listing:
    """Batches of one open directory through the bridge's ``dfx_readdir_pack``.

    :ivar stride: size of one entry's attribute record in :meth:`fetch`'s ``raw``.
    :ivar decode: decodes the attribute record at a byte offset of ``raw``
        (:data:`ATTR_RECORD`; items for :func:`~dingofs.types.attr_from_record`).
    """

    __slots__ = ("_s", "_dh", "_batch", "_pack", "_tmp", "_names", "_inos", "_types",
                 "_types_b", "_attrs", "_out", "stride", "decode")

    def __init__(self, session: Session, dh: int, batch: int, can_plus: bool) -> None:
        ffi = session.ffi
        self._s = session
        self._dh = dh
        self._batch = batch
        self._pack: _IntCall = session.lib.dfx_readdir_pack
        # Output buffers of the packing helper; they are overwritten on every call,
        # so they need no clearing.
        new = _allocator(ffi)
        rec = "dingofs_x_direntplus_t[]" if can_plus else "dingofs_dirent_t[]"
        self._tmp = new(rec, batch)
        self._names = new("char[]", batch * _name_max(ffi))
        self._inos = new("uint64_t[]", batch)
        self._types = new("unsigned char[]", batch)
        self._types_b = ffi.cast("char*", self._types)
        self.stride = ATTR_RECORD.size
        self._attrs = new("dfx_attr_t[]", batch) if can_plus else ffi.NULL
        self._out = ffi.new("int64_t[3]")
        self.decode: Callable[..., tuple[int, ...]] = ATTR_RECORD.unpack_from

    def fetch(self, plus: bool, shown: _Path = None
              ) -> tuple[int, bytes, list[int], bytes, bytes | None, bool]:
        """One ``dingofs_readdir`` (``dingofs_x_readdirplus`` with ``plus``) batch:
        ``(n, names, inos, types, raw, at_root)``: ``n`` 0 at the end of the
        directory, else the names NUL-terminated back to back, their inode numbers,
        their ``d_type`` bytes, the attribute records with ``plus`` (else None) and
        whether the batch came from the root directory."""
        s = self._s
        out = self._out
        op = "dingofs_x_readdirplus" if plus else "dingofs_readdir"
        n = self._pack(s.h, self._dh, plus, self._tmp, self._batch, self._names, self._inos,
                       self._types, self._attrs, out)
        s.ops[op] += 1
        if n < 0:
            raise s.fail(n, op, shown)
        k = out[0]
        if n == 0 or k == 0:
            return n, b"", [], b"", None, False
        # Three copies per batch; the caller splits (and decodes) the names in one pass.
        unpack = s.unpack
        blob = unpack(self._names, out[1])
        inos: list[int] = s.ffi.unpack(self._inos, k)
        types = unpack(self._types_b, k)
        raw = bytes(s.ffi.buffer(self._attrs, k * self.stride)) if plus else None
        return n, blob, inos, types, raw, bool(out[2])


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
        detail = backend.lacks("dingofs_x_fsck") if rc == -_errno.EOPNOTSUPP else ""
        raise error_from_errno(-rc, "dingofs_x_fsck", shown, detail=detail)
    return rc, text


def last_error(backend: Backend) -> str:
    """The explanation of the calling thread's last failed mount (``dingofs_x_last_error``);
    "" when there is none or the library lacks the extension."""
    if not backend.has("last_error"):
        return ""
    ffi, lib = backend.ffi, backend.lib
    size = 1024
    for _ in range(4):
        buf = ffi.new("char[]", size)
        n = int(lib.dfx_last_error(buf, size))
        if n < size:
            raw: bytes = ffi.string(buf)
            return raw.decode("utf-8", "replace").strip()
        size = n + 1
    raw = ffi.string(buf)
    return raw.decode("utf-8", "replace").strip()


def new_handle(backend: Backend) -> int:
    """``dingofs_new()``; :class:`MemoryError` when the library returns 0."""
    h = int(backend.lib.dingofs_new())
    if h == 0:
        raise MemoryError("dingofs_new returned no handle")
    return h


# -- local:// filesystems on disk: the engine's knowledge, asked through its extensions
from .types import LocalFilesystem  # noqa: E402


def local_engine() -> Backend:
    """The loaded library that is the embedded engine: the one that knows ``local://``
    filesystems, their address rules and their layout on disk.

    :raises DingofsError: ``EPROTONOSUPPORT`` when no loaded library is the embedded
        engine (e.g. only an upstream system library); the message says how to get it.
    """
    from . import _ffi

    return _ffi.backend_for("local://")


def _local_fail(backend: Backend, rc: int, operation: str, shown: _Path) -> DingofsError:
    """The exception for a failed ``dingofs_x_local_*`` call, with the engine's
    explanation (or the missing extension) as its detail."""
    detail = backend.lacks(operation) if rc == -_errno.EOPNOTSUPP else ""
    return error_from_errno(-rc, operation, shown, detail=detail or last_error(backend))


def _local_entries(backend: Backend, entries: Any, count: int) -> list[LocalFilesystem]:
    """:class:`~dingofs.types.LocalFilesystem` values of ``count`` C entries."""
    import os

    ffi = backend.ffi

    def text(p: Any) -> str:
        return os.fsdecode(ffi.string(p))

    def flag(v: int) -> bool | None:
        return None if v < 0 else bool(v)

    out: list[LocalFilesystem] = []
    for i in range(count):
        e = entries[i]
        out.append(LocalFilesystem(
            name=text(e.name), base_dir=text(e.base_dir), meta_dir=text(e.meta_dir),
            data_dir=text(e.data_dir), exists=flag(int(e.exists)),
            mounted=flag(int(e.mounted)), size=None if e.bytes < 0 else int(e.bytes)))
    return out


def local_info(backend: Backend, addrs: bytes, *, parse_only: bool = False,
               sizes: bool = False, shown: _Path = None) -> LocalFilesystem:
    """What the ``local://`` address ``addrs`` resolves to (``dingofs_x_local_info``),
    as a :class:`~dingofs.types.LocalFilesystem`.

    :param parse_only: from the address alone, looking at no file (``exists``,
        ``mounted`` and ``size`` are then ``None``).
    :param sizes: also count the bytes the filesystem takes on disk.
    :raises DingofsError: ``EINVAL`` for a malformed address (the detail says why),
        ``EPROTONOSUPPORT`` for another kind of address, ``EOPNOTSUPP`` when the
        library lacks the extension.
    """
    ffi, lib = backend.ffi, backend.lib
    flags = int(lib.DINGOFS_X_LOCAL_PARSE) if parse_only else 0
    if sizes:
        flags |= int(lib.DINGOFS_X_LOCAL_SIZES)
    out = ffi.new("dingofs_x_local_t**")
    rc = int(lib.dfx_local_info(addrs, flags, out))
    try:
        if rc < 0:
            raise _local_fail(backend, rc, "dingofs_x_local_info", shown)
        return _local_entries(backend, out[0], 1)[0]
    finally:
        if out[0] != ffi.NULL:
            lib.dfx_free(out[0])


def local_list(backend: Backend, base: bytes | None, *, sizes: bool = False,
               shown: _Path = None) -> list[LocalFilesystem]:
    """The ``local://`` filesystems under ``base`` (``None``: the engine's default base),
    sorted by name (``dingofs_x_local_list``), as
    :class:`~dingofs.types.LocalFilesystem` values.

    :param sizes: also count the bytes each takes on disk.
    :raises DingofsError: when the base cannot be read, or ``EOPNOTSUPP`` when the
        library lacks the extension.
    """
    ffi, lib = backend.ffi, backend.lib
    flags = int(lib.DINGOFS_X_LOCAL_SIZES) if sizes else 0
    out = ffi.new("dingofs_x_local_t**")
    rc = int(lib.dfx_local_list(base if base is not None else ffi.NULL, flags, out))
    try:
        if rc < 0:
            raise _local_fail(backend, rc, "dingofs_x_local_list", shown)
        return _local_entries(backend, out[0], rc)
    finally:
        if out[0] != ffi.NULL:
            lib.dfx_free(out[0])


def local_remove(backend: Backend, addrs: bytes, shown: _Path = None) -> None:
    """Delete the ``local://`` filesystem of ``addrs``: its metadata and its data files,
    wherever its data directory is (``dingofs_x_local_remove``).

    :raises DingofsError: ``ENOENT`` (no such filesystem), ``EBUSY`` (some client, in
        any process, has it mounted), ``EINVAL`` (malformed address), ... with the
        engine's explanation as the detail.
    """
    rc = int(backend.lib.dfx_local_remove(addrs))
    if rc < 0:
        raise _local_fail(backend, rc, "dingofs_x_local_remove", shown)


def local_base_dir(backend: Backend, base: bytes | None = None) -> str:
    """The base directory the engine uses for ``base`` (``None``: its default base:
    ``$DINGOFS_BASE_DIR``, else ``/var/dingo`` for root, ``~/.dingo`` otherwise)."""
    from urllib.parse import quote_from_bytes

    addrs = b"local://base"
    if base is not None:
        addrs += b"?base=" + quote_from_bytes(base, safe="/").encode("ascii")
    return local_info(backend, addrs, parse_only=True, shown=base).base_dir


def filesystem_identity(backend: Backend, mds_addrs: str, fs_name: str = "") -> str:
    """A stable identity of the filesystem ``mds_addrs`` names, the same in every
    process: for a ``local://`` address served by the embedded engine, the real path
    of its base directory and its name, as the engine resolves them (so
    ``local://x``, ``local://x?base=$DINGOFS_BASE_DIR/`` and a symlinked base are one
    filesystem); else the address and ``fs_name``."""
    if backend.embedded and backend.has("local_info"):
        try:
            info = local_info(backend, mds_addrs.encode("utf-8", "surrogateescape"),
                              parse_only=True, shown=mds_addrs)
        except DingofsError:
            pass
        else:
            return f"local|{os.path.realpath(info.base_dir)}|{info.name}"
    return f"{mds_addrs}|{fs_name}"


def filesystem_id(backend: Backend, mds_addrs: str, fs_name: str = "") -> int:
    """A stable ``st_dev`` for the filesystem ``mds_addrs`` names: a 63-bit hash of
    :func:`filesystem_identity`."""
    ident = filesystem_identity(backend, mds_addrs, fs_name)
    digest = hashlib.blake2b(ident.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(digest, "little") & 0x7FFF_FFFF_FFFF_FFFF
