"""Helpers of the system/upstream tier: run a script in a child Python.

The upstream library can only be loaded late when the process starts with the
static-TLS tunable, and a mount attempt starts a metrics port and writes log
files. So every test that loads it runs its script in its own child process
(bounded by a timeout) with the tunable, a free port and its own log directory,
and reads back one JSON result.
"""
from __future__ import annotations

import functools
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

#: The tunable every process that loads the upstream library late needs.
TUNABLE = "glibc.rtld.optional_static_tls=16777216"

#: Prefix of the line that carries a child's result.
MARK = "DINGOFS-TEST-RESULT:"

#: Preamble of every child script: ``result(obj)`` reports back to the test,
#: ``PORT`` and ``LOGDIR`` are the child's own metrics port and log directory,
#: ``conf_file()`` writes a conf file that applies them at mount.
_PRELUDE = f'''
import json, os, sys
PORT = int(os.environ["DINGOFS_TEST_PORT"])
LOGDIR = os.environ["DINGOFS_TEST_LOGDIR"]

def result(obj):
    sys.stdout.write("\\n{MARK}" + json.dumps(obj) + "\\n")
    sys.stdout.flush()

def conf_file():
    path = os.path.join(LOGDIR, "mount.conf")
    with open(path, "w") as f:
        f.write("--vfs_dummy_server_port=%d\\n" % PORT)
    return path
'''


def have_module(name: str) -> bool:
    """Whether the compiled module ``name`` is installed (without loading it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def have_system_bridge() -> bool:
    return have_module("dingofs._bridge_sys")


def have_bundled_bridge() -> bool:
    return have_module("dingofs._bridge")


SKIP_NO_SYSTEM = (
    "the system bridge dingofs._bridge_sys is not installed: build the package with "
    "DINGOFS_USE_SYSTEM=both (or 1) and DINGOFS_PREFIX=DIR, e.g. `tox -e system`"
)


def system_implementation() -> str:
    """What the installed system library is, as ``library_info()`` says in a child
    that loads only the system bridge: ``"upstream"`` (e.g. the DingoFS client),
    ``"embedded"`` (this project's engine installed as ``libdingofs.so.1``, the
    distro build), or ``""`` when no system bridge is installed or it does not load."""
    return _system_implementation() if have_system_bridge() else ""


@functools.cache
def _system_implementation() -> str:
    with tempfile.TemporaryDirectory(prefix="dingofs-sysimpl-") as tmp:
        found, _ = run_child("""
            import dingofs
            libs = dingofs.library_info()["libraries"]
            result([lib["implementation"] for lib in libs if lib["name"] == "system"])
        """, Path(tmp), disable=("bundled",), timeout=60)
    return found[0] if found else ""


#: Why the upstream tier skips on a system library that is this project's engine.
SKIP_SYSTEM_IS_ENGINE = (
    "the installed system libdingofs is this project's engine (implementation "
    "'embedded'), not upstream's client: the upstream tier needs upstream's library "
    "(`make system`)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_env(logdir: Path, *, tunable: bool = True, disable: tuple[str, ...] = (),
              extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DINGOFS_DISABLE_") and k != "GLIBC_TUNABLES"}
    if tunable:
        env["GLIBC_TUNABLES"] = TUNABLE
    for name in disable:
        env["DINGOFS_DISABLE_" + name.upper()] = "1"
    env["DINGOFS_TEST_PORT"] = str(free_port())
    env["DINGOFS_TEST_LOGDIR"] = str(logdir)
    env.update(extra or {})
    return env


def run_child(code: str, workdir: Path, *, tunable: bool = True,
              disable: tuple[str, ...] = (), timeout: float = 90,
              extra_env: dict[str, str] | None = None) -> tuple[Any, subprocess.CompletedProcess]:
    """Run ``code`` (after the prelude) in a child Python inside ``workdir``.

    :returns: ``(result, completed)``; ``result`` is the object the script
        passed to ``result()``, or ``None`` when it reported nothing.
    :raises AssertionError: when the child does not finish in ``timeout`` seconds.
    """
    logdir = workdir / "logs"
    logdir.mkdir(parents=True, exist_ok=True)
    script = workdir / "child.py"
    script.write_text(_PRELUDE + textwrap.dedent(code))
    env = child_env(logdir, tunable=tunable, disable=disable, extra=extra_env)
    try:
        proc = subprocess.run([sys.executable, str(script)], cwd=str(workdir), env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:  # pragma: no cover - a failure path
        raise AssertionError(f"child did not finish within {timeout}s: {exc}") from None
    found = None
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            found = json.loads(line[len(MARK):])
    return found, proc


def expect_result(code: str, workdir: Path, **kwargs: Any) -> Any:
    """:func:`run_child` that requires a clean exit and a reported result."""
    found, proc = run_child(code, workdir, **kwargs)
    assert proc.returncode == 0 and found is not None, (
        f"child failed (rc={proc.returncode})\nstdout:\n{proc.stdout[-3000:]}\n"
        f"stderr:\n{proc.stderr[-3000:]}")
    return found


def upstream_prefix() -> Path | None:
    """The unpacked upstream client (``DINGOFS_TEST_UPSTREAM_PREFIX``, else ``.upstream``)."""
    given = os.environ.get("DINGOFS_TEST_UPSTREAM_PREFIX")
    prefix = Path(given) if given else ROOT / ".upstream"
    if (prefix / "include" / "dingofs" / "libdingofs.h").is_file():
        return prefix
    return None
