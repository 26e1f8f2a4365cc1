"""Exceptions raised by the dingofs SDK.

Every failure reported by the library raises :class:`DingofsError` (an
:class:`OSError`) or one of its subclasses. The subclasses also inherit the
matching builtin exception, so ``except FileNotFoundError`` works as with
:mod:`os`. The class of an errno is looked up in one table,
:data:`ERRNO_CLASSES`.
"""

from __future__ import annotations

import errno as _errno
import os
import shutil
import sys
from typing import Any, Union

PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]", None]

__all__ = [
    "DingofsError",
    "ClientStoppedError",
    "DingofsFileNotFoundError",
    "DingofsFileExistsError",
    "DingofsNotADirectoryError",
    "DingofsIsADirectoryError",
    "DingofsPermissionError",
    "DingofsInterruptedError",
    "DingofsTimeoutError",
    "DingofsBlockingIOError",
    "DingofsConnectionRefusedError",
    "DingofsConnectionResetError",
    "DingofsConnectionAbortedError",
    "DingofsBrokenPipeError",
    "SameFileError",
    "ERRNO_CLASSES",
    "error_from_errno",
]


def _show(path: PathArg) -> str:
    """A path for messages: decoded, with undecodable bytes as ``\\xNN`` escapes.

    (Surrogate escapes would make the message unprintable on UTF-8 streams.)
    """
    if path is None:
        return ""
    try:
        raw = os.fsencode(path)
    except TypeError:
        return str(path)
    return raw.decode(sys.getfilesystemencoding(), "backslashreplace")


class DingofsError(OSError):
    """An error reported by libdingofs (or detected before calling it).

    ``errno`` and ``dingofs_errno`` hold the positive errno value, ``strerror``
    its text, ``filename``/``filename2`` the paths involved and ``operation``
    the name of the C function that failed (e.g. ``"dingofs_open"``).

    ``str(e)`` is ``"[Errno N] STRERROR: OPERATION 'PATH'"`` (with
    ``" -> 'PATH2'"`` for calls taking two paths).
    """

    #: Name of the C function that failed ("" when not known).
    operation: str
    #: Extra explanation appended to the message ("" when none).
    detail: str

    def __init__(self, *args: Any, operation: str = "", detail: str = "") -> None:
        super().__init__(*args)
        self.operation = operation
        self.detail = detail

    @property
    def dingofs_errno(self) -> int:
        """The positive errno value reported by the library."""
        return int(self.errno or 0)

    def __str__(self) -> str:
        if self.errno is None:
            return super().__str__()
        text = f"[Errno {self.errno}] {self.strerror}"
        where = getattr(self, "operation", "")
        if self.filename is not None:
            where = f"{where} '{_show(self.filename)}'" if where else f"'{_show(self.filename)}'"
            if self.filename2 is not None:
                where += f" -> '{_show(self.filename2)}'"
        if where:
            text += f": {where}"
        detail = getattr(self, "detail", "")
        if detail:
            text += f" ({detail})"
        return text

    def __reduce__(self) -> Any:
        return (
            _rebuild,
            (type(self), self.errno, self.strerror, self.filename, self.filename2),
            dict(self.__dict__),
        )


def _rebuild(cls: type[DingofsError], n: int, text: str, f1: Any, f2: Any) -> DingofsError:
    return cls(n, text, f1, None, f2)


class ClientStoppedError(DingofsError):
    """The client (or a file/iterator of it) can no longer be used.

    Raised after :meth:`Client.stop`, and in a child process for objects
    inherited through ``fork()`` (a new client is needed there). Its errno is
    ``ENOTCONN``.
    """


class DingofsFileNotFoundError(DingofsError, FileNotFoundError):
    """ENOENT."""


class DingofsFileExistsError(DingofsError, FileExistsError):
    """EEXIST."""


class DingofsNotADirectoryError(DingofsError, NotADirectoryError):
    """ENOTDIR."""


class DingofsIsADirectoryError(DingofsError, IsADirectoryError):
    """EISDIR."""


class DingofsPermissionError(DingofsError, PermissionError):
    """EACCES, EPERM."""


class DingofsInterruptedError(DingofsError, InterruptedError):
    """EINTR."""


class DingofsTimeoutError(DingofsError, TimeoutError):
    """ETIMEDOUT."""


class DingofsBlockingIOError(DingofsError, BlockingIOError):
    """EAGAIN/EWOULDBLOCK, EALREADY, EINPROGRESS."""


class DingofsConnectionRefusedError(DingofsError, ConnectionRefusedError):
    """ECONNREFUSED."""


class DingofsConnectionResetError(DingofsError, ConnectionResetError):
    """ECONNRESET."""


class DingofsConnectionAbortedError(DingofsError, ConnectionAbortedError):
    """ECONNABORTED."""


class DingofsBrokenPipeError(DingofsError, BrokenPipeError):
    """EPIPE, ESHUTDOWN."""


class DingofsChildProcessError(DingofsError, ChildProcessError):
    """ECHILD."""


class DingofsProcessLookupError(DingofsError, ProcessLookupError):
    """ESRCH."""


class SameFileError(DingofsError, shutil.SameFileError):
    """A copy whose source and destination are the same file.

    Raised by :meth:`Client.copy` (and the fsspec ``cp_file``/``copy``) before
    the destination is opened, so the file's data are left alone: the same
    inode reached through another spelling of the path (``/./f``), a hard link
    or a symlink. As with :func:`shutil.copyfile` the message is
    ``"'SRC' and 'DST' are the same file"``, ``errno`` is ``None``, and
    ``except shutil.SameFileError`` catches it.
    """

    def __reduce__(self) -> Any:
        # The message is the only argument (no errno): rebuild from ``args``.
        return (type(self), self.args, dict(self.__dict__))


def same_file_error(src: PathArg, dst: PathArg) -> SameFileError:
    """The :class:`SameFileError` for copying ``src`` onto ``dst``, worded as
    :func:`shutil.copyfile` words it."""
    return SameFileError(f"{_show(src)!r} and {_show(dst)!r} are the same file")


#: errno value -> exception class (anything else raises :class:`DingofsError`).
ERRNO_CLASSES: dict[int, type[DingofsError]] = {
    _errno.ENOENT: DingofsFileNotFoundError,
    _errno.EEXIST: DingofsFileExistsError,
    _errno.ENOTDIR: DingofsNotADirectoryError,
    _errno.EISDIR: DingofsIsADirectoryError,
    _errno.EACCES: DingofsPermissionError,
    _errno.EPERM: DingofsPermissionError,
    _errno.EINTR: DingofsInterruptedError,
    _errno.ETIMEDOUT: DingofsTimeoutError,
    _errno.EAGAIN: DingofsBlockingIOError,
    _errno.EWOULDBLOCK: DingofsBlockingIOError,
    _errno.EALREADY: DingofsBlockingIOError,
    _errno.EINPROGRESS: DingofsBlockingIOError,
    _errno.ECONNREFUSED: DingofsConnectionRefusedError,
    _errno.ECONNRESET: DingofsConnectionResetError,
    _errno.ECONNABORTED: DingofsConnectionAbortedError,
    _errno.EPIPE: DingofsBrokenPipeError,
    _errno.ESHUTDOWN: DingofsBrokenPipeError,
    _errno.ECHILD: DingofsChildProcessError,
    _errno.ESRCH: DingofsProcessLookupError,
    _errno.ENOTCONN: ClientStoppedError,
}


def error_from_errno(
    n: int,
    operation: str = "",
    path: PathArg = None,
    path2: PathArg = None,
    *,
    detail: str = "",
) -> DingofsError:
    """Build the exception for errno ``n`` (positive or negative).

    :param n: the errno value; a negative C return code is accepted too.
    :param operation: the C function name (e.g. ``"dingofs_stat"``).
    :param path: the path argument as the caller gave it.
    :param path2: the second path of two-path calls.
    :param detail: an explanation appended to the message.
    :returns: an instance of the class :data:`ERRNO_CLASSES` names.
    """
    n = abs(int(n))
    cls = ERRNO_CLASSES.get(n, DingofsError)
    exc = cls(n, os.strerror(n), path, None, path2, operation=operation, detail=detail)
    return exc


def stopped_error(operation: str = "", path: PathArg = None, *, forked: bool = False,
                  what: str = "client") -> ClientStoppedError:
    """The :class:`ClientStoppedError` for an object that is closed or inherited by fork."""
    if forked:
        detail = (
            f"this {what} was created in the parent process before fork(); "
            "build a new dingofs.Client in the child process"
        )
    else:
        detail = f"the {what} has been stopped or closed"
    n = _errno.ENOTCONN
    return ClientStoppedError(n, os.strerror(n), path, None, None, operation=operation,
                              detail=detail)
