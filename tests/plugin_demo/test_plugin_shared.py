"""``dingofs_shared``: one filesystem for all tests and xdist workers of a run.

An inner pytest runs ``shared_case.py`` with two workers (``--dist each``:
both run every test) and a known ``--basetemp`` and ``--testrunuid``; then
this test mounts the shared filesystem where the plugin documents it and
checks that both workers, two processes, wrote to it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import dingofs

HERE = Path(__file__).resolve().parent


def _entry_point_installed() -> bool:
    eps = metadata.entry_points()
    group = eps.select(group="pytest11") if hasattr(eps, "select") else eps.get("pytest11", [])
    return any(ep.value == "dingofs.pytest_plugin" for ep in group)


def _run_inner(work: Path, *args: str) -> subprocess.CompletedProcess:
    """Run pytest on ``work`` (holding a copy of shared_case.py) in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DINGOFS_"))}
    (work / "pytest.ini").write_text("[pytest]\n")
    shutil.copy(HERE / "shared_case.py", work / "test_shared_case.py")
    extra = [] if _entry_point_installed() else ["-p", "dingofs.pytest_plugin"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(work / "pytest.ini"), "--rootdir", str(work),
         "-p", "no:cacheprovider", *extra, "-v", *args, str(work)],
        capture_output=True, text=True, env=env, cwd=work, timeout=600,
    )


def _files_of(root: Path) -> dict[str, tuple[str, int]]:
    """Mount the shared filesystem under ``root`` and read what the workers left."""
    client = dingofs.Client.build(f"local://shared?base={root / 'base'}&create=0", "shared",
                                  "/check/shared", init_logging=False)
    try:
        out = {}
        for entry in client.listdir("/"):
            owner, pid = client.read_text(f"/{entry.name}").split()
            out[entry.name] = (owner, int(pid))
        return out
    finally:
        client.stop()


def test_two_workers_share_one_filesystem(tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    work = tmp_path / "work"
    work.mkdir()
    basetemp = tmp_path / "basetemp"
    uid = "dingofs-shared-check"
    proc = _run_inner(work, "-n", "2", "--dist", "each", "--testrunuid", uid,
                      "--basetemp", str(basetemp))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "6 passed" in proc.stdout, proc.stdout  # 3 tests on each of 2 workers
    for worker in ("gw0", "gw1"):
        assert f"[{worker}] " in proc.stdout, proc.stdout

    root = basetemp / f"dingofs-shared-{uid}"
    files = _files_of(root)
    assert sorted(files) == ["by-gw0", "by-gw1"]
    assert files["by-gw0"][0] == "gw0" and files["by-gw1"][0] == "gw1"
    assert files["by-gw0"][1] != files["by-gw1"][1]  # two processes
    problems, report = dingofs.Client.fsck(f"local://shared?base={root / 'base'}")
    assert problems == 0, report


def test_without_xdist_the_session_has_its_own_shared_filesystem(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    basetemp = tmp_path / "basetemp"
    proc = _run_inner(work, "-p", "no:xdist", "--basetemp", str(basetemp))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout, proc.stdout
    files = _files_of(basetemp / "dingofs-shared")
    assert list(files) == ["by-master"]
    assert files["by-master"][0] == "master"
