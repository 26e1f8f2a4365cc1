"""Helpers shared by the test modules (imported as ``helpers``)."""
from __future__ import annotations

import importlib.util
import json
import os
import pickle
import shutil
import stat as stat_mod
import subprocess
import sys
import time
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


#: Why a test of the bundled bridge is skipped in an installation without it.
SKIP_NO_BUNDLED = (
    "the bundled bridge dingofs._bridge is not installed (the package was built with "
    "DINGOFS_USE_SYSTEM=1: only the system bridge dingofs._bridge_sys)"
)


def bundled_backend() -> Any:
    """The loaded bundled bridge (``dingofs._ffi.Backend`` named ``"bundled"``).

    Skips the calling test when the installation has no bundled bridge (a
    ``DINGOFS_USE_SYSTEM=1`` build) or ``DINGOFS_DISABLE_BUNDLED`` hides it; an
    installed bundled bridge that is not loaded is a failure.
    """
    import pytest

    from dingofs import _ffi

    for backend in _ffi.backends():
        if backend.name == "bundled":
            return backend
    if importlib.util.find_spec("dingofs._bridge") is None:
        pytest.skip(SKIP_NO_BUNDLED)
    if os.environ.get("DINGOFS_DISABLE_BUNDLED", "").strip().lower() in ("1", "true", "yes",
                                                                          "on"):
        pytest.skip("DINGOFS_DISABLE_BUNDLED hides the bundled bridge")
    raise AssertionError("dingofs._bridge is installed but not loaded: "
                         f"{_ffi.library_info()['unavailable']}")


def engine_backend() -> Any:
    """The loaded bridge that serves ``local://`` addresses: the embedded engine,
    bundled or (in a ``DINGOFS_USE_SYSTEM=1`` build against this project's own
    library) the system bridge. Skips the calling test when no bridge has it."""
    import pytest

    from dingofs import _ffi

    try:
        return _ffi.backend_for("local://")
    except OSError as exc:
        pytest.skip(f"no loaded bridge serves local:// addresses: {exc}")


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


# SQLite (unix VFS) lock bytes: a connection to a WAL database holds a shared
# (read) POSIX lock on the SHARED range of the database file, bytes
# 1073741826-1073742335 (PENDING_BYTE + 2 ..), for as long as it is open, and
# one on the DMS byte (128) of the ``-shm`` file.
SQLITE_SHARED_FIRST = 1073741826
SQLITE_SHARED_LAST = 1073742335
SQLITE_SHM_DMS = 128


def posix_locks(path: Path | str, pid: int | None = None) -> list[tuple[str, int, int]]:
    """POSIX (fcntl) locks that ``pid`` holds on ``path``, from ``/proc/locks``.

    Each lock is ``(kind, first, last)``: ``kind`` is ``READ`` or ``WRITE``,
    ``last`` is ``-1`` for a lock to the end of the file. ``/proc/locks`` names a
    file ``MAJOR:MINOR:INODE`` (major and minor in hex, inode in decimal) and
    shows pids as seen from the reading process's pid namespace; blocked
    waiters (``->`` lines) are skipped.
    """
    st = os.stat(path)
    want = (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
    pid = os.getpid() if pid is None else pid
    found = []
    # The kernel hands the table out one page per read(), so read to the end.
    # Other processes change it between two reads and a pass can then skip an
    # entry (callers that look for a lock look several times) or list one
    # twice when it moved across a page boundary. One process's POSIX locks on
    # one file never overlap (the kernel merges and splits them), so an entry
    # seen twice is one lock.
    fd = os.open("/proc/locks", os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(fd)
    table = b"".join(chunks).decode("ascii", "replace")
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 8 or fields[1] == "->" or fields[1] != "POSIX":
            continue
        _, _, _, kind, owner, ident, first, last = fields[:8]
        major, minor, inode = ident.split(":")
        if (int(major, 16), int(minor, 16), int(inode)) != want or int(owner) != pid:
            continue
        lock = (kind, int(first), -1 if last == "EOF" else int(last))
        if lock not in found:
            found.append(lock)
    return found


def covers(locks: list[tuple[str, int, int]], byte: int) -> bool:
    """Whether one of ``locks`` (from ``posix_locks``) covers ``byte``."""
    return any(first <= byte and (last == -1 or byte <= last) for _, first, last in locks)


def sqlite_lock_problem(db: Path | str, pid: int | None = None) -> str | None:
    """None when ``pid`` holds SQLite's read locks of an open WAL connection to ``db``.

    Checks the shared lock on the database file's SHARED range and the one on
    the DMS byte of its ``-shm`` file; returns what is missing otherwise.
    """
    pid = os.getpid() if pid is None else pid
    for _ in range(9):  # a lock that is really missing is missing on every look
        problem = _sqlite_lock_problem_once(db, pid)
        if problem is None:
            return None
        time.sleep(0.001)
    return _sqlite_lock_problem_once(db, pid)


def _sqlite_lock_problem_once(db: Path | str, pid: int) -> str | None:
    problems = []
    locks = posix_locks(db, pid)
    if not covers(locks, SQLITE_SHARED_FIRST):
        problems.append(f"no POSIX lock of pid {pid} on {os.path.basename(db)} covering byte "
                        f"{SQLITE_SHARED_FIRST} (its locks there: {locks})")
    shm = f"{db}-shm"
    shm_locks = posix_locks(shm, pid) if os.path.exists(shm) else []
    if not covers(shm_locks, SQLITE_SHM_DMS):
        problems.append(f"no POSIX lock of pid {pid} on {os.path.basename(shm)} covering byte "
                        f"{SQLITE_SHM_DMS} (its locks there: {shm_locks})")
    return "; ".join(problems) or None


#: The source tree's root (the benchmarks and the engine's build live there).
ROOT = Path(__file__).resolve().parent.parent


def bench_program_skip(name: str) -> Any:
    """``skipif`` for a smoke test of the C benchmark ``benchmarks/NAME.c``: it
    needs the source tree with a built engine and a C compiler."""
    import pytest

    missing = (not (ROOT / "benchmarks" / f"{name}.c").exists()
               or not (ROOT / "native" / "build" / "libdingofs.a").exists()
               or shutil.which("cc") is None)
    return pytest.mark.skipif(missing, reason="needs the source tree with a built engine "
                                              "and a C compiler")


def bench_run_module() -> Any:
    """``benchmarks/run.py`` (``make bench``) loaded as a module."""
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def build_bench_program(name: str, out_dir: Path) -> str:
    """Build ``benchmarks/NAME.c`` into ``out_dir`` the way ``make bench`` builds
    it (``build_c_program`` of ``benchmarks/run.py``); returns its path."""
    exe: str = bench_run_module().build_c_program(name, out_dir=str(out_dir))
    return exe


def run_bench_program(name: str, tmp_path: Path, *args: str) -> tuple[Any, Path, str]:
    """Build ``benchmarks/NAME.c`` into ``tmp_path``, run it on a new base
    directory ``tmp_path/base`` with ``args`` after it, and return its JSON
    report, that base directory and the program's path."""
    exe = build_bench_program(name, tmp_path)
    base = tmp_path / "base"
    base.mkdir()
    out = subprocess.run([exe, str(base), *args], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out), base, exe
