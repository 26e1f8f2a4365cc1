#!/usr/bin/env python3
"""Where the time of ``Client.stat`` goes: each part of the call alone in a loop.

    .venv/bin/python benchmarks/stat_parts.py [--calls N] [--runs R]

Times, on a fresh ``local://`` filesystem, the bare cffi call of the bridge's
``dfx_stat_counted``, the ``struct`` unpack of its record, the ``Attr`` build,
the session call that does all three, and ``Client.stat`` itself; prints a
Markdown table of the median of ``--runs`` (each the best of three loops).
It reaches into the call layer's private members on purpose: the parts are
what the public call is made of.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import timeit
from collections.abc import Callable
from typing import Any

import dingofs


def parts(c: dingofs.Client) -> dict[str, Callable[[], Any]]:
    """The parts of ``c.stat("/a/b/f")``, each a callable for timeit."""
    s = c._s
    g = c._gate
    out, rec = s._new_stat_buffer()
    call, gc = s._x_stat_counted, g.c
    unpack, build, dev = s._unpack_attr, s.attr, s.dev
    call(gc, b"/a/b/f", 0, out)
    values = unpack(rec)
    return {
        "empty loop body (the loop's own floor)": lambda: None,
        "bare cffi call `dfx_stat_counted` (engine stat inside)":
            lambda: call(gc, b"/a/b/f", 0, out),
        "`struct` unpack of the fixed record": lambda: unpack(rec),
        "building the `Attr` (one function, slot stores)":
            lambda: build(values, dev),
        "`Session.x_stat_attr` (call, pooled buffer, unpack, build)":
            lambda: s.x_stat_attr(g, b"/a/b/f", 0, "/a/b/f"),
        "`Client.stat` (path encode, NUL check, the session call)":
            lambda: c.stat("/a/b/f"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=50000, help="calls per timed loop")
    ap.add_argument("--runs", type=int, default=7, help="runs per part (median)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as base, \
            dingofs.Client.build(f"local://parts?base={base}", "parts", "/mnt/parts") as c:
        c.makedirs("/a/b")
        c.write_bytes("/a/b/f", b"x")
        print("| part | ns |\n|---|---:|")
        for name, fn in parts(c).items():
            runs = [min(timeit.repeat(fn, number=args.calls, repeat=3)) / args.calls * 1e9
                    for _ in range(args.runs)]
            print(f"| {name} | {statistics.median(runs):,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
