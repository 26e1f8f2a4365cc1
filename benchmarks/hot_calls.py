#!/usr/bin/env python3
"""Time the SDK's hot calls in this interpreter and print the result as JSON.

    PYTHON benchmarks/hot_calls.py SCRATCH_DIR [--calls N] [--seq-mb M]

Run by :mod:`benchmarks.compare_commits` once per build and round, so that two
builds of the package (each installed in its own interpreter) are measured with
the same code in the same run. Only the public API is used, so any commit of the
package can be measured. Per-call cases report nanoseconds per call (the best of
three loops); I/O cases report MiB/s (the best of three passes).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import dingofs


def per_call_ns(fn: Callable[[], Any], calls: int) -> float:
    """Best of three loops of ``calls`` calls of ``fn``, in ns per call."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter_ns()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter_ns() - t0) / calls)
    return best


def best_rate(fn: Callable[[], int]) -> float:
    """Best of three passes of ``fn`` (which returns the bytes it moved), in MiB/s."""
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        moved = fn()
        best = max(best, moved / (1 << 20) / (time.perf_counter() - t0))
    return best


def measure(scratch: str, calls: int, seq_mb: int) -> dict[str, float]:
    """Every case on one fresh ``local://`` filesystem under ``scratch``."""
    name = f"hot{os.getpid()}"
    out: dict[str, float] = {}
    with dingofs.Client.build(f"local://{name}?base={scratch}", name, "/mnt/hot") as c:
        c.write_bytes("/small", os.urandom(4096))
        c.mkdir("/a")
        c.mkdir("/a/b")
        c.write_bytes("/a/b/f", b"x")
        out["stat (ns)"] = per_call_ns(lambda: c.stat("/a/b/f"), calls)
        out["lstat (ns)"] = per_call_ns(lambda: c.lstat("/a/b/f"), calls)
        out["access (ns)"] = per_call_ns(lambda: c.access("/a/b/f", os.F_OK), calls)
        out["open+close (ns)"] = per_call_ns(lambda: c.open("/small", "rb").close(),
                                             calls // 4)
        with c.open("/small", "rb") as f:
            buf = bytearray(4096)
            out["fstat (ns)"] = per_call_ns(f.stat, calls)
            out["pread 4 KiB (ns)"] = per_call_ns(lambda: f.pread(4096, 0), calls)

            def seek_readinto() -> None:
                f.seek(0)
                f.readinto(buf)

            out["seek+readinto 4 KiB (ns)"] = per_call_ns(seek_readinto, calls)

            def seek_read() -> None:
                f.seek(0)
                f.read(4096)

            out["seek+read 4 KiB (ns)"] = per_call_ns(seek_read, calls)
            out["seek (ns)"] = per_call_ns(lambda: f.seek(0), calls)
        chunk = os.urandom(1 << 20)

        def seq_write() -> int:
            with c.open("/seq", "wb", buffering=0) as f:
                for _ in range(seq_mb):
                    f.write(chunk)
            return seq_mb << 20

        out["sequential write 1 MiB calls (MiB/s)"] = best_rate(seq_write)
        big = bytearray(1 << 20)

        def seq_readinto() -> int:
            n = 0
            with c.open("/seq", "rb", buffering=0) as f:
                while True:
                    got = f.readinto(big)
                    if not got:
                        return n
                    n += got

        out["sequential readinto 1 MiB calls (MiB/s)"] = best_rate(seq_readinto)

        def seq_read() -> int:
            n = 0
            with c.open("/seq", "rb", buffering=0) as f:
                while True:
                    got = len(f.read(1 << 20))
                    if not got:
                        return n
                    n += got

        out["sequential read 1 MiB calls (MiB/s)"] = best_rate(seq_read)
        rng = random.Random(7)
        offsets = [rng.randrange(0, (seq_mb << 20) - 4096) & ~4095 for _ in range(calls)]

        def rand_pread() -> int:
            with c.open("/seq", "rb", buffering=0) as f:
                for off in offsets:
                    f.pread(4096, off)
            return len(offsets) * 4096

        out["random 4 KiB pread (MiB/s)"] = best_rate(rand_pread)
        small = bytearray(4096)

        def rand_readinto() -> int:
            with c.open("/seq", "rb", buffering=0) as f:
                for off in offsets:
                    f.seek(off, io.SEEK_SET)
                    f.readinto(small)
            return len(offsets) * 4096

        out["random 4 KiB seek+readinto (MiB/s)"] = best_rate(rand_readinto)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scratch", help="directory for the local:// filesystem")
    ap.add_argument("--calls", type=int, default=20000, help="calls per timed loop")
    ap.add_argument("--seq-mb", type=int, default=128, help="size of the sequential file")
    args = ap.parse_args(argv)
    result = measure(args.scratch, args.calls, args.seq_mb)
    json.dump({"version": dingofs.__version__, "results": result}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
