"""Connection settings shared by the ecosystem layer, and :class:`DingoPath`.

This module holds two things used by the fsspec filesystem, the command-line
tool and user code:

* :class:`ConnectionSettings` turns explicit options and environment variables
  into the arguments of :meth:`dingofs.Client.build`, defaulting to the embedded
  engine (``local://NAME``);
* :class:`DingoPath`, a :mod:`pathlib`-style object bound to one client.

Nothing here imports the compiled bridge at import time: the client class is
imported lazily when a connection is made.
"""
from __future__ import annotations

import errno
import fnmatch
import io
import os
import re
import stat as stat_mod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Callable, Literal, overload

if TYPE_CHECKING:  # pragma: no cover - typing only
    from dingofs.client import Client
    from dingofs.file import DingoFile
    from dingofs.types import Attr, LocalFilesystem

#: :meth:`DingoPath.open` modes that give text (no ``b``, as in :mod:`pathlib`).
PathTextMode = Literal[
    "r", "w", "a", "x", "r+", "w+", "a+", "x+",
    "rt", "wt", "at", "xt", "r+t", "w+t", "a+t", "x+t", "rt+", "wt+", "at+", "xt+",
]
#: :meth:`DingoPath.open` modes that give bytes.
PathBinaryMode = Literal[
    "rb", "wb", "ab", "xb", "r+b", "w+b", "a+b", "x+b", "rb+", "wb+", "ab+", "xb+",
    "br", "bw", "ba", "bx",
]

__all__ = [
    "ENV_MDS_ADDRS",
    "ENV_FS_NAME",
    "ENV_MOUNT_POINT",
    "ENV_BASE_DIR",
    "ENV_LOG_DIR",
    "URL_SCHEME",
    "ConnectionSettings",
    "DingoPath",
    "default_base_dir",
    "split_url",
]

#: Environment variable holding the MDS addresses (``host:port,...`` or ``local://NAME``).
ENV_MDS_ADDRS = "DINGOFS_MDS_ADDRS"
#: Environment variable holding the filesystem name.
ENV_FS_NAME = "DINGOFS_FS_NAME"
#: Environment variable holding the mount point label.
ENV_MOUNT_POINT = "DINGOFS_MOUNT_POINT"
#: Environment variable naming the base directory of embedded filesystems.
ENV_BASE_DIR = "DINGOFS_BASE_DIR"
#: Environment variable naming a log directory; when set, clients write a log file there.
ENV_LOG_DIR = "DINGOFS_LOG_DIR"
#: URL scheme of DingoFS paths (``dingofs://NAME/path``).
URL_SCHEME = "dingofs"


def _engine_info(mds_addrs: str) -> LocalFilesystem:
    """The engine's reading of a ``local://`` address, from the address alone."""
    from dingofs import _calls

    backend = _calls.local_engine()
    raw = mds_addrs.encode("utf-8", "surrogateescape")
    return _calls.local_info(backend, raw, parse_only=True, shown=mds_addrs)


def default_base_dir(environ: Mapping[str, str] | None = None) -> str:
    """Base directory of embedded filesystems, as the engine chooses it.

    ``$DINGOFS_BASE_DIR`` if set, else ``/var/dingo`` for root and ``~/.dingo``
    for other users. The embedded engine answers (the rule is its own).

    :param environ: an environment whose ``DINGOFS_BASE_DIR``, when set, is used
        instead of this process's; without it there the engine's choice for this
        process applies.
    :returns: the base directory.
    :raises DingofsError: ``EPROTONOSUPPORT`` when the embedded engine is not loaded.
    """
    from dingofs import _calls

    backend = _calls.local_engine()
    base = environ.get(ENV_BASE_DIR, "") if environ is not None else ""
    return _calls.local_base_dir(backend, os.fsencode(base) if base else None)


def valid_local_name(name: str) -> bool:
    """Whether ``name`` is a valid embedded filesystem name (the engine decides).

    :raises DingofsError: ``EPROTONOSUPPORT`` when the embedded engine is not loaded.
    """
    if not isinstance(name, str) or not name or "\0" in name:
        return False
    try:
        return _engine_info("local://" + name).name == name
    except OSError as exc:
        if exc.errno == errno.EINVAL:
            return False
        raise


def split_url(url: str) -> tuple[str | None, str]:
    """Split ``dingofs://NAME/path`` into ``(NAME, "/path")``.

    A plain path gives ``(None, path)`` with a leading ``/`` added;
    ``dingofs:///path`` gives ``(None, "/path")``.

    :param url: a ``dingofs://`` URL or a plain path.
    :returns: ``(NAME or None, absolute path)``.
    """
    prefix = URL_SCHEME + "://"
    name: str | None = None
    path = url
    if url.startswith(prefix):
        rest = url[len(prefix):]
        netloc, sep, tail = rest.partition("/")
        name = netloc or None
        path = sep + tail
    if not path.startswith("/"):
        path = "/" + path
    return name, path


def _local_name(mds_addrs: str) -> str | None:
    """The ``NAME`` of a ``local://`` address as the engine reads it; ``None`` for
    another kind of address.

    :raises ValueError: for a malformed ``local://`` address (the engine's reason).
    """
    if not mds_addrs.startswith("local://"):
        return None
    try:
        return _engine_info(mds_addrs).name
    except OSError as exc:
        if exc.errno == errno.EINVAL:
            detail = getattr(exc, "detail", "") or "malformed address"
            raise ValueError(f"'{mds_addrs}': {detail}") from exc
        raise


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything :meth:`dingofs.Client.build` needs, resolved once.

    Build instances with :meth:`resolve`, which fills each missing field from
    the environment and then from defaults.
    """

    #: ``host:port,...`` of a cluster, or ``local://NAME[?...]``.
    mds_addrs: str
    #: Filesystem name.
    fs_name: str
    #: Mount point label (used in logs only).
    mount_point: str
    #: Configuration file applied at mount (empty: none).
    conf_file: str = ""
    #: Log directory; empty means no log file is written.
    log_dir: str = ""
    #: Extra keyword arguments for :meth:`dingofs.Client.build`.
    build_kwargs: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def resolve(
        cls,
        fs_name: str | None = None,
        mds_addrs: str | None = None,
        mount_point: str | None = None,
        *,
        base_dir: str | None = None,
        conf_file: str | None = None,
        log_dir: str | None = None,
        environ: Mapping[str, str] | None = None,
        **build_kwargs: Any,
    ) -> ConnectionSettings:
        """Resolve connection settings.

        Each value comes from the argument, else from its environment variable
        (``DINGOFS_MDS_ADDRS``, ``DINGOFS_FS_NAME``, ``DINGOFS_MOUNT_POINT``,
        ``DINGOFS_BASE_DIR``, ``DINGOFS_LOG_DIR``), else from a default: the
        embedded engine ``local://NAME`` and the label ``/dingofs/NAME``.

        :param fs_name: filesystem name.
        :param mds_addrs: MDS addresses or a ``local://`` address.
        :param mount_point: mount point label.
        :param base_dir: base directory of embedded filesystems; added as
            ``base=`` to a ``local://`` address that has none.
        :param conf_file: configuration file for the client.
        :param log_dir: log directory; when empty no log file is written.
        :param environ: environment to read instead of :data:`os.environ`.
        :raises ValueError: when no filesystem name can be found, or the
            ``local://`` address it would come from is malformed.
        :raises DingofsError: ``EPROTONOSUPPORT`` when the name must come from a
            ``local://`` address and the embedded engine is not loaded.
        :returns: the settings, every field filled.
        """
        env = os.environ if environ is None else environ
        addrs = mds_addrs or env.get(ENV_MDS_ADDRS, "")
        name = fs_name or env.get(ENV_FS_NAME, "") or (_local_name(addrs) or "")
        if not name:
            raise ValueError(
                "no filesystem name: give one (dingofs://NAME/..., --fs-name) "
                f"or set {ENV_FS_NAME}"
            )
        if not addrs:
            addrs = f"local://{name}"
        base = base_dir if base_dir is not None else ""
        if base and addrs.startswith("local://") and "base=" not in addrs:
            addrs += ("&" if "?" in addrs else "?") + f"base={base}"
        mount = mount_point or env.get(ENV_MOUNT_POINT, "") or f"/dingofs/{name}"
        logs = log_dir if log_dir is not None else env.get(ENV_LOG_DIR, "")
        return cls(
            mds_addrs=addrs,
            fs_name=name,
            mount_point=mount,
            conf_file=conf_file or "",
            log_dir=logs,
            build_kwargs=dict(build_kwargs),
        )

    @property
    def is_local(self) -> bool:
        """Whether these settings address the embedded engine."""
        return self.mds_addrs.startswith("local://")

    def connect(self) -> Client:
        """Mount the filesystem and return a new :class:`dingofs.Client`.

        :returns: the mounted client (the caller stops it).
        :raises OSError: when the filesystem cannot be mounted (:meth:`dingofs.Client.build`).
        """
        from dingofs import Client

        kwargs: dict[str, Any] = dict(self.build_kwargs)
        kwargs.setdefault("init_logging", bool(self.log_dir))
        return Client.build(
            self.mds_addrs,
            self.fs_name,
            self.mount_point,
            conf_file=self.conf_file,
            log_dir=self.log_dir,
            **kwargs,
        )


# ---------------------------------------------------------------------------
# DingoPath
# ---------------------------------------------------------------------------

_MAGIC = re.compile(r"[*?[]")
#: errno values that mean "does not exist" for exists()/is_dir()/is_file().
_IGNORED_ERRNOS = frozenset(
    {errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.ENAMETOOLONG, errno.EBADF}
)


class DingoPath:
    """A path inside one DingoFS filesystem, with the :class:`pathlib.Path` API.

    ``DingoPath(client, "/data", "x.csv")`` names ``/data/x.csv`` on the
    filesystem of ``client``. Paths are always absolute (a relative path starts
    at the filesystem root); ``..`` is kept as written and resolved by the
    library. Derived paths (``/``, ``parent``, ``iterdir``, ``glob``) share the
    client. The object deliberately has no ``__fspath__``: handing it to
    :func:`open` or :mod:`os` would address the local disk.

    :param client: the :class:`dingofs.Client` to use.
    :param segments: path segments joined like :class:`pathlib.PurePosixPath`.
    """

    __slots__ = ("_client", "_pure")
    _client: Client
    _pure: PurePosixPath

    def __init__(self, client: Client, *segments: str | DingoPath | PurePosixPath) -> None:
        parts: list[str | PurePosixPath] = []
        for seg in segments:
            if isinstance(seg, DingoPath):
                parts.append(seg._pure)
            elif isinstance(seg, (str, PurePosixPath)):
                parts.append(seg)
            else:
                raise TypeError(
                    f"DingoPath segments must be str or DingoPath, not {type(seg).__name__}"
                )
        self._client = client
        self._pure = PurePosixPath("/", *parts)

    def _new(self, pure: PurePosixPath) -> DingoPath:
        obj = DingoPath.__new__(DingoPath)
        obj._client = self._client
        obj._pure = PurePosixPath("/", pure)
        return obj

    # -- pure path behaviour ------------------------------------------------
    @property
    def client(self) -> Client:
        """The client this path belongs to."""
        return self._client

    @property
    def path(self) -> str:
        """The path as a string inside the filesystem (``/a/b``)."""
        return str(self._pure)

    def __str__(self) -> str:
        return str(self._pure)

    def __repr__(self) -> str:
        return f"DingoPath({str(self._pure)!r})"

    def __hash__(self) -> int:
        return hash((id(self._client), self._pure))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DingoPath):
            return NotImplemented
        return self._client is other._client and self._pure == other._pure

    def __lt__(self, other: DingoPath) -> bool:
        if not isinstance(other, DingoPath):
            return NotImplemented
        return self._pure < other._pure

    def __truediv__(self, key: str | PurePosixPath) -> DingoPath:
        if not isinstance(key, (str, PurePosixPath)):
            return NotImplemented
        return self._new(self._pure / key)

    def joinpath(self, *segments: str | PurePosixPath) -> DingoPath:
        """Join segments to this path.

        :returns: the joined path on the same client.
        """
        return self._new(self._pure.joinpath(*segments))

    @property
    def name(self) -> str:
        """The final component (empty for the root)."""
        return self._pure.name

    @property
    def suffix(self) -> str:
        """The final component's last suffix."""
        return self._pure.suffix

    @property
    def suffixes(self) -> list[str]:
        """The final component's suffixes."""
        return self._pure.suffixes

    @property
    def stem(self) -> str:
        """The final component without its suffix."""
        return self._pure.stem

    @property
    def parts(self) -> tuple[str, ...]:
        """The components, starting with ``/``."""
        return self._pure.parts

    @property
    def anchor(self) -> str:
        """Always ``/``."""
        return self._pure.anchor

    @property
    def root(self) -> str:
        """Always ``/`` (DingoFS paths are absolute; there is no drive)."""
        return self._pure.root

    @property
    def drive(self) -> str:
        """Always ``""``."""
        return self._pure.drive

    @property
    def parent(self) -> DingoPath:
        """The logical parent (the root is its own parent)."""
        return self._new(self._pure.parent)

    @property
    def parents(self) -> tuple[DingoPath, ...]:
        """The logical ancestors, nearest first."""
        return tuple(self._new(p) for p in self._pure.parents)

    def is_absolute(self) -> bool:
        """Always true: DingoFS paths start at the filesystem root.

        :returns: True.
        """
        return True

    def as_posix(self) -> str:
        """The path with forward slashes.

        :returns: the path as a string.
        """
        return self._pure.as_posix()

    def as_uri(self) -> str:
        """A ``dingofs://NAME/path`` URL naming this path.

        :returns: the URL.
        """
        name = getattr(self._client, "fs_name", "") or ""
        return f"{URL_SCHEME}://{name}{self._pure.as_posix()}"

    def with_name(self, name: str) -> DingoPath:
        """This path with the final component replaced.

        :param name: the new final component.
        :returns: the new path.
        :raises ValueError: for the root or an invalid name.
        """
        return self._new(self._pure.with_name(name))

    def with_suffix(self, suffix: str) -> DingoPath:
        """This path with the suffix replaced.

        :param suffix: the new suffix (``".txt"``, or ``""`` to remove it).
        :returns: the new path.
        :raises ValueError: for an invalid suffix.
        """
        return self._new(self._pure.with_suffix(suffix))

    def with_stem(self, stem: str) -> DingoPath:
        """This path with the stem replaced.

        :param stem: the new stem.
        :returns: the new path.
        """
        return self.with_name(stem + self.suffix)

    def relative_to(self, other: str | DingoPath | PurePosixPath) -> PurePosixPath:
        """This path relative to ``other`` (a pure, relative path).

        :raises ValueError: if this path is not under ``other``.
        :param other: the base path.
        :returns: the relative part.
        """
        base = other._pure if isinstance(other, DingoPath) else PurePosixPath("/", other)
        return self._pure.relative_to(base)

    def is_relative_to(self, other: str | DingoPath | PurePosixPath) -> bool:
        """Whether this path is ``other`` or below it.

        :param other: the base path.
        :returns: whether this path is below ``other`` (or is it).
        """
        try:
            self.relative_to(other)
        except ValueError:
            return False
        return True

    def match(self, pattern: str) -> bool:
        """Match against a glob-style pattern, from the right.

        :param pattern: a glob pattern, matched from the right (as :mod:`pathlib`).
        :returns: whether the path matches.
        """
        return self._pure.match(pattern)

    def absolute(self) -> DingoPath:
        """This path (it is already absolute).

        :returns: this path.
        """
        return self

    # -- queries -----------------------------------------------------------
    def stat(self, *, follow_symlinks: bool = True) -> Attr:
        """Attributes of the file (:class:`dingofs.Attr`, like ``os.stat_result``).

        :param follow_symlinks: follow a final symbolic link.
        :returns: the attributes.
        :raises FileNotFoundError: if the path does not exist.
        """
        if follow_symlinks:
            return self._client.stat(self.path)
        return self._client.lstat(self.path)

    def lstat(self) -> Attr:
        """Attributes of the file, not following a final symlink.

        :returns: the attributes of the path itself.
        :raises FileNotFoundError: if the path does not exist.
        """
        return self._client.lstat(self.path)

    def _mode(self, follow_symlinks: bool = True) -> int | None:
        try:
            return int(self.stat(follow_symlinks=follow_symlinks).st_mode)
        except OSError as exc:
            if exc.errno in _IGNORED_ERRNOS:
                return None
            raise
        except ValueError:  # an embedded NUL names nothing (pathlib: False)
            return None

    def exists(self, *, follow_symlinks: bool = True) -> bool:
        """Whether the path exists.

        :param follow_symlinks: a dangling symlink does not exist unless False.
        :returns: whether the path exists (False for a NUL byte in it, as :mod:`pathlib`).
        """
        return self._mode(follow_symlinks) is not None

    def is_dir(self) -> bool:
        """Whether the path is a directory (following symlinks).

        :returns: whether the path is a directory.
        """
        mode = self._mode()
        return mode is not None and stat_mod.S_ISDIR(mode)

    def is_file(self) -> bool:
        """Whether the path is a regular file (following symlinks).

        :returns: whether the path is a regular file.
        """
        mode = self._mode()
        return mode is not None and stat_mod.S_ISREG(mode)

    def is_symlink(self) -> bool:
        """Whether the path is a symbolic link.

        :returns: whether the path is a symbolic link.
        """
        mode = self._mode(follow_symlinks=False)
        return mode is not None and stat_mod.S_ISLNK(mode)

    def samefile(self, other: str | DingoPath) -> bool:
        """Whether both paths name the same file.

        :param other: another path (a ``str`` is taken on this client).
        :returns: whether both name the same inode.
        :raises FileNotFoundError: if the path does not exist.
        """
        other_path = other if isinstance(other, DingoPath) else self._new(PurePosixPath(other))
        a, b = self.stat(), other_path.stat()
        return bool(a.st_ino == b.st_ino and a.st_dev == b.st_dev)

    # -- directories -------------------------------------------------------
    def iterdir(self) -> Iterator[DingoPath]:
        """Yield the entries of this directory (``.`` and ``..`` excluded).

        :returns: an iterator of the entries' paths.
        :raises FileNotFoundError: if the path does not exist.
        :raises NotADirectoryError: if this is not a directory.
        """
        with self._client.scandir(self.path) as it:
            names = [entry.name for entry in it]
        for name in names:
            yield self._new(self._pure / str(name))

    def mkdir(self, mode: int = 0o777, parents: bool = False, exist_ok: bool = False) -> None:
        """Create this directory, like :meth:`pathlib.Path.mkdir`.

        :param mode: permission bits (umask removed).
        :param parents: create missing parents too.
        :param exist_ok: do not fail if the directory exists.
        :raises FileExistsError: if the path exists (and not ``exist_ok`` or not a directory).
        :raises FileNotFoundError: if the parent is missing and not ``parents``.
        """
        try:
            self._client.mkdir(self.path, mode)
        except FileNotFoundError:
            if not parents or self._pure.parent == self._pure:
                raise
            self.parent.mkdir(parents=True, exist_ok=True)
            self.mkdir(mode, parents=False, exist_ok=exist_ok)
        except OSError:
            if not exist_ok or not self.is_dir():
                raise

    def rmdir(self) -> None:
        """Remove this (empty) directory."""
        self._client.rmdir(self.path)

    def walk(
        self,
        top_down: bool = True,
        on_error: Callable[[OSError], Any] | None = None,
        follow_symlinks: bool = False,
    ) -> Iterator[tuple[DingoPath, list[str], list[str]]]:
        """Walk the tree like :meth:`pathlib.Path.walk` (Python 3.12).

        :param top_down: yield a directory before its subdirectories.
        :param on_error: called with the :class:`OSError` of a directory that cannot be listed.
        :param follow_symlinks: descend into symlinks to directories.
        :returns: an iterator of ``(dirpath, dirnames, filenames)``.
        """
        for dirpath, dirnames, filenames in self._client.walk(
            self.path, topdown=top_down, onerror=on_error, followlinks=follow_symlinks
        ):
            yield self._new(PurePosixPath(str(dirpath))), dirnames, filenames

    def glob(self, pattern: str) -> Iterator[DingoPath]:
        """Yield the paths matching a relative glob pattern (``*``, ``?``,
        ``[...]`` per component and ``**`` for any number of directories).

        :param pattern: a relative pattern (``*``, ``?``, ``[...]``, ``**``).
        :returns: an iterator of the matching paths.
        :raises ValueError: for an empty or absolute pattern.
        """
        if not pattern:
            raise ValueError(f"Unacceptable pattern: {pattern!r}")
        if pattern.startswith("/"):
            raise NotImplementedError("Non-relative patterns are unsupported")
        dir_only = pattern.endswith("/")
        parts = [p for p in pattern.split("/") if p and p != "."]
        if not parts:
            raise ValueError(f"Unacceptable pattern: {pattern!r}")
        seen: set[PurePosixPath] = set()
        for path in self._select(self, parts, dir_only):
            if path._pure not in seen:
                seen.add(path._pure)
                yield path

    def rglob(self, pattern: str) -> Iterator[DingoPath]:
        """Like :meth:`glob` with ``**/`` in front of the pattern.

        :param pattern: a relative pattern, matched in every subdirectory.
        :returns: an iterator of the matching paths.
        """
        return self.glob("**/" + pattern)

    def _scan(self, directory: DingoPath) -> list[tuple[str, bool]]:
        """(name, is_dir following symlinks) of the entries of directory."""
        out: list[tuple[str, bool]] = []
        try:
            with self._client.scandir(directory.path) as it:
                for entry in it:
                    try:
                        is_dir = bool(entry.is_dir())
                    except OSError:
                        is_dir = False
                    out.append((str(entry.name), is_dir))
        except OSError:
            return []
        return out

    def _select(self, base: DingoPath, parts: list[str], dir_only: bool) -> Iterator[DingoPath]:
        if not parts:
            if not dir_only or base.is_dir():
                yield base
            return
        part, rest = parts[0], parts[1:]
        if part == "**":
            stack = [base]
            while stack:
                current = stack.pop()
                yield from self._select(current, rest, dir_only)
                subdirs: list[DingoPath] = []
                for name, is_dir in self._scan(current):
                    child = current / name
                    if is_dir and not child.is_symlink():
                        subdirs.append(child)
                    elif not rest and not dir_only:
                        yield child
                stack.extend(reversed(subdirs))
            return
        if not _MAGIC.search(part):
            child = base / part
            if rest:
                if child.is_dir():
                    yield from self._select(child, rest, dir_only)
            elif child.exists(follow_symlinks=False):
                yield from self._select(child, rest, dir_only)
            return
        regex = re.compile(fnmatch.translate(part))
        for name, is_dir in self._scan(base):
            if not regex.match(name):
                continue
            if rest and not is_dir:
                continue
            yield from self._select(base / name, rest, dir_only)

    # -- files -------------------------------------------------------------
    @overload
    def open(self, mode: PathTextMode = "r", buffering: int = -1, encoding: str | None = None,
             errors: str | None = None, newline: str | None = None) -> io.TextIOWrapper: ...
    @overload
    def open(self, mode: PathBinaryMode, buffering: Literal[-1, 0] = -1,
             encoding: None = None, errors: None = None, newline: None = None) -> DingoFile: ...
    @overload
    def open(self, mode: PathBinaryMode, buffering: int, encoding: None = None,
             errors: None = None, newline: None = None) -> DingoFile | io.BufferedIOBase: ...
    @overload
    def open(self, mode: str, buffering: int = -1, encoding: str | None = None,
             errors: str | None = None, newline: str | None = None) -> Any: ...

    def open(
        self,
        mode: str = "r",
        buffering: int = -1,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> Any:
        """Open the file like :meth:`pathlib.Path.open`: text unless the mode has ``b``.

        :param mode: ``"r"`` (default), ``"w"``, ``"a"``, ``"x"``, with ``+``,
            ``b`` (bytes) or ``t``.
        :param buffering: as :func:`open`; a binary file with ``-1`` or ``0`` is
            the unbuffered :class:`dingofs.DingoFile` itself.
        :param encoding: text encoding (default: the locale's, as :mod:`pathlib`).
        :param errors: text error handler.
        :param newline: newline translation.
        :returns: an :class:`io.TextIOWrapper`, a :class:`dingofs.DingoFile` or a
            buffered binary file.
        :raises OSError: as :meth:`dingofs.Client.open` (``FileNotFoundError``, ...).
        :raises ValueError: for an invalid mode or argument combination.
        """
        if "b" not in mode and "t" not in mode:
            mode += "t"
        if "t" in mode and encoding is None:
            encoding = io.text_encoding(None) if hasattr(io, "text_encoding") else "utf-8"
        return self._client.open(self.path, mode, buffering, encoding, errors, newline)

    def read_bytes(self) -> bytes:
        """The whole file as bytes: :meth:`dingofs.Client.read_bytes` on this path.

        :returns: the file's contents.
        :raises FileNotFoundError: if the path does not exist.
        """
        return self._client.read_bytes(self.path)

    def read_text(self, encoding: str | None = None, errors: str | None = None) -> str:
        """The whole file decoded: :meth:`dingofs.Client.read_text` on this path.

        :param encoding: as for :func:`open`.
        :param errors: as for :func:`open`.
        :returns: the text.
        :raises FileNotFoundError: if the path does not exist.
        """
        return self._client.read_text(self.path, encoding, errors)

    def write_bytes(self, data: bytes | bytearray | memoryview) -> int:
        """Replace the file's contents: :meth:`dingofs.Client.write_bytes` on this path.

        :param data: a bytes-like object.
        :returns: the number of bytes written.
        """
        return self._client.write_bytes(self.path, data)

    def write_text(
        self,
        data: str,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> int:
        """Replace the file's contents with ``data`` encoded:
        :meth:`dingofs.Client.write_text` on this path.

        :param data: a ``str`` (anything else is a :class:`TypeError`).
        :param encoding: as for :func:`open`.
        :param errors: as for :func:`open`.
        :param newline: as for :func:`open`.
        :returns: the character count.
        """
        return self._client.write_text(self.path, data, encoding, errors, newline)

    def touch(self, mode: int = 0o666, exist_ok: bool = True) -> None:
        """Create the file, or update its modification time if it exists.

        :param mode: permission bits of a new file (umask removed).
        :param exist_ok: do not fail if the file exists.
        :raises FileExistsError: if it exists and not ``exist_ok``.
        """
        if exist_ok:
            try:
                self._client.utime(self.path)
                return
            except FileNotFoundError:
                pass
            created = not self.exists()
            with self._client.open(self.path, "ab"):
                pass
        else:
            with self._client.open(self.path, "xb"):
                pass
            created = True
        if created and mode != 0o666:
            self._client.chmod(self.path, mode & ~self._client.umask & 0o7777)

    def unlink(self, missing_ok: bool = False) -> None:
        """Remove this file or link.

        :param missing_ok: do not fail if the path does not exist.
        :raises FileNotFoundError: if the path does not exist.
        """
        try:
            self._client.unlink(self.path)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def rename(self, target: str | DingoPath | PurePosixPath) -> DingoPath:
        """Rename to ``target`` (replacing a file there); returns the new path.

        :param target: the new path (a ``str`` is taken on this client).
        :returns: the new path.
        :raises FileNotFoundError: if the path does not exist.
        """
        new = target if isinstance(target, DingoPath) else self._new(PurePosixPath(target))
        self._client.rename(self.path, new.path)
        return new

    def replace(self, target: str | DingoPath | PurePosixPath) -> DingoPath:
        """Same as :meth:`rename` (DingoFS rename always replaces).

        :param target: the new path (a ``str`` is taken on this client).
        :returns: the new path.
        :raises FileNotFoundError: if the path does not exist.
        """
        return self.rename(target)

    def chmod(self, mode: int) -> None:
        """Change the permission bits.

        :param mode: the permission bits.
        :raises FileNotFoundError: if the path does not exist.
        """
        self._client.chmod(self.path, mode)

    def readlink(self) -> PurePosixPath:
        """The target of this symbolic link, verbatim, like
        :meth:`pathlib.Path.readlink` (a relative target stays relative).

        ``link.parent / link.readlink()`` is the :class:`DingoPath` it points to.

        :returns: the target as a pure path.
        :raises OSError: ``EINVAL`` if this is not a symbolic link,
            :class:`FileNotFoundError` if it does not exist.
        """
        return PurePosixPath(str(self._client.readlink(self.path)))

    def resolve(self, strict: bool = False) -> DingoPath:
        """This path with every symbolic link and ``..`` resolved, like
        :meth:`pathlib.Path.resolve` (``..`` above the root stays at the root).

        :param strict: raise if a component is missing or a link loops; else
            missing components are kept as written.
        :returns: the resolved path on the same client.
        :raises FileNotFoundError: with ``strict=True``, for a missing component.
        :raises OSError: with ``strict=True``, ``ELOOP`` for a symlink loop.
        """
        path, _ = self._join_real("/", self.path, strict, {})
        return self._new(PurePosixPath(path))

    def _join_real(self, path: str, rest: str, strict: bool,
                   seen: dict[str, str | None]) -> tuple[str, bool]:
        """:func:`os.path.realpath`'s walk: ``rest`` resolved below ``path``;
        the flag is False when a loop stopped it (non-strict)."""
        client = self._client
        if rest.startswith("/"):
            rest, path = rest[1:], "/"
        while rest:
            name, _, rest = rest.partition("/")
            if not name or name == ".":
                continue
            if name == "..":
                path = os.path.dirname(path) if path != "/" else "/"
                continue
            newpath = path.rstrip("/") + "/" + name
            try:
                is_link = stat_mod.S_ISLNK(client.lstat(newpath).st_mode)
            except OSError:
                if strict:
                    raise
                is_link = False
            if not is_link:
                path = newpath
                continue
            if newpath in seen:
                known = seen[newpath]
                if known is not None:
                    path = known
                    continue
                if strict:
                    client.stat(newpath)  # the library reports the loop (ELOOP)
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), newpath)
                return (newpath + "/" + rest).rstrip("/") if rest else newpath, False
            seen[newpath] = None
            path, ok = self._join_real(path, str(client.readlink(newpath)), strict, seen)
            if not ok:
                return (path + "/" + rest).rstrip("/") if rest else path, False
            seen[newpath] = path
        return path, True

    def owner(self, *, follow_symlinks: bool = True) -> str:
        """The name of the file's owner, like :meth:`pathlib.Path.owner`.

        :param follow_symlinks: look at a final symlink's target (default) or
            at the link itself.
        :returns: the user name of ``st_uid`` on this machine.
        :raises KeyError: if this machine has no user with that id.
        """
        import pwd

        return pwd.getpwuid(self.stat(follow_symlinks=follow_symlinks).st_uid).pw_name

    def group(self, *, follow_symlinks: bool = True) -> str:
        """The name of the file's group, like :meth:`pathlib.Path.group`.

        :param follow_symlinks: look at a final symlink's target (default) or
            at the link itself.
        :returns: the group name of ``st_gid`` on this machine.
        :raises KeyError: if this machine has no group with that id.
        """
        import grp

        return grp.getgrgid(self.stat(follow_symlinks=follow_symlinks).st_gid).gr_name

    def symlink_to(self, target: str | DingoPath, target_is_directory: bool = False) -> None:
        """Make this path a symbolic link to ``target`` (stored verbatim).

        :param target: the link's contents.
        :param target_is_directory: ignored (for :mod:`pathlib` compatibility).
        :raises FileExistsError: if this path exists.
        """
        self._client.symlink(str(target), self.path)

    def hardlink_to(self, target: str | DingoPath) -> None:
        """Make this path a hard link to ``target``.

        :param target: the existing file.
        :raises FileExistsError: if this path exists.
        """
        other = target if isinstance(target, DingoPath) else self._new(PurePosixPath(target))
        self._client.link(other.path, self.path)

