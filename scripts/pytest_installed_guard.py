"""pytest plugin: run the suite only against an *installed* dingofs.

Used by scripts/check_packaging.sh when the tests of an unpacked sdist run
against the package installed from it:

    PYTHONPATH=scripts python -P -m pytest -p pytest_installed_guard ...

At start-up it prints which ``dingofs`` was imported and which library serves
it, and stops the session (exit code 4) when

* ``dingofs`` is not imported from a ``site-packages`` directory, or comes from
  below ``$DINGOFS_GUARD_SOURCE`` (the unpacked source tree);
* ``$DINGOFS_GUARD_LIBRARY_DIR`` is set and no loaded bridge's library lives in
  that directory (e.g. the staged ``DESTDIR/usr/lib``).
"""

from __future__ import annotations

import os

import pytest


def _problems() -> tuple[list[str], list[str]]:
    import dingofs

    where = os.path.realpath(dingofs.__file__)
    libs = dingofs.library_info()["libraries"]
    report = [f"dingofs imported from {where}"]
    report += [f"bridge {lib['module']}: {lib['kind']} library {lib['path']}" for lib in libs]
    problems = []
    if "site-packages" not in where.split(os.sep):
        problems.append(f"dingofs is imported from {where}, not from an installation")
    source = os.environ.get("DINGOFS_GUARD_SOURCE")
    if source and where.startswith(os.path.realpath(source) + os.sep):
        problems.append(f"dingofs is imported from the source tree {source}")
    libdir = os.environ.get("DINGOFS_GUARD_LIBRARY_DIR")
    if libdir:
        want = os.path.realpath(libdir)
        if not any(os.path.dirname(os.path.realpath(lib["path"])) == want for lib in libs):
            problems.append(f"no bridge uses a library in {libdir}")
    return report, problems


def pytest_configure(config: pytest.Config) -> None:
    report, problems = _problems()
    config._dingofs_guard_report = report  # type: ignore[attr-defined]
    if problems:
        raise pytest.UsageError("pytest_installed_guard: " + "; ".join(problems))


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"pytest_installed_guard: {line}"
            for line in getattr(config, "_dingofs_guard_report", [])]
