"""fsspec filesystem for DingoFS: ``dingofs://NAME/path``.

Registered under the protocol ``dingofs`` through the ``fsspec.specs`` entry
point, so ``fsspec.open("dingofs://NAME/a.csv")``, ``pandas.read_csv`` and
pyarrow (through pandas or ``filesystem=``) work once this package and fsspec
are installed.

Connection options come from ``storage_options`` (``mds_addrs``, ``fs_name``,
``mount_point``, ``base_dir``, ``conf_file``, ``log_dir``), else from the
environment (``DINGOFS_MDS_ADDRS``, ``DINGOFS_FS_NAME``,
``DINGOFS_MOUNT_POINT``, ``DINGOFS_BASE_DIR``, ``DINGOFS_LOG_DIR``); without
them ``NAME`` is mounted through the embedded engine (``local://NAME``). The
client is made on first use, and again in a child process after ``fork`` or
unpickling, so instances can be handed to worker processes.

Paths inside an instance are absolute (``/dir/file``); the URL host part is the
filesystem name. Writes create missing parent directories (``auto_mkdir``,
default true, as object stores behave).
"""
from __future__ import annotations

import atexit
import contextlib
import datetime
import errno
import io
import os
import posixpath
import stat as stat_mod
import threading
import uuid
import weakref
from typing import TYPE_CHECKING, Any

from fsspec.callbacks import DEFAULT_CALLBACK, Callback
from fsspec.spec import AbstractBufferedFile, AbstractFileSystem
from fsspec.utils import isfilelike, stringify_path

from dingofs._util import copy_stream
from dingofs.errors import same_file_error
from dingofs.path import URL_SCHEME, ConnectionSettings, split_url

if TYPE_CHECKING:  # pragma: no cover - typing only
    from dingofs.client import Client
    from dingofs.types import Attr

__all__ = ["DingoFileSystem", "DingoBufferedFile"]

#: Size of one chunk of a streamed copy, put or get.
COPY_CHUNK = 8 * 1024 * 1024

Info = dict[str, Any]


def _has_magic(path: str) -> bool:
    return any(c in path for c in "*?[")


#: Instances that built a client in this process (stopped at exit).
_built: weakref.WeakSet[DingoFileSystem] = weakref.WeakSet()
_exit_hook_pid: int | None = None


def _stop_at_exit(fs: DingoFileSystem) -> None:
    """Stop ``fs``'s client when the interpreter exits: fsspec caches
    instances and nobody closes them, and a client left running would warn
    that it was not stopped.

    The hook is registered after the client exists, so it runs before the
    clients' own safety net (exit hooks run in reverse order).
    """
    global _exit_hook_pid
    _built.add(fs)
    if _exit_hook_pid != os.getpid():
        _exit_hook_pid = os.getpid()
        atexit.register(_close_built)


def _close_built() -> None:
    for fs in list(_built):
        with contextlib.suppress(Exception):  # never raise at exit
            fs.close()


class _StripProtocol:
    """``DingoFileSystem._strip_protocol``: :meth:`DingoFileSystem._strip_url`
    when looked up on the class, :meth:`DingoFileSystem._strip_own` (which also
    checks the filesystem name of a URL) on an instance."""

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return owner._strip_url
        return obj._strip_own


class DingoFileSystem(AbstractFileSystem):  # type: ignore[misc,unused-ignore]  # untyped base
    """A DingoFS filesystem as an fsspec ``AbstractFileSystem``.

    :param fs_name: filesystem name (the host part of ``dingofs://NAME/...``).
    :param mds_addrs: ``host:port,...`` of a cluster or a ``local://`` address;
        default ``$DINGOFS_MDS_ADDRS``, else ``local://NAME``.
    :param mount_point: mount point label; default ``$DINGOFS_MOUNT_POINT``.
    :param base_dir: base directory of embedded filesystems.
    :param conf_file: configuration file for the client.
    :param log_dir: log directory (no log file when empty).
    :param client: an existing :class:`dingofs.Client` to use instead of
        building one (the instance then neither stops it nor can be pickled).
    :param auto_mkdir: create missing parent directories on writes.
    :param default_cache_type: fsspec cache used for reads (e.g.
        ``"readahead"``, ``"blockcache"``); ``None`` (default) reads straight
        from a :class:`dingofs.DingoFile`. ``open(..., cache_type=...)``
        chooses per file.
    """

    protocol = URL_SCHEME
    root_marker = "/"

    def __init__(
        self,
        fs_name: str | None = None,
        mds_addrs: str | None = None,
        mount_point: str | None = None,
        *,
        base_dir: str | None = None,
        conf_file: str | None = None,
        log_dir: str | None = None,
        client: Client | None = None,
        auto_mkdir: bool = True,
        default_cache_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if client is not None:
            name = fs_name or getattr(client, "fs_name", None) or "client"
            self.settings: ConnectionSettings | None = None
            self.fs_name: str = str(name)
        else:
            self.settings = ConnectionSettings.resolve(
                fs_name,
                mds_addrs,
                mount_point,
                base_dir=base_dir,
                conf_file=conf_file,
                log_dir=log_dir,
            )
            self.fs_name = self.settings.fs_name
        self.auto_mkdir = auto_mkdir
        self.default_cache_type = default_cache_type
        self._external = client
        self._client: Client | None = client
        self._client_pid = os.getpid()
        self._lock = threading.Lock()
        self._lock_pid = os.getpid()

    # -- connection --------------------------------------------------------
    @property
    def client(self) -> Client:
        """The mounted :class:`dingofs.Client` (built on first use, and again
        in a new process)."""
        pid = os.getpid()
        current = self._client
        if current is not None and (self._external is not None or self._client_pid == pid):
            return current
        if self._lock_pid != pid:  # a lock inherited through fork may be held
            self._lock = threading.Lock()
            self._lock_pid = pid
        with self._lock:
            if self._client is not None and self._client_pid == pid:
                return self._client
            if self.settings is None:
                raise RuntimeError(
                    "this DingoFileSystem wraps a client of another process; "
                    "build it from connection options instead"
                )
            self._client = self.settings.connect()
            self._client_pid = pid
            _stop_at_exit(self)
            return self._client

    def close(self) -> None:
        """Stop the client this instance built (a given client is left alone)."""
        client, self._client = self._client, None
        if client is not None and self._external is None and self._client_pid == os.getpid():
            client.stop()
        if self._external is not None:
            self._client = self._external

    @property
    def fsid(self) -> str:
        """A stable identifier of the filesystem this instance addresses."""
        addrs = self.settings.mds_addrs if self.settings is not None else "client"
        return f"dingofs_{addrs}_{self.fs_name}"

    # -- paths -------------------------------------------------------------
    @classmethod
    def _strip_url(cls, path: Any) -> Any:
        """The path part of ``dingofs://NAME/path`` (or of a list of them), with
        no check of ``NAME``."""
        if isinstance(path, list):
            return [cls._strip_url(p) for p in path]
        _, path = cls._split(path)
        return path

    @staticmethod
    def _split(path: Any) -> tuple[str | None, str]:
        path = stringify_path(path)
        if path.startswith(URL_SCHEME + "::"):
            path = path[len(URL_SCHEME) + 2:]
        name, path = split_url(path)
        while "//" in path:
            path = path.replace("//", "/")
        if len(path) > 1:
            path = path.rstrip("/") or "/"
        return name, path

    def _strip_own(self, path: Any) -> Any:
        """:meth:`_strip_url`, also checking that a URL names this instance's
        filesystem.

        :raises ValueError: if ``path`` is a ``dingofs://`` URL of another
            filesystem.
        """
        if isinstance(path, list):
            return [self._strip_own(p) for p in path]
        name, stripped = self._split(path)
        if name is not None and name != self.fs_name:
            raise ValueError(
                f"{stringify_path(path)!r} names filesystem {name!r}, but this "
                f"{type(self).__name__} serves {self.fs_name!r} (use "
                f"fsspec.url_to_fs or DingoFileSystem({name!r}) for it)"
            )
        return stripped

    #: fsspec's ``_strip_protocol``: on the class (as :func:`fsspec.core.url_to_fs`
    #: calls it) the path part of a URL; on an instance, the same after checking
    #: that a URL's ``NAME`` is this instance's filesystem (:class:`ValueError`
    #: otherwise), so a URL of another filesystem is never served by this one.
    _strip_protocol = _StripProtocol()

    @staticmethod
    def _get_kwargs_from_urls(path: str) -> dict[str, Any]:
        name, _ = split_url(stringify_path(path))
        return {"fs_name": name} if name else {}

    def unstrip_protocol(self, name: str) -> str:
        """The full URL (``dingofs://NAME/path``) of a path of this filesystem;
        the inverse of ``_strip_protocol``.

        :param name: a path of this filesystem, or a URL of it.
        :returns: the URL naming this instance's filesystem.
        :raises ValueError: if ``name`` is a URL of another filesystem.
        """
        path = self._strip_own(name)
        return f"{URL_SCHEME}://{self.fs_name}{path}"

    def exists(self, path: Any, **kwargs: Any) -> bool:
        """Whether ``path`` exists (a broken symlink counts, as in fsspec).

        :raises ValueError: if ``path`` is a URL of another filesystem.
        :param path: a path or ``dingofs://NAME/...`` URL of this filesystem.
        :param kwargs: ignored.
        :returns: whether it exists.
        """
        path = self._strip_own(path)
        return bool(super().exists(path, **kwargs))

    # -- metadata ----------------------------------------------------------
    def _info_from(self, path: str, attr: Attr, follow: Attr | None = None) -> Info:
        islink = stat_mod.S_ISLNK(attr.st_mode)
        target = follow if follow is not None else attr
        mode = int(target.st_mode)
        if stat_mod.S_ISDIR(mode):
            kind = "directory"
        elif stat_mod.S_ISREG(mode):
            kind = "file"
        else:
            kind = "other"
        info: Info = {
            "name": path,
            "size": int(target.st_size),
            "type": kind,
            "created": float(target.st_ctime),
            "mtime": float(target.st_mtime),
            "islink": islink,
            "mode": mode,
            "uid": int(target.st_uid),
            "gid": int(target.st_gid),
            "ino": int(target.st_ino),
            "nlink": int(target.st_nlink),
        }
        if islink:
            with contextlib.suppress(OSError):
                info["destination"] = str(self.client.readlink(path))
        return info

    def _info_path(self, path: str, attr: Attr) -> Info:
        follow: Attr | None = None
        if stat_mod.S_ISLNK(attr.st_mode):
            try:
                follow = self.client.stat(path)
            except OSError:
                follow = None
        return self._info_from(path, attr, follow)

    def info(self, path: Any, **kwargs: Any) -> Info:
        """Details of one path (``name``, ``size``, ``type``, ``mtime``, ...).

        :param path: a path or ``dingofs://NAME/...`` URL of this filesystem.
        :returns: the details.
        :raises FileNotFoundError: if it does not exist.
        :raises ValueError: if ``path`` is a URL of another filesystem.
        """
        path = self._strip_protocol(path)
        return self._info_path(path, self.client.lstat(path))

    def ls(self, path: Any, detail: bool = True, **kwargs: Any) -> list[Any]:
        """List a directory (or a single file) with or without details.

        :param path: a path or ``dingofs://NAME/...`` URL of this filesystem.
        :param detail: return details (dicts) instead of names.
        :returns: the entries, sorted by name.
        :raises FileNotFoundError: if it does not exist.
        """
        path = self._strip_protocol(path)
        client = self.client
        try:
            # With details, every entry's attributes come with the listing
            # (readdirplus) instead of one lstat per entry afterwards.
            with client.scandir(path, attrs=bool(detail)) as it:
                entries = [(str(e.name), e) for e in it]
        except NotADirectoryError:
            return [self.info(path)] if detail else [path]
        out: list[Any] = []
        for name, entry in sorted(entries, key=lambda pair: pair[0]):
            full = posixpath.join(path, name)
            if not detail:
                out.append(full)
                continue
            try:
                attr = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # vanished while listing
                continue
            out.append(self._info_path(full, attr))
        return out

    def modified(self, path: Any) -> datetime.datetime:
        """Last modification time (UTC, timezone-aware).

        :param path: a path or ``dingofs://NAME/...`` URL of this filesystem.
        :returns: the modification time.
        :raises FileNotFoundError: if it does not exist.
        """
        attr = self.client.stat(self._strip_protocol(path))
        return datetime.datetime.fromtimestamp(attr.st_mtime_ns / 1e9, tz=datetime.timezone.utc)

    def created(self, path: Any) -> datetime.datetime:
        """Inode change time (DingoFS keeps no birth time), UTC.

        :param path: a path or ``dingofs://NAME/...`` URL of this filesystem.
        :returns: the inode change time.
        :raises FileNotFoundError: if it does not exist.
        """
        attr = self.client.stat(self._strip_protocol(path))
        return datetime.datetime.fromtimestamp(attr.st_ctime_ns / 1e9, tz=datetime.timezone.utc)

    def chmod(self, path: Any, mode: int) -> None:
        """Change the permission bits of a path.

        :param path: a path or ``dingofs://NAME/...`` URL of this filesystem.
        :param mode: the permission bits.
        :raises FileNotFoundError: if it does not exist.
        """
        self.client.chmod(self._strip_protocol(path), mode)

    # -- directories -------------------------------------------------------
    def mkdir(self, path: Any, create_parents: bool = True, **kwargs: Any) -> None:
        """Create a directory (and its parents unless ``create_parents=False``).

        :raises FileExistsError: if the path exists.
        :param path: a path or ``dingofs://NAME/...`` URL of this filesystem.
        :param create_parents: create missing parents too.
        """
        path = self._strip_protocol(path)
        if create_parents:
            self.client.makedirs(path, exist_ok=False)
        else:
            self.client.mkdir(path)

    def makedirs(self, path: Any, exist_ok: bool = False) -> None:
        """Create a directory and its parents, like :func:`os.makedirs`.

        :param path: a path or ``dingofs://NAME/...`` URL of this filesystem.
        :param exist_ok: do not fail if it exists.
        :raises FileExistsError: if it exists and not ``exist_ok``.
        """
        path = self._strip_protocol(path)
        if path == "/":
            if not exist_ok:
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), path)
            return
        self.client.makedirs(path, exist_ok=exist_ok)

    def rmdir(self, path: Any) -> None:
        """Remove an empty directory.

        :param path: a path or ``dingofs://NAME/...`` URL of this filesystem.
        :raises OSError: ``ENOTEMPTY`` for a directory that is not empty.
        """
        self.client.rmdir(self._strip_protocol(path))

    def _ensure_parent(self, path: str) -> None:
        if self.auto_mkdir:
            parent = posixpath.dirname(path)
            if parent and parent != "/":
                self.client.makedirs(parent, exist_ok=True)

    # -- removal -----------------------------------------------------------
    def rm_file(self, path: Any) -> None:
        """Remove a file, link or empty directory.

        :param path: a path or ``dingofs://NAME/...`` URL of this filesystem.
        :raises FileNotFoundError: if it does not exist.
        """
        path = self._strip_protocol(path)
        try:
            self.client.unlink(path)
        except IsADirectoryError:
            self.client.rmdir(path)

    def _rm(self, path: Any) -> None:
        self.rm_file(path)

    def _rmtree(self, path: str) -> None:
        client = self.client
        if path != "/":
            client.rmtree(path)
            return
        for entry in client.listdir("/"):
            child = "/" + str(entry.name)
            # The listing's d_type answers this without a call (lstat when unknown).
            if entry.is_dir(follow_symlinks=False):
                client.rmtree(child)
            else:
                client.unlink(child)

    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        """Remove files, and directory trees with ``recursive=True``.

        Accepts a path, a glob pattern or a list of them.

        :param path: a path, URL, glob pattern, or a list of them.
        :param recursive: remove directories with their contents.
        :param maxdepth: how deep a recursive removal goes (``None``: all the way).
        :raises IsADirectoryError: for a directory without ``recursive``.
        :raises FileNotFoundError: if a path does not exist.
        """
        if isinstance(path, str) and not _has_magic(path) and maxdepth is None:
            paths = [self._strip_protocol(path)]
        else:
            paths = self.expand_path(path, recursive=recursive, maxdepth=maxdepth)
        client = self.client
        removed: set[str] = set()
        for p in sorted(paths, key=len, reverse=True):
            if any(p == r or p.startswith(r.rstrip("/") + "/") for r in removed):
                continue
            attr = client.lstat(p)
            if stat_mod.S_ISDIR(attr.st_mode):
                if recursive and maxdepth is None:
                    self._rmtree(p)
                elif recursive:
                    try:
                        client.rmdir(p)
                    except OSError as exc:
                        if exc.errno != errno.ENOTEMPTY:
                            raise
                        continue
                else:
                    raise IsADirectoryError(
                        errno.EISDIR, "Is a directory (use recursive=True)", p
                    )
            else:
                client.unlink(p)
            removed.add(p)

    # -- move and copy -----------------------------------------------------
    def mv(
        self,
        path1: Any,
        path2: Any,
        recursive: bool = False,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Move inside the filesystem by renaming (no data is copied).

        A single source moves into ``path2`` when that is an existing directory
        or ends with ``/``; lists and glob patterns behave like
        :meth:`copy` followed by :meth:`rm`.

        :param path1: the source: a path, URL, glob pattern or list.
        :param path2: the destination.
        :param recursive: move directories (for lists and patterns).
        :param maxdepth: how deep patterns expand.
        :raises FileNotFoundError: if the source does not exist.
        """
        if not (isinstance(path1, str) and isinstance(path2, str)) or _has_magic(path1):
            super().mv(path1, path2, recursive=recursive, maxdepth=maxdepth, **kwargs)
            return
        into = path2.endswith("/")
        src = self._strip_protocol(path1)
        dst = self._strip_protocol(path2)
        if src == dst:
            return
        client = self.client
        if into or client.isdir(dst):
            dst = posixpath.join(dst, posixpath.basename(src))
        client.lstat(src)  # the source must exist before parents are made
        self._ensure_parent(dst)
        client.rename(src, dst)

    def cp_file(self, path1: Any, path2: Any, **kwargs: Any) -> None:
        """Copy one file inside the filesystem.

        Uses the library's server-side copy where it has one (the embedded
        engine's copy extension), else streams the data through this process.
        A directory source creates the target directory.

        :raises dingofs.SameFileError: (a :class:`shutil.SameFileError`, as the
            local filesystem raises) when ``path2`` is the file ``path1`` names
            (another spelling, a hard link or a symlink to it); the data are
            left alone.
        :param path1: the source file.
        :param path2: the destination.
        :raises FileNotFoundError: if the source does not exist.
        """
        src = self._strip_protocol(path1)
        dst = self._strip_protocol(path2)
        client = self.client
        if stat_mod.S_ISDIR(client.stat(src).st_mode):
            self.makedirs(dst, exist_ok=True)
            return
        self._ensure_parent(dst)
        _copy_within(client, src, dst)

    # -- whole-file data ---------------------------------------------------
    def cat_file(
        self, path: Any, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        """The file's bytes, or the range ``[start, end)`` (negative values count
        from the end, as in fsspec).

        :param path: a path or ``dingofs://NAME/...`` URL of this filesystem.
        :param start: the first byte (negative: from the end).
        :param end: the byte after the last one (negative: from the end).
        :returns: the bytes.
        :raises FileNotFoundError: if it does not exist.
        """
        path = self._strip_protocol(path)
        with self.client.open(path, "rb") as f:
            if start is None and end is None:
                return bytes(f.read())
            size = int(f.stat().st_size)
            lo = 0 if start is None else (max(0, size + start) if start < 0 else start)
            hi = size if end is None else (max(0, size + end) if end < 0 else min(end, size))
            if hi <= lo:
                return b""
            chunks: list[bytes] = []
            pos = lo
            while pos < hi:
                data = f.pread(hi - pos, pos)
                if not data:
                    break
                chunks.append(bytes(data))
                pos += len(data)
            return b"".join(chunks)

    def pipe_file(self, path: Any, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        """Write ``value`` as the file's whole contents (``mode="create"``: fail
        if it exists).

        :param path: a path or ``dingofs://NAME/...`` URL of this filesystem.
        :param value: the bytes to write.
        :param mode: ``"overwrite"`` or ``"create"``.
        :raises FileExistsError: with ``mode="create"`` when it exists.
        """
        path = self._strip_protocol(path)
        self._ensure_parent(path)
        with self.client.open(path, "xb" if mode == "create" else "wb") as f:
            f.write(value)

    def touch(self, path: Any, truncate: bool = True, **kwargs: Any) -> None:
        """Create an empty file, or (``truncate=False``) update its mtime.

        :param path: a path or ``dingofs://NAME/...`` URL of this filesystem.
        :param truncate: empty an existing file (default) instead of updating its mtime.
        """
        path = self._strip_protocol(path)
        client = self.client
        if not truncate:
            try:
                client.utime(path)
                return
            except FileNotFoundError:
                pass
        self._ensure_parent(path)
        with client.open(path, "wb"):
            pass

    # -- local transfers -----------------------------------------------------
    def put_file(
        self,
        lpath: Any,
        rpath: Any,
        callback: Callback = DEFAULT_CALLBACK,
        mode: str = "overwrite",
        **kwargs: Any,
    ) -> None:
        """Upload one local file (a local directory creates the remote one),
        reporting progress to ``callback``.

        :param lpath: the local file.
        :param rpath: the destination in this filesystem.
        :param callback: an fsspec :class:`~fsspec.callbacks.Callback`.
        :param mode: ``"overwrite"`` or ``"create"``.
        :raises FileNotFoundError: if ``lpath`` does not exist.
        """
        rpath = self._strip_protocol(rpath)
        lpath = os.fspath(lpath)
        if os.path.isdir(lpath):
            self.makedirs(rpath, exist_ok=True)
            return
        client = self.client
        with open(lpath, "rb") as src:
            size = os.fstat(src.fileno()).st_size
            callback.set_size(size)
            self._ensure_parent(rpath)
            with client.open(rpath, "xb" if mode == "create" else "wb") as dst:
                copy_stream(src, dst.write, min(COPY_CHUNK, max(size, 1)),
                            callback.relative_update)

    def get_file(
        self,
        rpath: Any,
        lpath: Any,
        callback: Callback = DEFAULT_CALLBACK,
        outfile: Any = None,
        **kwargs: Any,
    ) -> None:
        """Download one file to the local disk (a directory creates the local
        one), reporting progress to ``callback``.

        :param rpath: the file in this filesystem.
        :param lpath: the local destination (or an open file).
        :param callback: an fsspec :class:`~fsspec.callbacks.Callback`.
        :param outfile: an open binary file to write instead of ``lpath``.
        :raises FileNotFoundError: if ``rpath`` does not exist.
        """
        rpath = self._strip_protocol(rpath)
        client = self.client
        if outfile is None and isfilelike(lpath):
            outfile = lpath
        elif outfile is None and client.isdir(rpath):
            os.makedirs(lpath, exist_ok=True)
            return
        with client.open(rpath, "rb") as src:
            size = int(src.stat().st_size)
            callback.set_size(size)
            close_out = outfile is None
            if close_out:
                lpath = os.fspath(lpath)
                parent = os.path.dirname(lpath)
                if parent:
                    os.makedirs(parent, exist_ok=True)
                outfile = open(lpath, "wb")  # noqa: SIM115 - closed below
            try:
                copy_stream(src, outfile.write, min(COPY_CHUNK, max(size, 1)),
                            callback.relative_update)
            finally:
                if close_out:
                    outfile.close()

    # -- files -------------------------------------------------------------
    def _open(
        self,
        path: Any,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        cache_type: str | None = None,
        **kwargs: Any,
    ) -> Any:
        path = self._strip_protocol(path)
        client = self.client
        reading = "r" in mode and "+" not in mode
        if reading:
            ctype = cache_type or self.default_cache_type
            if ctype is not None:
                return DingoBufferedFile(
                    self,
                    path,
                    mode="rb",
                    block_size=block_size or "default",
                    cache_type=ctype,
                    cache_options=cache_options,
                )
            f = _fsspec_file(client.open(path, mode))
            try:
                # fsspec's files know their size (fs.read_block and others use it).
                f.size = int(f.stat().st_size)
            except BaseException:
                f.close()
                raise
            return f
        if "r" not in mode:
            self._ensure_parent(path)
        if not autocommit and mode in ("wb", "xb"):
            return _DeferredFile(client, path, mode)
        return _fsspec_file(client.open(path, mode))


class DingoBufferedFile(AbstractBufferedFile):  # type: ignore[misc,unused-ignore]  # untyped base
    """A read-only file served through one of fsspec's caches (``readahead``,
    ``blockcache``, ``bytes``, ...), fetching ranges with ``pread`` on one
    open :class:`dingofs.DingoFile`."""

    def __init__(self, fs: DingoFileSystem, path: str, **kwargs: Any) -> None:
        self._raw = _fsspec_file(fs.client.open(path, "rb"))
        try:
            super().__init__(fs, path, **kwargs)
        except BaseException:
            self._raw.close()
            raise

    def _fetch_range(self, start: int, end: int) -> bytes:
        chunks: list[bytes] = []
        pos = start
        while pos < end:
            data = self._raw.pread(end - pos, pos)
            if not data:
                break
            chunks.append(bytes(data))
            pos += len(data)
        return b"".join(chunks)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


class _DeferredFile(io.BufferedWriter):
    """A file written inside an fsspec transaction: data goes to a hidden
    temporary name next to the target and is renamed over it on commit."""

    def __init__(self, client: Client, path: str, mode: str) -> None:
        directory, base = posixpath.split(path)
        self._client = client
        self._target = path
        self._exclusive = mode == "xb"
        if self._exclusive and client.exists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), path)
        self._tmp = posixpath.join(directory, f".{base}.{uuid.uuid4().hex}.tmp")
        super().__init__(_fsspec_file(client.open(self._tmp, "xb")))

    def commit(self) -> None:
        """Publish the data under the target name."""
        self.close()
        if self._exclusive and self._client.exists(self._target):
            self.discard()
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), self._target)
        self._client.rename(self._tmp, self._target)

    def discard(self) -> None:
        """Throw the data away."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self._client.unlink(self._tmp)


def _fsspec_file(f: Any) -> Any:
    """``f`` (a :class:`dingofs.DingoFile`), made to close quietly when dropped
    open, as fsspec's own files do."""
    f._warn_unclosed = False
    return f


def _copy_within(client: Client, src: str, dst: str) -> None:
    """Copy file ``src`` to ``dst`` inside one filesystem: the client's copy
    (server-side where the library offers it), else a stream through here.

    Both refuse to copy a file onto itself (:class:`dingofs.SameFileError`)
    before ``dst`` is opened for writing.
    """
    copier = getattr(client, "copy", None)
    if callable(copier):
        copier(src, dst)
        return
    with client.open(src, "rb") as fin:
        try:
            there: Attr | None = client.stat(dst)
        except OSError:  # missing (or unusable: opening it reports that)
            there = None
        if there is not None:
            here = fin.stat()
            if (there.st_dev, there.st_ino) == (here.st_dev, here.st_ino):
                raise same_file_error(src, dst)
        with client.open(dst, "wb") as fout:
            copy_stream(fin, fout.write, COPY_CHUNK)
