"""The system-call benchmark's C driver (``benchmarks/csyscalls.c``, run by
``benchmarks/syscalls.py``) builds and reports every operation: a smoke test
with a few files, so the tool cannot break unnoticed."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "benchmarks" / "csyscalls.c"
LIB = ROOT / "native" / "build" / "libdingofs.a"


@pytest.mark.skipif(not SRC.exists() or not LIB.exists() or shutil.which("cc") is None,
                    reason="needs the source tree with a built engine and a C compiler")
@pytest.mark.parametrize("op", ["create", "create4k", "unlink", "setxattr"])
def test_csyscalls_reports_each_operation(tmp_path: Path, op: str) -> None:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    exe = bench.build_c_program("csyscalls", out_dir=str(tmp_path))
    for threads in (1, 2):
        base = tmp_path / f"base{threads}"
        out = subprocess.run([exe, str(base), op, "40", str(threads)], check=True,
                             capture_output=True, text=True).stdout
        got = json.loads(out.strip().splitlines()[-1])
        assert got["op"] == op and got["threads"] == threads and got["count"] == 40
        assert got["ops_per_s"] > 0
        # Every change writes: at least one write call per commit of a batch.
        assert got["syscw_per_op"] > 0, got
