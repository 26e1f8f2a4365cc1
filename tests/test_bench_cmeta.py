"""The C metadata-throughput benchmark (``benchmarks/cmeta.c``) builds and
reports every case: a smoke test with a few files, so ``make bench`` cannot
break unnoticed. The numbers themselves are only read by ``make bench``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from helpers import bench_program_skip, run_bench_program


@bench_program_skip("cmeta")
def test_cmeta_reports_every_case(tmp_path: Path) -> None:
    # built the way make bench builds it
    got, base, exe = run_bench_program("cmeta", tmp_path, "40", "2")
    assert sorted(got) == ["posix1", "posix2", "sdk1", "sdk2"]
    for key, (med, lo, hi) in got.items():
        assert 0 < lo <= med <= hi, key
    # Every file of every round was made on each side (2 rounds x (40 + 2 x 20)).
    host = base / "host"
    assert sum(len(os.listdir(host / d)) for d in os.listdir(host)) == 160
    # A bad argument is a usage error, not a crash.
    r = subprocess.run([str(exe), str(base), "1", "1"], capture_output=True, text=True)
    assert r.returncode == 2 and "FILES" in r.stderr
