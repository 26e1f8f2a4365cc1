"""The public types, pinned: a realistic typed user program passes
``mypy --strict``, with ``assert_type`` checks that fail when a public type is
``Any`` or wrong (tests/typing/user_program.py); the program also runs."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import local_url

PROGRAM = Path(__file__).parent / "typing" / "user_program.py"
ROOT = Path(__file__).parent.parent


def test_user_program_passes_mypy_strict(tmp_path):
    pytest.importorskip("mypy")
    if sys.version_info < (3, 11):
        pytest.importorskip("typing_extensions")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
         "--cache-dir", str(tmp_path / "mypy-cache"), str(PROGRAM)],
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_user_program_runs(tmp_path):
    if sys.version_info < (3, 11):
        pytest.importorskip("typing_extensions")
    proc = subprocess.run(
        [sys.executable, str(PROGRAM), local_url(tmp_path, "typed")],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
