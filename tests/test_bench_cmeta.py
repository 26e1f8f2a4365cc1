"""The C metadata-throughput benchmark (``benchmarks/cmeta.c``) builds and
reports every case: a smoke test with a few files, so ``make bench`` cannot
break unnoticed. The numbers themselves are only read by ``make bench``."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "benchmarks" / "cmeta.c"
LIB = ROOT / "native" / "build" / "libdingofs.a"


@pytest.mark.skipif(not SRC.exists() or not LIB.exists() or shutil.which("cc") is None,
                    reason="needs the source tree with a built engine and a C compiler")
def test_cmeta_reports_every_case(tmp_path: Path) -> None:
    # Built the way make bench builds it, into this test's directory.
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    exe = bench.build_c_program("cmeta", out_dir=str(tmp_path))
    base = tmp_path / "base"
    base.mkdir()
    out = subprocess.run([str(exe), str(base), "40", "2"], check=True, capture_output=True,
                         text=True).stdout
    got = json.loads(out)
    assert sorted(got) == ["posix1", "posix2", "sdk1", "sdk2"]
    for key, (med, lo, hi) in got.items():
        assert 0 < lo <= med <= hi, key
    # Every file of every round was made on each side (2 rounds x (40 + 2 x 20)).
    host = base / "host"
    assert sum(len(os.listdir(host / d)) for d in os.listdir(host)) == 160
    # A bad argument is a usage error, not a crash.
    r = subprocess.run([str(exe), str(base), "1", "1"], capture_output=True, text=True)
    assert r.returncode == 2 and "FILES" in r.stderr
