#!/usr/bin/env python3
"""System calls and throughput of small metadata changes, before and after.

Builds ``benchmarks/csyscalls.c`` against the engine of this tree and,
with ``--before REV``, against the engine of another commit (checked out
with ``git worktree`` into a scratch directory and built there), then:

* runs each operation once per build under ``strace -f`` (when strace is
  installed) and counts the system calls of the timed part per operation:
  all of them, ``pwrite64`` (and those to the SQLite WAL file), ``fcntl``;
* runs each operation ``--rounds`` times per build and thread count,
  alternating which build goes first, and reports the median operations per
  second and write system calls per operation (``syscw`` of /proc/self/io).

Operations: ``create`` (empty create+close), ``create4k`` (create+4 KiB
write+close, an inline file), ``unlink`` (of such a file), ``setxattr``.

    python3 benchmarks/syscalls.py --before 657e54d
    python3 benchmarks/syscalls.py --before HEAD~3 --count 4000 --rounds 7

Results: a Markdown table on stdout, JSON with ``--json PATH``.
"""
import argparse
import collections
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import run as bench_run  # noqa: E402  (build_c_program)

OPS = ["create", "create4k", "unlink", "setxattr"]


def sh(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)


def build(tree, builddir, out_dir):
    """Builds the engine of `tree` into `builddir` and csyscalls against it."""
    sh(["make", "-s", "-C", os.path.join(tree, "native"), "-j2", "BUILDDIR=" + builddir],
       stdout=subprocess.DEVNULL)
    return bench_run.build_c_program("csyscalls", out_dir=out_dir,
                                     lib=os.path.join(builddir, "libdingofs.a"),
                                     include=os.path.join(tree, "native", "include"))


def run(binary, scratch, op, count, threads, prefix=()):
    if os.path.exists(scratch):
        shutil.rmtree(scratch)
    r = subprocess.run(list(prefix) + [binary, scratch, op, str(count), str(threads)],
                       check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


CALL = re.compile(r"^(\d+) +([a-z_0-9]+)\((.*)")
RESUMED = re.compile(r"^(\d+) +<\.\.\. ([a-z_0-9]+) resumed>.*= (-?\d+)")


def count_trace(path, n):
    """Per-operation counts of the system calls between the phase markers."""
    fds = {}          # fd -> path (one process: the threads share the table)
    pending = {}      # pid -> path of an unfinished openat
    calls = collections.Counter()
    on = False
    with open(path, errors="replace") as f:
        for line in f:
            if "csyscalls-phase-begin" in line:
                on = True
                continue
            if "csyscalls-phase-end" in line:
                break
            m = RESUMED.match(line)
            if m:
                if m.group(2) == "openat" and m.group(1) in pending:
                    fds[m.group(3)] = pending.pop(m.group(1))
                continue
            m = CALL.match(line)
            if not m:
                continue
            pid, name, rest = m.groups()
            if name == "openat":
                pm = re.search(r'"([^"]*)"', rest)
                p = pm.group(1) if pm else ""
                rm = re.search(r"= (\d+)$", line.strip())
                if rm:
                    fds[rm.group(1)] = p
                elif "unfinished" in line:
                    pending[pid] = p
            if not on:
                continue
            calls["all"] += 1
            calls[name] += 1
            if name in ("pwrite64", "pwrite", "pwritev", "write"):
                fd = rest.split(",", 1)[0]
                if fds.get(fd, "").endswith("-wal"):
                    calls["pwrite64_wal" if name == "pwrite64" else name + "_wal"] += 1
    return {k: v / n for k, v in calls.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", help="commit to compare with (built in a scratch worktree)")
    ap.add_argument("--count", type=int, default=2000, help="operations per run [2000]")
    ap.add_argument("--rounds", type=int, default=5, help="timed runs per case [5]")
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--no-strace", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--dir", help="scratch parent directory [a temporary one]")
    args = ap.parse_args()
    ops = args.ops.split(",")
    threads = [int(t) for t in args.threads.split(",")]
    work = tempfile.mkdtemp(prefix="dingofs-syscalls-", dir=args.dir)
    try:
        builds = []
        if args.before:
            tree = os.path.join(work, "before-tree")
            sh(["git", "-C", ROOT, "worktree", "add", "-q", "--detach", tree, args.before])
            builds.append(("before", build(tree, os.path.join(work, "before-build"),
                                           os.path.join(work, "cs-before"))))
        builds.append(("after", build(ROOT, os.path.join(work, "after-build"),
                                      os.path.join(work, "cs-after"))))
        scratch = os.path.join(work, "fs")
        result = {"count": args.count, "rounds": args.rounds, "before": args.before,
                  "syscalls": {}, "timed": {}}
        if not args.no_strace and shutil.which("strace"):
            for label, binary in builds:
                for op in ops:
                    trace = os.path.join(work, "trace")
                    run(binary, scratch, op, args.count, 1,
                        ["strace", "-f", "-qq", "-o", trace])
                    result["syscalls"][f"{label}/{op}"] = count_trace(trace, args.count)
                    os.unlink(trace)
        for op in ops:
            for t in threads:
                samples = {label: [] for label, _ in builds}
                for r in range(args.rounds):
                    order = builds if r % 2 == 0 else builds[::-1]
                    for label, binary in order:
                        samples[label].append(run(binary, scratch, op, args.count, t))
                for label, s in samples.items():
                    result["timed"][f"{label}/{op}/{t}"] = {
                        "ops_per_s": statistics.median(x["ops_per_s"] for x in s),
                        "ops_per_s_min": min(x["ops_per_s"] for x in s),
                        "ops_per_s_max": max(x["ops_per_s"] for x in s),
                        "syscw_per_op": statistics.median(x["syscw_per_op"] for x in s),
                    }
    finally:
        if args.before:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force",
                            os.path.join(work, "before-tree")], stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)
    labels = [label for label, _ in builds]
    if result["syscalls"]:
        print(f"System calls per operation (strace -f, 1 thread, {args.count} operations):\n")
        print("| operation | " + " | ".join(
            f"{lab}: all / pwrite64 (WAL) / fcntl" for lab in labels) + " |")
        print("|---|" + "---|" * len(labels))
        for op in ops:
            cells = []
            for lab in labels:
                c = result["syscalls"][f"{lab}/{op}"]
                cells.append("{:.1f} / {:.2f} ({:.2f}) / {:.1f}".format(
                    c.get("all", 0), c.get("pwrite64", 0), c.get("pwrite64_wal", 0),
                    c.get("fcntl", 0)))
            print("| {} | {} |".format(op, " | ".join(cells)))
        print()
    print(f"Throughput (median of {args.rounds} runs, builds alternating) and write calls "
          "per operation (/proc/self/io syscw):\n")
    print("| operation | threads | " + " | ".join(f"{lab} ops/s (min-max) | {lab} syscw/op"
                                                  for lab in labels) +
          (" | change |" if len(labels) == 2 else " |"))
    print("|---|---|" + "---|---|" * len(labels) + ("---|" if len(labels) == 2 else ""))
    for op in ops:
        for t in threads:
            cells = []
            for lab in labels:
                x = result["timed"][f"{lab}/{op}/{t}"]
                cells.append(f"{x['ops_per_s']:.0f} ({x['ops_per_s_min']:.0f}-"
                             f"{x['ops_per_s_max']:.0f}) | {x['syscw_per_op']:.2f}")
            row = f"| {op} | {t} | {' | '.join(cells)} |"
            if len(labels) == 2:
                b = result["timed"][f"before/{op}/{t}"]["ops_per_s"]
                a = result["timed"][f"after/{op}/{t}"]["ops_per_s"]
                row += f" {(a / b - 1) * 100:+.0f} % |"
            print(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
