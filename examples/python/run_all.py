"""Run every example as a subprocess and report which ones passed.

Usage: ``python3 examples/python/run_all.py [-v] [NAME ...]``

Each example gets its own fresh ``DINGOFS_BASE_DIR`` (removed afterwards)
unless ``DINGOFS_MDS_ADDRS`` names a filesystem to use. ``-v`` prints every
example's output; the output of a failed example is always printed.
Exits 1 if any example failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

EXAMPLES = [
    "statfs",
    "mkdir",
    "write",
    "read",
    "stat",
    "rename",
    "symlink",
    "link",
    "mknod",
    "xattr",
    "ioctl",
    "setflags",
    "scandir",
    "walk",
    "gflags_demo",
]

TIMEOUT_S = 120


def run_one(name: str, verbose: bool) -> bool:
    env = os.environ.copy()
    base = None
    if not env.get("DINGOFS_MDS_ADDRS"):
        base = tempfile.mkdtemp(prefix=f"dingofs-run-{name}-")
        env["DINGOFS_BASE_DIR"] = base
        env.setdefault("DINGOFS_LOG_DIR", base)
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, str(HERE / f"{name}.py")],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=TIMEOUT_S,
        )
        output = proc.stdout.decode(errors="replace")
        ok = proc.returncode == 0
        status = "ok" if ok else f"FAILED (exit {proc.returncode})"
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode(errors="replace")
        ok = False
        status = f"FAILED (timeout after {TIMEOUT_S}s)"
    finally:
        if base is not None:
            shutil.rmtree(base, ignore_errors=True)
    elapsed = time.monotonic() - start
    print(f"{name:12} {status} ({elapsed:.2f}s)", flush=True)
    if verbose or not ok:
        for line in output.splitlines():
            print(f"    {line}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="print each example's output")
    parser.add_argument("names", nargs="*", metavar="NAME", help="examples to run (default: all)")
    args = parser.parse_args(argv)

    unknown = [n for n in args.names if n not in EXAMPLES]
    if unknown:
        parser.error(f"unknown example(s): {', '.join(unknown)}; known: {', '.join(EXAMPLES)}")
    names = args.names or EXAMPLES

    target = os.environ.get("DINGOFS_MDS_ADDRS") or "local:// (a fresh base directory per example)"
    print(f"running {len(names)} examples against {target}")
    failed = [name for name in names if not run_one(name, args.verbose)]
    passed = len(names) - len(failed)
    print(f"examples: {passed} passed, {len(failed)} failed")
    if failed:
        print("failed:", " ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
