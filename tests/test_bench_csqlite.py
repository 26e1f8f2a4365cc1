"""The SQLite-floor benchmark (``benchmarks/csqlite.c``) builds and reports
every side of both calls, having done every call: a smoke test with a few
files, so ``make bench`` cannot break unnoticed. The numbers themselves are
only read by ``make bench``."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "benchmarks" / "csqlite.c"
LIB = ROOT / "native" / "build" / "libdingofs.a"


@pytest.mark.skipif(not SRC.exists() or not LIB.exists() or shutil.which("cc") is None,
                    reason="needs the source tree with a built engine and a C compiler")
def test_csqlite_reports_every_side(tmp_path: Path) -> None:
    # Built the way make bench builds it, into this test's directory.
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    exe = bench.build_c_program("csqlite", out_dir=str(tmp_path))
    base = tmp_path / "base"
    base.mkdir()
    out = subprocess.run([str(exe), str(base), "30", "2"], check=True, capture_output=True,
                         text=True).stdout
    got = json.loads(out)
    assert sorted(got) == ["setxattr", "unlink"]
    for op, sides in got.items():
        assert sorted(sides) == ["engine", "posix", "sqlite"], op
        for side, numbers in sides.items():
            if numbers is None:  # host xattrs unsupported: only that side may be missing
                assert (op, side) == ("setxattr", "posix")
                continue
            med, lo, hi = numbers
            assert 0 < lo <= med <= hi, (op, side)
    # Every host file of both rounds was unlinked, and every row deleted.
    host = base / "host"
    assert [os.listdir(host / d) for d in sorted(os.listdir(host))] == [[], []]
    db = sqlite3.connect(base / "floor.db")
    try:
        assert db.execute("SELECT count(*) FROM dentries").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM inodes").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM xattrs").fetchone() == (60,)
    finally:
        db.close()
    # A bad argument is a usage error, not a crash.
    r = subprocess.run([str(exe), str(base), "0", "1"], capture_output=True, text=True)
    assert r.returncode == 2 and "OPS" in r.stderr
