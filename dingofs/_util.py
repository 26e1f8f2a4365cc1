"""Small internal helpers: path and argument checks, the call gate, the umask."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Any, Callable, Union

from .errors import stopped_error

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
    if type(path) is str:
        raw = path.encode(_FSENC, _FSERR)
    elif type(path) is bytes:
        raw = path
    else:
        raw = _fspath_slow(path, what)
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


#: Serialises the closing transition of every gate (held only for a few bytecodes).
_SHUT_LOCK = threading.Lock()


def _new_shut_lock_in_child() -> None:
    """A forked child gets a fresh lock: a parent thread may have held the old one."""
    global _SHUT_LOCK
    _SHUT_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_shut_lock_in_child)


class Gate:
    """Counts calls in flight on an object and refuses new ones once closed.

    The hot path costs two C-level list operations and no lock: a call
    appends a token to :attr:`calls` *before* it looks at :attr:`closed`
    and removes it when done. ``list.append``/``list.pop`` are atomic, so
    ``len(calls)`` is always the number of calls that may be in C. Hot
    callers inline the protocol (the append inside ``try``, so that an
    asynchronous exception raised right after it still removes the token)::

        gate = self._gate
        calls = gate.calls
        try:
            calls.append(None)
            if gate.closed:
                raise gate.refused(operation, path)
            ...  # the C call
        finally:
            calls.pop()
            if gate.closed:
                gate.wake()

    ``enter()``/``leave()`` do the same for the other callers. ``enter()``
    raises :class:`~dingofs.errors.ClientStoppedError` (or the error
    ``on_closed`` builds) when the gate is closed; ``shut()`` closes it and
    waits until the calls in flight have left.
    """

    __slots__ = ("calls", "closed", "forked", "what", "_waiter")

    def __init__(self, what: str = "client") -> None:
        #: One token per call in flight.
        self.calls: list[None] = []
        self.closed = False
        self.forked = False
        self.what = what
        self._waiter: Any = None

    def refused(self, operation: str = "", path: Any = None,
                on_closed: Callable[[], BaseException] | None = None) -> BaseException:
        """The error for a call that found the gate closed (the caller removes its token)."""
        if on_closed is not None and not self.forked:
            return on_closed()
        return stopped_error(operation, path, forked=self.forked, what=self.what)

    def enter(self, operation: str = "", path: Any = None,
              on_closed: Callable[[], BaseException] | None = None) -> None:
        """Count one call in flight, or raise when the gate is closed."""
        calls = self.calls
        calls.append(None)
        if self.closed:
            self.leave()
            raise self.refused(operation, path, on_closed)

    def leave(self) -> None:
        """The counterpart of a successful :meth:`enter`."""
        calls = self.calls
        calls.pop()
        if self.closed and not calls:
            self.wake()

    def wake(self) -> None:
        """Called after a call left a closed gate: release ``shut()`` once none is in flight."""
        waiter = self._waiter
        if waiter is not None and not self.calls:
            with contextlib.suppress(RuntimeError):  # already released by another call
                waiter.release()

    def shut(self) -> bool:
        """Close the gate and wait for calls in flight; False if it was already closed."""
        _SHUT_LOCK.acquire()
        try:
            if self.closed:
                return False
            self.closed = True
        finally:
            _SHUT_LOCK.release()
        # From here on every new call is refused. A leaving call empties the list and
        # then looks for the waiter; we publish the waiter and then look at the list,
        # so one of the two always sees the other.
        if not self.calls:
            return True
        waiter = threading.Lock()
        waiter.acquire()
        self._waiter = waiter
        while self.calls:
            waiter.acquire(timeout=0.5)
        self._waiter = None
        return True

    def kill_after_fork(self) -> None:
        """In a fork child: calls of vanished threads never leave; forget them."""
        self.calls = []
        self._waiter = None
        self.closed = True
        self.forked = True
