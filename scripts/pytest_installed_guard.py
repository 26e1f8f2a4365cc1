"""pytest plugin: run the suite only against an *installed* dingofs.

Used by scripts/check_packaging.sh when the tests of an unpacked sdist run
against the package installed from it:

    PYTHONSAFEPATH=1 PYTHONPATH=scripts python -m pytest -p pytest_installed_guard ...

At start-up it prints (also with ``-q``) which ``dingofs`` was imported and which library serves
it, in this process and in a child Python started the way the tests start
theirs (``sys.executable -c ...`` in the current directory, with this
environment: the CLI tests, the fresh-process tests), and stops the session
(exit code 4) when, in either of them,

* ``dingofs`` is not imported from a ``site-packages`` directory, or comes from
  below ``$DINGOFS_GUARD_SOURCE`` (the unpacked source tree);
* ``$DINGOFS_GUARD_LIBRARY_DIR`` is set and no loaded bridge's library lives in
  that directory (e.g. the staged ``DESTDIR/usr/lib``).

The child matters: ``python -c``/``python -m`` put the current directory first
on ``sys.path`` unless ``-P``/``PYTHONSAFEPATH`` says otherwise, so a child
started in the source tree would import the uninstalled source.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

#: Run in the child: where dingofs comes from and the libraries it loaded.
_CHILD = ("import json, dingofs; print(json.dumps([dingofs.__file__, "
          "dingofs.library_info()['libraries']]))")


def _check(who: str, dingofs_file: str, libs: list[dict[str, Any]]) -> tuple[list[str],
                                                                              list[str]]:
    where = os.path.realpath(dingofs_file)
    report = [f"{who}: dingofs imported from {where}"]
    report += [f"{who}: bridge {lib['module']}: {lib['kind']} library {lib['path']} "
               f"(implementation {lib['implementation']})" for lib in libs]
    problems = []
    if "site-packages" not in where.split(os.sep):
        problems.append(f"{who}: dingofs is imported from {where}, not from an installation")
    source = os.environ.get("DINGOFS_GUARD_SOURCE")
    if source and where.startswith(os.path.realpath(source) + os.sep):
        problems.append(f"{who}: dingofs is imported from the source tree {source}")
    libdir = os.environ.get("DINGOFS_GUARD_LIBRARY_DIR")
    if libdir:
        want = os.path.realpath(libdir)
        if not any(os.path.dirname(os.path.realpath(lib["path"])) == want for lib in libs):
            problems.append(f"{who}: no bridge uses a library in {libdir}")
    return report, problems


def _child() -> tuple[list[str], list[str]]:
    """The check in a child Python started as the tests start theirs."""
    proc = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True,
                          timeout=120)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        return [], [f"a child python -c 'import dingofs' failed: {tail[0]}"]
    dingofs_file, libs = json.loads(proc.stdout.strip().splitlines()[-1])
    return _check(f"child python -c (cwd {os.getcwd()})", dingofs_file, libs)


def _problems() -> tuple[list[str], list[str]]:
    import dingofs

    report, problems = _check("pytest", dingofs.__file__, dingofs.library_info()["libraries"])
    child_report, child_problems = _child()
    report += child_report
    problems += child_problems
    if child_problems and not os.environ.get("PYTHONSAFEPATH"):
        problems.append("set PYTHONSAFEPATH=1 for the run (child processes inherit it, "
                        "not python -P)")
    return report, problems


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker: the controller checked
        return
    report, problems = _problems()
    config._dingofs_guard_report = report  # type: ignore[attr-defined]
    if problems:
        raise pytest.UsageError("pytest_installed_guard: " + "; ".join(problems))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Print the report whatever the verbosity (``-q`` hides the report header)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    for line in getattr(session.config, "_dingofs_guard_report", []):
        reporter.write_line(f"pytest_installed_guard: {line}")
