"""Prototype of a lean call path, measured next to the SDK by ``run.py``.

It shows what the Python layer of ``stat()``/``access()``/``pread()`` costs
when written for speed on the same bridge, with the same checks (path type and
NUL check, the in-flight call gate, errno -> exception, a full attribute
object). It is not part of the package: the changes it suggests belong in
``dingofs/_util.py`` (``Gate``, ``fspath``), ``dingofs/_calls.py`` (``check``,
``x_stat``) and ``dingofs/client.py`` (``_attr``); see ``docs/benchmarks.md``.

Techniques:
  * one ``struct.unpack_from`` over ``ffi.buffer(st)`` instead of ~20 cdata
    field reads (the layout comes from ``ffi.offsetof`` at import time, so it
    follows the platform's ``struct stat``);
  * a gate made of a plain ``threading.Lock`` (C-level ``with``), not a
    ``threading.Condition`` (whose ``__enter__``/``__exit__`` are Python code),
    and no extra ``_Use`` object per call;
  * reused per-thread output buffers instead of two ``ffi.new`` per call;
  * ``str`` paths encoded with ``str.encode`` directly (``os.fsencode`` is a
    Python function).
"""

from __future__ import annotations

import operator
import struct
import sys
import threading
from typing import Any

_FSENC = sys.getfilesystemencoding()
_FSERR = sys.getfilesystemencodeerrors()


#: Order in which :func:`stat_unpacker`'s getter returns the fields.
STAT_FIELDS = ("st_ino", "st_mode", "st_nlink", "st_uid", "st_gid", "st_size", "st_rdev",
               "st_atim_tv_sec", "st_atim_tv_nsec", "st_mtim_tv_sec", "st_mtim_tv_nsec",
               "st_ctim_tv_sec", "st_ctim_tv_nsec", "st_blksize", "st_blocks")


def stat_unpacker(ffi: Any) -> tuple[struct.Struct, Any]:
    """A :class:`struct.Struct` reading ``struct stat`` in one call (fields in memory
    order) and an ``itemgetter`` putting them in :data:`STAT_FIELDS` order."""
    fields = [("st_ino",), ("st_mode",), ("st_nlink",), ("st_uid",), ("st_gid",),
              ("st_size",), ("st_rdev",), ("st_atim", "tv_sec"), ("st_atim", "tv_nsec"),
              ("st_mtim", "tv_sec"), ("st_mtim", "tv_nsec"), ("st_ctim", "tv_sec"),
              ("st_ctim", "tv_nsec"), ("st_blksize",), ("st_blocks",)]
    probe = ffi.new("struct stat*")
    placed = []
    for path in fields:
        off = ffi.offsetof("struct stat", *path)
        obj: Any = probe[0]
        for name in path:
            obj_type = ffi.typeof(obj).fields
            ctype = dict(obj_type)[name].type
            obj = getattr(obj, name)
        size = ffi.sizeof(ctype)
        signed = int(ffi.cast(ctype, -1)) < 0
        code = {1: "b", 2: "h", 4: "i", 8: "q"}[size]
        placed.append((off, code if signed else code.upper(), "_".join(path)))
    placed.sort()
    fmt, pos, names = "=", 0, []
    for off, code, name in placed:
        if off > pos:
            fmt += f"{off - pos}x"
        fmt += code
        pos = off + struct.calcsize("=" + code)
        names.append(name)
    return struct.Struct(fmt), operator.itemgetter(*[names.index(n) for n in STAT_FIELDS])


class LeanGate:
    """In-flight call counter with a plain lock (the shutdown wait would poll or use an Event)."""

    __slots__ = ("_lock", "busy", "closed")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.busy = 0
        self.closed = False


class LeanStatResult:
    __slots__ = ("ino", "mode", "nlink", "uid", "gid", "length", "rdev", "atime", "mtime",
                 "ctime", "blksize", "blocks", "flags")


class Lean:
    """stat/access/pread over the SDK's own bridge and handle, written for speed."""

    def __init__(self, session: Any) -> None:
        self.ffi, self.lib, self.h = session.ffi, session.lib, session.h
        self.unpack, self.order = stat_unpacker(self.ffi)
        self.gate = LeanGate()
        self.tls = threading.local()

    def _bufs(self) -> tuple[Any, Any, Any]:
        t = self.tls
        try:
            return t.st, t.fl, t.view
        except AttributeError:
            t.st = self.ffi.new("struct stat*")
            t.fl = self.ffi.new("uint32_t*")
            t.view = self.ffi.buffer(t.st)
            return t.st, t.fl, t.view

    def _path(self, path: Any) -> bytes:
        if type(path) is str:
            raw = path.encode(_FSENC, _FSERR)
        elif type(path) is bytes:
            raw = path
        else:
            raise TypeError("path must be str or bytes in this prototype")
        if b"\0" in raw:
            raise ValueError("embedded null byte")
        return raw

    def stat(self, path: Any) -> LeanStatResult:
        p = self._path(path)
        st, fl, view = self._bufs()
        g = self.gate
        with g._lock:
            if g.closed:
                raise OSError(107, "stopped")
            g.busy += 1
        try:
            rc = self.lib.dfx_stat(self.h, p, 0, st, fl)
        finally:
            with g._lock:
                g.busy -= 1
        if rc < 0:
            raise OSError(-rc, "stat", path)
        v = self.order(self.unpack.unpack_from(view))
        a = LeanStatResult()
        (a.ino, a.mode, a.nlink, a.uid, a.gid, a.length, a.rdev, asec, ansec, msec, mnsec,
         csec, cnsec, a.blksize, a.blocks) = v
        a.atime = asec * 1_000_000_000 + ansec
        a.mtime = msec * 1_000_000_000 + mnsec
        a.ctime = csec * 1_000_000_000 + cnsec
        a.flags = fl[0]
        return a

    def access(self, path: Any, mode: int) -> bool:
        p = self._path(path)
        g = self.gate
        with g._lock:
            if g.closed:
                raise OSError(107, "stopped")
            g.busy += 1
        try:
            rc = self.lib.dfx_access(self.h, p, mode)
        finally:
            with g._lock:
                g.busy -= 1
        if rc < 0 and rc not in (-13, -2):
            raise OSError(-rc, "access", path)
        return rc == 0
