"""Process-wide option state: ``Client.set_option`` and its companions.

Options live in the loaded libraries, not in a mounted filesystem. Each
bridge gets one private, never-mounted handle per process to read and write
them through; the log settings (``log_dir``, ``log_level``, ``log_v``) are
also kept here, because :meth:`Client.build <dingofs.Client.build>` applies
them to every new client that does not override them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import tempfile
import threading
from typing import IO, Any

from . import _ffi
from ._calls import Session, new_handle
from ._util import text_arg
from .errors import DingofsError
from .types import OptionInfo

__all__ = ["set_option", "get_option", "list_options", "print_options", "log_settings"]

#: Log keys (both spellings) -> the canonical name kept here.
_LOG_KEYS = {
    "log_dir": "log_dir", "log.dir": "log_dir",
    "log_level": "log_level", "log.level": "log_level",
    "log_v": "log_v", "log.v": "log_v",
}
_log_state: dict[str, str] = {}
_state_lock = threading.Lock()
_print_lock = threading.Lock()
#: backend name -> (pid that made it, its option session).
_sessions: dict[str, tuple[int, Session]] = {}


def _session(backend: _ffi.Backend) -> Session:
    """The private, never-mounted handle of ``backend`` (one per process)."""
    with _state_lock:
        entry = _sessions.get(backend.name)
        if entry is not None and entry[0] == os.getpid():
            return entry[1]
        s = Session(backend, new_handle(backend))
        _sessions[backend.name] = (os.getpid(), s)
        return s


@atexit.register
def _delete_sessions() -> None:
    pid = os.getpid()
    with _state_lock:
        for owner, s in _sessions.values():
            if owner == pid:
                s.delete()
        _sessions.clear()


def _after_fork_in_child() -> None:
    # The parent's handles belong to the parent; a lock held by another thread at
    # fork time would never be released in the child.
    global _state_lock, _print_lock
    _state_lock = threading.Lock()
    _print_lock = threading.Lock()
    _sessions.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _value(value: Any) -> bytes:
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int):
        return str(value).encode()
    return text_arg(value, "value")


def _key(key: Any) -> tuple[str, bytes]:
    raw = text_arg(key, "key")
    return raw.decode("utf-8", "surrogateescape"), raw


def log_settings() -> dict[str, str]:
    """The log settings set through :func:`set_option` (canonical names)."""
    with _state_lock:
        return dict(_log_state)


def set_option(key: Any, value: Any) -> None:
    """See :meth:`dingofs.Client.set_option`."""
    name, raw_key = _key(key)
    raw_value = _value(value)
    canon = _LOG_KEYS.get(name)
    if canon is not None:
        text = raw_value.decode("utf-8", "surrogateescape")
        if canon == "log_v" and text:
            try:
                int(text)
            except ValueError:
                raise ValueError(f"log_v must be an integer, got {text!r}") from None
        with _state_lock:
            _log_state[canon] = text
        for b in _ffi.backends():
            with contextlib.suppress(DingofsError):
                _session(b).conf_set(canon.encode(), raw_value, name)
        return
    first: DingofsError | None = None
    done = False
    for b in _ffi.backends():
        try:
            _session(b).conf_set(raw_key, raw_value, name)
            done = True
        except DingofsError as exc:
            first = first or exc
    if not done:
        assert first is not None
        raise first


def get_option(key: Any) -> str:
    """See :meth:`dingofs.Client.get_option`."""
    name, raw_key = _key(key)
    canon = _LOG_KEYS.get(name)
    if canon is not None:
        with _state_lock:
            if canon in _log_state:
                return _log_state[canon]
        raw_key = canon.encode()
    first: DingofsError | None = None
    for b in _ffi.backends():
        try:
            return _session(b).conf_get(raw_key, name)
        except DingofsError as exc:
            first = first or exc
    assert first is not None
    raise first


def list_options() -> list[OptionInfo]:
    """See :meth:`dingofs.Client.list_options`."""
    out: list[OptionInfo] = []
    for b in _ffi.backends():
        for name, typ, default, desc in _session(b).conf_list():
            out.append(OptionInfo(name, typ, default, desc, b.name))
    return out


def print_options(file: IO[str] | None = None) -> None:
    """See :meth:`dingofs.Client.print_options`."""
    out = sys.stdout if file is None else file
    for b in _ffi.backends():
        text = _capture_conf_print(_session(b))
        if not text.strip():
            text = _format_options(b)
        out.write(text)
    with contextlib.suppress(Exception):
        out.flush()


def _capture_conf_print(s: Session) -> str:
    """Run ``dingofs_conf_print`` with fd 1 redirected to a temporary file."""
    with _print_lock:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        try:
            saved = os.dup(1)
        except OSError:
            return ""
        try:
            with tempfile.TemporaryFile() as tmp:
                s.flush_c_stdout()
                os.dup2(tmp.fileno(), 1)
                try:
                    s.conf_print()
                finally:
                    os.dup2(saved, 1)
                tmp.seek(0)
                return tmp.read().decode("utf-8", "replace")
        finally:
            os.close(saved)


def _format_options(b: _ffi.Backend) -> str:
    s = _session(b)
    lines = []
    for name, _typ, default, _desc in s.conf_list():
        try:
            value = s.conf_get(name.encode())
        except DingofsError:
            value = default
        lines.append(f"{name}={value}\n")
    return "".join(lines)
