#!/usr/bin/env python3
"""Shared use of one ``local://`` filesystem: clients come, go and die while others stay.

The scenario (run by ``tests/test_shared_use.py`` in a short profile and by
``soak/soak.py`` in a long one):

* the parent process mounts a long-lived client (``main``) that stays mounted the
  whole time, and a second client (``reader``);
* a reader thread stats the shared name ``/cfg`` the whole time through
  ``reader`` and counts its stats, the misses (``FileNotFoundError``: must be 0)
  and the stats that overlapped a rename over ``/cfg``, per source: a renamer
  thread of the parent (through ``main``, another client of the same process)
  and the worker processes;
* in rounds, worker processes (``sys.executable`` running this file with
  ``--worker``) mount their own client, create and write files with known content,
  rename a temporary file over ``/cfg`` many times, unlink some of their files and
  stop. Each change is acknowledged on the worker's stdout only after the call
  that made it returned (for a file: after write and close). Every
  ``kill_one_in``-th worker is killed with SIGKILL mid-operation (after a
  deterministic number of acknowledgements); the lines it wrote before are
  acknowledgements all the same;
* after each round ``main`` must see every acknowledged change of the round with
  its content (files with their exact bytes, unlinked files gone, the directory
  of a worker that finished holds exactly its files), and the parent must still
  hold SQLite's POSIX locks on ``meta.db`` (workers check theirs too);
* at the end every client stops, a fresh mount finds every acknowledged file with
  its content and none of the unlinked ones, and ``Client.fsck`` reports no
  problem.

Rename overlap is measured with counters: the renamer thread keeps two integers
(renames started, finished), each worker process two 64-bit counters in a slot of
a small shared file mapped by everyone. A stat overlapped a rename of a source
when one of that source's renames was in progress when the stat started, or one
started before it ended.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import random
import select
import signal
import stat
import struct
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

CFG = "/cfg"
CFG_SIZE = 64
_TESTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")


def address(base: str, name: str) -> str:
    """``local://`` address of filesystem ``name`` under ``base``."""
    return f"local://{name}?base={base}"


def meta_db(base: str, name: str) -> str:
    """The SQLite metadata store of that filesystem."""
    return os.path.join(base, "meta", name, "meta.db")


def mount(addr: str, name: str, label: str) -> Any:
    """A new client (no log file)."""
    import dingofs

    return dingofs.Client.build(addr, name, label, init_logging=False, umask=0)


def lock_problem(db: str) -> str | None:
    """None when this process holds SQLite's locks on ``db`` (see ``tests/helpers.py``)."""
    if _TESTS not in sys.path:
        sys.path.append(_TESTS)
    from helpers import sqlite_lock_problem

    return sqlite_lock_problem(db)


def cfg_blob(tag: str, n: int) -> bytes:
    """One version of ``/cfg``: CFG_SIZE bytes naming its writer."""
    return (f"cfg {tag} {n}".ljust(CFG_SIZE - 1) + "\n").encode()


def cfg_ok(data: bytes) -> bool:
    """Whether ``data`` is one complete version of ``/cfg``."""
    return len(data) == CFG_SIZE and data.startswith(b"cfg ") and data.endswith(b"\n")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Counters:
    """Rename counters of the worker processes: ``slots`` pairs (started, finished)."""

    def __init__(self, path: str, slots: int, create: bool = False) -> None:
        self.slots = slots
        self.fmt = f"<{2 * slots}Q"
        size = struct.calcsize(self.fmt)
        if create:
            with open(path, "wb") as f:
                f.write(bytes(size))
        self._f = open(path, "r+b")  # noqa: SIM115 - closed by close()
        self.mm = mmap.mmap(self._f.fileno(), size)

    def read(self) -> tuple[int, ...]:
        return struct.unpack_from(self.fmt, self.mm)

    def get(self, slot: int) -> tuple[int, int]:
        v = self.read()
        return v[slot], v[self.slots + slot]

    def set(self, slot: int, started: int | None = None, finished: int | None = None) -> None:
        if started is not None:
            struct.pack_into("<Q", self.mm, 8 * slot, started)
        if finished is not None:
            struct.pack_into("<Q", self.mm, 8 * (self.slots + slot), finished)

    def close(self) -> None:
        self.mm.close()
        self._f.close()


# --------------------------------------------------------------------------
# worker process
# --------------------------------------------------------------------------
def worker_main(argv: list[str]) -> int:
    """``--worker ADDR NAME WID SEED FILES UNLINKS RENAMES MAX_SIZE COUNTERS SLOT SLOTS``.

    ``RENAMES`` < 0 makes a dedicated renamer: it only renames over /cfg, until
    its stdin reaches end of file.
    """
    addr, name = argv[0], argv[1]
    wid, seed, files, unlinks, renames, max_size = (int(a) for a in argv[2:8])
    counters = Counters(argv[8], int(argv[10]))
    slot = int(argv[9])
    db = meta_db(addr.split("base=", 1)[1].split("&", 1)[0], name)
    out = sys.stdout

    def emit(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    rng = random.Random(seed * 100003 + wid)
    client = None
    try:
        client = mount(addr, name, f"/shared-use/w{wid}")
        emit("M")
        c = client

        def check_lock(where: str) -> None:
            problem = lock_problem(db)
            emit(f"K {where} ok" if problem is None else f"K {where} {problem}")

        n_cfg = 0

        def rename_cfg() -> None:
            nonlocal n_cfg
            n_cfg += 1
            c.write_bytes(tmp, cfg_blob(f"p{wid}", n_cfg))
            started, finished = counters.get(slot)
            counters.set(slot, started=started + 1)
            c.rename(tmp, CFG)
            counters.set(slot, finished=finished + 1)
            emit("R")

        check_lock("mount")
        d = f"/w/{wid}"
        tmp = f"{d}/cfg.tmp"
        c.mkdir(d)
        if renames < 0:
            while not select.select([sys.stdin], [], [], 0)[0]:
                rename_cfg()
                if n_cfg == 100:
                    check_lock("middle")
            files = 0
        ops = ["C"] * files + ["R"] * max(renames, 0)
        rng.shuffle(ops)
        for _ in range(unlinks if renames >= 0 else 0):
            ops.insert(rng.randrange(len(ops) // 2, len(ops) + 1), "U")
        mine: list[str] = []
        for i, op in enumerate(ops):
            if i == len(ops) // 2:
                check_lock("middle")
            if op == "C":
                path = f"{d}/f{i}"
                data = rng.randbytes(rng.randrange(0, max_size + 1))
                with c.open(path, "xb") as f:
                    pos = 0
                    while pos < len(data):
                        step = rng.randrange(1, 8192)
                        f.write(data[pos:pos + step])
                        pos += step
                    if rng.random() < 0.25:
                        f.fsync()
                mine.append(path)
                emit(f"C {path} {len(data)} {sha(data)}")
            elif op == "U":
                if not mine:
                    continue
                path = mine.pop(rng.randrange(len(mine)))
                emit(f"B {path}")
                c.unlink(path)
                emit(f"U {path}")
            else:
                rename_cfg()
        check_lock("end")
        client = None
        c.stop()
        emit("D")
        return 0
    except BaseException as e:  # noqa: BLE001 - every failure is reported to the parent
        emit(f"E {type(e).__name__}: {e}".replace("\n", " | "))
        traceback.print_exc()
        return 1
    finally:
        if client is not None:
            try:
                client.stop()
            except BaseException:  # noqa: BLE001
                traceback.print_exc()
        counters.close()


# --------------------------------------------------------------------------
# parent side
# --------------------------------------------------------------------------
@dataclass
class Config:
    """Profile of one run (see the module docstring)."""

    work: str  # a directory outside the filesystem: its base and the scratch files
    name: str = "shared"
    seconds: float = 0.0  # keep starting rounds until this much time has passed
    min_rounds: int = 3
    max_rounds: int = 100000
    max_seconds: float = 0.0  # no round starts after this (0: no limit)
    workers: int = 6  # worker processes per round, all started at once
    kill_one_in: int = 5  # every n-th worker started is killed with SIGKILL mid-operation
    kill_renamer_every: int = 2  # the dedicated renamer of every n-th round is killed, not stopped
    files: int = 10  # files each worker creates
    unlinks: int = 3  # of which it unlinks
    renames: int = 30  # renames over /cfg by each worker
    max_size: int = 16384  # bytes per file
    min_overlap: int = 0  # more rounds (up to max_rounds) until each source overlapped this
    read_every: int = 256  # every n-th stat, also read /cfg: one complete version (0: never)
    renamer_pause: float = 0.001  # seconds between two renames of the renamer thread
    worker_timeout: float = 60.0  # seconds for one round's workers
    check_locks: bool = True  # the parent and the workers check their SQLite locks
    seed: int = 1234


@dataclass
class Result:
    """What a run did and found; ``problems`` empty means it passed."""

    rounds: int = 0
    started: int = 0
    killed: int = 0
    kills_per_round: list[int] = field(default_factory=list)
    finished: int = 0
    renamers_started: int = 0  # one dedicated renamer process per round
    renamers_killed: int = 0
    acked_files: int = 0
    acked_unlinks: int = 0
    uncertain: int = 0  # unlinks in flight when their worker was killed
    verified_rounds: int = 0  # file checks after the rounds (by the long-lived client)
    verified_final: int = 0  # files checked after every client stopped and a fresh mount
    stats: int = 0
    misses: int = 0  # stats and reads of /cfg that raised FileNotFoundError
    bad_attrs: int = 0
    cfg_reads: int = 0
    bad_reads: int = 0  # reads of /cfg that returned something no version ever held
    overlap_thread: int = 0
    overlap_process: int = 0
    misses_thread: int = 0
    misses_process: int = 0
    renames_thread: int = 0
    renames_process: int = 0
    lock_checks: int = 0
    fsck_problems: int = -1
    fsck_report: str = ""
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.rounds} rounds in {self.seconds:.1f} s, {self.started} worker processes "
                f"started, {self.killed} killed (SIGKILL), {self.finished} finished, "
                f"{self.renamers_started} renamer processes ({self.renamers_killed} killed); "
                f"{self.acked_files} files and {self.acked_unlinks} unlinks acknowledged, "
                f"{self.uncertain} unlinks in flight at a kill; "
                f"{self.verified_rounds} file checks after rounds, {self.verified_final} files "
                f"verified after a fresh mount; reader: {self.stats} stats, {self.misses} misses, "
                f"{self.bad_attrs} wrong attributes, {self.cfg_reads} reads of /cfg "
                f"({self.bad_reads} wrong); stats "
                f"overlapping renames: {self.overlap_thread} from a thread of this process "
                f"({self.renames_thread} renames, {self.misses_thread} misses), "
                f"{self.overlap_process} from other processes ({self.renames_process} renames, "
                f"{self.misses_process} misses); {self.lock_checks} lock checks; "
                f"fsck: {self.fsck_problems} problem(s); {len(self.problems)} failure(s)")


class _Renamer(threading.Thread):
    """Renames a new version over /cfg in a loop, through a client of this process."""

    def __init__(self, client: Any, pause: float, problems: list[str]) -> None:
        super().__init__(name="shared-use-renamer", daemon=True)
        self.client = client
        self.pause = pause
        self.problems = problems
        self.stop = threading.Event()
        self.started_n = 0
        self.finished_n = 0

    def run(self) -> None:
        c = self.client
        try:
            while not self.stop.is_set():
                c.write_bytes("/main-cfg.tmp", cfg_blob("t", self.finished_n))
                self.started_n += 1
                c.rename("/main-cfg.tmp", CFG)
                self.finished_n += 1
                if self.pause:
                    time.sleep(self.pause)
        except Exception:  # noqa: BLE001 - reported
            self.problems.append("renamer thread: " + traceback.format_exc())


class _Reader(threading.Thread):
    """Stats /cfg in a loop through its own client and counts what it sees."""

    def __init__(self, client: Any, renamer: _Renamer, counters: Counters,
                 problems: list[str], read_every: int) -> None:
        super().__init__(name="shared-use-reader", daemon=True)
        self.read_every = read_every
        self.client = client
        self.renamer = renamer
        self.counters = counters
        self.problems = problems
        self.stop = threading.Event()
        self.stats = self.misses = self.bad = self.reads = self.bad_reads = 0
        self.overlap_thread = self.overlap_process = 0
        self.misses_thread = self.misses_process = 0

    def run(self) -> None:
        c = self.client
        r = self.renamer
        n = self.counters.slots
        read = self.counters.read
        errors = 0
        while not self.stop.is_set():
            ts0, tf0 = r.started_n, r.finished_n
            v0 = read()
            missed = False
            try:
                st = c.stat(CFG)
                if st.st_size != CFG_SIZE or not stat.S_ISREG(st.st_mode):
                    self.bad += 1
                    if self.bad <= 5:
                        self.problems.append(f"reader: stat({CFG}) gave size {st.st_size}, "
                                             f"mode {st.st_mode:o}")
            except FileNotFoundError:
                missed = True
            except OSError as e:
                errors += 1
                if errors <= 5:
                    self.problems.append(f"reader: stat({CFG}): {e!r}")
            ts1 = r.started_n
            v1 = read()
            self.stats += 1
            ps0 = sum(v0[:n])
            in_thread = ts0 != tf0 or ts1 != ts0
            in_process = ps0 != sum(v0[n:]) or sum(v1[:n]) != ps0
            self.overlap_thread += in_thread
            self.overlap_process += in_process
            if missed:
                self.misses += 1
                self.misses_thread += in_thread
                self.misses_process += in_process
            if self.read_every and self.stats % self.read_every == 0:
                try:
                    data = c.read_bytes(CFG)
                    self.reads += 1
                    if not cfg_ok(data):
                        self.bad_reads += 1
                        if self.bad_reads <= 3:
                            self.problems.append(f"reader: {CFG} read {data[:80]!r}")
                except FileNotFoundError:
                    self.misses += 1
                except OSError as e:
                    errors += 1
                    if errors <= 5:
                        self.problems.append(f"reader: read({CFG}): {e!r}")


@dataclass
class _Worker:
    wid: int
    slot: int
    proc: subprocess.Popen[bytes]
    kill_at: int | None  # acknowledgement count after which it is killed
    err_path: str
    buf: bytes = b""
    acks: int = 0
    killed: bool = False
    done: bool = False
    eof: bool = False
    in_flight: str | None = None
    files: dict[str, tuple[int, str]] = field(default_factory=dict)
    unlinked: list[str] = field(default_factory=list)
    renames: int = 0
    lines: list[str] = field(default_factory=list)
    renamer: bool = False


class Scenario:
    """One run of the shared-use scenario (``run()`` returns the ``Result``)."""

    def __init__(self, cfg: Config, log: Callable[[str], None] | None = None,
                 after_round: Callable[[Scenario], None] | None = None) -> None:
        self.cfg = cfg
        self.log = log or (lambda s: None)
        self.after_round = after_round
        self.base = os.path.join(cfg.work, "fs")
        self.addr = address(self.base, cfg.name)
        self.db = meta_db(self.base, cfg.name)
        self.res = Result()
        self.rng = random.Random(cfg.seed)
        self.next_wid = 0
        # The model: acknowledged files (path -> (size, sha256)), acknowledged unlinks,
        # the long-lived client's own files, and the listings of finished workers.
        self.files: dict[str, tuple[int, str]] = {}
        self.gone: set[str] = set()
        self.own: dict[str, bytes] = {}
        self.exact_dirs: dict[str, set[str]] = {}
        self.partial_dirs: dict[str, set[str]] = {}

    # -- helpers --------------------------------------------------------------------------
    def problem(self, text: str) -> None:
        self.res.problems.append(text)
        self.log(f"shared use: FAILURE: {text}")

    def check_own_lock(self, where: str) -> None:
        if not self.cfg.check_locks:
            return
        self.res.lock_checks += 1
        problem = lock_problem(self.db)
        if problem is not None:
            self.problem(f"parent (pid {os.getpid()}) {where}: {problem}")

    def verify(self, client: Any, paths: list[str], gone: list[str], when: str) -> int:
        """Check acknowledged files and unlinks through ``client``; returns files checked."""
        checked = 0
        for path in paths:
            want = self.files.get(path)
            if want is None:
                continue
            try:
                data = client.read_bytes(path)
            except OSError as e:
                self.problem(f"{when}: acknowledged {path} cannot be read: {e!r}")
                continue
            if (len(data), sha(data)) != want:
                self.problem(f"{when}: {path} reads {len(data)} bytes that differ from the "
                             f"acknowledged {want[0]}")
                continue
            checked += 1
        for path in gone:
            if path in self.files:
                continue
            try:
                if client.exists(path):
                    self.problem(f"{when}: {path} exists after its unlink was acknowledged")
            except OSError as e:
                self.problem(f"{when}: exists({path}): {e!r}")
        return checked

    def verify_dirs(self, client: Any, when: str) -> None:
        for d, want in list(self.exact_dirs.items()) + list(self.partial_dirs.items()):
            try:
                names = {f"{d}/{e.name}" for e in client.listdir(d)}
            except OSError as e:
                self.problem(f"{when}: listdir({d}): {e!r}")
                continue
            if d in self.exact_dirs:
                if names != want:
                    self.problem(f"{when}: {d} holds {sorted(names ^ want)[:6]} more or less "
                                 f"than acknowledged")
            elif not want <= names or names & self.gone:
                self.problem(f"{when}: {d} lacks {sorted(want - names)[:6]} or still holds "
                             f"{sorted(names & self.gone)[:6]}")

    # -- one round --------------------------------------------------------------------------
    def start_worker(self, slot: int, counters: Counters, renamer: bool = False) -> _Worker:
        """Start a worker process (or the round's dedicated renamer) on counter ``slot``."""
        cfg = self.cfg
        wid = self.next_wid
        self.next_wid += 1
        kill_at = None
        if renamer:
            self.res.renamers_started += 1
        else:
            index = self.res.started
            self.res.started += 1
            if cfg.kill_one_in > 0 and index % cfg.kill_one_in == cfg.kill_one_in - 1:
                kill_at = self.rng.randrange(1, cfg.files + cfg.renames + 1)
        err_path = os.path.join(self.cfg.work, f"worker-{wid}.err")
        started, finished = counters.get(slot)
        if started != finished:  # left by a worker killed mid-rename
            counters.set(slot, finished=started)
        with open(err_path, "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "--worker", self.addr, cfg.name,
                 str(wid), str(cfg.seed), str(cfg.files), str(cfg.unlinks),
                 str(-1 if renamer else cfg.renames), str(cfg.max_size), self.counters_path,
                 str(slot), str(counters.slots)],
                stdin=subprocess.PIPE if renamer else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=err)
        return _Worker(wid, slot, proc, kill_at, err_path, renamer=renamer)

    def on_line(self, w: _Worker, line: str) -> None:
        kind, _, rest = line.partition(" ")
        if kind in ("M", "C", "U", "R"):
            w.acks += 1
        if kind == "C":
            path, size, digest = rest.split(" ")
            w.files[path] = (int(size), digest)
            self.files[path] = (int(size), digest)
            self.res.acked_files += 1
        elif kind == "B":
            w.in_flight = rest
        elif kind == "U":
            w.in_flight = None
            w.files.pop(rest, None)
            w.unlinked.append(rest)
            self.files.pop(rest, None)
            self.gone.add(rest)
            self.res.acked_unlinks += 1
        elif kind == "R":
            w.renames += 1
            self.res.renames_process += 1
        elif kind == "K" and self.cfg.check_locks:
            where, _, status = rest.partition(" ")
            self.res.lock_checks += 1
            if status != "ok":
                self.problem(f"worker {w.wid} (pid {w.proc.pid}) after {where}: {status}")
        elif kind == "D":
            w.done = True
        elif kind == "E":
            w.lines.append(rest)
        if w.kill_at is not None and not w.killed and w.acks >= w.kill_at:
            w.proc.send_signal(signal.SIGKILL)
            w.killed = True

    def run_round(self, counters: Counters) -> list[_Worker]:
        """Start the round's workers and its renamer, follow them to the end, reap them."""
        cfg = self.cfg
        workers = [self.start_worker(slot, counters) for slot in range(cfg.workers)]
        renamer = self.start_worker(cfg.workers, counters, renamer=True)
        workers.append(renamer)
        deadline = time.monotonic() + cfg.worker_timeout
        open_fds = {w.proc.stdout.fileno(): w for w in workers}  # type: ignore[union-attr]
        while open_fds:
            if not renamer.eof and all(w.eof for w in workers if w is not renamer):
                self.stop_renamer(renamer)
            left = deadline - time.monotonic()
            if left <= 0:
                for w in open_fds.values():
                    w.proc.kill()
                    self.problem(f"worker {w.wid}: not finished within {cfg.worker_timeout} s "
                                 f"({w.acks} acknowledgements), killed")
                break
            ready, _, _ = select.select(list(open_fds), [], [], min(left, 1.0))
            for fd in ready:
                w = open_fds[fd]
                chunk = os.read(fd, 65536)
                if not chunk:
                    w.eof = True
                    del open_fds[fd]
                    if w.killed:  # dead: no rename of its is in progress any more
                        w.proc.wait()
                        started, _ = counters.get(w.slot)
                        counters.set(w.slot, finished=started)
                    continue
                w.buf += chunk
                *lines, w.buf = w.buf.split(b"\n")
                for line in lines:
                    self.on_line(w, line.decode())
        if renamer.proc.stdin is not None and not renamer.proc.stdin.closed:
            renamer.proc.stdin.close()
        for w in workers:
            try:
                rc = w.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                w.proc.kill()
                rc = w.proc.wait()
                self.problem(f"worker {w.wid}: did not exit, killed")
            w.proc.stdout.close()  # type: ignore[union-attr]
            d = f"/w/{w.wid}"
            if w.killed:
                if w.renamer:
                    self.res.renamers_killed += 1
                else:
                    self.res.killed += 1
                started, _ = counters.get(w.slot)
                counters.set(w.slot, finished=started)
                if w.in_flight is not None:  # either state is right: no longer checked
                    self.files.pop(w.in_flight, None)
                    w.files.pop(w.in_flight, None)
                    self.res.uncertain += 1
                if w.acks > 1:  # its directory exists once a file or a rename was acknowledged
                    self.partial_dirs[d] = set(w.files)
                continue
            if rc != 0 or not w.done:
                try:
                    with open(w.err_path, errors="replace") as f:
                        tail = f.read()[-1500:]
                except OSError:
                    tail = ""
                self.problem(f"worker {w.wid}: exit status {rc}, finished={w.done}, "
                             f"{w.lines[-1:] or ''} {tail}")
                self.partial_dirs[d] = set(w.files)
                continue
            if not w.renamer:
                self.res.finished += 1
            self.exact_dirs[d] = set(w.files)
        return workers

    def stop_renamer(self, renamer: _Worker) -> None:
        """The round's workers are done: stop its renamer, on some rounds with SIGKILL."""
        every = self.cfg.kill_renamer_every
        if renamer.killed or renamer.proc.stdin is None or renamer.proc.stdin.closed:
            return
        if every > 0 and self.res.rounds % every == every - 1:
            renamer.proc.send_signal(signal.SIGKILL)
            renamer.killed = True
        renamer.proc.stdin.close()

    # -- the whole run ----------------------------------------------------------------------
    def keep_going(self, started: float) -> bool:
        """Whether to start another round."""
        cfg, res = self.cfg, self.res
        elapsed = time.monotonic() - started
        if res.rounds >= cfg.max_rounds or (cfg.max_seconds and elapsed >= cfg.max_seconds):
            return False
        if res.rounds < cfg.min_rounds or elapsed < cfg.seconds:
            return True
        return min(res.overlap_thread, res.overlap_process) < cfg.min_overlap

    def run(self) -> Result:
        """The whole run: rounds with the long-lived client, then a fresh mount and fsck.

        An exception (a failed mount, EIO from a damaged store ...) ends the phase it
        happened in and is recorded as a problem; the later phases still run.
        """
        cfg, res = self.cfg, self.res
        os.makedirs(self.base, exist_ok=True)
        self.counters_path = os.path.join(cfg.work, "renames.bin")
        counters = Counters(self.counters_path, cfg.workers + 1, create=True)
        t0 = time.monotonic()
        try:
            self.shared_phase(counters, t0)
        except Exception:  # noqa: BLE001 - reported
            self.problem("while clients were mounted: " + traceback.format_exc())
        finally:
            counters.close()
        try:
            self.final_phase()
        except Exception:  # noqa: BLE001 - reported
            self.problem("after every client stopped: " + traceback.format_exc())
        res.seconds = time.monotonic() - t0
        return res

    def shared_phase(self, counters: Counters, t0: float) -> None:
        """Rounds of workers next to the long-lived client, the reader and the renamer."""
        cfg, res = self.cfg, self.res
        main = mount(self.addr, cfg.name, "/shared-use/main")
        reader_client = None
        threads: list[Any] = []
        live: list[_Worker] = []
        try:
            main.write_bytes(CFG, cfg_blob("init", 0))
            main.mkdir("/w")
            main.mkdir("/main")
            reader_client = mount(self.addr, cfg.name, "/shared-use/reader")
            self.check_own_lock("after mounting")
            renamer = _Renamer(main, cfg.renamer_pause, res.problems)
            reader = _Reader(reader_client, renamer, counters, res.problems, cfg.read_every)
            threads = [reader, renamer]
            reader.start()
            renamer.start()
            try:
                while self.keep_going(t0):
                    live = self.run_round(counters)
                    self.after_workers(main, live, reader)
                    if res.problems:
                        break
            finally:
                for t in threads:
                    t.stop.set()
                for t in threads:
                    t.join(timeout=60)
                    if t.is_alive():
                        self.problem(f"{t.name} did not stop within 60 s")
                res.stats, res.misses, res.bad_attrs = reader.stats, reader.misses, reader.bad
                res.cfg_reads, res.bad_reads = reader.reads, reader.bad_reads
                res.overlap_thread = reader.overlap_thread
                res.overlap_process = reader.overlap_process
                res.misses_thread = reader.misses_thread
                res.misses_process = reader.misses_process
                res.renames_thread = renamer.finished_n
            if res.bad_reads:
                self.problem(f"{res.bad_reads} of {res.cfg_reads} reads of {CFG} returned bytes "
                             f"that no version of it held")
            if res.misses:
                self.problem(f"the reader missed {CFG} {res.misses} times in {res.stats} stats "
                             f"({res.misses_thread} during renames by a thread of this process, "
                             f"{res.misses_process} during renames by other processes)")
            res.verified_rounds += self.verify(main, sorted(self.files), sorted(self.gone),
                                               "the long-lived client at the end")
            self.check_own_lock("at the end")
        finally:
            for w in live:
                if w.proc.poll() is None:
                    w.proc.kill()
                    w.proc.wait()
            try:
                if reader_client is not None:
                    reader_client.stop()
            finally:
                main.stop()

    def after_workers(self, main: Any, live: list[_Worker], reader: _Reader) -> None:
        """End of a round: the long-lived client checks the round's changes, writes, locks."""
        res = self.res
        res.rounds += 1
        r = res.rounds
        res.kills_per_round.append(sum(w.killed for w in live))
        new = [p for w in live for p in w.files]
        res.verified_rounds += self.verify(main, new, [p for w in live for p in w.unlinked],
                                           f"after round {r}")
        self.verify_dirs(main, f"after round {r}")
        data = f"round {r} of the long-lived client\n".encode() * (1 + r % 7)
        main.write_bytes(f"/main/r{r}", data)
        self.own[f"/main/r{r}"] = data
        self.check_own_lock(f"after round {r}")
        res.overlap_thread, res.overlap_process = reader.overlap_thread, reader.overlap_process
        self.log(f"shared use: round {r}: {res.started} started, {res.killed} killed, "
                 f"{res.acked_files} files, {reader.stats} stats, {reader.misses} misses, "
                 f"overlaps {reader.overlap_thread}/{reader.overlap_process}")
        if self.after_round is not None:
            self.after_round(self)

    def final_phase(self) -> None:
        """Every client stopped: a fresh mount finds everything, then the checker."""
        res = self.res
        fresh = mount(self.addr, self.cfg.name, "/shared-use/fresh")
        try:
            res.verified_final = self.verify(fresh, sorted(self.files), sorted(self.gone),
                                             "after a fresh mount")
            self.verify_dirs(fresh, "after a fresh mount")
            for path, data in self.own.items():
                if fresh.read_bytes(path) != data:
                    self.problem(f"after a fresh mount: {path} of the long-lived client differs")
            if not cfg_ok(fresh.read_bytes(CFG)):
                self.problem(f"after a fresh mount: {CFG} is not one complete version")
        finally:
            fresh.stop()
        import dingofs

        res.fsck_problems, res.fsck_report = dingofs.Client.fsck(self.addr)
        if res.fsck_problems != 0:
            self.problem(f"fsck: {res.fsck_problems} problem(s): {res.fsck_report[:2000]}")

def run(cfg: Config, log: Callable[[str], None] | None = None,
        after_round: Callable[[Scenario], None] | None = None) -> Result:
    """Run the scenario once with ``cfg``."""
    return Scenario(cfg, log, after_round).run()


def main(argv: list[str]) -> int:
    """``--worker ...`` (a worker process), or a standalone run: ``[SECONDS [WORK_DIR]]``."""
    if argv[:1] == ["--worker"]:
        return worker_main(argv[1:])
    import tempfile

    seconds = float(argv[0]) if argv else 30.0
    work = argv[1] if len(argv) > 1 else tempfile.mkdtemp(prefix="dingofs-shared-use-")
    res = run(Config(work=work, seconds=seconds, min_overlap=1000), log=print)
    print(f"shared use: {res.summary()}")
    return 1 if res.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
