"""``dingofs_shared`` in a user's suite (copied to a temporary directory and
run by ``test_plugin_shared.py``, with ``-n 2 --dist each`` or without xdist).

Every worker runs every test here. Each worker writes its own file into the
shared filesystem (atomically: a file is visible as soon as it is created,
before its data is written) and waits (at most ``WAIT_SECONDS``) until the files of
all workers of the run are visible; the outer test then mounts the same
filesystem and checks what each worker left.
"""
from __future__ import annotations

import os
import time

WAIT_SECONDS = 10.0

#: the ``dingofs_shared`` client seen by the tests of this worker
_seen: list = []


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "master")


def _worker_count() -> int:
    return int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))


def test_workers_see_each_other(dingofs_shared):
    _seen.append(dingofs_shared)
    me = _worker()
    # all or nothing, so that the other worker never reads a half-written file
    with dingofs_shared.atomic_write(f"/by-{me}", "wt") as f:
        f.write(f"{me} {os.getpid()}")
    expected = _worker_count()
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        names = sorted(e.name for e in dingofs_shared.listdir("/") if e.name.startswith("by-"))
        if len(names) >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(names) == expected, names
    for name in names:
        owner, pid = dingofs_shared.read_text(f"/{name}").split()
        assert name == f"by-{owner}" and int(pid) > 0


def test_one_client_per_session(dingofs_shared):
    _seen.append(dingofs_shared)
    assert all(c is dingofs_shared for c in _seen)
    assert dingofs_shared.exists(f"/by-{_worker()}")  # written by the test above


def test_per_test_filesystem_stays_private(dingofs_client, dingofs_shared):
    assert dingofs_client.listdir("/") == []
    assert dingofs_client.mds_addrs != dingofs_shared.mds_addrs
