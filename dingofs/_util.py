"""Small internal helpers: path and argument checks, the call gate, the umask."""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Union

from .errors import stopped_error

PathType = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


def fspath(path: Any, what: str = "path") -> bytes:
    """Encode a path argument for C: ``str``/``bytes``/``os.PathLike`` only.

    :raises TypeError: for any other type.
    :raises ValueError: for an embedded NUL.
    """
    if isinstance(path, bytes):
        raw = path
    elif isinstance(path, str):
        raw = os.fsencode(path)
    else:
        try:
            p = os.fspath(path)
        except TypeError:
            raise TypeError(
                f"{what} should be string, bytes or os.PathLike, not {type(path).__name__}"
            ) from None
        raw = os.fsencode(p)
    if b"\0" in raw:
        raise ValueError("embedded null byte")
    return raw


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
    if isinstance(value, bool) or not isinstance(value, int):
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


class Gate:
    """Counts calls in flight on an object and refuses new ones once closed.

    ``enter()`` raises :class:`~dingofs.errors.ClientStoppedError` (or calls
    ``on_closed`` to produce another error) when the gate is closed;
    ``shut()`` closes it and waits until the calls in flight have left.
    """

    __slots__ = ("_cond", "_busy", "closed", "forked", "what")

    def __init__(self, what: str = "client") -> None:
        self._cond = threading.Condition(threading.Lock())
        self._busy = 0
        self.closed = False
        self.forked = False
        self.what = what

    def enter(self, operation: str = "", path: Any = None,
              on_closed: Callable[[], BaseException] | None = None) -> None:
        with self._cond:
            if self.closed:
                if on_closed is not None and not self.forked:
                    raise on_closed()
                raise stopped_error(operation, path, forked=self.forked, what=self.what)
            self._busy += 1

    def leave(self) -> None:
        with self._cond:
            self._busy -= 1
            if self._busy == 0 and self.closed:
                self._cond.notify_all()

    def shut(self) -> bool:
        """Close the gate and wait for calls in flight; False if it was already closed."""
        with self._cond:
            if self.closed:
                return False
            self.closed = True
            while self._busy:
                self._cond.wait()
            return True

    def kill_after_fork(self) -> None:
        """In a fork child: the gate's lock may be held by a vanished thread; replace it."""
        self._cond = threading.Condition(threading.Lock())
        self._busy = 0
        self.closed = True
        self.forked = True
