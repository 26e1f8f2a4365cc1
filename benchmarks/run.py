#!/usr/bin/env python3
"""Benchmark suite of the dingofs Python SDK (``make bench``).

Everything is measured in one run, on one disk: a fresh scratch directory holds
the SDK's ``local://`` filesystems, the C baseline's filesystem and the plain
directory used through :mod:`os`. Five sections:

``overhead``  per-call cost added by Python: the SDK and the raw cffi bridge
              against the same C function called in a C loop (``cloop.c``);
``ctypes``    the same calls through a minimal :mod:`ctypes` wrapper of
              ``libdingofs.so.1`` (the technique of other SDKs) against ours;
``os``        the SDK on ``local://`` against :mod:`os`/``io.FileIO`` on the
              same disk (metadata, listing, small files, sequential and
              random I/O, xattrs);
``threads``   1 against 2 threads doing 1 MiB ``readinto`` calls;
``memory``    peak RSS growth while reading a large file with ``read()`` and
              with ``readinto()`` (each in a child process).

Every number is the median of ``BENCH_PY_REPEAT`` repetitions; the two sides
of a comparison alternate which one runs first, and the ``os`` section prints
the lowest and highest ratio of the rounds next to the median. The
``overhead`` section and its C loop, and the ``ctypes`` section, instead take
every call's best round, the rounds going round-robin over all calls on both
sides (per-call loops of a few
milliseconds, where a burst of load on a shared machine would otherwise decide
a row). Results: a table on stdout,
JSON (``BENCH_PY_JSON``), a Markdown table next to it and a PNG chart
(``BENCH_PY_PNG``).

Environment (defaults in brackets):
  BENCH_DIR            parent of the scratch directory [benchmarks/build/tmp]
  BENCH_PY_REPEAT      repetitions per measurement [5]
  BENCH_PY_CALLS       calls per timed loop of the per-call sections [20000]
  BENCH_PY_N           files/directories per metadata measurement [1000]
  BENCH_PY_STATS       stat/lstat calls per measurement [10000]
  BENCH_PY_ENTRIES     entries of the listed directory and of the walked tree [10000]
  BENCH_PY_SEQ_MB      size of the sequential file in MiB [1024]
  BENCH_PY_RAND        random 4 KiB reads per measurement [10000]
  BENCH_PY_THREAD_MB   size of each file of the thread test in MiB [256]
  BENCH_PY_SECTIONS    comma-separated subset of the sections [all]
  BENCH_PY_JSON        JSON output [benchmarks/results/latest.json]
  BENCH_PY_PNG         chart output [docs/bench.png]; "" disables the chart
  BENCH_PY_DOCS        document whose generated table block is refreshed after a
                       complete run with default sizes [docs/benchmarks.md]; "" disables it
  BENCH_KEEP           keep the scratch directory when set to 1

Exit status: 0 when every measurement ran (goals met or not), 1 on a failure.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import gc
import io
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NATIVE_BUILD = os.path.join(ROOT, "native", "build")
BUILD = os.path.join(HERE, "build")
MiB = 1 << 20
SECTIONS = ("overhead", "ctypes", "os", "meta", "threads", "memory")
XATTR_NAME = "user.bench"
XATTR_VALUE = b"value-0123456789"


def env_int(name: str, default: int, lo: int = 1, hi: int = 1 << 40) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        sys.exit(f"bench: {name}={raw!r} is not an integer")
    if not lo <= value <= hi:
        sys.exit(f"bench: {name}={value} must be in [{lo}, {hi}]")
    return value


class Config:
    def __init__(self) -> None:
        self.repeat = env_int("BENCH_PY_REPEAT", 5, 1, 31)
        self.calls = env_int("BENCH_PY_CALLS", 20000, 10, 10_000_000)
        self.n = env_int("BENCH_PY_N", 1000, 10, 1_000_000)
        self.stats = env_int("BENCH_PY_STATS", 10000, 10, 10_000_000)
        self.entries = env_int("BENCH_PY_ENTRIES", 10000, 100, 10_000_000)
        self.seq_mb = env_int("BENCH_PY_SEQ_MB", 1024, 4, 1 << 20)
        self.rand = env_int("BENCH_PY_RAND", 10000, 10, 10_000_000)
        self.thread_mb = env_int("BENCH_PY_THREAD_MB", 256, 4, 1 << 20)
        self.meta_files = env_int("BENCH_PY_META_FILES", 4000, 10, 10_000_000)
        wanted = os.environ.get("BENCH_PY_SECTIONS", "").strip()
        self.sections = [s.strip() for s in wanted.split(",") if s.strip()] or list(SECTIONS)
        for s in self.sections:
            if s not in SECTIONS:
                sys.exit(f"bench: unknown section {s!r} (known: {', '.join(SECTIONS)})")
        self.json_path = os.environ.get("BENCH_PY_JSON") or os.path.join(
            HERE, "results", "latest.json")
        self.png_path = os.environ.get("BENCH_PY_PNG", os.path.join(ROOT, "docs", "bench.png"))
        self.docs_path = os.environ.get("BENCH_PY_DOCS",
                                        os.path.join(ROOT, "docs", "benchmarks.md"))
        self.parent = os.environ.get("BENCH_DIR") or os.path.join(BUILD, "tmp")
        self.keep = os.environ.get("BENCH_KEEP") == "1"
        #: the documented table is only refreshed by a full run with the issue's sizes
        #: (and at least the default number of repetitions)
        self.default_sizes = self.repeat >= 5 and not any(
            os.environ.get("BENCH_PY_" + k) for k in (
                "CALLS", "N", "STATS", "ENTRIES", "SEQ_MB", "RAND", "THREAD_MB", "META_FILES",
                "SECTIONS"))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# ----------------------------------------------------------------------------- results
class Results:
    """Rows of the final table, grouped by section."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.extra: dict[str, Any] = {}

    def add(self, section: str, name: str, *, ours: float, ref: float | None, unit: str,
            metric: float, metric_unit: str, goal: str = "", met: bool | None = None,
            ref_name: str = "", **more: Any) -> None:
        row = {"section": section, "name": name, "ours": ours, "ref": ref, "unit": unit,
               "metric": metric, "metric_unit": metric_unit, "goal": goal, "met": met,
               "ref_name": ref_name}
        row.update(more)
        self.rows.append(row)


def fmt_num(v: float | None, unit: str) -> str:
    if v is None:
        return "-"
    if unit in ("us", "µs"):
        return f"{v:.2f} µs"
    if unit == "ms":
        return f"{v:.2f} ms"
    if unit == "MiB/s":
        return f"{v:.0f} MiB/s"
    if unit == "MiB":
        return f"{v:.1f} MiB"
    if unit == "files/s":
        return f"{v:,.0f}/s"
    return f"{v:.3g} {unit}"


def fmt_metric(v: float, unit: str, spread: Sequence[float] | None = None) -> str:
    """``v`` in ``unit``, followed by the lowest and highest round when ``spread`` has them."""
    if spread:
        lo, hi = (fmt_metric(x, unit).rstrip("x %") for x in spread)
        return f"{fmt_metric(v, unit)} ({lo}–{hi})"
    if unit == "x":
        return f"{v:.2f}x"
    if unit == "%":
        return f"{v:.0f} %"
    if unit == "us":
        return f"{v:+.2f} µs"
    if unit == "MiB":
        return f"{v:.1f} MiB"
    return f"{v:.3g} {unit}"


def verdict(met: bool | None) -> str:
    return "reported" if met is None else ("met" if met else "MISSED")


TITLES = {
    "overhead": "Binding overhead: Python vs the same C function in a C loop",
    "ctypes": "Binding technique: minimal ctypes wrapper vs this SDK (cffi API mode)",
    "os": "Physical limit: SDK on local:// vs os/io.FileIO, same disk",
    "meta": "C level: empty-file creation (open O_CREAT + close), files per second",
    "threads": "Threads: 1 MiB readinto, page-cache-resident files, one file per thread",
    "memory": "Memory: peak RSS growth while reading one file",
}
HEADERS = {
    "overhead": ("call", "C loop", "Python", "added per call"),
    "ctypes": ("call", "ctypes", "cffi/SDK", "speed-up"),
    "os": ("operation", "os", "SDK", "ratio"),
    "meta": ("case", "reference", "SDK", "ratio"),
    "threads": ("case", "1 thread", "2 threads", "scaling"),
    "memory": ("case", "file size", "RSS growth", "growth"),
}


def table_lines(res: Results, markdown: bool) -> list[str]:
    out: list[str] = []
    for section in SECTIONS:
        rows = [r for r in res.rows if r["section"] == section]
        if not rows:
            continue
        h = HEADERS[section]
        cols = [h[0], h[1], h[2], h[3], "goal", "result"]
        body = [[r["name"], fmt_num(r["ref"], r["unit"]), fmt_num(r["ours"], r["unit"]),
                 fmt_metric(r["metric"], r["metric_unit"], r.get("spread")), r["goal"] or "-",
                 verdict(r["met"])]
                for r in rows]
        if markdown:
            out.append(f"**{TITLES[section]}**")
            out.append("")
            out.append("| " + " | ".join(cols) + " |")
            out.append("|" + "|".join(["---"] + ["---:"] * 3 + ["---", "---"]) + "|")
            out.extend("| " + " | ".join(b) + " |" for b in body)
        else:
            widths = [max(len(x[i]) for x in [cols] + body) for i in range(len(cols))]
            out.append(TITLES[section])
            line = "  ".join(c.ljust(w) if i in (0, 4, 5) else c.rjust(w)
                             for i, (c, w) in enumerate(zip(cols, widths)))
            out.append("  " + line)
            for b in body:
                out.append("  " + "  ".join(c.ljust(w) if i in (0, 4, 5) else c.rjust(w)
                                            for i, (c, w) in enumerate(zip(b, widths))))
        out.append("")
    goals = [r for r in res.rows if r["met"] is not None]
    met = sum(1 for r in goals if r["met"])
    out.append(f"{met} of {len(goals)} goals met")
    return out


# ----------------------------------------------------------------------------- machine
def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_mib": mem,
        "kernel": platform.release(), "system": platform.system(),
        "python": platform.python_version(), "implementation": platform.python_implementation(),
    }


def filesystem_of(path: str) -> str:
    best, fstype, dev = "", "?", "?"
    try:
        with open("/proc/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    mnt = parts[1].replace("\\040", " ")
                    if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and \
                            len(mnt) >= len(best):
                        best, dev, fstype = mnt, parts[0], parts[2]
    except OSError:
        pass
    return f"{fstype} on {dev} (mounted at {best or '?'})"


# ----------------------------------------------------------------------------- timing
def best_rounds(loops: dict[Any, tuple[Callable[[], Any], int]], rounds: int) -> dict[Any, float]:
    """Best nanoseconds per call of each ``(loop, calls)``: every round runs one loop of
    each, round-robin (the order reversed every other round, so that no side always
    goes first), after one warm-up round."""
    best = dict.fromkeys(loops, math.inf)
    order = list(loops)
    for r in range(-1, rounds):
        for key in (order if r % 2 == 0 else order[::-1]):
            run, n = loops[key]
            t0 = time.perf_counter()
            run()
            ns = (time.perf_counter() - t0) / n * 1e9
            if r >= 0:
                best[key] = min(best[key], ns)
    return best


def call_loop(call: Callable[..., Any], args: tuple[Any, ...], calls: int
              ) -> tuple[Callable[[], None], int]:
    """A loop of ``calls`` calls of ``call(*args)``, for :func:`best_rounds`."""
    rng = range(calls)

    def run() -> None:
        for _ in rng:
            call(*args)
    return run, calls


# ----------------------------------------------------------------------------- C baseline
def build_c_program(name: str, out_dir: str = BUILD, lib: str | None = None,
                    include: str | None = None) -> str:
    """Compile ``benchmarks/NAME.c`` against the static engine into ``out_dir``
    (again only when the source or the engine is newer); returns its path.
    ``lib`` and ``include``: another engine's ``libdingofs.a`` and include
    directory (default: this tree's)."""
    src = os.path.join(HERE, name + ".c")
    lib = lib or os.path.join(NATIVE_BUILD, "libdingofs.a")
    include = include or os.path.join(ROOT, "native", "include")
    out = os.path.join(out_dir, name)
    if not os.path.exists(lib):
        raise RuntimeError(f"{lib} is missing: build the engine first (make -C native)")
    if os.path.exists(out) and os.path.getmtime(out) >= max(os.path.getmtime(src),
                                                           os.path.getmtime(lib)):
        return out
    os.makedirs(out_dir, exist_ok=True)
    cc = os.environ.get("CC", "cc")
    cmd = [cc, "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread",
           "-I" + include, src, lib,
           "-lsqlite3", "-lstdc++", "-lm", "-o", out]
    log("bench: " + " ".join(cmd))
    subprocess.run(cmd, check=True)
    return out


def run_cloop(scratch: str, cfg: Config) -> dict[str, float]:
    exe = build_c_program("cloop")
    base = os.path.join(scratch, "cbase")
    os.makedirs(base, exist_ok=True)
    out = subprocess.run([exe, base, str(cfg.calls), str(max(cfg.repeat, 5))], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return {k: float(v) for k, v in json.loads(out).items()}


def section_meta(res: Results, scratch: str, cfg: Config) -> None:
    """Empty-file creation from C, 1 and 2 threads, SDK vs plain POSIX calls.

    ``cmeta.c`` alternates the sides in every round; each number is the
    median over the rounds (min and max are kept in the JSON details).
    """
    exe = build_c_program("cmeta")
    base = os.path.join(scratch, "cmeta")
    os.makedirs(base, exist_ok=True)
    out = subprocess.run([exe, base, str(cfg.meta_files), str(max(cfg.repeat, 5))], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    got = {k: [float(x) for x in v] for k, v in json.loads(out).items()}
    res.extra["cmeta_files_per_s"] = got
    sdk1, posix1, sdk2, posix2 = (got[k][0] for k in ("sdk1", "posix1", "sdk2", "posix2"))
    res.add("meta", "1 thread: SDK vs POSIX open(O_CREAT)+close", ours=sdk1, ref=posix1,
            unit="files/s", metric=sdk1 / posix1 * 100, metric_unit="%", goal=">= 50 %",
            met=sdk1 / posix1 >= 0.5, ref_name="POSIX loop")
    res.add("meta", "2 threads: SDK vs POSIX", ours=sdk2, ref=posix2, unit="files/s",
            metric=sdk2 / posix2 * 100, metric_unit="%", ref_name="POSIX loop")
    res.add("meta", "SDK: 2 threads vs 1 thread", ours=sdk2, ref=sdk1, unit="files/s",
            metric=sdk2 / sdk1, metric_unit="x", goal=">= 1.5x", met=sdk2 / sdk1 >= 1.5,
            ref_name="SDK, 1 thread")
    res.add("meta", "POSIX (reference): 2 threads vs 1 thread", ours=posix2, ref=posix1,
            unit="files/s", metric=posix2 / posix1, metric_unit="x",
            ref_name="POSIX, 1 thread")
    section_sqlite_floor(res, scratch, cfg)


def section_sqlite_floor(res: Results, scratch: str, cfg: Config) -> None:
    """unlink and setxattr from C: plain POSIX calls, the smallest SQLite write
    transaction that could record the change, and the engine.

    ``csqlite.c`` rotates the three sides in every round; each number is the
    median over the rounds (min and max are kept in the JSON details). The
    bare transaction is the floor any engine that commits each change to a
    SQLite store before returning pays.
    """
    exe = build_c_program("csqlite")
    base = os.path.join(scratch, "csqlite")
    os.makedirs(base, exist_ok=True)
    ops = max(100, cfg.meta_files // 2)
    out = subprocess.run([exe, base, str(ops), str(max(cfg.repeat, 5))], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    got = json.loads(out)
    res.extra["csqlite_us"] = got
    for op, sides in got.items():
        posix, floor, engine = (sides[k][0] if sides[k] else None
                                for k in ("posix", "sqlite", "engine"))
        if posix is not None:
            res.add("meta", f"C {op}: bare SQLite transaction vs POSIX", ours=floor, ref=posix,
                    unit="us", metric=floor / posix, metric_unit="x", ref_name="POSIX call")
            res.add("meta", f"C {op}: engine vs POSIX", ours=engine, ref=posix, unit="us",
                    metric=engine / posix, metric_unit="x", ref_name="POSIX call")
        res.add("meta", f"C {op}: engine vs bare SQLite transaction", ours=engine, ref=floor,
                unit="us", metric=engine / floor, metric_unit="x",
                ref_name="bare SQLite transaction")


# ----------------------------------------------------------------------------- the SDK
def build_client(scratch: str, name: str) -> Any:
    import dingofs
    base = os.path.join(scratch, "base-" + name)
    os.makedirs(base, exist_ok=True)
    return dingofs.Client.build(f"local://{name}?base={base}", name, "/" + name,
                                init_logging=False)


def prepare_small(c: Any) -> str:
    c.makedirs("/d", exist_ok=True)
    with c.open("/d/f", "wb") as f:
        f.write(b"x" * 4096)
    c.setxattr("/d/f", XATTR_NAME, XATTR_VALUE)
    return "/d/f"


# ----------------------------------------------------------------------------- section: overhead
def section_overhead(res: Results, scratch: str, cfg: Config, cns: dict[str, float]) -> None:
    c = build_client(scratch, "ovh")
    try:
        p = prepare_small(c)
        pb = p.encode()
        calls, rep = cfg.calls, max(cfg.repeat, 5)
        s = getattr(c, "_s", None)  # the internal call session, for the raw-bridge column
        quarter = max(calls // 4, 10)

        def loop(call: Callable[..., Any], *args: Any, n: int = calls) -> tuple[Any, int]:
            return call_loop(call, args, n)

        path_loops: dict[str, tuple[Any, int]] = {
            "x_access": loop(c.access, p, os.F_OK),
            "x_stat": loop(c.stat, p),
            "lstat": loop(c.lstat, p),
            "getxattr": loop(c.getxattr, p, XATTR_NAME),
        }
        if s is not None:
            lib, ffi, h = s.lib, s.ffi, s.h
            st = ffi.new("struct stat*")
            fl = ffi.new("uint32_t*")
            buf = ffi.new("char[]", 4096)
            path_loops.update({
                "raw:x_access": loop(lib.dfx_access, h, pb, 0),
                "raw:stat": loop(lib.dingofs_stat, h, pb, st),
                "raw:x_stat": loop(lib.dfx_stat, h, pb, 0, st, fl),
                "raw:lstat": loop(lib.dingofs_lstat, h, pb, st),
            })
        f = c.open(p, "rb")
        b4k = bytearray(4096)
        seek, read, readinto = f.seek, f.read, f.readinto

        def seek_read() -> None:
            seek(0)
            read(4096)

        def seek_readinto() -> None:
            seek(0)
            readinto(b4k)

        loops = {
            **path_loops,
            "fstat": loop(f.stat),
            "pread_4k": loop(f.pread, 4096, 0),
            "seek": loop(seek, 0),
            "seek_read_4k": loop(seek_read),
            "seek_readinto_4k": loop(seek_readinto),
        }
        if s is not None:
            loops["raw:fstat"] = loop(lib.dingofs_fstat, h, f._fd, st)
            loops["raw:pread_4k"] = loop(lib.dingofs_pread, h, f._fd, buf, 4096, 0)
            sys.path.insert(0, HERE)
            import lean
            lp = lean.Lean(s)
            if lp.stat(p).ino != c.stat(p).ino:
                raise RuntimeError("lean prototype disagrees with the SDK")
            loops["lean:x_access"] = loop(lp.access, p, os.F_OK)
            loops["lean:x_stat"] = loop(lp.stat, p)
        # Round-robin like cloop.c, each call's best round.
        best = best_rounds(loops, rep)
        f.close()
        # open+close and close with the file closed everywhere else (as in cloop.c)
        opener = c.open

        def open_close() -> None:
            opener(p, "rb").close()

        best.update(best_rounds({"open_close": loop(open_close, n=quarter)}, rep))
        # close alone: open the files untimed, time only the closes
        closes = []
        for _ in range(rep):
            files = [c.open(p, "rb") for _ in range(quarter)]
            t0 = time.perf_counter()
            for fo in files:
                fo.close()
            closes.append((time.perf_counter() - t0) / len(files) * 1e9)
            del files
        best["close"] = min(closes)
        raw = {k[4:]: v for k, v in best.items() if k.startswith("raw:")}
        lean_ns = {k[5:]: v for k, v in best.items() if k.startswith("lean:")}
        sdk = {k: v for k, v in best.items() if ":" not in k}
    finally:
        c.stop()
    res.extra["overhead_raw_bridge_ns"] = raw
    res.extra["overhead_sdk_ns"] = sdk
    res.extra["cloop_ns"] = cns
    label = {
        "x_access": ("access(path, F_OK)", "dingofs_x_access", 1.0),
        "close": ("DingoFile.close()", "dingofs_close", 1.0),
        "x_stat": ("stat(path)", "dingofs_x_stat", 2.5),
        "lstat": ("lstat(path)", "dingofs_lstat", 2.5),
        "fstat": ("DingoFile.stat()", "dingofs_fstat", 2.5),
        "open_close": ("open(path, 'rb').close()", "dingofs_open+close", None),
        "pread_4k": ("DingoFile.pread(4096, 0)", "dingofs_pread", 1.0),
        "getxattr": ("getxattr(path, name)", "dingofs_getxattr", None),
        "seek": ("DingoFile.seek(0)", "dingofs_lseek", 1.0),
        # two hot calls against the same two in C: 1 µs each
        "seek_read_4k": ("seek(0) + read(4096)", "dingofs_lseek+read", 2.0),
        "seek_readinto_4k": ("seek(0) + readinto(4 KiB bytearray)", "dingofs_lseek+read", 2.0),
    }
    for key, (name, cname, limit) in label.items():
        ckey = "seek_read_4k" if key == "seek_readinto_4k" else key
        if key not in sdk or ckey not in cns:
            continue
        added = (sdk[key] - cns[ckey]) / 1000
        goal = f"<= {limit:g} µs" if limit is not None else ""
        res.add("overhead", name, ours=sdk[key] / 1000, ref=cns[ckey] / 1000, unit="us",
                metric=added, metric_unit="us", goal=goal,
                met=None if limit is None else added <= limit, c_function=cname,
                raw_bridge_us=raw[key] / 1000 if key in raw else None)
    res.extra["overhead_lean_ns"] = lean_ns
    for key, name in (("x_access", "access(path, F_OK)"), ("x_stat", "stat(path)")):
        if key in lean_ns and key in cns:
            res.add("overhead", f"prototype (benchmarks/lean.py): {name}",
                    ours=lean_ns[key] / 1000, ref=cns[key] / 1000, unit="us",
                    metric=(lean_ns[key] - cns[key]) / 1000, metric_unit="us")
    for key in ("x_access", "stat", "x_stat", "lstat", "fstat", "pread_4k"):
        if key in raw and key in cns:
            name = {"x_access": "dfx_access", "stat": "dingofs_stat", "x_stat": "dfx_stat",
                    "lstat": "dingofs_lstat", "fstat": "dingofs_fstat",
                    "pread_4k": "dingofs_pread"}[key]
            res.add("overhead", f"raw bridge: lib.{name}", ours=raw[key] / 1000,
                    ref=cns[key] / 1000, unit="us", metric=(raw[key] - cns[key]) / 1000,
                    metric_unit="us")


# ----------------------------------------------------------------------------- section: ctypes
class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def stat_struct() -> type | None:
    """``struct stat`` of glibc for the running architecture (None if unknown)."""
    m = platform.machine()
    if m == "x86_64":
        fields = [("st_dev", ctypes.c_uint64), ("st_ino", ctypes.c_uint64),
                  ("st_nlink", ctypes.c_uint64), ("st_mode", ctypes.c_uint32),
                  ("st_uid", ctypes.c_uint32), ("st_gid", ctypes.c_uint32),
                  ("_pad0", ctypes.c_int), ("st_rdev", ctypes.c_uint64),
                  ("st_size", ctypes.c_int64), ("st_blksize", ctypes.c_int64),
                  ("st_blocks", ctypes.c_int64), ("st_atim", _Timespec),
                  ("st_mtim", _Timespec), ("st_ctim", _Timespec),
                  ("_reserved", ctypes.c_int64 * 3)]
    elif m in ("aarch64", "arm64", "riscv64"):
        fields = [("st_dev", ctypes.c_uint64), ("st_ino", ctypes.c_uint64),
                  ("st_mode", ctypes.c_uint32), ("st_nlink", ctypes.c_uint32),
                  ("st_uid", ctypes.c_uint32), ("st_gid", ctypes.c_uint32),
                  ("st_rdev", ctypes.c_uint64), ("_pad1", ctypes.c_uint64),
                  ("st_size", ctypes.c_int64), ("st_blksize", ctypes.c_int32),
                  ("_pad2", ctypes.c_int32), ("st_blocks", ctypes.c_int64),
                  ("st_atim", _Timespec), ("st_mtim", _Timespec), ("st_ctim", _Timespec),
                  ("_reserved", ctypes.c_int32 * 2)]
    else:
        return None
    return type("Stat", (ctypes.Structure,), {"_fields_": fields})


class CtypesFS:
    """The smallest useful ctypes binding of libdingofs, written the way peer SDKs bind.

    Paths are encoded, return codes checked and turned into :class:`OSError`,
    ``stat`` returns an :class:`os.stat_result`: the same work the SDK does,
    without its safety layers.
    """

    def __init__(self, path: str, url: str, name: str) -> None:
        st = stat_struct()
        if st is None:
            raise RuntimeError(f"no struct stat layout for {platform.machine()}")
        self.Stat = st
        lib = ctypes.CDLL(path)
        u, i, p, sz, o = (ctypes.c_uint64 if ctypes.sizeof(ctypes.c_void_p) == 8
                          else ctypes.c_uint32), ctypes.c_int, ctypes.c_char_p, \
            ctypes.c_size_t, ctypes.c_int64
        vp = ctypes.c_void_p
        sp = ctypes.POINTER(st)
        sigs = {
            "dingofs_new": (u, []), "dingofs_delete": (None, [u]),
            "dingofs_mount_nolog": (i, [u, p, p, p]), "dingofs_umount": (i, [u]),
            "dingofs_x_access": (i, [u, p, i]), "dingofs_stat": (i, [u, p, sp]),
            "dingofs_lstat": (i, [u, p, sp]), "dingofs_fstat": (i, [u, i, sp]),
            "dingofs_open": (i, [u, p, i, ctypes.c_uint32]), "dingofs_close": (i, [u, i]),
            "dingofs_pread": (ctypes.c_ssize_t, [u, i, vp, sz, o]),
            "dingofs_getxattr": (ctypes.c_ssize_t, [u, p, p, vp, sz]),
            "dingofs_write": (ctypes.c_ssize_t, [u, i, vp, sz]),
            "dingofs_mkdir": (i, [u, p, ctypes.c_uint32]),
            "dingofs_setxattr": (i, [u, p, p, vp, sz, i]),
        }
        for fn, (restype, argtypes) in sigs.items():
            f = getattr(lib, fn)
            f.restype = restype
            f.argtypes = argtypes
        self.lib = lib
        self.h = lib.dingofs_new()
        rc = lib.dingofs_mount_nolog(self.h, url.encode(), name.encode(), b"/ctypes")
        if rc < 0:
            raise OSError(-rc, os.strerror(-rc), url)

    @staticmethod
    def _err(rc: int, path: Any) -> OSError:
        return OSError(-rc, os.strerror(-rc), path)

    def access(self, path: str, mode: int) -> bool:
        rc = self.lib.dingofs_x_access(self.h, os.fsencode(path), mode)
        if rc < 0 and rc not in (-errno.EACCES, -errno.ENOENT):
            raise self._err(rc, path)
        return rc == 0

    def _result(self, st: Any) -> os.stat_result:
        a, m, c = st.st_atim, st.st_mtim, st.st_ctim
        return os.stat_result((
            st.st_mode, st.st_ino, st.st_dev, st.st_nlink, st.st_uid, st.st_gid, st.st_size,
            a.tv_sec, m.tv_sec, c.tv_sec,
            a.tv_sec + a.tv_nsec * 1e-9, m.tv_sec + m.tv_nsec * 1e-9,
            c.tv_sec + c.tv_nsec * 1e-9,
            a.tv_sec * 10**9 + a.tv_nsec, m.tv_sec * 10**9 + m.tv_nsec,
            c.tv_sec * 10**9 + c.tv_nsec))

    def stat(self, path: str) -> os.stat_result:
        st = self.Stat()
        rc = self.lib.dingofs_stat(self.h, os.fsencode(path), ctypes.byref(st))
        if rc < 0:
            raise self._err(rc, path)
        return self._result(st)

    def lstat(self, path: str) -> os.stat_result:
        st = self.Stat()
        rc = self.lib.dingofs_lstat(self.h, os.fsencode(path), ctypes.byref(st))
        if rc < 0:
            raise self._err(rc, path)
        return self._result(st)

    def fstat(self, fd: int) -> os.stat_result:
        st = self.Stat()
        rc = self.lib.dingofs_fstat(self.h, fd, ctypes.byref(st))
        if rc < 0:
            raise self._err(rc, fd)
        return self._result(st)

    def open(self, path: str, flags: int, mode: int = 0o666) -> int:
        fd = self.lib.dingofs_open(self.h, os.fsencode(path), flags, mode)
        if fd < 0:
            raise self._err(fd, path)
        return fd

    def close(self, fd: int) -> None:
        rc = self.lib.dingofs_close(self.h, fd)
        if rc < 0:
            raise self._err(rc, fd)

    def pread(self, fd: int, size: int, offset: int) -> bytes:
        buf = ctypes.create_string_buffer(size)
        n = self.lib.dingofs_pread(self.h, fd, buf, size, offset)
        if n < 0:
            raise self._err(n, fd)
        return buf.raw[:n]

    def getxattr(self, path: str, name: str) -> bytes:
        buf = ctypes.create_string_buffer(256)
        n = self.lib.dingofs_getxattr(self.h, os.fsencode(path), name.encode(), buf, 256)
        if n < 0:
            raise self._err(n, path)
        return buf.raw[:n]

    def prepare_small(self) -> str:
        """The same shape as :func:`prepare_small`: /d/f with 4 KiB and one xattr."""
        lib, h = self.lib, self.h
        for rc in (lib.dingofs_mkdir(h, b"/d", 0o755),):
            if rc < 0 and rc != -errno.EEXIST:
                raise self._err(rc, "/d")
        fd = self.open("/d/f", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        data = b"x" * 4096
        if lib.dingofs_write(h, fd, data, len(data)) != len(data):
            raise OSError(errno.EIO, "short write", "/d/f")
        self.close(fd)
        rc = lib.dingofs_setxattr(h, b"/d/f", XATTR_NAME.encode(), XATTR_VALUE,
                                  len(XATTR_VALUE), 0)
        if rc < 0:
            raise self._err(rc, "/d/f")
        return "/d/f"

    def stop(self) -> None:
        self.lib.dingofs_umount(self.h)
        self.lib.dingofs_delete(self.h)


def section_ctypes(res: Results, scratch: str, cfg: Config, cns: dict[str, float]) -> None:
    so = os.path.join(NATIVE_BUILD, "libdingofs.so.1")
    base = os.path.join(scratch, "base-ct")
    os.makedirs(base, exist_ok=True)
    cf = CtypesFS(so, f"local://ct?base={base}", "ct")
    c = build_client(scratch, "cf")
    calls, rep = cfg.calls, max(cfg.repeat, 5)
    rows: list[tuple[str, str, float, float, str]] = []
    try:
        p = prepare_small(c)
        cpath = cf.prepare_small()
        cfd = cf.open(cpath, os.O_RDONLY)
        f = c.open(p, "rb")
        lib = cf.lib
        st = cf.Stat()
        buf = ctypes.create_string_buffer(4096)
        s = getattr(c, "_s", None)
        cases: list[tuple[str, str, Callable[..., Any], tuple[Any, ...], Callable[..., Any],
                          tuple[Any, ...]]] = [
            ("access(path, F_OK)", "x_access", cf.access, (cpath, os.F_OK), c.access,
             (p, os.F_OK)),
            ("stat(path)", "x_stat", cf.stat, (cpath,), c.stat, (p,)),
            ("lstat(path)", "lstat", cf.lstat, (cpath,), c.lstat, (p,)),
            ("fstat", "fstat", cf.fstat, (cfd,), f.stat, ()),
            ("pread(4096, 0)", "pread_4k", cf.pread, (cfd, 4096, 0), f.pread, (4096, 0)),
        ]
        if s is not None:
            ffi = s.ffi
            cst = ffi.new("struct stat*")
            cbuf = ffi.new("char[]", 4096)
            pb = p.encode()
            cases += [
                ("raw: access", "x_access", lib.dingofs_x_access, (cf.h, cpath.encode(), 0),
                 s.lib.dfx_access, (s.h, pb, 0)),
                ("raw: stat", "stat", lib.dingofs_stat, (cf.h, cpath.encode(),
                                                         ctypes.byref(st)),
                 s.lib.dingofs_stat, (s.h, pb, cst)),
                ("raw: fstat", "fstat", lib.dingofs_fstat, (cf.h, cfd, ctypes.byref(st)),
                 s.lib.dingofs_fstat, (s.h, f._fd, cst)),
                ("raw: pread 4 KiB", "pread_4k", lib.dingofs_pread, (cf.h, cfd, buf, 4096, 0),
                 s.lib.dingofs_pread, (s.h, f._fd, cbuf, 4096, 0)),
            ]
        # open+close pairs
        opener = c.open

        def sdk_oc() -> None:
            opener(p, "rb").close()

        def ct_oc() -> None:
            cf.close(cf.open(cpath, os.O_RDONLY))

        n_oc = max(calls // 4, 10)
        cases.append(("open + close", "open_close", ct_oc, (), sdk_oc, ()))
        # both sides of every case round-robin, best round of each (as the overhead table)
        loops: dict[Any, tuple[Callable[[], None], int]] = {}
        for name, _, cfun, cargs, ofun, oargs in cases:
            n = n_oc if name == "open + close" else calls
            loops[name, "ctypes"] = call_loop(cfun, cargs, n)
            loops[name, "sdk"] = call_loop(ofun, oargs, n)
        best = best_rounds(loops, rep)
        for name, ckey, *_ in cases:
            rows.append((name, ckey, best[name, "ctypes"], best[name, "sdk"],
                         "raw" if name.startswith("raw") else "sdk"))
        f.close()
        cf.close(cfd)
    finally:
        c.stop()
        cf.stop()
    for name, ckey, t_c, t_o, kind in rows:
        c_ns = cns.get(ckey)
        speed = t_c / t_o
        fast_c = c_ns is not None and c_ns < 2000
        goal = ">= 2x (C call < 2 µs)" if fast_c and kind == "sdk" else ""
        res.add("ctypes", name, ours=t_o / 1000, ref=t_c / 1000, unit="us", metric=speed,
                metric_unit="x", goal=goal, met=(speed >= 2.0) if goal else None,
                c_call_us=None if c_ns is None else c_ns / 1000, level=kind)


# ----------------------------------------------------------------------------- section: os
class OsSide:
    name = "os"

    def __init__(self, root: str) -> None:
        self.root = root
        self.stat = os.stat
        self.lstat = os.lstat
        self.unlink = os.unlink
        self.mkdir = os.mkdir
        self.rmdir = os.rmdir
        self.listdir = os.listdir
        self.scandir = os.scandir
        self.walk = os.walk
        self.open = io.FileIO
        self.setxattr = os.setxattr
        self.getxattr = os.getxattr

    def p(self, rel: str) -> str:
        return self.root + rel


class SdkSide:
    name = "sdk"

    def __init__(self, client: Any) -> None:
        c = client
        self.client = c
        self.stat = c.stat
        self.lstat = c.lstat
        self.unlink = c.unlink
        self.mkdir = c.mkdir
        self.rmdir = c.rmdir
        self.listdir = c.listdir
        self.scandir = c.scandir
        self.walk = c.walk
        self.open = c.open
        self.setxattr = c.setxattr
        self.getxattr = functools.partial(c.getxattr, as_bytes=True)

    def p(self, rel: str) -> str:
        return rel


def _op_create(side: Any, paths: list[str]) -> None:
    op = side.open
    for q in paths:
        op(q, "wb").close()


def _op_unlink(side: Any, paths: list[str]) -> None:
    u = side.unlink
    for q in paths:
        u(q)


def _op_stat(side: Any, paths: list[str], total: int, follow: bool) -> None:
    st = side.stat if follow else side.lstat
    n = 0
    while n < total:
        for q in paths[: total - n]:
            st(q)
        n += min(len(paths), total - n)


def _op_small_write(side: Any, paths: list[str], data: bytes) -> None:
    op = side.open
    for q in paths:
        with op(q, "wb") as f:
            f.write(data)


def _op_small_read(side: Any, paths: list[str]) -> None:
    op = side.open
    for q in paths:
        with op(q, "rb") as f:
            if len(f.read()) != 4096:
                raise RuntimeError(f"{side.name}: short read of {q}")


def _op_seq_write(side: Any, path: str, mb: int, chunk: bytes) -> None:
    with side.open(path, "wb") as f:
        w = f.write
        for _ in range(mb):
            if w(chunk) != MiB:
                raise RuntimeError(f"{side.name}: short write")


def _op_seq_readinto(side: Any, path: str, buf: bytearray) -> int:
    total = 0
    with side.open(path, "rb") as f:
        ri = f.readinto
        while True:
            n = ri(buf)
            if not n:
                break
            total += n
    return total


def _op_seq_read(side: Any, path: str) -> int:
    total = 0
    with side.open(path, "rb") as f:
        rd = f.read
        while True:
            b = rd(MiB)
            if not b:
                break
            total += len(b)
    return total


def _op_rand_pread(side: Any, path: str, offsets: list[int]) -> None:
    with side.open(path, "rb") as f:
        if side.name == "os":
            fd = f.fileno()
            pr = os.pread
            for off in offsets:
                pr(fd, 4096, off)
        else:
            pr = f.pread
            for off in offsets:
                pr(4096, off)


def _op_rand_readinto(side: Any, path: str, offsets: list[int]) -> None:
    buf = bytearray(4096)
    with side.open(path, "rb") as f:
        sk, ri = f.seek, f.readinto
        for off in offsets:
            sk(off)
            ri(buf)


def _make_tree(side: Any, top: str, entries: int) -> None:
    """A two-level tree of about ``entries`` entries (directories of 100 files)."""
    per = 99
    dirs = max(1, entries // (per + 1))
    side.mkdir(side.p(top))
    op = side.open
    for d in range(dirs):
        dp = side.p(f"{top}/d{d:04d}")
        side.mkdir(dp)
        for i in range(per):
            op(f"{dp}/f{i:03d}", "wb").close()


#: Goals of the ``os`` section where the small-file work sets one tighter than the
#: general "metadata within 3x, I/O at least 80 %" (SDK time / os time, or % of os
#: throughput), by the row name before any parenthesis.
OS_GOALS = {
    "small write": 1.0,  # create + 4 KiB write + close
    "small read": 1.5,  # open + 4 KiB read + close
    "unlink": 2.0,
    "setxattr": 3.0,
    "stat": 1.5,
    "lstat": 1.5,
    "listdir": 1.5,
    "sequential write": 95.0,
    "sequential readinto": 95.0,
    "sequential read": 95.0,
    "random 4 KiB pread": 80.0,
    "random 4 KiB readinto": 80.0,
}


def section_os(res: Results, scratch: str, cfg: Config, state: dict[str, Any]) -> None:
    host_root = os.path.join(scratch, "host")
    os.makedirs(host_root)
    c = build_client(scratch, "py")
    state["client"] = c
    sides = [SdkSide(c), OsSide(host_root)]
    state["os_root"] = host_root
    times: dict[str, dict[str, list[float]]] = {}

    def rec(op: str, side: Any, secs: float) -> None:
        times.setdefault(op, {"sdk": [], "os": []})[side.name].append(secs)

    def both(r: int) -> list[Any]:
        return sides if r % 2 == 0 else sides[::-1]

    def timed(op: str, side: Any, fn: Callable[..., Any], *args: Any) -> Any:
        t0 = time.perf_counter()
        out = fn(*args)
        rec(op, side, time.perf_counter() - t0)
        return out

    n, small = cfg.n, b"s" * 4096
    t_start = time.perf_counter()
    # -- metadata, small files, xattrs
    for r in range(cfg.repeat):
        for side in both(r):
            side.mkdir(side.p(f"/m{r}"))
        files = {s.name: [s.p(f"/m{r}/f{i:05d}") for i in range(n)] for s in sides}
        smalls = {s.name: [s.p(f"/m{r}/s{i:05d}") for i in range(n)] for s in sides}
        dirs = {s.name: [s.p(f"/m{r}/d{i:05d}") for i in range(n)] for s in sides}
        for side in both(r):
            timed("create+close", side, _op_create, side, files[side.name])
        for side in both(r + 1):
            timed("stat", side, _op_stat, side, files[side.name], cfg.stats, True)
        for side in both(r):
            timed("lstat", side, _op_stat, side, files[side.name], cfg.stats, False)
        for side in both(r + 1):
            sx, v = side.setxattr, XATTR_VALUE
            timed("setxattr", side, lambda fs, sx=sx, v=v: [sx(q, XATTR_NAME, v) for q in fs],
                  files[side.name])
        for side in both(r):
            gx = side.getxattr
            timed("getxattr", side, lambda fs, gx=gx: [gx(q, XATTR_NAME) for q in fs],
                  files[side.name])
        for side in both(r + 1):
            timed("small write (4 KiB, create)", side, _op_small_write, side,
                  smalls[side.name], small)
        for side in both(r):
            timed("small read (4 KiB)", side, _op_small_read, side, smalls[side.name])
        for side in both(r + 1):
            timed("unlink", side, _op_unlink, side, files[side.name] + smalls[side.name])
        for side in both(r):
            md = side.mkdir
            timed("mkdir", side, lambda ds, md=md: [md(q) for q in ds], dirs[side.name])
        for side in both(r + 1):
            rd = side.rmdir
            timed("rmdir", side, lambda ds, rd=rd: [rd(q) for q in ds], dirs[side.name])
        for side in sides:
            side.rmdir(side.p(f"/m{r}"))
    log(f"bench: metadata done ({time.perf_counter() - t_start:.1f} s)")

    # -- listing and walking
    t0 = time.perf_counter()
    for side in sides:
        side.mkdir(side.p("/big"))
        op = side.open
        for i in range(cfg.entries):
            op(side.p(f"/big/e{i:06d}"), "wb").close()
        _make_tree(side, "/tree", cfg.entries)
    log(f"bench: listing setup done ({time.perf_counter() - t0:.1f} s)")
    expect_tree = (cfg.entries // 100) * 100 if cfg.entries >= 100 else 100

    def do_list(side: Any) -> None:
        if len(side.listdir(side.p("/big"))) != cfg.entries:
            raise RuntimeError(f"{side.name}: listdir count")

    def do_scan(side: Any) -> None:
        k = 0
        with side.scandir(side.p("/big")) as it:
            for e in it:
                if e.name:
                    k += 1
        if k != cfg.entries:
            raise RuntimeError(f"{side.name}: scandir count")

    def do_walk(side: Any) -> None:
        k = 0
        for _dp, dn, fn in side.walk(side.p("/tree")):
            k += len(dn) + len(fn)
        if k != expect_tree:
            raise RuntimeError(f"{side.name}: walk count {k} != {expect_tree}")

    for r in range(cfg.repeat):
        for side in both(r):
            timed(f"listdir ({cfg.entries} entries)", side, do_list, side)
        for side in both(r + 1):
            timed(f"scandir ({cfg.entries} entries)", side, do_scan, side)
        for side in both(r):
            timed(f"walk ({expect_tree}-entry tree)", side, do_walk, side)

    # -- sequential and random I/O
    t0 = time.perf_counter()
    chunk = os.urandom(MiB)
    buf = bytearray(MiB)
    size = cfg.seq_mb * MiB
    rnd = random.Random(1234)
    offsets = [rnd.randrange(0, size // 4096) * 4096 for _ in range(cfg.rand)]
    seq_w = f"sequential write ({cfg.seq_mb} MiB, 1 MiB calls)"
    for r in range(cfg.repeat):
        for side in both(r):
            os.sync()  # both sides start without dirty pages of the other (writeback throttling)
            timed(seq_w, side, _op_seq_write, side, side.p("/seq"), cfg.seq_mb, chunk)
        for side in both(r + 1):
            got = timed("sequential readinto (1 MiB calls)", side, _op_seq_readinto, side,
                        side.p("/seq"), buf)
            if got != size:
                raise RuntimeError(f"{side.name}: read {got} of {size} bytes")
        for side in both(r):
            timed("sequential read (1 MiB calls)", side, _op_seq_read, side, side.p("/seq"))
        for side in both(r + 1):
            timed("random 4 KiB pread", side, _op_rand_pread, side, side.p("/seq"), offsets)
        for side in both(r):
            timed("random 4 KiB readinto", side, _op_rand_readinto, side, side.p("/seq"),
                  offsets)
    log(f"bench: I/O done ({time.perf_counter() - t0:.1f} s)")
    state["seq_paths"] = {s.name: s.p("/seq") for s in sides}
    state["seq_size"] = size

    io_bytes = {seq_w: size, "sequential readinto (1 MiB calls)": size,
                "sequential read (1 MiB calls)": size,
                "random 4 KiB pread": 4096 * cfg.rand, "random 4 KiB readinto": 4096 * cfg.rand}
    counts = {"create+close": n, "stat": cfg.stats, "lstat": cfg.stats, "setxattr": n,
              "getxattr": n, "small write (4 KiB, create)": n, "small read (4 KiB)": n,
              "unlink": 2 * n, "mkdir": n, "rmdir": n}
    for op, sides_t in times.items():
        t_sdk, t_os = median(sides_t["sdk"]), median(sides_t["os"])
        # the two sides of one round ran next to each other: their ratio per round
        rounds = [a / b for a, b in zip(sides_t["sdk"], sides_t["os"])]
        goal = OS_GOALS.get(op.split(" (")[0])
        if op in io_bytes:
            mb_sdk = io_bytes[op] / MiB / t_sdk
            mb_os = io_bytes[op] / MiB / t_os
            pct = 100 * mb_sdk / mb_os
            limit = 80.0 if goal is None else goal
            res.add("os", op, ours=mb_sdk, ref=mb_os, unit="MiB/s", metric=pct,
                    metric_unit="%", goal=f">= {limit:g} %", met=pct >= limit, goal_value=limit,
                    spread=[100 / max(rounds), 100 / min(rounds)])
        else:
            k = counts.get(op, 1)
            unit = "us" if k > 1 else "ms"
            scale = 1e6 / k if k > 1 else 1e3
            ratio = t_sdk / t_os
            limit = 3.0 if goal is None else goal
            res.add("os", op, ours=t_sdk * scale, ref=t_os * scale, unit=unit, metric=ratio,
                    metric_unit="x", goal=f"<= {limit:g}x", met=ratio <= limit, goal_value=limit,
                    spread=[min(rounds), max(rounds)])


# ----------------------------------------------------------------------------- section: threads
def section_threads(res: Results, scratch: str, cfg: Config, state: dict[str, Any]) -> None:
    c = state.get("client") or build_client(scratch, "py")
    state["client"] = c
    host_root = state.get("os_root") or os.path.join(scratch, "host")
    os.makedirs(host_root, exist_ok=True)
    sides = [SdkSide(c), OsSide(host_root)]
    chunk = os.urandom(MiB)
    for side in sides:
        for k in range(2):
            _op_seq_write(side, side.p(f"/thr{k}"), cfg.thread_mb, chunk)
            _op_seq_readinto(side, side.p(f"/thr{k}"), bytearray(MiB))  # page-cache resident
    size = cfg.thread_mb * MiB

    def run(side: Any, nthreads: int) -> float:
        errors: list[BaseException] = []
        barrier = threading.Barrier(nthreads + 1)

        def work(k: int) -> None:
            try:
                buf = bytearray(MiB)
                barrier.wait()
                if _op_seq_readinto(side, side.p(f"/thr{k}"), buf) != size:
                    raise RuntimeError("short read")
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        ts = [threading.Thread(target=work, args=(k,)) for k in range(nthreads)]
        for t in ts:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in ts:
            t.join()
        dt = time.perf_counter() - t0
        if errors:
            raise errors[0]
        return nthreads * size / MiB / dt

    for side in sides:
        one = median([run(side, 1) for _ in range(cfg.repeat)])
        two = median([run(side, 2) for _ in range(cfg.repeat)])
        res.add("threads", f"{'SDK' if side.name == 'sdk' else 'os (reference)'} "
                           f"readinto, {cfg.thread_mb} MiB per file",
                ours=two, ref=one, unit="MiB/s", metric=two / one, metric_unit="x")
    for side in sides:
        for k in range(2):
            side.unlink(side.p(f"/thr{k}"))


# ----------------------------------------------------------------------------- section: memory
def rss_child(kind: str, how: str, url: str, path: str) -> None:
    """Child process: read ``path`` whole and print the RSS growth as JSON."""

    def status(key: str) -> int:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        raise RuntimeError(key)

    c = None
    if kind == "sdk":
        import dingofs
        name = url.split("://", 1)[1].split("?", 1)[0]
        c = dingofs.Client.build(url, name, "/rss", init_logging=False)
        f = c.open(path, "rb")
    else:
        f = io.FileIO(path, "rb")
    buf = bytearray(MiB)
    buf[:] = bytes(MiB)  # touch it before the baseline
    gc.collect()
    reset = True
    try:
        with open("/proc/self/clear_refs", "w") as cr:
            cr.write("5")
    except OSError:
        reset = False
    base = status("VmRSS")
    t0 = time.perf_counter()
    if how == "read":
        data = f.read()
        size = len(data)
        del data
    else:
        size = 0
        ri = f.readinto
        while True:
            n = ri(buf)
            if not n:
                break
            size += n
    dt = time.perf_counter() - t0
    hwm = status("VmHWM")
    f.close()
    if c is not None:
        c.stop()
    print(json.dumps({"base_kib": base, "hwm_kib": hwm, "size": size, "seconds": dt,
                      "hwm_reset": reset}))


def section_memory(res: Results, scratch: str, cfg: Config, state: dict[str, Any]) -> None:
    c = state.get("client")
    size = state.get("seq_size")
    if c is None or size is None:
        c = c or build_client(scratch, "py")
        state["client"] = c
        host_root = state.get("os_root") or os.path.join(scratch, "host")
        os.makedirs(host_root, exist_ok=True)
        chunk = os.urandom(MiB)
        state["seq_paths"] = {"sdk": "/seq", "os": os.path.join(host_root, "seq")}
        _op_seq_write(SdkSide(c), "/seq", cfg.seq_mb, chunk)
        _op_seq_write(OsSide(host_root), os.path.join(host_root, "seq"), cfg.seq_mb, chunk)
        size = cfg.seq_mb * MiB
    url = f"local://py?base={os.path.join(scratch, 'base-py')}"
    out: dict[str, dict[str, Any]] = {}
    for how in ("readinto", "read"):
        for kind in ("sdk", "os"):
            path = state["seq_paths"][kind]
            proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--rss-child",
                                   kind, how, url, path], check=True, stdout=subprocess.PIPE,
                                  text=True)
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            if r["size"] != size:
                raise RuntimeError(f"{kind} {how}: read {r['size']} of {size} bytes")
            out[f"{kind}-{how}"] = r
    res.extra["memory"] = out
    for how in ("readinto", "read"):
        for kind in ("sdk", "os"):
            r = out[f"{kind}-{how}"]
            growth = (r["hwm_kib"] - r["base_kib"]) / 1024
            limit = 64 if how == "readinto" else size / MiB + 64
            is_sdk = kind == "sdk"
            goal = (f"< {limit:g} MiB" if how == "readinto" else "<= N + 64 MiB") \
                if is_sdk else ""
            met = (growth < limit if how == "readinto" else growth <= limit) if is_sdk else None
            name = f"{'SDK' if is_sdk else 'os (reference)'} {how}" + \
                ("(1 MiB buffer)" if how == "readinto" else "() whole file")
            res.add("memory", name, ours=growth, ref=size / MiB, unit="MiB", metric=growth,
                    metric_unit="MiB", goal=goal, met=met,
                    hwm_reset=r["hwm_reset"], seconds=r["seconds"])


# ----------------------------------------------------------------------------- chart
def ensure_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
        return True
    except ImportError:
        pass
    log("bench: installing matplotlib into the running environment")
    rc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "matplotlib"]).returncode
    if rc != 0:
        log("bench: matplotlib is not available; no chart")
        return False
    return True


def chart(res: Results, path: str, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("overhead", "µs added per call (Python − C loop)",
         [r for r in res.rows if r["section"] == "overhead" and r["goal"]]),
        ("ctypes", "speed-up over the ctypes wrapper (×)",
         [r for r in res.rows if r["section"] == "ctypes"]),
        ("os-meta", "SDK time / os time (×, lower is better)",
         [r for r in res.rows if r["section"] == "os" and r["metric_unit"] == "x"]),
        ("os-io", "SDK throughput, % of os",
         [r for r in res.rows if r["section"] == "os" and r["metric_unit"] == "%"]),
    ]
    panels = [p for p in panels if p[2]]
    if not panels:
        return
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.2 + sum(
        0.32 * len(p[2]) + 0.6 for p in panels)), squeeze=False,
        gridspec_kw={"height_ratios": [len(p[2]) + 1 for p in panels]})
    for ax, (key, label, rows) in zip(axes[:, 0], panels):
        names = [r["name"] for r in rows][::-1]
        vals = [r["metric"] for r in rows][::-1]
        spreads = [r.get("spread") or (r["metric"], r["metric"]) for r in rows][::-1]
        colors = ["#999999" if r["met"] is None else ("#2e8b57" if r["met"] else "#c0392b")
                  for r in rows][::-1]
        ax.barh(names, vals, color=colors,
                xerr=[[max(0.0, v - lo) for v, (lo, _) in zip(vals, spreads)],
                      [max(0.0, hi - v) for v, (_, hi) in zip(vals, spreads)]],
                error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.set_xlabel(label)
        ax.tick_params(axis="y", labelsize=8)
        for y, (v, (_, hi)) in enumerate(zip(vals, spreads)):
            ax.text(max(v, hi), y, f" {v:.2f}" if key != "os-io" else f" {v:.0f}",
                    va="center", fontsize=7)
        goals = [(y, r["goal_value"]) for y, r in enumerate(rows[::-1]) if "goal_value" in r]
        if goals:  # each row's own goal, a black tick
            ax.scatter([g for _, g in goals], [y for y, _ in goals], marker="|", s=260,
                       color="black", linewidths=1.5, zorder=3, label="goal")
            ax.legend(loc="lower right", fontsize=7)
        elif key == "ctypes":
            ax.axvline(2.0, color="black", linestyle="--", linewidth=0.8)
        if key == "overhead":
            ax.axvline(1.0, color="black", linestyle="--", linewidth=0.8)
            ax.axvline(2.5, color="black", linestyle=":", linewidth=0.8)
        if key == "os-meta":
            ax.set_xscale("log")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ----------------------------------------------------------------------------- docs
BEGIN_MARK = "<!-- bench-table:begin -->"
END_MARK = "<!-- bench-table:end -->"


def replace_block(doc: str, block: str, begin: str = BEGIN_MARK, end: str = END_MARK) -> None:
    """Replace the generated block of ``doc`` (between the markers) with ``block``."""
    try:
        with open(doc) as f:
            text = f.read()
    except OSError:
        return
    a, b = text.find(begin), text.find(end)
    if a < 0 or b < a:
        return
    with open(doc, "w") as f:
        f.write(text[: a + len(begin)] + "\n" + block.rstrip("\n") + "\n" + text[b:])
    print(f"table updated in {doc}")


def update_docs(doc: str, table_md: str) -> None:
    """Replace the generated block of ``doc`` with the Markdown file ``table_md``."""
    with open(table_md) as f:
        replace_block(doc, f.read())


# ----------------------------------------------------------------------------- main
def main() -> int:
    if len(sys.argv) == 6 and sys.argv[1] == "--rss-child":
        rss_child(*sys.argv[2:6])
        return 0
    if len(sys.argv) > 1:
        print(__doc__)
        return 0 if sys.argv[1] in ("-h", "--help") else 2
    sys.path.insert(0, ROOT)
    import dingofs

    cfg = Config()
    os.makedirs(cfg.parent, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="pybench.", dir=os.path.abspath(cfg.parent))
    res = Results()
    info = machine()
    info["filesystem"] = filesystem_of(scratch)
    info["sdk_version"] = getattr(dingofs, "__version__", "?")
    started = time.perf_counter()
    log(f"bench: dingofs {info['sdk_version']} on {info['cpu']} ({info['cores']} cores), "
        f"Python {info['python']}, scratch {scratch} ({info['filesystem']})")
    log(f"bench: sections {','.join(cfg.sections)}; repeat {cfg.repeat}, calls {cfg.calls}, "
        f"n {cfg.n}, entries {cfg.entries}, seq {cfg.seq_mb} MiB")
    state: dict[str, Any] = {}
    failed = False
    # Write back what earlier work (make bench's native benchmark writes GiBs) left
    # dirty, so that its writeback does not run under the first per-call loops.
    os.sync()
    try:
        cns: dict[str, float] = {}
        if "overhead" in cfg.sections or "ctypes" in cfg.sections:
            cns = run_cloop(scratch, cfg)
            log(f"bench: C loop done ({time.perf_counter() - started:.1f} s)")
        for section in SECTIONS:
            if section not in cfg.sections:
                continue
            t0 = time.perf_counter()
            if section == "overhead":
                section_overhead(res, scratch, cfg, cns)
            elif section == "ctypes":
                section_ctypes(res, scratch, cfg, cns)
            elif section == "os":
                section_os(res, scratch, cfg, state)
            elif section == "meta":
                section_meta(res, scratch, cfg)
            elif section == "threads":
                section_threads(res, scratch, cfg, state)
            elif section == "memory":
                section_memory(res, scratch, cfg, state)
            log(f"bench: section {section} done ({time.perf_counter() - t0:.1f} s)")
    except Exception as exc:
        failed = True
        log(f"bench: FAILED: {type(exc).__name__}: {exc}")
        import traceback
        traceback.print_exc()
    finally:
        c = state.get("client")
        if c is not None:
            try:
                c.stop()
            except Exception as exc:  # report, keep going to the output
                log(f"bench: stop failed: {exc}")
        if not cfg.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    total = time.perf_counter() - started
    config = {k: getattr(cfg, k) for k in ("repeat", "calls", "n", "stats", "entries", "seq_mb",
                                           "rand", "thread_mb", "sections")}
    lines = table_lines(res, markdown=False)
    print()
    print("\n".join(lines))
    print(f"(median of {cfg.repeat} runs, {total:.0f} s in all)")
    doc = {"machine": info, "config": config, "seconds": total, "rows": res.rows,
           "details": res.extra, "command": "make bench", "failed": failed,
           "date": time.strftime("%Y-%m-%d")}
    os.makedirs(os.path.dirname(os.path.abspath(cfg.json_path)), exist_ok=True)
    with open(cfg.json_path, "w") as f:
        json.dump(doc, f, indent=1)
    md = os.path.splitext(cfg.json_path)[0] + ".md"
    with open(md, "w") as f:
        f.write(f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_mib']} MiB RAM, "
                f"{info['system']} {info['kernel']}, {info['implementation']} "
                f"{info['python']}; disk: {info['filesystem']}.  \n")
        f.write(f"Command: `make bench` (repeat {cfg.repeat}, median; {total:.0f} s).\n\n")
        f.write("\n".join(table_lines(res, markdown=True)) + "\n")
    print(f"JSON written to {cfg.json_path}, Markdown to {md}")
    if cfg.docs_path and not failed and cfg.default_sizes:
        update_docs(cfg.docs_path, md)
        # The README's copy of the table (between the same markers), when it has one.
        update_docs(os.path.join(ROOT, "README.md"), md)
    if cfg.png_path and res.rows and ensure_matplotlib():
        try:
            chart(res, cfg.png_path, f"dingofs {info['sdk_version']} Python SDK — "
                  f"{info['cpu']}, {info['cores']} cores, {info['filesystem'].split(' ')[0]}")
            print(f"chart written to {cfg.png_path}")
        except Exception as exc:
            log(f"bench: chart failed: {exc}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
