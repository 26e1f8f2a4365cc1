"""Helpers shared by the test modules (imported as ``helpers``)."""
from __future__ import annotations

import os
import pickle
import stat as stat_mod
import sys
import traceback
from pathlib import Path
from typing import Any, Callable


def local_url(base: Path | str, name: str = "t", **params: object) -> str:
    """Address of an embedded filesystem ``name`` living under ``base``."""
    query = "&".join([f"base={base}"] + [f"{k}={v}" for k, v in params.items()])
    return f"local://{name}?{query}"


def fd_count() -> int:
    """Number of file descriptors open in this process."""
    return len(os.listdir("/proc/self/fd"))


def perm(mode: int) -> int:
    """Permission bits of a mode."""
    return stat_mod.S_IMODE(mode)


class ChildFailed(AssertionError):
    pass


def run_in_child(func: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Run ``func`` in a forked child and return its (picklable) result.

    An exception in the child is re-raised in the parent as ``ChildFailed``
    with the child's traceback. The child leaves with ``os._exit`` so no
    inherited finalizer or atexit hook of the test process runs there.
    """
    import select
    import signal
    import time

    r, w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(r)
            try:
                payload = pickle.dumps(("ok", func()))
            except BaseException:  # noqa: BLE001 - everything is reported
                payload = pickle.dumps(("error", traceback.format_exc()))
                code = 1
            with os.fdopen(w, "wb") as out:
                out.write(payload)
        except BaseException:  # noqa: BLE001
            code = 2
        os._exit(code)
    os.close(w)
    chunks = []
    deadline = time.monotonic() + timeout
    with os.fdopen(r, "rb") as inp:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise ChildFailed(f"child did not finish within {timeout}s")
            ready, _, _ = select.select([inp], [], [], left)
            if not ready:
                continue
            data = os.read(inp.fileno(), 65536)
            if not data:
                break
            chunks.append(data)
    _, status = os.waitpid(pid, 0)
    raw = b"".join(chunks)
    if not raw:
        raise ChildFailed(f"child died without a result (wait status {status:#x})")
    kind, value = pickle.loads(raw)
    if kind == "error":
        raise ChildFailed("exception in child:\n" + value)
    if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
        raise ChildFailed(f"child exit status {status:#x}")
    return value
