"""The system-call benchmark's C driver (``benchmarks/csyscalls.c``, run by
``benchmarks/syscalls.py``) builds and reports every operation: a smoke test
with a few files, so the tool cannot break unnoticed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import bench_program_skip, build_bench_program


@bench_program_skip("csyscalls")
@pytest.mark.parametrize("op", ["create", "create4k", "unlink", "setxattr"])
def test_csyscalls_reports_each_operation(tmp_path: Path, op: str) -> None:
    exe = build_bench_program("csyscalls", tmp_path)  # as make bench builds it
    for threads in (1, 2):
        base = tmp_path / f"base{threads}"
        out = subprocess.run([exe, str(base), op, "40", str(threads)], check=True,
                             capture_output=True, text=True).stdout
        got = json.loads(out.strip().splitlines()[-1])
        assert got["op"] == op and got["threads"] == threads and got["count"] == 40
        assert got["ops_per_s"] > 0
        # Every change writes: at least one write call per commit of a batch.
        assert got["syscw_per_op"] > 0, got
