"""Value types of the SDK: :class:`Attr`, :class:`FsStat`, :class:`OptionInfo`,
:class:`LocalFilesystem`, :class:`FileType` and the ``SET_ATTR_*`` mask bits."""

from __future__ import annotations

import enum
import os
import stat as _stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Callable

__all__ = [
    "Attr",
    "FileType",
    "FsStat",
    "LocalFilesystem",
    "OptionInfo",
    "SET_ATTR_MODE",
    "SET_ATTR_UID",
    "SET_ATTR_GID",
    "SET_ATTR_SIZE",
    "SET_ATTR_ATIME",
    "SET_ATTR_MTIME",
    "SET_ATTR_ATIME_NOW",
    "SET_ATTR_MTIME_NOW",
    "SET_ATTR_CTIME",
    "SET_ATTR_FLAGS",
    "SET_ATTR_ALL",
]

#: ``set_attr`` mask: set the permission bits from ``attr.mode``.
SET_ATTR_MODE = 0x1
#: ``set_attr`` mask: set the owner from ``attr.uid``.
SET_ATTR_UID = 0x2
#: ``set_attr`` mask: set the group from ``attr.gid``.
SET_ATTR_GID = 0x4
#: ``set_attr`` mask: set the size from ``attr.length``.
SET_ATTR_SIZE = 0x8
#: ``set_attr`` mask: set the access time from ``attr.atime`` (ns).
SET_ATTR_ATIME = 0x10
#: ``set_attr`` mask: set the modification time from ``attr.mtime`` (ns).
SET_ATTR_MTIME = 0x20
#: ``set_attr`` mask: set the access time to now.
SET_ATTR_ATIME_NOW = 0x80
#: ``set_attr`` mask: set the modification time to now.
SET_ATTR_MTIME_NOW = 0x100
#: ``set_attr`` mask: accepted; every change already sets ctime to now.
SET_ATTR_CTIME = 0x400
#: ``set_attr`` mask: set the inode flags word (``FS_*_FL``) from ``attr.flags``.
SET_ATTR_FLAGS = 0x100000
#: Every bit ``set_attr`` understands.
SET_ATTR_ALL = (
    SET_ATTR_MODE | SET_ATTR_UID | SET_ATTR_GID | SET_ATTR_SIZE | SET_ATTR_ATIME
    | SET_ATTR_MTIME | SET_ATTR_ATIME_NOW | SET_ATTR_MTIME_NOW | SET_ATTR_CTIME | SET_ATTR_FLAGS
)


class FileType(enum.IntEnum):
    """Type of an inode (upstream's numbering for the first three)."""

    Directory = 1
    Symlink = 2
    File = 3
    FIFO = 4
    CHR = 5
    BLK = 6
    SOCK = 7

    @classmethod
    def from_mode(cls, mode: int) -> FileType:
        """The type encoded in the ``S_IFMT`` bits of ``mode`` (``File`` if none).

        :param mode: a ``st_mode`` value.
        :returns: the file type.
        """
        fmt = _stat.S_IFMT(mode)
        return _FMT_TO_TYPE.get(fmt, cls.File)

    def to_mode_bits(self) -> int:
        """The ``S_IF*`` bits of this type.

        :returns: the ``S_IF*`` bits.
        """
        return _TYPE_TO_FMT[self]


_FMT_TO_TYPE = {
    _stat.S_IFDIR: FileType.Directory,
    _stat.S_IFLNK: FileType.Symlink,
    _stat.S_IFREG: FileType.File,
    _stat.S_IFIFO: FileType.FIFO,
    _stat.S_IFCHR: FileType.CHR,
    _stat.S_IFBLK: FileType.BLK,
    _stat.S_IFSOCK: FileType.SOCK,
}
_TYPE_TO_FMT = {v: k for k, v in _FMT_TO_TYPE.items()}

_NS = 1_000_000_000

_FIELDS = ("ino", "mode", "nlink", "uid", "gid", "length", "rdev", "atime", "mtime", "ctime",
           "blksize", "blocks", "dev")


class Attr:
    """Attributes of an inode.

    Fields (times are ``int`` nanoseconds since the epoch): ``ino``, ``mode``,
    ``nlink``, ``uid``, ``gid``, ``length``, ``rdev``, ``atime``, ``mtime``,
    ``ctime``, ``type`` (:class:`FileType`) and ``flags`` (``FS_*_FL`` bits).

    It also reads like :class:`os.stat_result`: ``st_mode``, ``st_ino``,
    ``st_dev`` (a stable id per filesystem), ``st_nlink``, ``st_uid``,
    ``st_gid``, ``st_size``, ``st_atime``/``st_mtime``/``st_ctime`` (float
    seconds), ``st_*time_ns``, ``st_blocks``, ``st_blksize``, ``st_rdev``,
    indexing ``a[0]`` … ``a[9]`` and :meth:`to_stat_result`.

    ``Attr()`` makes an empty record to fill and pass to ``Client.set_attr``:
    ``a = Attr(); a.flags = 0x40`` or ``Attr(mode=0o600, uid=0)``.

    :attr:`partial` is ``True`` only for the result of a change (``chmod``,
    ``mkdir``, ``set_attr`` …) that was applied but whose resulting attributes
    could not be read back: then only the fields the request itself determined
    are meaningful and every other field is 0 (see :attr:`partial`).
    """

    __slots__ = ("ino", "mode", "nlink", "uid", "gid", "length", "rdev", "atime", "mtime",
                 "ctime", "blksize", "blocks", "dev", "_type", "_flags", "_flags_loader",
                 "_partial")

    ino: int
    mode: int
    nlink: int
    uid: int
    gid: int
    length: int
    rdev: int
    atime: int
    mtime: int
    ctime: int
    blksize: int
    blocks: int
    dev: int

    def __init__(
        self,
        ino: int = 0,
        mode: int = 0,
        nlink: int = 0,
        uid: int = 0,
        gid: int = 0,
        length: int = 0,
        rdev: int = 0,
        atime: int = 0,
        mtime: int = 0,
        ctime: int = 0,
        type: FileType | int | None = None,  # noqa: A002 - upstream's field name
        flags: int | None = 0,
        *,
        blksize: int = 0,
        blocks: int = 0,
        dev: int = 0,
        flags_loader: Callable[[], int] | None = None,
        partial: bool = False,
    ) -> None:
        self.ino = ino
        self.mode = mode
        self.nlink = nlink
        self.uid = uid
        self.gid = gid
        self.length = length
        self.rdev = rdev
        self.atime = atime
        self.mtime = mtime
        self.ctime = ctime
        self.blksize = blksize
        self.blocks = blocks
        self.dev = dev
        self._type: FileType | None = FileType(type) if type is not None else None
        self._flags: int | None = flags
        self._flags_loader = flags_loader
        self._partial = bool(partial)
        if flags is None and flags_loader is None:
            self._flags = 0

    @property
    def partial(self) -> bool:
        """Whether these attributes are only what the request determined.

        ``False`` for every attribute read from the filesystem. ``True`` when a
        change succeeded but its resulting attributes could not be read: with a
        library that lacks the engine's ``x_last_attr``/``x_setattr`` extensions
        (the upstream one) the result of a change is read with a second call,
        which can fail after the change was applied (the change removed search
        permission on the path, another client renamed or removed the file).
        The change is not reported as failed then; the result carries the values
        the request set (e.g. the permission bits after ``chmod``, ``uid``/``gid``
        after ``chown``, type and permission bits after ``mkdir``/``mknod``/
        ``symlink``, the size and times ``set_attr`` set) plus ``dev``, and 0 in
        every other field (``ino == 0``). Call ``stat`` again for the full record.
        """
        return self._partial

    # -- upstream fields with special handling ---------------------------------------------
    @property
    def type(self) -> FileType:  # noqa: A003
        """The inode type (from ``mode`` unless set explicitly)."""
        if self._type is not None:
            return self._type
        return FileType.from_mode(self.mode)

    @type.setter
    def type(self, value: FileType | int) -> None:  # noqa: A003
        self._type = FileType(value)

    @property
    def flags(self) -> int:
        """The inode flags word (``FS_*_FL``; 0 for symlinks and special files)."""
        if self._flags is None:
            loader, self._flags_loader = self._flags_loader, None
            self._flags = int(loader()) if loader is not None else 0
        return self._flags

    @flags.setter
    def flags(self, value: int) -> None:
        self._flags = int(value)
        self._flags_loader = None

    # -- os.stat_result view ---------------------------------------------------------------
    @property
    def st_mode(self) -> int:
        return self.mode

    @property
    def st_ino(self) -> int:
        return self.ino

    @property
    def st_dev(self) -> int:
        return self.dev

    @property
    def st_nlink(self) -> int:
        return self.nlink

    @property
    def st_uid(self) -> int:
        return self.uid

    @property
    def st_gid(self) -> int:
        return self.gid

    @property
    def st_size(self) -> int:
        return self.length

    @property
    def st_rdev(self) -> int:
        return self.rdev

    @property
    def st_blocks(self) -> int:
        return self.blocks

    @property
    def st_blksize(self) -> int:
        return self.blksize

    @property
    def st_atime(self) -> float:
        return self.atime / _NS

    @property
    def st_mtime(self) -> float:
        return self.mtime / _NS

    @property
    def st_ctime(self) -> float:
        return self.ctime / _NS

    @property
    def st_atime_ns(self) -> int:
        return self.atime

    @property
    def st_mtime_ns(self) -> int:
        return self.mtime

    @property
    def st_ctime_ns(self) -> int:
        return self.ctime

    @property
    def st_flags(self) -> int:
        return self.flags

    def _seq(self) -> tuple[int, ...]:
        return (self.mode, self.ino, self.dev, self.nlink, self.uid, self.gid, self.length,
                self.atime // _NS, self.mtime // _NS, self.ctime // _NS)

    def __len__(self) -> int:
        return 10

    def __getitem__(self, index: Any) -> Any:
        return self._seq()[index]

    def __iter__(self) -> Iterator[int]:
        return iter(self._seq())

    def to_stat_result(self) -> os.stat_result:
        """The same attributes as an :class:`os.stat_result`.

        :returns: an :class:`os.stat_result` with the same fields.
        """
        extra = {
            "st_atime": self.st_atime,
            "st_mtime": self.st_mtime,
            "st_ctime": self.st_ctime,
            "st_atime_ns": self.atime,
            "st_mtime_ns": self.mtime,
            "st_ctime_ns": self.ctime,
            "st_blksize": self.blksize,
            "st_blocks": self.blocks,
            "st_rdev": self.rdev,
        }
        return os.stat_result(self._seq(), extra)

    # -- helpers ---------------------------------------------------------------------------
    def is_dir(self) -> bool:
        """True for a directory.

        :returns: whether ``mode`` is a directory's.
        """
        return _stat.S_ISDIR(self.mode)

    def is_file(self) -> bool:
        """True for a regular file.

        :returns: whether ``mode`` is a regular file's.
        """
        return _stat.S_ISREG(self.mode)

    def is_symlink(self) -> bool:
        """True for a symbolic link.

        :returns: whether ``mode`` is a symbolic link's.
        """
        return _stat.S_ISLNK(self.mode)

    def _as_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in _FIELDS}
        d["type"] = self.type
        d["flags"] = self.flags
        return d

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Attr):
            return NotImplemented
        return self._as_dict() == other._as_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        flags = "?" if self._flags is None else hex(self._flags)
        partial = ", partial=True" if self._partial else ""
        return (
            f"Attr(ino={self.ino}, mode={oct(self.mode)}, nlink={self.nlink}, uid={self.uid}, "
            f"gid={self.gid}, length={self.length}, rdev={self.rdev}, atime={self.atime}, "
            f"mtime={self.mtime}, ctime={self.ctime}, type={self.type.name}, flags={flags}"
            f"{partial})"
        )

    def __getstate__(self) -> dict[str, Any]:
        state = self._as_dict()
        if self._partial:
            state["partial"] = True
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        flags = state.pop("flags", 0)
        typ = state.pop("type", None)
        self.__init__(**state, type=typ, flags=flags)  # type: ignore[misc]


_new = object.__new__


def attr_from_record(v: Sequence[int], dev: int) -> Attr:
    """An :class:`Attr` from the items of one attribute record of the bridge
    (``dingofs._calls.ATTR_RECORD``: ino, mode, nlink, uid, gid, size, rdev,
    atime/mtime/ctime in nanoseconds, blksize, blocks, flags) and the
    filesystem's ``dev``: one tuple unpack into the slots, no keyword arguments."""
    a = _new(Attr)
    (a.ino, a.mode, a.nlink, a.uid, a.gid, a.length, a.rdev, a.atime, a.mtime, a.ctime,
     a.blksize, a.blocks, a._flags) = v
    a.dev = dev
    a._type = None
    a._flags_loader = None
    a._partial = False
    return a


def flags_on_first_use(a: Attr, loader: Callable[[], int]) -> Attr:
    """``a`` with its inode flags unread: ``loader()`` reads them when first asked for."""
    a._flags = None
    a._flags_loader = loader
    return a


@dataclass(frozen=True)
class FsStat:
    """Capacity and usage of a filesystem (``Client.statfs()``)."""

    #: Total capacity in bytes.
    max_bytes: int
    #: Bytes in use.
    used_bytes: int
    #: Maximum number of inodes.
    max_inodes: int
    #: Inodes in use.
    used_inodes: int

    @property
    def free_bytes(self) -> int:
        """``max_bytes - used_bytes`` (never negative)."""
        return max(0, self.max_bytes - self.used_bytes)

    @property
    def free_inodes(self) -> int:
        """``max_inodes - used_inodes`` (never negative)."""
        return max(0, self.max_inodes - self.used_inodes)


@dataclass(frozen=True)
class OptionInfo:
    """One configuration option known to a loaded library."""

    #: Option key, e.g. ``"vfs_meta_rpc_timeout_ms"``.
    name: str
    #: Value type: ``"bool"``, ``"int32"``, ``"string"`` …
    type: str  # noqa: A003
    #: Effective default value, as a string.
    default_value: str
    #: What the option does.
    description: str
    #: Which loaded library knows it: ``"bundled"`` or ``"system"``.
    library: str = "bundled"


@dataclass(frozen=True)
class LocalFilesystem:
    """An embedded (``local://``) filesystem on disk, as the engine describes it.

    Every directory is the engine's answer: the layout is known only there.
    """

    #: The filesystem's ``NAME``.
    name: str
    #: Base directory (``base=``, else the engine's default base).
    base_dir: str
    #: Directory of its metadata store.
    meta_dir: str
    #: Directory of its file data: the one recorded at creation when it exists
    #: (which may be a ``path=`` outside the base), else what a creation would use.
    data_dir: str
    #: Whether it exists (``None``: not looked at).
    exists: bool | None
    #: Whether some client, in any process, has it mounted (``None``: not looked
    #: at, or it cannot be told).
    mounted: bool | None
    #: Bytes its files take on disk, metadata and data (``None``: not counted).
    size: int | None
