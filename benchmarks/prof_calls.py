#!/usr/bin/env python3
"""Profile one hot SDK call with cProfile (or run it bare for py-spy/perf).

    .venv/bin/python benchmarks/prof_calls.py CASE [--calls N] [--bare] [--top K]

CASE is one of: access, stat, lstat, fstat, close, open_close, pread, readinto_4k,
small_read, unlink, setxattr, getxattr, listdir, scandir.

Without options the loop runs under :mod:`cProfile` and the functions with
the largest own time are printed (cProfile inflates every Python call, so use
it for call counts and structure). ``--pyspy`` runs the bare loop under the
py-spy sampling profiler (``pip install py-spy``) and prints the source lines
with the most samples: time spent inside a C call is charged to the Python
line that makes the call. ``--bare`` only runs the loop (for perf, valgrind)::

    .venv/bin/python benchmarks/prof_calls.py stat --pyspy --calls 300000
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import dingofs  # noqa: E402


def cases(c: Any, calls: int) -> dict[str, Callable[[], None]]:
    c.makedirs("/d", exist_ok=True)
    with c.open("/d/f", "wb") as f:
        f.write(b"x" * 4096)
    c.setxattr("/d/f", "user.k", b"v" * 16)
    p = "/d/f"
    fo = c.open(p, "rb")
    buf = bytearray(4096)

    def access() -> None:
        a = c.access
        for _ in range(calls):
            a(p, os.F_OK)

    def stat() -> None:
        s = c.stat
        for _ in range(calls):
            s(p)

    def lstat() -> None:
        s = c.lstat
        for _ in range(calls):
            s(p)

    def fstat() -> None:
        s = fo.stat
        for _ in range(calls):
            s()

    def close() -> None:
        files = [c.open(p, "rb") for _ in range(calls)]
        for f in files:
            f.close()

    def open_close() -> None:
        o = c.open
        for _ in range(calls):
            o(p, "rb").close()

    def pread() -> None:
        r = fo.pread
        for _ in range(calls):
            r(4096, 0)

    def readinto_4k() -> None:
        sk, ri = fo.seek, fo.readinto
        for _ in range(calls):
            sk(0)
            ri(buf)

    def small_read() -> None:
        o = c.open
        for _ in range(calls):
            with o(p, "rb") as f:
                f.read()

    def unlink() -> None:
        names = [f"/d/u{i}" for i in range(calls)]
        for q in names:
            c.open(q, "wb").close()
        u = c.unlink
        for q in names:
            u(q)

    def setxattr() -> None:
        s = c.setxattr
        for _ in range(calls):
            s(p, "user.k", b"v" * 16)

    def getxattr() -> None:
        g = c.getxattr
        for _ in range(calls):
            g(p, "user.k", as_bytes=True)

    c.makedirs("/big", exist_ok=True)
    n_entries = 10000

    def fill_big() -> None:
        if len(c.listdir("/big")) < n_entries:
            for i in range(n_entries):
                c.open(f"/big/e{i:06d}", "wb").close()

    def listdir() -> None:
        for _ in range(max(1, calls // n_entries)):
            c.listdir("/big")

    def scandir() -> None:
        for _ in range(max(1, calls // n_entries)):
            with c.scandir("/big") as it:
                for e in it:
                    _ = e.name

    listdir.setup = scandir.setup = fill_big  # type: ignore[attr-defined]
    return {k: v for k, v in locals().items() if callable(v) and k in CASES}


CASES = ("access", "stat", "lstat", "fstat", "close", "open_close", "pread", "readinto_4k",
         "small_read", "unlink", "setxattr", "getxattr", "listdir", "scandir")


def pyspy(args: argparse.Namespace) -> int:
    """Sample a bare run with py-spy and print the lines and functions with most samples."""
    exe = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
    if not os.path.exists(exe):
        print("py-spy is not installed (pip install py-spy)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "raw.txt")
        cmd = [exe, "record", "-r", "1000", "-f", "raw", "-o", out, "--", sys.executable,
               os.path.abspath(__file__), args.case, "--bare", "--calls", str(args.calls)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        own: Counter[str] = Counter()
        incl: Counter[str] = Counter()
        total = 0
        with open(out) as f:
            for line in f:
                stack, _, n = line.rstrip().rpartition(" ")
                frames = stack.split(";")
                # only samples inside the timed loop
                if not any(fr.split(" (")[0].split(".")[-1] == args.case for fr in frames):
                    continue
                k = int(n)
                total += k
                own[frames[-1]] += k
                for fn in {fr.split(" (")[0] for fr in frames}:
                    incl[fn] += k
    if not total:
        print("no samples")
        return 1
    print(f"{args.case}: {total} samples in the loop")
    print("own samples per source line:")
    for fr, k in own.most_common(args.top):
        print(f"  {100 * k / total:5.1f} %  {fr}")
    print("inclusive samples per function:")
    for fn, k in incl.most_common(args.top):
        print(f"  {100 * k / total:5.1f} %  {fn}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("case", choices=CASES)
    ap.add_argument("--calls", type=int, default=50000)
    ap.add_argument("--bare", action="store_true")
    ap.add_argument("--top", type=int, default=18)
    ap.add_argument("--pyspy", action="store_true")
    args = ap.parse_args()
    if args.pyspy:
        return pyspy(args)
    base = tempfile.mkdtemp(prefix="pyprof.", dir=os.environ.get("BENCH_DIR"))
    c = dingofs.Client.build(f"local://prof?base={base}", "prof", "/prof", init_logging=False)
    try:
        fn = cases(c, args.calls)[args.case]
        setup = getattr(fn, "setup", None)
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        if args.bare:
            fn()
        else:
            prof = cProfile.Profile()
            prof.runcall(fn)
            pstats.Stats(prof).sort_stats("tottime").print_stats(args.top)
        dt = time.perf_counter() - t0
        print(f"{args.case}: {args.calls} calls in {dt:.2f} s "
              f"({dt / args.calls * 1e6:.2f} µs per call{', profiled' if not args.bare else ''})")
    finally:
        c.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
