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


def _run_pytest(workdir: Path, *args: str, ini: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DINGOFS_"))}
    (workdir / "pytest.ini").write_text("[pytest]\n" + ini)
    extra = [] if _entry_point_installed() else ["-p", "dingofs.pytest_plugin"]
    if not any(a.startswith("--basetemp") for a in args):
        # inside this test's tmp_path, which goes with it, rather than a new
        # numbered directory of the user's that outlives the run
        extra.append(f"--basetemp={workdir / '.basetemp'}")
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


RETAINED_CASE = """
def test_passes(dingofs_factory):
    dingofs_factory().write_bytes("/f", b"1")


def test_fails(dingofs_factory):
    dingofs_factory().write_bytes("/f", b"1")
    assert False, "on purpose"
"""


@pytest.mark.parametrize(
    ("ini", "kept"),
    [("", {"test_fails"}),
     ("dingofs_retention = failed\n", {"test_fails"}),
     ("dingofs_retention = all\n", {"test_passes", "test_fails"}),
     ("dingofs_retention = none\n", set()),
     # pytest's own setting is for tmp_path; it does not change the default
     ("tmp_path_retention_policy = all\n", {"test_fails"})],
    ids=["default", "failed", "all", "none", "tmp_path-all"],
)
def test_filesystems_stay_by_the_retention_setting(tmp_path, ini, kept):
    """A test's filesystems (each with its space reserve on disk) go after it
    passes and stay after it fails, unless ``dingofs_retention`` says otherwise."""
    work = tmp_path / "retain"
    work.mkdir()
    (work / "test_retain.py").write_text(RETAINED_CASE)
    basetemp = tmp_path / "basetemp"
    proc = _run_pytest(work, "-q", f"--basetemp={basetemp}", ini=ini)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed, 1 passed" in proc.stdout, proc.stdout
    # The factory's directories are numbered in the order the tests ran.
    names = {"dingofs0": "test_passes", "dingofs1": "test_fails"}
    left = {names[p.name] for p in basetemp.glob("dingofs[0-9]*")
            if (p / "base" / "meta" / "fs0").is_dir()}
    assert left == kept, sorted(p.name for p in basetemp.iterdir())


def test_a_bad_retention_setting_is_refused(tmp_path):
    work = tmp_path / "bad"
    work.mkdir()
    (work / "test_retain.py").write_text(RETAINED_CASE)
    proc = _run_pytest(work, "-q", ini="dingofs_retention = sometimes\n")
    assert proc.returncode == 4, proc.stdout + proc.stderr  # pytest's usage error
    assert "dingofs_retention = 'sometimes': expected one of failed, all, none" in proc.stderr
