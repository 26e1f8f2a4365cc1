"""The C baseline of the binding-overhead table (``benchmarks/cloop.c``) builds and
times every call the table compares with: a smoke test with a few iterations, so
``make bench`` cannot lose a row unnoticed. The numbers are only read by ``make bench``."""

from __future__ import annotations

import subprocess
from pathlib import Path

from helpers import bench_program_skip, run_bench_program

#: The C loops ``benchmarks/run.py`` subtracts from the Python side, one per hot call.
CALLS = {"x_access", "stat", "lstat", "x_stat", "getxattr", "fstat", "pread_4k", "seek",
         "seek_read_4k", "open_close", "close"}


@bench_program_skip("cloop")
def test_cloop_times_every_hot_call(tmp_path: Path) -> None:
    got, base, exe = run_bench_program("cloop", tmp_path, "50", "3")
    assert set(got) == CALLS
    assert all(ns > 0 for ns in got.values()), got
    # A bad argument is a usage error, not a crash.
    r = subprocess.run([str(exe), str(base), "0", "1"], capture_output=True, text=True)
    assert r.returncode == 2 and "ITERATIONS" in r.stderr
