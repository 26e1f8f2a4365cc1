"""Every example under examples/python runs and exits 0 on its own filesystem."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "python"
NOT_EXAMPLES = {"common.py", "run_all.py", "__init__.py"}
DOCUMENTED = ["statfs", "mkdir", "write", "read", "stat", "rename", "symlink", "link",
              "mknod", "xattr", "ioctl", "setflags", "scandir", "walk", "gflags_demo"]


def _examples():
    if not EXAMPLES.is_dir():
        return []
    return sorted(p for p in EXAMPLES.glob("*.py") if p.name not in NOT_EXAMPLES)


def _env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    for k in ("DINGOFS_MDS_ADDRS", "DINGOFS_FS_NAME", "DINGOFS_MOUNT_POINT"):
        env.pop(k, None)
    base = tmp_path / "base"
    base.mkdir()
    env["DINGOFS_BASE_DIR"] = str(base)
    env["DINGOFS_LOG_DIR"] = str(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(EXAMPLES)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def test_documented_examples_exist():
    found = {p.stem for p in _examples()}
    assert set(DOCUMENTED) <= found, sorted(set(DOCUMENTED) - found)
    assert (EXAMPLES / "common.py").is_file()


@pytest.mark.parametrize("example", _examples(), ids=lambda p: p.stem)
def test_example_runs(example, tmp_path):
    env = _env(tmp_path)
    proc = subprocess.run([sys.executable, str(example)], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=180,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, (
        f"{example.name} exited {proc.returncode}\n--- stdout\n{proc.stdout}"
        f"\n--- stderr\n{proc.stderr}")
    # it used the filesystem under its own DINGOFS_BASE_DIR
    assert any((tmp_path / "base").iterdir()), "nothing was created under DINGOFS_BASE_DIR"


@pytest.mark.parametrize("example", _examples(), ids=lambda p: p.stem)
def test_example_honours_mds_addrs(example, tmp_path):
    """DINGOFS_MDS_ADDRS / DINGOFS_FS_NAME / DINGOFS_MOUNT_POINT select the filesystem."""
    env = _env(tmp_path)
    other = tmp_path / "explicit"
    other.mkdir()
    env["DINGOFS_MDS_ADDRS"] = f"local://exfs?base={other}"
    env["DINGOFS_FS_NAME"] = "exfs"
    env["DINGOFS_MOUNT_POINT"] = "/mnt/exfs"
    proc = subprocess.run([sys.executable, str(example)], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=180,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (other / "meta" / "exfs").exists()
