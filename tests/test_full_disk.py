"""A completely full disk: deletions still work, the space they free is usable at
once, and nothing acknowledged before is lost.

The work is done by ``tests/full_disk.py`` in a child process that runs in a
mount namespace of its own, where a small tmpfs is the whole disk of the
filesystem (``unshare -m`` as root, ``unshare -rm`` in a user namespace
otherwise; skipped where neither is allowed). See that file for what each
round checks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DISK = "32m"


def _namespace() -> list[str] | None:
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    tries = [[unshare, "-rm", "--propagation", "private"]]
    if os.geteuid() == 0:
        tries.insert(0, [unshare, "-m", "--propagation", "private"])
    for cmd in tries:
        probe = subprocess.run(
            [*cmd, "sh", "-c", 'd=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs "$d"'],
            capture_output=True,
        )
        if probe.returncode == 0:
            return cmd
    return None


NAMESPACE = _namespace()


@pytest.mark.skipif(NAMESPACE is None, reason="cannot mount a tmpfs in a mount namespace here")
@pytest.mark.parametrize(
    "limits",
    [
        pytest.param("", id="the-disk"),
        pytest.param("capacity=20000000&inodes=3000", id="capacity-and-inodes"),
    ],
)
def test_full_disk_rounds(tmp_path: Path, limits: str) -> None:
    assert NAMESPACE is not None
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (
        'mount -t tmpfs -o size="$1" tmpfs "$2" && shift 2 && exec "$@"'
    )
    cmd = [*NAMESPACE, "sh", "-c", script, "sh", DISK, str(disk),
           sys.executable, str(HERE / "full_disk.py"), str(disk), "10", limits]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-6000:]
    assert "10 rounds" in out and "0 failure(s)" in out, out[-3000:]
    # Every pattern reached a full disk (or limit) and every round was checked.
    assert out.count("full=True") == 10, out[-3000:]
