"""Directories: :class:`ScandirIterator`, :class:`DirEntry` and :func:`walk`."""

from __future__ import annotations

import contextlib
import errno as _errno
import os
import stat as _stat
import sys
import warnings
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Callable

from ._calls import Session
from ._util import Gate
from .errors import DingofsError, stopped_error
from .types import Attr

if TYPE_CHECKING:
    from .client import Client

__all__ = ["DirEntry", "ScandirIterator", "walk"]

#: Entries fetched per C call.
BATCH = 64

_HIDDEN_AT_ROOT = (b".stats", b".trash")
_DOTS = (b".", b"..")
_FSENC = sys.getfilesystemencoding()
_FSERR = sys.getfilesystemencodeerrors()


class DirEntry:
    """One directory entry, like :class:`os.DirEntry`, plus upstream's ``ino`` and ``attr``.

    ``name`` and ``path`` are ``bytes`` when the directory was given as bytes.
    ``stat()`` results are cached; ``attr`` is the entry's own attributes (a
    symlink is not followed), fetched on first use unless the library already
    returned them with the listing (then they are decoded on first use).
    """

    __slots__ = ("name", "path", "ino", "_dtype", "_client", "_lstat", "_stat", "_raw",
                 "_rawpos")

    def __init__(self, client: Client, name: Any, path: Any, ino: int, dtype: int,
                 attr: Attr | None) -> None:
        self.name = name
        self.path = path
        self.ino = ino
        self._dtype = dtype
        self._client = client
        self._lstat = attr
        self._stat: Attr | None = None
        self._raw: bytes | None = None
        self._rawpos = 0

    def inode(self) -> int:
        """The inode number."""
        return self.ino

    @property
    def attr(self) -> Attr:
        """The entry's attributes (not following a symlink)."""
        a = self._lstat
        if a is None:
            raw = self._raw
            if raw is not None:
                c = self._client
                a = c._attr_plus(c._s.layout.plus.unpack_from(raw, self._rawpos), c._dev)
                self._raw = None
            else:
                a = self._client.lstat(self.path)
            self._lstat = a
        return a

    def _type_bits(self) -> int | None:
        fmt = _DT_TO_FMT.get(self._dtype)
        if fmt is not None:
            return fmt
        if self._lstat is not None or self._raw is not None:
            return _stat.S_IFMT(self.attr.mode)
        return None

    def is_symlink(self) -> bool:
        """True for a symbolic link (never follows)."""
        bits = self._type_bits()
        if bits is None:
            try:
                bits = _stat.S_IFMT(self.attr.mode)
            except FileNotFoundError:
                return False
        return bits == _stat.S_IFLNK

    def _is(self, fmt: int, follow_symlinks: bool) -> bool:
        bits = self._type_bits()
        if bits is None or (follow_symlinks and bits == _stat.S_IFLNK):
            try:
                st = self.stat(follow_symlinks=follow_symlinks)
            except DingofsError as exc:
                if exc.errno in (_errno.ENOENT, _errno.ENOTDIR, _errno.ELOOP):
                    return False
                raise
            bits = _stat.S_IFMT(st.mode)
        return bits == fmt

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        """True for a directory (or a symlink to one when ``follow_symlinks``)."""
        return self._is(_stat.S_IFDIR, follow_symlinks)

    def is_file(self, *, follow_symlinks: bool = True) -> bool:
        """True for a regular file (or a symlink to one when ``follow_symlinks``)."""
        return self._is(_stat.S_IFREG, follow_symlinks)

    def is_junction(self) -> bool:
        """Always False (there are no junctions)."""
        return False

    def stat(self, *, follow_symlinks: bool = True) -> Attr:
        """The entry's :class:`Attr` (cached), following a symlink unless told not to."""
        if not follow_symlinks:
            return self.attr
        if self._stat is None:
            if self._type_bits() not in (None, _stat.S_IFLNK):
                self._stat = self.attr
            else:
                self._stat = self._client.stat(self.path)
        return self._stat

    def __fspath__(self) -> Any:
        return self.path

    def __repr__(self) -> str:
        return f"<DirEntry {self.name!r}>"


_DT_TO_FMT = {
    getattr(os, "DT_DIR", 4): _stat.S_IFDIR,
    getattr(os, "DT_REG", 8): _stat.S_IFREG,
    getattr(os, "DT_LNK", 10): _stat.S_IFLNK,
    getattr(os, "DT_FIFO", 1): _stat.S_IFIFO,
    getattr(os, "DT_CHR", 2): _stat.S_IFCHR,
    getattr(os, "DT_BLK", 6): _stat.S_IFBLK,
    getattr(os, "DT_SOCK", 12): _stat.S_IFSOCK,
}


def _join(dirpath: Any, name: Any) -> Any:
    if not dirpath:
        return name
    sep = b"/" if isinstance(dirpath, bytes) else "/"
    if dirpath.endswith(sep):
        return dirpath + name
    return dirpath + sep + name


class ScandirIterator:
    """Lazy iterator of :class:`DirEntry` over one directory (64 entries per C call).

    Use it as a context manager or call :meth:`close` to release the directory
    handle at once; ``.`` and ``..`` are never returned.
    """

    def __init__(self, client: Client, session: Session, path: Any, dirpath: Any,
                 as_bytes: bool, dh: int) -> None:
        self._client = client
        self._s = session
        self._path = path
        self._dirpath = dirpath
        self._as_bytes = as_bytes
        self._dh = dh
        self._gate = Gate("scandir iterator")
        self._plus = session.has("readdirplus")
        ffi = session.ffi
        self._buf = ffi.new("dingofs_x_direntplus_t[]" if self._plus else "dingofs_dirent_t[]",
                            BATCH)
        lay = session.layout
        #: Yields ``(ino, type, name field)`` for each record of a raw batch.
        self._records = (lay.plus_records if self._plus else lay.dirent_records).iter_unpack
        self._size = lay.plus_size if self._plus else lay.dirent_size
        self._pending: deque[DirEntry] = deque()
        self._hide_virtual = not session.backend.embedded
        self._at_root = False
        self._done = False

    def __iter__(self) -> ScandirIterator:
        return self

    def __next__(self) -> DirEntry:
        if not self._gate.closed:
            try:
                return self._pending.popleft()
            except IndexError:
                pass
        return self._next_slow()

    def _next_slow(self) -> DirEntry:
        if self._gate.closed and not self._done:
            self._pending.clear()
        while not self._pending:
            if self._gate.closed or self._done:
                if self._gate.forked:
                    raise stopped_error("dingofs_readdir", self._path, forked=True,
                                        what="scandir iterator")
                raise StopIteration
            self._fetch()
        return self._pending.popleft()

    def _fetch(self) -> None:
        s = self._s
        gate = self._gate
        calls = gate.calls
        try:
            calls.append(None)
            if gate.closed:
                raise gate.refused("dingofs_readdir", self._path)
            if self._plus:
                n = s.x_readdirplus(self._dh, self._buf, BATCH, self._path)
            else:
                n = s.readdir(self._dh, self._buf, BATCH, self._path)
            # One copy of the whole batch; entries are decoded from it (and each
            # entry's attributes only when asked for).
            raw = s.ffi.buffer(self._buf, n * self._size)[:] if n > 0 else b""
        finally:
            calls.pop()
            if gate.closed:
                gate.wake()
        if n == 0:
            self._done = True
            self.close()
            return
        self._decode(raw, self._pending.append)

    def _drain(self) -> list[DirEntry]:
        """Every remaining entry at once (what ``listdir`` returns)."""
        out = list(self._pending)
        self._pending.clear()
        while not (self._gate.closed or self._done):
            self._fetch()
            out.extend(self._pending)
            self._pending.clear()
        if self._gate.forked:
            raise stopped_error("dingofs_readdir", self._path, forked=True,
                                what="scandir iterator")
        return out

    def _decode(self, raw: bytes, append: Callable[[DirEntry], Any]) -> None:
        """Turn a batch of raw records into entries (attributes stay raw until asked for)."""
        client, dirpath, as_bytes, plus = self._client, self._dirpath, self._as_bytes, self._plus
        enc, errs = _FSENC, _FSERR
        hide = self._hide_virtual
        if dirpath:
            sep = b"/" if isinstance(dirpath, bytes) else "/"
            prefix = dirpath if dirpath.endswith(sep) else dirpath + sep
        else:
            prefix = dirpath
        new = object.__new__
        base = -self._size
        for ino, dtype, field in self._records(raw):
            base += self._size
            end = field.find(0)
            bname = field[:end] if end >= 0 else field
            if bname in _DOTS:
                if bname == b"." and ino == 1:
                    self._at_root = True
                continue
            if hide and self._at_root and bname in _HIDDEN_AT_ROOT:
                continue
            name = bname if as_bytes else bname.decode(enc, errs)
            e = new(DirEntry)
            e.name = name
            e.path = prefix + name
            e.ino = ino
            e._dtype = dtype
            e._client = client
            e._lstat = None
            e._stat = None
            if plus:
                e._raw = raw
                e._rawpos = base
            else:
                e._raw = None
            append(e)

    def close(self) -> None:
        """Release the directory handle (idempotent)."""
        if self._gate.forked:
            self._done = True
            return
        if not self._gate.shut():
            return
        self._pending.clear()
        self._client._forget_iter(self)
        try:
            self._s.closedir(self._dh, self._path)
        except DingofsError as exc:
            if exc.errno not in (_errno.EBADF, _errno.ENOTCONN):
                raise

    def _close_for_stop(self) -> None:
        with contextlib.suppress(Exception):  # never raise from here
            self.close()

    def __enter__(self) -> ScandirIterator:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        gate = getattr(self, "_gate", None)
        if gate is None or gate.closed:
            return
        warnings.warn(f"unclosed scandir iterator {self!r}", ResourceWarning, stacklevel=2,
                      source=self)
        with contextlib.suppress(Exception):  # never raise from here
            self.close()

    def __repr__(self) -> str:
        return f"<dingofs.ScandirIterator {self._path!r}>"


def walk(client: Client, top: Any, topdown: bool = True,
         onerror: Callable[[OSError], Any] | None = None,
         followlinks: bool = False) -> Iterator[tuple[Any, list[Any], list[Any]]]:
    """Generate ``(dirpath, dirnames, filenames)`` like :func:`os.walk`."""
    stack: list[Any] = [os.fspath(top)]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):  # bottom-up: yield after the children
            yield item
            continue
        dirpath = item
        dirs: list[Any] = []
        nondirs: list[Any] = []
        walk_dirs: list[Any] = []
        links: set = set()
        real_dirs: set = set()
        try:
            it = client.scandir(dirpath)
        except OSError as exc:
            if isinstance(exc, DingofsError) and exc.errno == _errno.ENOTCONN:
                raise
            if onerror is not None:
                onerror(exc)
            continue
        with it:
            while True:
                try:
                    entry = next(it)
                except StopIteration:
                    break
                except OSError as exc:
                    if isinstance(exc, DingofsError) and exc.errno == _errno.ENOTCONN:
                        raise
                    if onerror is not None:
                        onerror(exc)
                    break
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    dirs.append(entry.name)
                    try:
                        link = entry.is_symlink()
                    except OSError:
                        link = False
                    (links if link else real_dirs).add(entry.name)
                    if not topdown and (followlinks or not link):
                        walk_dirs.append(entry.path)
                else:
                    nondirs.append(entry.name)
        if topdown:
            yield dirpath, dirs, nondirs
            for name in reversed(dirs):  # the caller may have pruned or changed dirs
                new_path = _join(dirpath, name)
                if (name in real_dirs or followlinks
                        or (name not in links and not _is_link(client, new_path))):
                    stack.append(new_path)
        else:
            stack.append((dirpath, dirs, nondirs))
            for new_path in reversed(walk_dirs):
                stack.append(new_path)


def _is_link(client: Client, path: Any) -> bool:
    try:
        return client.islink(path)
    except DingofsError as exc:
        if exc.errno == _errno.ENOTCONN:
            raise
        return False
