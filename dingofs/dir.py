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
from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar, Union

from .errors import DingofsError, stopped_error
from .types import Attr, attr_from_record

if TYPE_CHECKING:
    from ._mount import Mount
    from .client import Client

__all__ = ["DirEntry", "ScandirIterator", "drain", "walk"]

#: ``str`` or ``bytes``: the type of the names of a listing (that of the
#: directory path it was given, as :mod:`os` does).
AnyPathStr = TypeVar("AnyPathStr", bound=Union[str, bytes])

#: Entries fetched per C call.
BATCH = 64
#: Entries per C call of walk (it reads each directory to its end before yielding it).
_WALK_BATCH = 256

_HIDDEN_AT_ROOT = (b".stats", b".trash")
_HIDDEN_AT_ROOT_STR = (".stats", ".trash")
_FSENC = sys.getfilesystemencoding()
_FSERR = sys.getfilesystemencodeerrors()


class _DirContext:
    """What the entries of one listing share: the client, the path prefix and how
    to decode prefetched attributes."""

    __slots__ = ("client", "prefix", "stride", "decode", "dev", "wants_attrs")

    def __init__(self, client: Client, prefix: Any, stride: int,
                 decode: Callable[..., tuple[int, ...]] | None, dev: int = 0) -> None:
        self.client = client
        self.prefix = prefix
        #: Record size of the prefetched attributes (``_rawpos`` counts records).
        self.stride = stride
        #: Decodes one record of prefetched attributes at a byte offset (None: none);
        #: its items make an :class:`Attr` with :func:`~dingofs.types.attr_from_record`.
        self.decode = decode
        #: The ``st_dev`` of the filesystem.
        self.dev = dev
        #: Set when an entry's attributes were asked for (the iterator then prefetches).
        self.wants_attrs = False


def _prefix(dirpath: Any) -> Any:
    if not dirpath:
        return dirpath
    sep = b"/" if isinstance(dirpath, bytes) else "/"
    return dirpath if dirpath.endswith(sep) else dirpath + sep


class DirEntry(Generic[AnyPathStr]):
    """One directory entry, like :class:`os.DirEntry`, plus upstream's ``ino`` and ``attr``.

    ``name`` and ``path`` are ``bytes`` when the directory was given as bytes
    (``DirEntry[bytes]``), else ``str`` (``DirEntry[str]``).
    ``stat()`` results are cached; ``attr`` is the entry's own attributes (a
    symlink is not followed), fetched on first use unless the library already
    returned them with the listing (then they are decoded on first use).
    """

    # A listing sets only name, ino, _dtype and _ctx (and _raw/_rawpos when it
    # prefetched attributes); the other slots are filled on first use, so they are
    # read with getattr(..., None).
    __slots__ = ("name", "ino", "_dtype", "_ctx", "_path", "_lstat", "_stat", "_raw",
                 "_rawpos")

    #: The entry's name (no directory part).
    name: AnyPathStr
    #: The inode number.
    ino: int
    _dtype: int
    _ctx: _DirContext
    _path: Any
    _lstat: Attr | None
    _stat: Attr | None
    _raw: bytes | None
    _rawpos: int

    def __init__(self, client: Client, name: Any, path: Any, ino: int, dtype: int,
                 attr: Attr | None) -> None:
        self.name = name
        self.ino = ino
        self._dtype = dtype
        self._ctx = _DirContext(client, path[: len(path) - len(name)], 0, None)
        self._path = path
        self._lstat = attr

    @property
    def path(self) -> AnyPathStr:
        """The directory given to ``scandir``/``listdir`` joined with :attr:`name`."""
        p: AnyPathStr | None = getattr(self, "_path", None)
        if p is None:
            p = self._path = self._ctx.prefix + self.name
        return p

    def inode(self) -> int:
        """The inode number.

        :returns: the entry's inode number.
        """
        return self.ino

    @property
    def attr(self) -> Attr:
        """The entry's attributes (not following a symlink)."""
        a = getattr(self, "_lstat", None)
        if a is None:
            raw = getattr(self, "_raw", None)
            ctx = self._ctx
            if raw is not None and ctx.decode is not None:
                a = attr_from_record(ctx.decode(raw, self._rawpos * ctx.stride), ctx.dev)
                self._raw = None
            else:
                ctx.wants_attrs = True
                a = ctx.client.lstat(self.path)
            self._lstat = a
        return a

    def _type_bits(self) -> int | None:
        fmt = _DT_TO_FMT.get(self._dtype)
        if fmt is not None:
            return fmt
        if getattr(self, "_lstat", None) is not None or getattr(self, "_raw", None) is not None:
            return _stat.S_IFMT(self.attr.mode)
        return None

    def is_symlink(self) -> bool:
        """True for a symbolic link (never follows).

        :returns: whether the entry is a symbolic link.
        :raises OSError: if the type is not known and the entry cannot be examined.
        """
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
        """True for a directory (or a symlink to one when ``follow_symlinks``).

        :param follow_symlinks: look through a symbolic link.
        :returns: whether the entry is a directory (False if it vanished).
        """
        return self._is(_stat.S_IFDIR, follow_symlinks)

    def is_file(self, *, follow_symlinks: bool = True) -> bool:
        """True for a regular file (or a symlink to one when ``follow_symlinks``).

        :param follow_symlinks: look through a symbolic link.
        :returns: whether the entry is a regular file (False if it vanished).
        """
        return self._is(_stat.S_IFREG, follow_symlinks)

    def is_junction(self) -> bool:
        """Always False (there are no junctions).

        :returns: always False.
        """
        return False

    def stat(self, *, follow_symlinks: bool = True) -> Attr:
        """The entry's :class:`Attr` (cached), following a symlink unless told not to.

        :param follow_symlinks: the attributes of a symlink's target (default) or of
            the link itself.
        :returns: the attributes.
        :raises FileNotFoundError: if the entry (or a symlink's target) no longer exists.
        """
        if not follow_symlinks:
            return self.attr
        st = getattr(self, "_stat", None)
        if st is None:
            if self._type_bits() not in (None, _stat.S_IFLNK):
                st = self.attr
            else:
                st = self._ctx.client.stat(self.path)
            self._stat = st
        return st

    def __fspath__(self) -> AnyPathStr:
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


#: d_type values that need no further call in walk: a directory, and types that are
#: never directories (a symlink or an unknown type is looked at by the entry's methods).
_DT_DIR = getattr(os, "DT_DIR", 4)
_DT_NONDIR = frozenset(getattr(os, n, v) for n, v in (("DT_REG", 8), ("DT_FIFO", 1),
                                                      ("DT_CHR", 2), ("DT_BLK", 6),
                                                      ("DT_SOCK", 12)))


def _join(dirpath: Any, name: Any) -> Any:
    if not dirpath:
        return name
    sep = b"/" if isinstance(dirpath, bytes) else "/"
    if dirpath.endswith(sep):
        return dirpath + name
    return dirpath + sep + name


def _entries(ctx: _DirContext, names: list[Any], inos: list[int], types: bytes,
             raw: bytes | None) -> list[DirEntry[Any]]:
    """:class:`DirEntry` objects of one packed batch (one slot store per field)."""
    new = object.__new__
    out: list[DirEntry[Any]] = []
    append = out.append
    if raw is None:
        for name, ino, t in zip(names, inos, types):
            e = new(DirEntry)
            e.name = name
            e.ino = ino
            e._dtype = t
            e._ctx = ctx
            append(e)
    else:
        for i, (name, ino, t) in enumerate(zip(names, inos, types)):
            e = new(DirEntry)
            e.name = name
            e.ino = ino
            e._dtype = t
            e._ctx = ctx
            e._raw = raw
            e._rawpos = i
            append(e)
    return out


class ScandirIterator(Generic[AnyPathStr]):
    """Lazy iterator of :class:`DirEntry` over one directory (64 entries per C call).

    ``ScandirIterator[str]`` for a ``str`` directory, ``ScandirIterator[bytes]``
    for a ``bytes`` one.

    Use it as a context manager or call :meth:`close` to release the directory
    handle at once; ``.`` and ``..`` are never returned.
    """

    def __init__(self, client: Client, mount: Mount, path: Any, dirpath: Any,
                 as_bytes: bool, dh: int, *, plus: bool | None = None,
                 batch: int = BATCH) -> None:
        """``plus``: True prefetches every entry's attributes (readdirplus), False
        never does, None starts without and prefetches for the rest of the listing
        once the attributes of one of its entries were asked for."""
        session = mount.session
        # The client is kept alive by its iterators (its public methods serve the entries).
        self._client = client
        self._mount = mount
        self._path = path
        self._dirpath = dirpath
        self._as_bytes = as_bytes
        self._dh = dh
        self._gate = session.gate("scandir iterator")
        has_plus = session.has("readdirplus")
        #: Whether the next batch prefetches attributes, and whether it ever may.
        self._plus = bool(plus) and has_plus
        self._can_plus = plus is not False and has_plus
        self._pending: deque[DirEntry[Any]] = deque()
        self._hide_virtual = not session.backend.embedded
        self._at_root = False
        self._done = False
        self._listing = session.listing(dh, batch, self._can_plus)
        self._ctx = _DirContext(client, _prefix(dirpath), self._listing.stride,
                                self._listing.decode, mount.dev)
        mount.add_iter(self, self._gate)

    def __iter__(self) -> ScandirIterator[AnyPathStr]:
        return self

    def __next__(self) -> DirEntry[AnyPathStr]:
        if not self._gate.closed:
            try:
                return self._pending.popleft()
            except IndexError:
                pass
        return self._next_slow()

    def _next_slow(self) -> DirEntry[Any]:
        if self._gate.closed and not self._done:
            self._pending.clear()
        while not self._pending:
            if self._gate.closed or self._done:
                if self._gate.forked:
                    raise stopped_error("dingofs_readdir", self._path, forked=True,
                                        what="scandir iterator")
                raise StopIteration
            self._fetch(self._pending.extend)
        return self._pending.popleft()

    def _fetch(self, extend: Callable[[list[DirEntry[Any]]], Any]) -> None:
        """Read one batch and hand its entries to ``extend`` (closes at the end)."""
        plus = self._plus
        if not plus and self._can_plus and self._ctx.wants_attrs:
            plus = self._plus = True
        gate = self._gate
        gate.enter("dingofs_readdir", self._path)
        try:
            n, blob, inos, types, raw, at_root = self._listing.fetch(plus, self._path)
        finally:
            gate.leave()
        if n == 0:
            self._done = True
            self.close()
            return
        if not inos:
            return
        names: list[Any] = blob.split(b"\0") if self._as_bytes else \
            blob.decode(_FSENC, _FSERR).split("\0")
        names.pop()  # the empty string after the last NUL
        if self._hide_virtual and (self._at_root or at_root):
            self._at_root = True
            hidden = _HIDDEN_AT_ROOT if self._as_bytes else _HIDDEN_AT_ROOT_STR
            keep = [i for i, nm in enumerate(names) if nm not in hidden]
            if len(keep) != len(names):
                names = [names[i] for i in keep]
                inos = [inos[i] for i in keep]
                types = bytes(types[i] for i in keep)
                if raw is not None:
                    st = self._ctx.stride
                    raw = b"".join(raw[i * st:(i + 1) * st] for i in keep)
        extend(_entries(self._ctx, names, inos, types, raw))

    def close(self) -> None:
        """Release the directory handle (idempotent)."""
        if self._gate.forked:
            self._done = True
            return
        if not self._gate.shut():
            return
        self._pending.clear()
        self._mount.forget_iter(self)
        try:
            # Under the client's gate: a client stopping meanwhile either waits for
            # this call or refuses it (its unmount then releases the handle).
            with self._mount.use("dingofs_closedir", self._path):
                self._mount.session.closedir(self._dh, self._path)
        except DingofsError as exc:
            if exc.errno not in (_errno.EBADF, _errno.ENOTCONN):
                raise

    def __enter__(self) -> ScandirIterator[AnyPathStr]:
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


def drain(it: ScandirIterator[Any]) -> list[DirEntry[Any]]:
    """Every remaining entry of ``it`` at once (what ``listdir`` returns)."""
    out = list(it._pending)
    it._pending.clear()
    while not (it._gate.closed or it._done):
        it._fetch(out.extend)
    if it._gate.forked:
        raise stopped_error("dingofs_readdir", it._path, forked=True, what="scandir iterator")
    return out


def walk(client: Client, scandir: Callable[[Any, bool | None, int], ScandirIterator[Any]],
         top: Any, topdown: bool = True,
         onerror: Callable[[OSError], Any] | None = None,
         followlinks: bool = False) -> Iterator[tuple[Any, list[Any], list[Any]]]:
    """Generate ``(dirpath, dirnames, filenames)`` like :func:`os.walk`; ``scandir(path,
    plus, batch)`` opens the listing of a directory."""
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
        links: set[Any] = set()
        real_dirs: set[Any] = set()
        try:
            it = scandir(dirpath, False, _WALK_BATCH)
        except OSError as exc:
            _walk_error(exc, onerror)
            continue
        with it:
            while True:
                try:
                    entry = next(it)
                except StopIteration:
                    break
                except OSError as exc:
                    _walk_error(exc, onerror)
                    break
                # The rest of the fetched batch at once, without a next() call each.
                pending = it._pending
                batch = [entry]
                batch.extend(pending)
                pending.clear()
                for entry in batch:
                    dt = entry._dtype
                    if dt == _DT_DIR:  # a directory, not a link: no call needed
                        dirs.append(entry.name)
                        real_dirs.add(entry.name)
                        if not topdown:
                            walk_dirs.append(entry.path)
                        continue
                    if dt in _DT_NONDIR:
                        nondirs.append(entry.name)
                        continue
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


def _walk_error(exc: OSError, onerror: Callable[[OSError], Any] | None) -> None:
    """Hand an error of listing a directory in :func:`walk` to ``onerror``; a stopped
    client's (``ENOTCONN``) is raised instead."""
    if isinstance(exc, DingofsError) and exc.errno == _errno.ENOTCONN:
        raise exc
    if onerror is not None:
        onerror(exc)


def _is_link(client: Client, path: Any) -> bool:
    try:
        return client.islink(path)
    except DingofsError as exc:
        if exc.errno == _errno.ENOTCONN:
            raise
        return False
