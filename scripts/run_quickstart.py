#!/usr/bin/env python3
"""Run the README's quick start as written, against the installed dingofs.

    PYTHON -P scripts/run_quickstart.py [README]      (default: the README next to scripts/)

Takes the first ``python`` code block under "## Quick start", runs it with
PYTHON in a new empty directory (umask 022, as the README assumes), and checks
what it prints against the values its comments promise. Before that it prints
which dingofs the interpreter imports and fails if that is a source tree
rather than an installation (site-packages).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

#: Lines the quick start must print, in this order (from its comments).
EXPECTED = [
    "revenue,42",
    "11 0o100644 File",
    "finance",
    "/ ['reports'] []",
    "/reports ['2024'] []",
    "/reports/2024 [] ['summary.txt']",
    "4",
]


def quick_start(readme: str) -> str:
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    section = text.split("\n## Quick start\n", 1)[1]
    m = re.search(r"```python\n(.*?)```", section, flags=re.S)
    if m is None:
        raise SystemExit("run_quickstart: no python block under '## Quick start'")
    return m.group(1)


def main(argv: list[str]) -> int:
    readme = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(HERE), "README.md")
    code = quick_start(readme)
    os.umask(0o022)
    with tempfile.TemporaryDirectory(prefix="dingofs-quickstart.") as work:
        where = subprocess.run(
            [sys.executable, "-P", "-c", "import dingofs; print(dingofs.__file__)"],
            cwd=work, check=True, capture_output=True, text=True).stdout.strip()
        print(f"run_quickstart: dingofs imported from {where}")
        if f"{os.sep}site-packages{os.sep}" not in where:
            print("run_quickstart: that is not an installed copy", file=sys.stderr)
            return 1
        script = os.path.join(work, "quickstart.py")
        with open(script, "w", encoding="utf-8") as f:
            f.write(code)
        proc = subprocess.run([sys.executable, "-P", script], cwd=work, capture_output=True,
                              text=True, timeout=120)
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            print(f"run_quickstart: the quick start exited with {proc.returncode}",
                  file=sys.stderr)
            return 1
        got = proc.stdout.splitlines()
        if got != EXPECTED:
            print(f"run_quickstart: printed {got}, the README promises {EXPECTED}",
                  file=sys.stderr)
            return 1
        if not os.path.isdir(os.path.join(work, "dingofs-demo")):
            print("run_quickstart: ./dingofs-demo was not created", file=sys.stderr)
            return 1
    print("run_quickstart: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
