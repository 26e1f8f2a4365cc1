"""``benchmarks/run.py`` (``make bench``): its ``os`` section, run with tiny sizes,
reports every row with the median ratio between the lowest and highest round and
the goal the small-file work sets for it. The numbers are only read by ``make bench``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, bench_run_module

import dingofs

RUN = ROOT / "benchmarks" / "run.py"
#: run.py imports the package from its own tree: only a build in that tree (``make dev``)
#: can run it, not an installed package tested from an unpacked sdist.
_TREE_BUILD = Path(dingofs.__file__).resolve().parent == ROOT / "dingofs"
pytestmark = pytest.mark.skipif(not RUN.exists() or not _TREE_BUILD,
                                reason="needs the source tree's own build of the package")


def test_a_ratio_prints_with_its_lowest_and_highest_round() -> None:
    run = bench_run_module()
    assert run.fmt_metric(0.84, "x", [0.82, 1.46]) == "0.84x (0.82–1.46)"
    assert run.fmt_metric(91.2, "%", [50.4, 102.0]) == "91 % (50–102)"
    assert run.fmt_metric(0.84, "x") == "0.84x"


def test_the_os_section_reports_spread_and_goal_of_every_row(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    env = dict(os.environ, BENCH_PY_SECTIONS="os", BENCH_PY_N="20", BENCH_PY_STATS="40",
               BENCH_PY_ENTRIES="100", BENCH_PY_SEQ_MB="4", BENCH_PY_RAND="40",
               BENCH_PY_REPEAT="3", BENCH_PY_JSON=str(out), BENCH_PY_PNG="", BENCH_PY_DOCS="",
               BENCH_DIR=str(tmp_path))
    subprocess.run([sys.executable, str(RUN)], check=True, env=env, capture_output=True)
    doc = json.loads(out.read_text())
    rows = {r["name"].split(" (")[0]: r for r in doc["rows"] if r["section"] == "os"}
    assert {"create+close", "stat", "setxattr", "small write", "small read", "unlink",
            "listdir", "sequential write", "random 4 KiB pread"} <= set(rows)
    goals = bench_run_module().OS_GOALS
    for name, r in rows.items():
        lo, hi = r["spread"]
        eps = 1e-9 * r["metric"]  # the median and the extremes are computed differently
        assert lo - eps <= r["metric"] <= hi + eps, name
        assert r["goal_value"] == goals.get(name, 80.0 if r["metric_unit"] == "%" else 3.0)
        assert r["met"] == (r["metric"] >= r["goal_value"] if r["metric_unit"] == "%"
                            else r["metric"] <= r["goal_value"]), name
    assert doc["config"]["repeat"] == 3
