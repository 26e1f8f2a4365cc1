"""Small internal helpers: path and argument checks, the call gate, the umask, a
buffered stream copy."""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Protocol, Union

PathType = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


_FSENC = sys.getfilesystemencoding()
_FSERR = sys.getfilesystemencodeerrors()


def fspath(path: Any, what: str = "path") -> bytes:
    """Encode a path argument for C: ``str``/``bytes``/``os.PathLike`` only.

    ``str`` is encoded as :func:`os.fsencode` does (the filesystem encoding
    with its error handler), without going through that Python-level function.

    :raises TypeError: for any other type.
    :raises ValueError: for an embedded NUL.
    """
    raw: bytes
    raw = path.encode(_FSENC, _FSERR) if type(path) is str else _fspath_slow(path, what)
    if 0 in raw:
        raise ValueError("embedded null byte")
    return raw


def _fspath_slow(path: Any, what: str) -> bytes:
    """Subclasses of ``str``/``bytes`` and ``os.PathLike`` objects."""
    if isinstance(path, bytes):
        return path
    if isinstance(path, str):
        return path.encode(_FSENC, _FSERR)
    try:
        p = os.fspath(path)
    except TypeError:
        raise TypeError(
            f"{what} should be string, bytes or os.PathLike, not {type(path).__name__}"
        ) from None
    if isinstance(p, str):
        return p.encode(_FSENC, _FSERR)
    return bytes(p)


def is_bytes_path(path: Any) -> bool:
    """Whether results for ``path`` should be ``bytes`` (as :mod:`os` does)."""
    if isinstance(path, (bytes, str)):
        return isinstance(path, bytes)
    try:
        return isinstance(os.fspath(path), bytes)
    except TypeError:
        return False


def text_arg(value: Any, what: str) -> bytes:
    """A ``str`` (or ``bytes``) argument that is not a path, encoded for C."""
    if isinstance(value, str):
        raw = value.encode("utf-8", "surrogateescape")
    elif isinstance(value, bytes):
        raw = value
    else:
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if b"\0" in raw:
        raise ValueError("embedded null byte")
    return raw


def int_arg(value: Any, what: str, lo: int | None = None, hi: int | None = None) -> int:
    """An integer argument (``bool`` and floats rejected) within ``[lo, hi]``."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an integer, not bool")
    if not isinstance(value, int):
        try:
            value = value.__index__()
        except (AttributeError, TypeError):
            raise TypeError(f"{what} must be an integer, not {type(value).__name__}") from None
    if lo is not None and value < lo:
        raise ValueError(f"{what} must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise ValueError(f"{what} must be <= {hi}, got {value}")
    return int(value)


def read_umask() -> int:
    """The process umask, read without changing it where ``/proc`` allows."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    # Fallback: briefly set and restore it (racy only against other umask users).
    old = os.umask(0o022)
    os.umask(old)
    return old


class ReadsInto(Protocol):
    """A binary file that can fill a caller's buffer (``readinto``)."""

    def readinto(self, buf: bytearray, /) -> int | None: ...


def copy_stream(src: ReadsInto, write: Callable[[memoryview], Any], size: int,
                progress: Callable[[int], Any] | None = None) -> None:
    """Copy ``src`` to its end through one buffer of ``size`` bytes.

    Each chunk ``src.readinto`` puts in the buffer is handed to
    ``write`` as a view of the buffer, then its length to ``progress``.
    """
    buf = bytearray(size)
    view = memoryview(buf)
    while True:
        n = src.readinto(buf)
        if not n:
            break
        write(view[:n])
        if progress is not None:
            progress(n)
