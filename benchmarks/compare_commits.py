#!/usr/bin/env python3
"""The hot calls of this tree against those of an earlier commit, in one run.

    .venv/bin/python benchmarks/compare_commits.py --base REV [--rounds 5] [--calls N]
        [--scratch DIR]

(``make bench-compare BASE=REV [SCRATCH=DIR]``.) The commit ``REV`` is cloned from this
repository and installed with pip into a virtual environment of its own under
``benchmarks/build/compare/REV`` (kept, so a second run starts at once); this
tree is measured through the interpreter that runs this script (``make dev``
installs it). Both sides run :mod:`hot_calls` — the same code, public API only —
in a child process each, alternating which side goes first, ``--rounds`` times.
The table gives the median of the rounds for each side, the ratio this tree /
``REV`` (for times: below 1 is faster; for rates: above 1 is faster) and the
spread (min–max) of the ratio across rounds, which shows how much of a
difference is noise on a shared machine; the last column says "faster" or
"slower" only when the median moved by 2 % or more and every round agrees.
``--scratch`` puts the filesystems elsewhere: on a tmpfs the I/O rows measure the
two builds rather than the host disk's writeback of earlier rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(HERE, "build", "compare")


def log(msg: str) -> None:
    print(f"compare: {msg}", file=sys.stderr, flush=True)


def install_base(rev: str) -> tuple[str, str]:
    """An interpreter with commit ``rev`` of the package installed, and the full hash."""
    full = subprocess.run(["git", "-C", ROOT, "rev-parse", "--verify", f"{rev}^{{commit}}"],
                          check=True, capture_output=True, text=True).stdout.strip()
    home = os.path.join(BUILD, full[:12])
    python = os.path.join(home, "venv", "bin", "python")
    if os.path.exists(os.path.join(home, "installed")):
        return python, full
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    src = os.path.join(home, "src")
    log(f"cloning {full[:12]}")
    subprocess.run(["git", "clone", "-q", "--no-checkout", ROOT, src], check=True)
    subprocess.run(["git", "-C", src, "checkout", "-q", full], check=True)
    log("installing it into its own virtual environment (builds the engine and the bridge)")
    subprocess.run([sys.executable, "-m", "venv", os.path.join(home, "venv")], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", src], check=True)
    open(os.path.join(home, "installed"), "w").close()
    return python, full


def run_side(python: str, scratch: str, calls: int, seq_mb: int) -> dict[str, Any]:
    """One child process of :mod:`hot_calls` under ``python``."""
    work = tempfile.mkdtemp(dir=scratch)
    try:
        proc = subprocess.run(
            [python, os.path.join(HERE, "hot_calls.py"), work, "--calls", str(calls),
             "--seq-mb", str(seq_mb)],
            cwd=work, check=True, capture_output=True, text=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--base", help="the commit to compare against")
    which.add_argument("--base-python", help="an interpreter where the build to compare "
                       "against is installed already (instead of --base)")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    ap.add_argument("--calls", type=int, default=20000, help="calls per timed loop")
    ap.add_argument("--seq-mb", type=int, default=128, help="size of the sequential file")
    ap.add_argument("--json", help="also write the rounds and medians to this file")
    ap.add_argument("--scratch", default=BUILD,
                    help="where the filesystems are made (e.g. a tmpfs such as /dev/shm, "
                    "which takes the host disk's writeback out of the I/O rows)")
    args = ap.parse_args(argv)
    if args.base_python:
        base_python, full = args.base_python, "--base-python"
    else:
        base_python, full = install_base(args.base)
    sides = {"base": base_python, "head": sys.executable}
    rounds: dict[str, list[dict[str, float]]] = {"base": [], "head": []}
    versions: dict[str, str] = {}
    os.makedirs(args.scratch, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="scratch-", dir=args.scratch)
    try:
        for r in range(args.rounds):
            order = ("base", "head") if r % 2 == 0 else ("head", "base")
            for side in order:
                log(f"round {r + 1}/{args.rounds}: {side}")
                got = run_side(sides[side], scratch, args.calls, args.seq_mb)
                versions[side] = got["version"]
                rounds[side].append(got["results"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    cases = list(rounds["head"][0])
    title = f"this tree vs {full[:12]} ({args.rounds} alternating rounds, median)"
    print(title)
    print()
    print("| case | base | this tree | ratio | ratio min–max | |")
    print("|---|---:|---:|---:|---:|---|")
    summary: dict[str, Any] = {}
    for case in cases:
        base = [r[case] for r in rounds["base"] if case in r]
        head = [r[case] for r in rounds["head"]]
        if not base:
            continue
        ratios = [h / b for h, b in zip(head, base)]
        mb, mh = statistics.median(base), statistics.median(head)
        ratio = mh / mb
        rate = case.endswith("(MiB/s)")
        faster = ratio > 1 if rate else ratio < 1
        # A difference counts when the median moved by 2 % or more and every round
        # moved the same way; otherwise it is inside the rounds' spread.
        steady = min(ratios) > 1 or max(ratios) < 1
        word = ("faster" if faster else "slower") if abs(ratio - 1) >= 0.02 and steady \
            else "same"
        print(f"| {case} | {mb:,.0f} | {mh:,.0f} | {ratio:.2f} | "
              f"{min(ratios):.2f}–{max(ratios):.2f} | {word} |")
        summary[case] = {"base": mb, "head": mh, "ratio": ratio,
                         "ratio_min": min(ratios), "ratio_max": max(ratios)}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"base": full, "versions": versions, "rounds": rounds,
                       "summary": summary}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
