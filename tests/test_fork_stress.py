"""200 forks while other threads do I/O: every child builds a client and works.

The parent keeps one client mounted and three threads doing continuous I/O on it
(writes and read-backs, stats and listings, renames over a name). Meanwhile the
main thread forks 200 times. Each child builds a NEW client on the same
filesystem, checks that its own SQLite connection holds its own POSIX locks on
``meta.db`` (locks are not inherited through fork), writes a file, reads it
back, reads a file of the parent, stops and leaves with ``os._exit(0)``. A child
that fails (an exception, ``ETIMEDOUT``) leaves with status 1 and its traceback
in a report file outside the filesystem; a child that hangs is ended by its own
``SIGALRM`` (default action) after its Python stacks went to that file, or, as a
last resort, killed by the parent. Every child must exit 0 within its time limit.
"""
from __future__ import annotations

import contextlib
import faulthandler
import os
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import local_url, sqlite_lock_problem

import dingofs

FORKS = 200
PARALLEL = 4  # children alive at once
CHILD_ALARM = 20  # seconds: a child's own limit (SIGALRM, default action ends it)
CHILD_KILL = 25.0  # seconds: the parent's limit for one child (SIGKILL)
MAX_FAILURES = 3  # stop forking after this many failed children (keeps the run bounded)
TOTAL_LIMIT = 150.0  # seconds for the whole fork phase
NAME = "forks"


def _io_threads(client: dingofs.Client, stop: threading.Event,
                errors: list[str]) -> Iterator[threading.Thread]:
    """The parent's I/O threads (started by the caller)."""

    def guarded(kind: str, body: object) -> None:
        def run() -> None:
            i = 0
            try:
                while not stop.is_set():
                    body(i)  # type: ignore[operator]
                    i += 1
            except Exception:  # noqa: BLE001 - reported by the test
                errors.append(f"{kind} thread, iteration {i}:\n{traceback.format_exc()}")
        return run

    def writer(i: int) -> None:
        path = f"/io/w{i % 8}"
        data = (b"%08d" % i) * (1 + i % 64)
        client.write_bytes(path, data)
        got = client.read_bytes(path)
        if got != data:
            raise AssertionError(f"{path}: read back {len(got)} bytes, wrote {len(data)}")

    def stater(i: int) -> None:
        client.stat("/io/target")
        if i % 4 == 0:
            client.listdir("/io")
        with contextlib.suppress(FileNotFoundError):  # not written yet
            client.stat(f"/io/w{i % 8}")

    def renamer(i: int) -> None:
        tmp = f"/io/tmp{i % 2}"
        client.write_bytes(tmp, b"v%d" % i)
        client.rename(tmp, "/io/target")

    for kind, body in (("writer", writer), ("stat/listdir", stater), ("renamer", renamer)):
        yield threading.Thread(target=guarded(kind, body), name=f"io-{kind}", daemon=True)


def _child(url: str, db: str, logs: Path, index: int) -> None:
    """Body of a forked child; never returns.

    Its report file (outside the filesystem) receives the Python stacks shortly
    before the alarm, so a hang shows which call hung; it is removed on success.
    """
    code = 1
    report = logs / f"child-{index}.err"
    try:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(CHILD_ALARM)
        with open(report, "w") as out:
            faulthandler.dump_traceback_later(CHILD_ALARM - 1, file=out)
            try:
                c = dingofs.Client.build(url, NAME, f"/mnt/child{index}", init_logging=False)
                try:
                    problem = sqlite_lock_problem(db)
                    if problem is not None:  # its own connection must hold its own locks
                        raise AssertionError(f"after mounting: {problem}")
                    data = b"child %d " % index * (1 + index % 50)
                    c.write_bytes(f"/children/c{index}", data)
                    got = c.read_bytes(f"/children/c{index}")
                    if got != data:
                        raise AssertionError(f"read back {len(got)} bytes, wrote {len(data)}")
                    if c.read_bytes("/seed") != b"parent seed":
                        raise AssertionError("the parent's /seed differs")
                finally:
                    c.stop()
                code = 0
            except BaseException:  # noqa: BLE001 - everything is reported through the file
                faulthandler.cancel_dump_traceback_later()
                out.write(traceback.format_exc())
        if code == 0:
            faulthandler.cancel_dump_traceback_later()
            report.unlink()
    except BaseException:  # noqa: BLE001
        code = 2
    finally:
        os._exit(code)


def _report(path: Path) -> list[str]:
    """The telling lines of a child's report: the innermost frames of a hang, or the error."""
    if not path.exists():
        return []
    lines = path.read_text().strip().splitlines()
    if lines and lines[0].startswith("Timeout"):  # faulthandler: innermost frame first
        return [ln.strip() for ln in lines[1:6]]
    return lines[-3:]


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        hint = " (its own alarm: hung)" if sig == signal.SIGALRM else ""
        return f"killed by signal {signal.Signals(sig).name}{hint}"
    return f"exit status {os.WEXITSTATUS(status)}"


@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_200_forks_while_threads_do_io(tmp_path: Path) -> None:
    """Every one of 200 children forked during I/O builds a client and works."""
    base = tmp_path / "dfs"
    logs = tmp_path / "children"
    base.mkdir()
    logs.mkdir()
    url = local_url(base, NAME)
    db = str(base / "meta" / NAME / "meta.db")
    client = dingofs.Client.build(url, NAME, "/mnt/parent", init_logging=False)
    stop = threading.Event()
    errors: list[str] = []
    threads: list[threading.Thread] = []
    running: dict[int, tuple[int, float]] = {}  # pid -> (index, start)
    failures: list[str] = []
    done = 0
    started = time.monotonic()
    try:
        client.write_bytes("/seed", b"parent seed")
        client.mkdir("/io")
        client.mkdir("/children")
        client.write_bytes("/io/target", b"v")
        threads = list(_io_threads(client, stop, errors))
        for t in threads:
            t.start()

        def reap(block: bool) -> None:
            nonlocal done
            while running:
                now = time.monotonic()
                for pid, (index, start) in list(running.items()):
                    got, status = os.waitpid(pid, os.WNOHANG)
                    if got == 0:
                        if now - start > CHILD_KILL:
                            os.kill(pid, signal.SIGKILL)
                            os.waitpid(pid, 0)
                            del running[pid]
                            failures.append(f"child {index}: still running after "
                                            f"{CHILD_KILL:.0f} s, killed")
                        continue
                    del running[pid]
                    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
                        done += 1
                        continue
                    failures.append(f"child {index}: {_describe(status)} "
                                    f"{_report(logs / f'child-{index}.err')}")
                if not block or len(running) < PARALLEL:
                    return
                time.sleep(0.002)

        forked = 0
        while forked < FORKS and len(failures) < MAX_FAILURES:
            if time.monotonic() - started > TOTAL_LIMIT:
                failures.append(f"time limit: only {forked} forks in {TOTAL_LIMIT:.0f} s")
                break
            reap(block=True)
            pid = os.fork()
            if pid == 0:
                _child(url, db, logs, forked)
            running[pid] = (forked, time.monotonic())
            forked += 1
        while running:
            reap(block=False)
            time.sleep(0.002)
    finally:
        for pid in list(running):  # only after an unexpected error in the loop above
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        client.stop()
    elapsed = time.monotonic() - started
    print(f"{forked} forks, {done} children ok, {len(failures)} failed, {elapsed:.1f} s")
    assert not failures, f"{len(failures)} of {forked} children failed: " + "; ".join(failures)
    assert done == FORKS
    assert not errors, "parent I/O thread failed:\n" + "\n".join(errors)
    assert not any(t.is_alive() for t in threads), "an I/O thread did not stop"
    check = dingofs.Client.build(url, NAME, "/mnt/check", init_logging=False)
    try:
        names = {e.name for e in check.listdir("/children")}
        for i in range(FORKS):
            assert check.read_bytes(f"/children/c{i}") == b"child %d " % i * (1 + i % 50)
        assert len(names) == FORKS
    finally:
        check.stop()
    problems, report = dingofs.Client.fsck(url)
    assert problems == 0, report
