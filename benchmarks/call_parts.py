#!/usr/bin/env python3
"""Where the time of ``Client.stat``, ``DingoFile.stat``, ``Client.access``,
``DingoFile.pread`` and ``open().close()`` goes: each part of the call alone in
a loop.

    .venv/bin/python benchmarks/call_parts.py [--calls N] [--runs R]

Times, on a fresh ``local://`` filesystem:

- for ``stat``: the bare cffi call of the bridge's ``dfx_stat_counted``, the
  ``struct`` unpack of its record, the ``Attr`` build, the session call that
  does all three, and ``Client.stat`` itself; and the floor of any cffi binding
  returning the same ``Attr`` (encode the path, the bare call, unpack, build:
  no checks, no call layer, one shared buffer);
- for ``DingoFile.stat()`` (``fstat``): the same without the path;
- for ``access(path, F_OK)``: the bare call, the floor (encode the path, the
  bare call, the answer as a ``bool``), the session call and the public method;
- for ``pread(4096, 0)``: the bare call, the floor (the bare call and the copy
  into a new ``bytes``), the session call and the public method;
- for ``open(path, "rb").close()``: the two bare gated cffi calls, the session
  calls, a file's call gate, the smallest possible :class:`io.RawIOBase` file
  object (the floor of any file object), a ``DingoFile`` made on a descriptor
  and closed, and ``Client.open`` itself.

Prints a Markdown table per call, the best of ``--runs`` times three loops
(the least disturbed loop: on a shared virtual machine the host's state
moves single loops by up to 2x, and noise only ever adds time). The runs go
round-robin over all parts (``best_rounds`` of ``run.py``), so a burst of load
lands on every part alike. It reaches
into the call layer's private members on purpose: the parts are what the
public calls are made of.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import dingofs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (benchmarks/run.py: the round-robin timing of make bench)


def parts(c: dingofs.Client) -> dict[str, Callable[[], Any]]:
    """The parts of ``c.stat("/a/b/f")``, each a callable to time."""
    s = c._s
    g = c._gate
    out, rec = s._new_stat_buffer()
    call, gc = s._x_stat_counted, g.c
    unpack, build, dev = s._unpack_attr, dingofs.types.attr_from_record, s.dev
    call(gc, b"/a/b/f", 0, out)
    values = unpack(rec)

    def floor(path: str = "/a/b/f") -> Any:
        # What any cffi binding returning this Attr must do, and nothing else: no
        # checks, no call layer, one shared buffer (safe only in this loop).
        call(gc, path.encode(), 0, out)
        return build(unpack(rec), dev)

    return {
        "empty loop body (the loop's own floor)": lambda: None,
        "bare cffi call `dfx_stat_counted` (engine stat inside)":
            lambda: call(gc, b"/a/b/f", 0, out),
        "`struct` unpack of the fixed record": lambda: unpack(rec),
        "building the `Attr` (one function, slot stores)":
            lambda: build(values, dev),
        "the floor: path encode + bare call + unpack + build, nothing else": floor,
        "`Session.x_stat_attr` (call, pooled buffer, unpack, build)":
            lambda: s.x_stat_attr(g, b"/a/b/f", 0, "/a/b/f"),
        "`Client.stat` (path encode, NUL check, the session call)":
            lambda: c.stat("/a/b/f"),
    }


def fstat_parts(c: dingofs.Client, f: Any) -> dict[str, Callable[[], Any]]:
    """The parts of ``f.stat()`` on a file of ``c``, each a callable to time."""
    s = c._s
    g = f._gate
    out, rec = s._new_stat_buffer()
    call, gc, fd = s._x_fstat_counted, g.c, f._fd
    unpack, build, dev = s._unpack_attr, dingofs.types.attr_from_record, s.dev

    def floor() -> Any:
        # The bare call, unpack and build, nothing else (one shared buffer).
        call(gc, fd, out)
        return build(unpack(rec), dev)

    return {
        "empty loop body (the loop's own floor)": lambda: None,
        "bare cffi call `dfx_fstat_counted` (engine fstat inside)": lambda: call(gc, fd, out),
        "the floor: bare call + unpack + build, nothing else": floor,
        "`Session.x_fstat_attr` (call, pooled buffer, unpack, build)":
            lambda: s.x_fstat_attr(g, fd, "/a/b/big"),
        "`DingoFile.stat` (closed check, the session call)": f.stat,
    }


def access_parts(c: dingofs.Client) -> dict[str, Callable[[], Any]]:
    """The parts of ``c.access("/a/b/f", os.F_OK)``, each a callable to time."""
    s = c._s
    g = c._gate
    call, gc = s._access_counted, g.c

    def floor(path: str = "/a/b/f") -> bool:
        # Path encode, the bare call and the answer as a bool, nothing else.
        return call(gc, path.encode(), 0) == 0

    return {
        "empty loop body (the loop's own floor)": lambda: None,
        "bare cffi call `dfx_access_counted` (engine access inside)":
            lambda: call(gc, b"/a/b/f", 0),
        "the floor: path encode + bare call + bool, nothing else": floor,
        "`Session.x_access` (the call, the refused check)":
            lambda: s.x_access(g, b"/a/b/f", 0, "/a/b/f"),
        "`Client.access` (path encode, NUL and mode checks, the session call)":
            lambda: c.access("/a/b/f", 0),
    }


def pread_parts(c: dingofs.Client, f: Any) -> dict[str, Callable[[], Any]]:
    """The parts of ``f.pread(4096, 0)`` on a file of ``c``, each a callable to time."""
    s = c._s
    g = f._gate
    buf = s.scratch()
    call, gc, fd, unpack = s._pread_counted, g.c, f._fd, s.unpack

    def floor() -> Any:
        # The bare call and the copy into a new bytes object, nothing else.
        return unpack(buf, call(gc, fd, buf, 4096, 0))

    return {
        "empty loop body (the loop's own floor)": lambda: None,
        "bare cffi call `dfx_pread_counted` (engine pread inside)":
            lambda: call(gc, fd, buf, 4096, 0),
        "the floor: bare call + `ffi.unpack` into new bytes, nothing else": floor,
        "`Session.pread_bytes` (pooled buffer, call, unpack)":
            lambda: s.pread_bytes(g, fd, 4096, 0),
        "`DingoFile.pread` (argument checks, the session call)": lambda: f.pread(4096, 0),
    }


class _Smallest(io.RawIOBase):
    """The least a file object of the io hierarchy does: keep a descriptor, close."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def close(self) -> None:
        self.fd = -1

    def __del__(self) -> None:  # replaces io's finalizer, which looks up .closed
        pass


def open_parts(c: dingofs.Client) -> dict[str, Callable[[], Any]]:
    """The parts of ``c.open("/a/b/f", "rb").close()``, each a callable to time."""
    from dingofs._calls import Gate
    from dingofs.file import DingoFile

    s = c._s
    g = c._gate
    mount = c._mount
    gc, lib = g.c, s.lib
    op, cl = lib.dfx_open_gated, lib.dfx_close_gated

    def session_calls() -> None:
        s.close(g, s.open(g, b"/a/b/f", 0, 0, "/a/b/f", True))

    def file_object() -> None:
        fd = s.open(g, b"/a/b/f", 0, 0, "/a/b/f", True)
        DingoFile(c, mount, fd, "/a/b/f", "rb", True, False).close()

    return {
        "empty loop body (the loop's own floor)": lambda: None,
        "bare cffi calls `dfx_open_gated` + `dfx_close_gated` (engine inside)":
            lambda: cl(gc, op(gc, b"/a/b/f", 0, 0, 1)),
        "`Session.open` + `Session.close`": session_calls,
        "a file's call gate (`Gate`: C struct + Python object)":
            lambda: Gate(s, "file", None),
        "the smallest `io.RawIOBase` file object, made, closed, dropped":
            lambda: _Smallest(3).close(),
        "`Session.open` + `DingoFile(...)` + `close()`": file_object,
        "`Client.open(path, 'rb').close()`": lambda: c.open("/a/b/f", "rb").close(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=50000, help="calls per timed loop")
    ap.add_argument("--runs", type=int, default=7, help="runs of three loops per part (best)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as base, \
            dingofs.Client.build(f"local://parts?base={base}", "parts", "/mnt/parts") as c:
        c.makedirs("/a/b")
        c.write_bytes("/a/b/f", b"x")
        c.write_bytes("/a/b/big", bytes(8192))
        f = c.open("/a/b/big", "rb")
        tables = {"stat": parts(c), "fstat": fstat_parts(c, f), "access": access_parts(c),
                  "pread": pread_parts(c, f), "open+close": open_parts(c)}
        # Round-robin (make bench's method): a burst of load on a shared machine
        # spreads over all parts instead of spoiling one; each part's best loop.
        best = run.best_rounds({(t, name): run.call_loop(fn, (), args.calls)
                                for t, table in tables.items() for name, fn in table.items()},
                               3 * args.runs)
        for t, table in tables.items():
            print(f"\n{t}\n\n| part | ns |\n|---|---:|")
            for name in table:
                print(f"| {name} | {best[t, name]:,.0f} |")
        f.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
