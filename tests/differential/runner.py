"""Profiles of the differential machine, forked unprivileged runs, time-boxed runs."""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import time
import traceback
from typing import Callable

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

#: name -> (max_examples, stateful_step_count); chosen by $HYPOTHESIS_PROFILE.
PROFILES = {
    "ci": (40, 40),
    "dev": (200, 50),
    "long": (10_000, 60),
}


def profile_name() -> str:
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    return name if name in PROFILES else "ci"


def machine_settings(scale: float = 1.0, *, examples: int | None = None,
                     database: bool = True) -> settings:
    n, steps = PROFILES[profile_name()]
    if examples is None:
        examples = int(os.environ.get("DINGOFS_DIFF_EXAMPLES", "0")) or max(1, int(n * scale))
    kw = {}
    if not database:
        kw["database"] = None
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
        **kw,
    )


NOBODY = 65534


def _preload() -> None:
    """Import now what would otherwise be imported lazily after the uid change.

    The interpreter and its site-packages may live where uid 65534 cannot
    read (e.g. under /root), so the child must not need to import anything.
    """
    import importlib
    import pkgutil

    import hypothesis

    for info in pkgutil.walk_packages(hypothesis.__path__, "hypothesis."):
        if info.name.startswith(("hypothesis.extra", "hypothesis.vendor.pretty")):
            continue
        with contextlib.suppress(Exception):  # optional parts may miss their dependencies
            importlib.import_module(info.name)
    extra = ["numpy.random"] if "numpy" in sys.modules else []
    for name in extra + ["linecache", "tokenize", "encodings.idna", "encodings.latin_1", "json",
                 "difflib", "unittest.mock", "ctypes"]:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def run_as_nobody(fn: Callable[[str], None], timeout: float = 600.0) -> None:
    """Fork, drop to uid/gid 65534, run ``fn(scratch_dir)`` in the child.

    The child reports through its exit status and a result file; a failure
    there is raised here as an AssertionError carrying the child's traceback.
    """
    scratch = tempfile.mkdtemp(prefix="dfs-nobody-")
    os.chown(scratch, NOBODY, NOBODY)
    os.chmod(scratch, 0o700)
    _preload()
    report = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finally
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child: never returns into the test runner
        code = 1
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            os.environ["TMPDIR"] = scratch
            tempfile.tempdir = scratch
            fn(scratch)
            code = 0
        except BaseException:  # noqa: BLE001 - everything is reported to the parent
            try:
                report.write(traceback.format_exc().encode("utf-8", "replace"))
                report.flush()
            except BaseException:  # noqa: BLE001
                pass
        os._exit(code)
    try:
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise AssertionError(f"unprivileged child did not finish in {timeout}s")
            time.sleep(0.05)
        report.seek(0)
        text = report.read().decode("utf-8", "replace")
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            raise AssertionError(f"unprivileged run failed (wait status {status:#x}):\n{text}")
    finally:
        report.close()
        from .hostfs import remove_tree

        remove_tree(scratch)


def run_for(machine: type, seconds: float, examples: int) -> int:
    """Run ``machine`` in batches until ``examples`` ran or ``seconds`` passed.

    Returns the number of examples run. A divergence propagates at once.
    """
    end = time.monotonic() + seconds
    done = 0
    batch = 250
    while done < examples and time.monotonic() < end:
        n = min(batch, examples - done)
        run_state_machine_as_test(machine, settings=machine_settings(examples=n))
        done += n
    return done
