"""Run the same file operations on a DingoFS file and on a local file.

Used by the io-protocol and text suites: each operation's outcome (its
result, or the kind of exception it raised) is recorded so the two sides can
be compared step by step.
"""
from __future__ import annotations

import builtins
import contextlib
import io
import os
from pathlib import Path
from typing import Any, Callable

CONTENT = (b"first line\nsecond line\r\nthird\rfourth\n\n"
           + bytes(range(256)) + b"\nlast line without newline")


def outcome(fn: Callable[[], Any]) -> tuple:
    """('ok', value) or ('error', kind) where kind identifies the exception."""
    try:
        return ("ok", fn())
    except io.UnsupportedOperation:
        return ("error", "UnsupportedOperation")
    except OSError as e:
        return ("error", ("OSError", e.errno))
    except ValueError as e:
        # CPython itself ends this message with or without a period depending
        # on the layer (FileIO vs IOBase): compare the text only.
        msg = str(e).rstrip(".") if "closed file" in str(e) else ""
        return ("error", ("ValueError", msg))
    except Exception as e:  # noqa: BLE001
        return ("error", type(e).__name__)


def local_mode(mode: str) -> str:
    """The builtins.open mode that matches a dingofs binary mode."""
    if "t" in mode or "b" in mode:
        return mode
    return mode + "b"


def is_text(mode: str, **kw: Any) -> bool:
    """Text mode as dingofs decides it: ``t`` or a text-only keyword given."""
    return "t" in mode or any(kw.get(k) is not None
                              for k in ("encoding", "errors", "newline"))


def local_buffering(buffering: int, text: bool = False) -> int:
    """dingofs gives the raw DingoFile for binary -1 and 0 (FileIO is 0)."""
    if text:
        return buffering
    return 0 if buffering in (-1, 0) else buffering


def apply(f: Any, op: tuple) -> Any:
    """Perform one operation on file object ``f`` and return a comparable value."""
    name, *args = op
    if name == "read":
        return f.read(*args)
    if name == "readinto":
        buf = bytearray(args[0])
        n = f.readinto(buf)
        return (n, bytes(buf[: n or 0]))
    if name == "readline":
        return f.readline(*args)
    if name == "readlines":
        return f.readlines(*args)
    if name == "iter":
        return [line for line in f]
    if name == "next":
        return next(f)
    if name == "write":
        return f.write(args[0])
    if name == "writelines":
        return f.writelines(args[0])
    if name == "seek":
        return f.seek(*args)
    if name == "tell":
        return f.tell()
    if name == "truncate":
        return f.truncate(*args)
    if name == "flush":
        return f.flush()
    if name == "readable":
        return f.readable()
    if name == "writable":
        return f.writable()
    if name == "seekable":
        return f.seekable()
    if name == "closed":
        return f.closed
    if name == "close":
        return f.close()
    if name == "isatty":
        return f.isatty()
    raise AssertionError(f"unknown op {name}")


class Pair:
    """One DingoFS path and one local path opened the same way."""

    def __init__(self, client: Any, local_dir: Path, name: str = "f") -> None:
        self.client = client
        self.dpath = "/" + name
        self.lpath = local_dir / name

    def seed(self, data: bytes = CONTENT) -> None:
        self.client.write_bytes(self.dpath, data)
        self.lpath.write_bytes(data)

    def open(self, mode: str, buffering: int = -1, **kw: Any) -> tuple:
        d = outcome(lambda: self.client.open(self.dpath, mode, buffering, **kw))
        text = is_text(mode, **kw)
        lmode = mode if text or "b" in mode else mode + "b"
        if text and "t" not in mode and "b" not in mode:
            lmode = mode  # builtins: no 'b' means text
        l_ = outcome(lambda: builtins.open(self.lpath, lmode,
                                           local_buffering(buffering, text), **kw))
        return d, l_

    def contents(self) -> tuple[bytes, bytes]:
        return self.client.read_bytes(self.dpath), self.lpath.read_bytes()


def run_ops(dfile: Any, lfile: Any, ops: list) -> None:
    """Apply ``ops`` to both files and assert identical outcomes."""
    for i, op in enumerate(ops):
        d = outcome(lambda: apply(dfile, op))
        l_ = outcome(lambda: apply(lfile, op))
        assert d == l_, f"step {i} {op!r}: dingofs {d!r} != local {l_!r}"


def close_quietly(*files: Any) -> None:
    for f in files:
        with contextlib.suppress(Exception):
            f.close()


def local_size(path: Path) -> int:
    return os.stat(path).st_size
