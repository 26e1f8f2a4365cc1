"""The SQLite-floor benchmark (``benchmarks/csqlite.c``) builds and reports
every side of both calls, having done every call: a smoke test with a few
files, so ``make bench`` cannot break unnoticed. The numbers themselves are
only read by ``make bench``."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from helpers import bench_program_skip, run_bench_program


@bench_program_skip("csqlite")
def test_csqlite_reports_every_side(tmp_path: Path) -> None:
    # built the way make bench builds it
    got, base, exe = run_bench_program("csqlite", tmp_path, "30", "2")
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
