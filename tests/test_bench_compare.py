"""``make bench-compare``: the hot-call timer and the alternating comparison run
and report every case (a smoke test with tiny sizes; the numbers themselves are
only read by people comparing two builds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"

CASES = {"stat (ns)", "lstat (ns)", "access (ns)", "open+close (ns)", "fstat (ns)",
         "pread 4 KiB (ns)", "seek+readinto 4 KiB (ns)", "seek+read 4 KiB (ns)", "seek (ns)",
         "sequential write 1 MiB calls (MiB/s)", "sequential readinto 1 MiB calls (MiB/s)",
         "sequential read 1 MiB calls (MiB/s)", "random 4 KiB pread (MiB/s)",
         "random 4 KiB seek+readinto (MiB/s)"}


def test_hot_calls_reports_every_case(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, str(BENCH / "hot_calls.py"), str(tmp_path),
                          "--calls", "40", "--seq-mb", "2"],
                         check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    got = json.loads(out)
    assert set(got["results"]) == CASES
    assert all(v > 0 for v in got["results"].values())
    import dingofs

    assert got["version"] == dingofs.__version__
    assert list(tmp_path.iterdir()) != []  # its filesystem was made where it was told


def test_compare_alternates_and_tabulates(tmp_path: Path) -> None:
    report = tmp_path / "cmp.json"
    proc = subprocess.run([sys.executable, str(BENCH / "compare_commits.py"),
                           "--base-python", sys.executable, "--rounds", "2", "--calls", "40",
                           "--seq-mb", "2", "--json", str(report),
                           "--scratch", str(tmp_path / "fs")],
                          check=True, capture_output=True, text=True, cwd=tmp_path)
    # The two sides alternate which one goes first.
    order = [ln.rsplit(" ", 1)[1] for ln in proc.stderr.splitlines() if ": round " in ln]
    assert order == ["base", "head", "head", "base"]
    rows = [ln for ln in proc.stdout.splitlines() if ln.startswith("| ") and "---" not in ln]
    assert len(rows) == len(CASES) + 1  # the header and one row per case
    data = json.loads(report.read_text())
    # The filesystems were made under --scratch, and nothing of them is left.
    assert (tmp_path / "fs").is_dir() and not list((tmp_path / "fs").iterdir())
    assert set(data["summary"]) == CASES
    for case, s in data["summary"].items():
        assert len(data["rounds"]["base"]) == len(data["rounds"]["head"]) == 2
        assert 0 < s["ratio_min"] <= s["ratio_max"], case
        assert s["head"] / s["base"] == s["ratio"]


def test_call_parts_times_every_part() -> None:
    """``benchmarks/call_parts.py`` (the profiles of ``stat``, ``DingoFile.stat``,
    ``access``, ``pread`` and ``open().close()`` in docs/benchmarks.md) runs and
    prints one timed row per part, under the heading of its call."""
    out = subprocess.run([sys.executable, str(BENCH / "call_parts.py"), "--calls", "50",
                          "--runs", "1"], check=True, capture_output=True, text=True).stdout
    sections: dict[str, list[str]] = {}
    current = ""
    for ln in out.splitlines():
        if ln.startswith("|"):
            if "---" not in ln and ln != "| part | ns |":
                sections[current].append(ln)
        elif ln.strip():
            current = ln.strip()
            sections[current] = []
    assert {k: len(v) for k, v in sections.items()} == {"stat": 7, "fstat": 5, "access": 5,
                                                         "pread": 5, "open+close": 7}
    for rows in sections.values():
        assert rows[0].startswith("| empty loop body")
        assert all(float(r.rsplit("|", 2)[1].replace(",", "")) > 0 for r in rows)
