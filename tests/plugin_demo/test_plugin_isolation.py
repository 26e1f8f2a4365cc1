"""The pytest plugin in other test runs: the demo under ``-n 4``, and an
unrelated project's suite that merely has dingofs installed."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent


def _entry_point_installed() -> bool:
    eps = metadata.entry_points()
    group = eps.select(group="pytest11") if hasattr(eps, "select") else eps.get("pytest11", [])
    return any(ep.value == "dingofs.pytest_plugin" for ep in group)


def _run_pytest(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DINGOFS_"))}
    (workdir / "pytest.ini").write_text("[pytest]\n")
    extra = [] if _entry_point_installed() else ["-p", "dingofs.pytest_plugin"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(workdir / "pytest.ini"),
         "--rootdir", str(workdir), "-p", "no:cacheprovider", *extra, *args, str(workdir)],
        capture_output=True, text=True, env=env, cwd=workdir, timeout=600,
    )


def test_demo_passes_with_four_workers(tmp_path):
    pytest.importorskip("xdist")
    work = tmp_path / "demo"
    work.mkdir()
    shutil.copy(TESTS / "test_plugin_demo.py", work / "test_plugin_demo_copy.py")
    proc = _run_pytest(work, "-n", "4", "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "20 passed" in proc.stdout, proc.stdout


def test_unrelated_suite_is_unaffected(tmp_path):
    work = tmp_path / "unrelated"
    work.mkdir()
    shutil.copy(TESTS / "plugin_demo" / "unrelated_case.py", work / "test_unrelated.py")
    proc = _run_pytest(work, "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout, proc.stdout
