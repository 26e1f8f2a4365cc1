"""A mounted process keeps SQLite's locks on the metadata store, whatever it does.

SQLite coordinates processes through POSIX locks: a connection to a WAL
database holds a read lock on the database file (bytes 1073741826-1073742335)
and on the DMS byte of its ``-shm`` file for as long as it is open. POSIX locks
belong to the process and every ``close()`` of ANY descriptor of the file drops
them all, so an engine that opens and closes a descriptor of ``meta.db`` of its
own silently takes SQLite's locks away; the next process to unmount then thinks
it is alone, checkpoints and resets the WAL under the still mounted one, and
acknowledged changes are lost.

After every kind of operation the test reads ``/proc/locks`` and requires the
locks of its pid. The sequence runs in a fresh process and in a forked child
(which builds its own new client next to its parent's; POSIX locks are not
inherited through fork, so the child's must be its own).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

from helpers import local_url, run_in_child, sqlite_lock_problem

import dingofs

NAME = "locks"
TESTS = Path(__file__).resolve().parent


def meta_db(base: Path | str, name: str = NAME) -> str:
    """Path of the SQLite metadata store of ``local://name?base=base``."""
    return os.path.join(str(base), "meta", name, "meta.db")


def lock_sequence(base: str, tag: str) -> list[str]:
    """Every kind of operation, each followed by a check of this process's locks.

    Returns the problems found (empty when the locks were held throughout).
    """
    url = local_url(base, NAME)
    db = meta_db(base)
    problems: list[str] = []
    pid = os.getpid()

    def step(what: str, call: Callable[[], object]) -> object:
        try:
            result = call()
        except Exception as e:  # noqa: BLE001 - reported with the step
            problems.append(f"{what}: {type(e).__name__}: {e}")
            return None
        problem = sqlite_lock_problem(db, pid)
        if problem:
            problems.append(f"after {what}: {problem}")
        return result

    c = dingofs.Client.build(url, NAME, f"/mnt/{tag}", init_logging=False)
    try:
        step("mount", lambda: None)
        d = f"/{tag}"
        step("mkdir", lambda: c.mkdir(d))
        f = step("create", lambda: c.open(f"{d}/a", "xb"))
        if f is not None:
            step("write", lambda: f.write(b"x" * 10000))  # type: ignore[attr-defined]
            step("close", lambda: f.close())  # type: ignore[attr-defined]
        step("write_bytes", lambda: c.write_bytes(f"{d}/b", b"b" * 5000))
        step("rename", lambda: c.rename(f"{d}/b", f"{d}/c"))
        step("rename over a name", lambda: c.rename(f"{d}/c", f"{d}/a"))
        step("unlink", lambda: c.unlink(f"{d}/a"))
        step("mkdir (sub)", lambda: c.mkdir(f"{d}/sub"))
        step("rmdir", lambda: c.rmdir(f"{d}/sub"))
        step("write_bytes (2)", lambda: c.write_bytes(f"{d}/e", b"e" * 3000))
        step("setxattr", lambda: c.setxattr(f"{d}/e", "user.k", b"v"))
        step("getxattr", lambda: c.getxattr(f"{d}/e", "user.k"))
        step("chmod", lambda: c.chmod(f"{d}/e", 0o600))
        step("truncate", lambda: c.truncate(f"{d}/e", 100))
        g = step("open r+b", lambda: c.open(f"{d}/e", "r+b"))
        if g is not None:
            step("pwrite", lambda: g.pwrite(b"y" * 4096, 50))  # type: ignore[attr-defined]
            step("fsync", lambda: g.fsync())  # type: ignore[attr-defined]
            step("fdatasync", lambda: g.fsync(datasync=True))  # type: ignore[attr-defined]
            step("close (after fsync)", lambda: g.close())  # type: ignore[attr-defined]
        step("listdir", lambda: c.listdir(d))
        step("stat", lambda: c.stat(f"{d}/e"))
        c2 = step("second client mounts",
                  lambda: dingofs.Client.build(url, NAME, f"/mnt/{tag}-2", init_logging=False))
        if c2 is not None:
            step("second client writes",
                 lambda: c2.write_bytes(f"{d}/second", b"2"))  # type: ignore[attr-defined]
            step("second client stops", lambda: c2.stop())  # type: ignore[attr-defined]
        res = step("fsck while mounted", lambda: dingofs.Client.fsck(url))
        if res is not None and res[0] != 0:  # type: ignore[index]
            problems.append(f"fsck while mounted: {res!r}"[:500])
        child = ("import dingofs, sys; c = dingofs.Client.build(sys.argv[1], sys.argv[2], "
                 "'/mnt/sub', init_logging=False); c.write_bytes(sys.argv[3], b'sub'); c.stop()")

        def subprocess_mounts() -> None:
            subprocess.run([sys.executable, "-c", child, url, NAME, f"{d}/from-child"],
                           check=True, timeout=60, capture_output=True)

        step("a child process mounts, writes and stops", subprocess_mounts)
        data = step("read what the child wrote", lambda: c.read_bytes(f"{d}/from-child"))
        if data is not None and data != b"sub":
            problems.append(f"the child's file reads {data!r}")
        expect = {"e": 4146, "second": 1, "from-child": 3}
        sizes = step("listdir (end)", lambda: {e.name: c.stat(f"{d}/{e.name}").st_size
                                               for e in c.listdir(d)})
        if sizes is not None and sizes != expect:
            problems.append(f"{d} holds {sizes}, expected {expect}")
    finally:
        c.stop()
    return problems


def _fresh_process_main() -> None:  # pragma: no cover - runs in a subprocess
    """Entry point of the fresh process: argv = base, tag; prints the problems as JSON."""
    problems = lock_sequence(sys.argv[1], sys.argv[2])
    print(json.dumps(problems))
    sys.exit(1 if problems else 0)


def test_locks_held_after_every_operation_in_a_fresh_process(tmp_path: Path) -> None:
    """A new interpreter that mounts keeps SQLite's locks through every operation."""
    code = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
            "import test_sqlite_locks as t; t._fresh_process_main()")
    r = subprocess.run([sys.executable, "-c", code, str(TESTS), str(tmp_path), "fresh"],
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.strip(), f"no result (exit {r.returncode}): {r.stderr[-2000:]}"
    problems = json.loads(r.stdout.strip().splitlines()[-1])
    assert problems == [], "\n".join(problems)
    assert r.returncode == 0, r.stderr[-2000:]
    assert dingofs.Client.fsck(local_url(tmp_path, NAME))[0] == 0


def test_locks_held_after_every_operation_in_a_forked_child(tmp_path: Path) -> None:
    """A forked child's own new client holds its own locks; the parent keeps its locks."""
    url = local_url(tmp_path, NAME)
    parent = dingofs.Client.build(url, NAME, "/mnt/parent", init_logging=False)
    try:
        parent.write_bytes("/parent", b"p")
        assert sqlite_lock_problem(meta_db(tmp_path)) is None

        def child() -> int:
            problems = lock_sequence(str(tmp_path), "forked")
            if problems:  # an exception: exit status 1 and the problems in the report
                raise AssertionError("\n".join(problems))
            return os.getpid()

        child_pid = run_in_child(child, timeout=120)
        assert child_pid != os.getpid()
        assert sqlite_lock_problem(meta_db(tmp_path)) is None
        assert parent.read_bytes("/forked/from-child") == b"sub"
        assert parent.read_bytes("/forked/e")[50:4146] == b"y" * 4096
        parent.write_bytes("/parent-after", b"q")
        assert sqlite_lock_problem(meta_db(tmp_path)) is None
    finally:
        parent.stop()
    assert dingofs.Client.fsck(url)[0] == 0


def test_lock_check_reads_the_whole_lock_table(tmp_path: Path) -> None:
    """The check finds a lock listed beyond the first page of ``/proc/locks``.

    The kernel hands the table out one page per ``read()``; a check that read
    once saw only the newest few dozen locks and reported the older locks of a
    long-lived process as lost when many other processes held locks.
    """
    import fcntl

    from helpers import posix_locks

    first = tmp_path / "first"
    first.write_bytes(b"")
    fds = [os.open(first, os.O_RDWR)]
    try:
        fcntl.lockf(fds[0], fcntl.LOCK_SH, 1, 7)
        for i in range(300):  # newer locks are listed first: these push "first" back
            p = tmp_path / f"f{i}"
            p.write_bytes(b"")
            fds.append(os.open(p, os.O_RDWR))
            fcntl.lockf(fds[-1], fcntl.LOCK_EX, 1, 0)
        with open("/proc/locks", "rb") as f:
            assert len(f.read()) > os.sysconf("SC_PAGE_SIZE")
        assert posix_locks(first) == [("READ", 7, 7)]
    finally:
        for fd in fds:
            os.close(fd)
