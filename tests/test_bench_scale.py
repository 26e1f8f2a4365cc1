"""The scale benchmark (``benchmarks/scale.py``, ``make bench-scale``) runs end
to end on a small tree and reports every row: a smoke test, so the target
cannot break unnoticed. The numbers themselves are only read by the target."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "scale.py"


@pytest.mark.skipif(not SCRIPT.exists(), reason="needs the source tree")
def test_scale_reports_every_row(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    env = dict(os.environ, BENCH_DIR=str(tmp_path / "scratch"), BENCH_SCALE_FILES="2000",
               BENCH_SCALE_WINDOW="500", BENCH_SCALE_STATS="100", BENCH_SCALE_LISTDIR="300",
               BENCH_SCALE_JSON=str(out), BENCH_SCALE_DOCS="")
    done = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    got = json.loads(out.read_text())
    ops = [r["op"] for r in got["rows"]]
    assert ops == ["listdir of 300 entries", "create, tree of 2,000 files",
                   "stat, tree of 2,000 files"]
    for r in got["rows"]:
        assert r["sdk_us"] > 0 and r["os_us"] > 0
    # 2,000 files in 2 directories, 300 in /big, and /t, /big and the root.
    assert got["inodes"] == 2000 + 2 + 300 + 3
    assert 0 < got["store_bytes"] / got["inodes"] < 10_000
    assert got["memory"]["sdk"]["VmRSS"] > 0 and got["memory"]["os"]["VmRSS"] > 0
    # The scratch directory is gone.
    assert os.listdir(tmp_path / "scratch") == []
