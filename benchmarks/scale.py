#!/usr/bin/env python3
"""How the SDK scales with the size of the filesystem (``make bench-scale``).

Grows a tree of empty files through the SDK on ``local://`` and through
:mod:`os` on a plain directory of the same disk, side by side, and reports the
cost per operation as the tree grows:

* **create**: ``open(path, "wb").close()`` of new files in directories of
  1,000 files, timed in windows of ``BENCH_SCALE_WINDOW`` files; the row for
  N files is the window that ends at N (the tree already holds N minus one
  window). The goal is a per-create cost flat within 1.3x from the first
  point to the last.
* **stat**: ``stat`` of ``BENCH_SCALE_STATS`` files picked at random from the
  whole tree, at every point.
* **listdir**: ``listdir`` of one directory of 10,000 and of
  ``BENCH_SCALE_LISTDIR`` entries (goal at the largest: <= 1.5x ``os``).
* **memory**: the resident set of the SDK's process after the last point,
  beside the same Python process working through ``os`` (their difference is
  what the engine holds), and the bytes of metadata per inode (the store's
  files after an unmount).

Each side runs in a child process of its own, driven by this one step by
step; the two sides alternate which one goes first at every step, so that
both see the same state of the disk. Nothing is deleted until the end (a mass
deletion slows later creations on ext4 for minutes).

Environment (defaults in brackets):
  BENCH_DIR            parent of the scratch directory [benchmarks/build/tmp]
  BENCH_SCALE_FILES    files of the largest tree [1000000]; the points are
                       10,000, 100,000, ... up to it
  BENCH_SCALE_WINDOW   files per timed window [10000]
  BENCH_SCALE_STATS    random stats per point [10000]
  BENCH_SCALE_LISTDIR  entries of the large listed directory [100000]
  BENCH_SCALE_JSON     JSON output [benchmarks/results/scale.json]
  BENCH_SCALE_DOCS     document whose generated block is refreshed after a run
                       with the default sizes [docs/benchmarks.md]; "" disables it

Exit status: 0 when every measurement ran (goals met or not), 1 on a failure.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from run import env_int, log, replace_block  # noqa: E402  (the suite's own helpers)

BEGIN_MARK = "<!-- scale-table:begin -->"
END_MARK = "<!-- scale-table:end -->"
PER_DIR = 1000


# ----------------------------------------------------------------------------- the workers
def import_dingofs() -> Any:
    """The installed package; the source tree's only when none is installed."""
    try:
        import dingofs
    except ImportError:
        sys.path.insert(0, ROOT)
        import dingofs
    return dingofs


def file_path(i: int) -> str:
    return f"/t/d{i // PER_DIR}/f{i}"


class Worker:
    """One side, in its own process: answers one JSON command per line."""

    def __init__(self, side: str, root: str) -> None:
        self.side = side
        self.base = root
        self.client: Any = None
        dingofs = import_dingofs()  # on both sides, so that the resident sets compare
        if side == "sdk":
            self.client = dingofs.Client.build(f"local://scale?base={root}", "scale", "/scale",
                                               init_logging=False)
            c = self.client
            self.open, self.mkdir, self.stat, self.listdir = c.open, c.mkdir, c.stat, c.listdir
            self.prefix = ""
        else:
            self.open, self.mkdir = io.FileIO, os.mkdir
            self.stat, self.listdir = os.stat, os.listdir
            self.prefix = root
        self.mkdir(self.prefix + "/t")
        self.mkdir(self.prefix + "/big")

    def create(self, start: int, end: int) -> float:
        op, mk, pre = self.open, self.mkdir, self.prefix
        t0 = time.perf_counter()
        for i in range(start, end):
            if i % PER_DIR == 0:
                mk(f"{pre}/t/d{i // PER_DIR}")
            op(pre + file_path(i), "wb").close()
        return time.perf_counter() - t0

    def big(self, start: int, end: int) -> float:
        op, pre = self.open, self.prefix
        t0 = time.perf_counter()
        for i in range(start, end):
            op(f"{pre}/big/f{i}", "wb").close()
        return time.perf_counter() - t0

    def stats(self, count: int, files: int, seed: int) -> float:
        rnd = random.Random(seed)
        paths = [self.prefix + file_path(rnd.randrange(files)) for _ in range(count)]
        st = self.stat
        t0 = time.perf_counter()
        for q in paths:
            st(q)
        return time.perf_counter() - t0

    def list_big(self, expect: int) -> float:
        t0 = time.perf_counter()
        n = len(self.listdir(self.prefix + "/big"))
        t = time.perf_counter() - t0
        if n != expect:
            raise RuntimeError(f"{self.side}: listdir found {n} entries, {expect} expected")
        return t

    def memory(self) -> dict[str, int]:
        out: dict[str, int] = {}
        with open("/proc/self/status") as f:
            for line in f:
                key = line.split(":")[0]
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(line.split()[1]) * 1024
        return out

    def store_bytes(self) -> int:
        """Unmounts (so the journal is copied back) and sums the store's files."""
        if self.client is None:
            return 0
        self.client.stop()
        self.client = None
        total = 0
        for d, _dirs, names in os.walk(self.base):
            for n in names:
                if n.startswith("meta.db"):
                    total += os.path.getsize(os.path.join(d, n))
        return total


def worker_main(side: str, root: str) -> None:
    w = Worker(side, root)
    print(json.dumps({"ok": True}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        op, args = cmd[0], cmd[1:]
        if op == "quit":
            break
        try:
            result = getattr(w, op)(*args)
            print(json.dumps({"ok": True, "result": result}), flush=True)
        except Exception as exc:
            print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}), flush=True)
    if w.client is not None:
        w.client.stop()


class Side:
    """The runner's end of a worker process."""

    def __init__(self, name: str, root: str) -> None:
        self.name = name
        os.makedirs(root, exist_ok=True)
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker", name, root],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._answer()

    def _answer(self) -> Any:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} worker died (exit {self.proc.wait()})")
        ans = json.loads(line)
        if not ans["ok"]:
            raise RuntimeError(f"{self.name} worker: {ans['error']}")
        return ans.get("result")

    def call(self, *cmd: Any) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(RuntimeError, OSError, ValueError):
                self.call("quit")
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# ----------------------------------------------------------------------------- the run
def both(sides: list[Side], step: int, *cmd: Any) -> dict[str, Any]:
    """Runs cmd on both sides, the first side alternating with step."""
    order = sides if step % 2 == 0 else sides[::-1]
    return {s.name: s.call(*cmd) for s in order}


def points(largest: int) -> list[int]:
    out, p = [], 10_000
    while p < largest:
        out.append(p)
        p *= 10
    out.append(largest)
    return out


def run(scratch: str, files: int, window: int, stats: int, listdir: int) -> dict[str, Any]:
    sides = [Side("sdk", os.path.join(scratch, "sdk")), Side("os", os.path.join(scratch, "os"))]
    rows: list[dict[str, Any]] = []
    step = 0
    try:
        # The large directory first, listed at 10,000 entries and at its full size.
        done = 0
        for target in sorted({min(10_000, listdir), listdir}):
            while done < target:
                n = min(window, target - done)
                both(sides, step, "big", done, done + n)
                step += 1
                done += n
            t = {"sdk": [], "os": []}
            for r in range(3):
                for k, v in both(sides, step + r, "list_big", target).items():
                    t[k].append(v)
            sdk, ref = sorted(t["sdk"])[1], sorted(t["os"])[1]
            rows.append({"op": f"listdir of {target:,} entries", "n": target, "sdk_us": sdk * 1e6,
                         "os_us": ref * 1e6, "ratio": sdk / ref})
            log(f"bench-scale: listdir {target}: {sdk * 1e3:.1f} ms vs {ref * 1e3:.1f} ms")
        # The tree, window by window; the measured points are windows' ends.
        made = 0
        create: dict[int, dict[str, float]] = {}
        for p in points(files):
            while made < p:
                n = min(window, p - made)
                got = both(sides, step, "create", made, made + n)
                step += 1
                made += n
                if made == p:
                    create[p] = {k: v / n for k, v in got.items()}
            c = create[p]
            rows.append({"op": f"create, tree of {p:,} files", "n": p, "sdk_us": c["sdk"] * 1e6,
                         "os_us": c["os"] * 1e6, "ratio": c["sdk"] / c["os"]})
            st = both(sides, step, "stats", stats, p, p)
            step += 1
            rows.append({"op": f"stat, tree of {p:,} files", "n": p,
                         "sdk_us": st["sdk"] / stats * 1e6, "os_us": st["os"] / stats * 1e6,
                         "ratio": st["sdk"] / st["os"]})
            log(f"bench-scale: {p} files: create {c['sdk'] * 1e6:.1f} us vs "
                f"{c['os'] * 1e6:.1f} us, stat {st['sdk'] / stats * 1e6:.1f} us vs "
                f"{st['os'] / stats * 1e6:.1f} us")
        mem = {s.name: s.call("memory") for s in sides}
        inodes = made + files // PER_DIR + listdir + 3  # files, their directories, /big, /t, root
        store = sides[0].call("store_bytes")
    finally:
        for s in sides:
            s.close()
    first, last = points(files)[0], points(files)[-1]
    flat = create[last]["sdk"] / create[first]["sdk"]
    return {"rows": rows, "memory": mem, "inodes": inodes, "store_bytes": store,
            "create_growth": flat, "first": first, "last": last}


def table(out: dict[str, Any], markdown: bool) -> list[str]:
    head = ["operation", "SDK µs/op", "os µs/op", "SDK / os"]
    body = [[r["op"], f"{r['sdk_us']:.1f}", f"{r['os_us']:.1f}", f"{r['ratio']:.2f}x"]
            for r in out["rows"]]
    mem, inodes = out["memory"], out["inodes"]
    engine = mem["sdk"]["VmRSS"] - mem["os"]["VmRSS"]
    notes = [
        f"per-create cost, {out['last']:,} against {out['first']:,} files: "
        f"{out['create_growth']:.2f}x (goal <= 1.3x)",
        f"resident set at {inodes:,} inodes: SDK process {mem['sdk']['VmRSS'] / 2**20:.0f} MiB "
        f"(peak {mem['sdk']['VmHWM'] / 2**20:.0f} MiB), the same Python through os "
        f"{mem['os']['VmRSS'] / 2**20:.0f} MiB: the engine holds {engine / 2**20:.0f} MiB "
        "(goal <= 256 MiB)",
        f"metadata store: {out['store_bytes'] / 2**20:.1f} MiB, "
        f"{out['store_bytes'] / inodes:.0f} bytes per inode (goal <= 300)",
    ]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        return lines + [""] + ["- " + n for n in notes]
    widths = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    lines = ["  ".join(x.ljust(w) for x, w in zip(row, widths)) for row in [head] + body]
    return lines + [""] + notes


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) > 1:
        print(__doc__)
        return 0 if sys.argv[1] in ("-h", "--help") else 2
    files = env_int("BENCH_SCALE_FILES", 1_000_000, 1000, 100_000_000)
    window = env_int("BENCH_SCALE_WINDOW", 10_000, 100, 1_000_000)
    stats = env_int("BENCH_SCALE_STATS", 10_000, 10, 10_000_000)
    listdir = env_int("BENCH_SCALE_LISTDIR", 100_000, 100, 10_000_000)
    window = min(window, 10_000, files)
    defaults = not any(os.environ.get("BENCH_SCALE_" + k)
                       for k in ("FILES", "WINDOW", "STATS", "LISTDIR"))
    json_path = os.environ.get("BENCH_SCALE_JSON") or os.path.join(HERE, "results", "scale.json")
    docs = os.environ.get("BENCH_SCALE_DOCS", os.path.join(ROOT, "docs", "benchmarks.md"))
    parent = os.environ.get("BENCH_DIR") or os.path.join(HERE, "build", "tmp")
    os.makedirs(parent, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="scale.", dir=os.path.abspath(parent))
    log(f"bench-scale: {files:,} files in windows of {window:,}, {stats:,} stats per point, "
        f"listdir of {listdir:,}; scratch {scratch}")
    started = time.perf_counter()
    try:
        out = run(scratch, files, window, stats, listdir)
    except Exception as exc:
        log(f"bench-scale: FAILED: {type(exc).__name__}: {exc}")
        return 1
    finally:
        log("bench-scale: removing the scratch directory")
        shutil.rmtree(scratch, ignore_errors=True)
    out["seconds"] = time.perf_counter() - started
    out["config"] = {"files": files, "window": window, "stats": stats, "listdir": listdir}
    out["command"] = "make bench-scale"
    out["date"] = time.strftime("%Y-%m-%d")
    print("\n".join(table(out, markdown=False)))
    print(f"({out['seconds']:.0f} s in all)")
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(out, f, indent=1)
    print(f"JSON written to {json_path}")
    if docs and defaults:
        block = (f"Command: `make bench-scale` ({out['date']}, {out['seconds']:.0f} s).\n\n"
                 + "\n".join(table(out, markdown=True)) + "\n")
        replace_block(docs, block, BEGIN_MARK, END_MARK)
    return 0


if __name__ == "__main__":
    sys.exit(main())
