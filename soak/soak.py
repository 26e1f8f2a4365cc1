#!/usr/bin/env python3
"""Bounded soak of the embedded engine through the Python SDK.

Several processes, each with its own mounted client and several threads, do
mixed operations on ONE ``local://`` filesystem for a set time:

* every thread owns a subtree ``/w<proc>/t<thread>`` and keeps an in-memory
  model of it (directories, and the exact bytes and one xattr of each file);
  it creates, writes (``write``/``pwrite``/append, sparse extension),
  truncates, renames, unlinks, fsyncs, makes and removes directories, and
  regularly reads files back, stats them and lists directories against the
  model;
* all threads also race in ``/shared``: they publish self-checking files
  (length + SHA-256 header) by renaming them in from their subtree, and
  rename, link, unlink, list and read each other's files there.  A file in
  ``/shared`` is never modified after it appears, so every complete read must
  pass its own checksum; only the "lost the race" errors (ENOENT, EEXIST) are
  expected.

When the time is up, each thread verifies its whole model online and the
worker writes the model (path, size, SHA-256, xattr) to a JSON file.  Once
every process has unmounted, the parent runs the checker
(``Client.fsck(addrs)``: must report 0 problems), mounts again and verifies
every file of every model byte for byte, that each subtree holds nothing
else, and every file left in ``/shared``.

Then the shared-use scenario (``soak/shared_use.py``, also run in a short
profile by ``tests/test_shared_use.py``) runs for SOAK_SHARED_SECONDS: one
long-lived client and a reader client stay mounted in this process while worker
processes come and go in rounds (1 in SOAK_SHARED_KILL killed with SIGKILL
mid-operation); every acknowledged file is verified after each round and after a
fresh mount, the reader must never miss the renamed-over name, and the checker
must report 0 problems.

Environment: SOAK_SECONDS (600), SOAK_PROCS (4), SOAK_THREADS (3 per process),
SOAK_SEED (random), SOAK_BASE (base directory; default a new temporary one,
removed after a successful run, kept after a failure), SOAK_MAX_FILES (per
thread, 40), SOAK_MAX_SIZE (bytes per file, 262144), SOAK_SHARED_SECONDS (shared-use
scenario, default SOAK_SECONDS / 2; 0 skips it), SOAK_SHARED_WORKERS (worker processes
per round, 6), SOAK_SHARED_KILL (1 worker in N killed, 5).

Exit status 0 only when every worker finished without an unexpected error,
the checker found no problem and every file verified (in both parts).  The last
lines are a summary: ``soak: N passed, 0 failed`` counts the verified files.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from typing import Any

FSNAME = "soak"
HEADER = 40  # 8-byte length + 32-byte SHA-256 of the payload


def isolate_package() -> None:
    """Re-run this script on a private copy of the installed ``dingofs`` package.

    The copy (bridge included) lives in a new temporary directory, so a rebuild
    of the working tree's bridge while the soak runs (which rewrites the shared
    object in place) cannot change the code under the running processes.  The
    workers inherit PYTHONPATH; PYTHONSAFEPATH keeps the working directory off
    sys.path.  SOAK_NO_COPY=1 skips this.
    """
    if os.environ.get("SOAK_PKG") or os.environ.get("SOAK_NO_COPY") == "1":
        return
    import importlib.util

    spec = importlib.util.find_spec("dingofs")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("soak: the dingofs package is not installed")
    src = list(spec.submodule_search_locations)[0]
    dst = tempfile.mkdtemp(prefix="dingofs-soak-pkg-")
    shutil.copytree(src, os.path.join(dst, "dingofs"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, SOAK_PKG=dst, PYTHONSAFEPATH="1",
               PYTHONPATH=dst + (os.pathsep + os.environ["PYTHONPATH"]
                                 if os.environ.get("PYTHONPATH") else ""))
    try:
        rc = subprocess.call([sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env=env)
    finally:
        shutil.rmtree(dst, ignore_errors=True)
    raise SystemExit(rc)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def address(base: str) -> str:
    return f"local://{FSNAME}?base={base}"


def mount(base: str, label: str) -> Any:
    import dingofs

    return dingofs.Client.build(address(base), FSNAME, label, init_logging=False, umask=0)


def sha(data: bytes | bytearray) -> str:
    return hashlib.sha256(data).hexdigest()


def read_all(client: Any, path: str) -> bytes:
    with client.open(path, "rb") as f:
        return f.read()


def shared_blob(rng: random.Random) -> bytes:
    payload = rng.randbytes(rng.randrange(0, 20000))
    return len(payload).to_bytes(8, "little") + hashlib.sha256(payload).digest() + payload


def check_shared_blob(data: bytes) -> str | None:
    """None when data is a complete, intact shared file; else what is wrong."""
    if len(data) < HEADER:
        return f"short file ({len(data)} bytes)"
    n = int.from_bytes(data[:8], "little")
    payload = data[HEADER:]
    if len(payload) != n:
        return f"payload {len(payload)} bytes, header says {n}"
    if hashlib.sha256(payload).digest() != data[8:HEADER]:
        return "payload checksum mismatch"
    return None


class Failure(Exception):
    """A result that contradicts the model."""


# --------------------------------------------------------------------------
# worker side
# --------------------------------------------------------------------------
class Thread:
    """One worker thread: its subtree, its model, its share of the races."""

    def __init__(self, client: Any, proc: int, tid: int, seed: int, max_files: int,
                 max_size: int) -> None:
        self.c = client
        self.root = f"/w{proc}/t{tid}"
        self.tag = f"p{proc}t{tid}"
        self.rng = random.Random(seed)
        self.max_files = max_files
        self.max_size = max_size
        self.files: dict[str, bytearray] = {}
        self.xattrs: dict[str, bytes] = {}
        self.dirs: set[str] = {self.root}
        self.counter = 0
        self.ops: dict[str, int] = {}
        self.errors: list[str] = []
        self.verified = 0

    # -- helpers ----------------------------------------------------------------------
    def new_name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def pick_dir(self) -> str:
        return self.rng.choice(sorted(self.dirs))

    def pick_file(self) -> str | None:
        if not self.files:
            return None
        return self.rng.choice(sorted(self.files))

    def count(self, op: str) -> None:
        self.ops[op] = self.ops.get(op, 0) + 1

    def verify_file(self, path: str) -> None:
        want = self.files[path]
        got = read_all(self.c, path)
        if got != want:
            first = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]),
                         min(len(got), len(want)))
            raise Failure(f"{path}: read {len(got)} bytes, model has {len(want)}; "
                          f"first difference at byte {first}")
        st = self.c.stat(path)
        if st.st_size != len(want):
            raise Failure(f"{path}: stat size {st.st_size}, model {len(want)}")
        self.verified += 1

    def verify_dir(self, d: str) -> None:
        names = {e.name for e in self.c.scandir(d)}
        want = {p.rsplit("/", 1)[1] for p in list(self.files) + list(self.dirs)
                if p != d and p.rsplit("/", 1)[0] == d}
        if names != want:
            raise Failure(f"{d}: listing {sorted(names ^ want)} differs from the model")

    # -- operations on the owned subtree ----------------------------------------------
    def op_create(self) -> None:
        if len(self.files) >= self.max_files:
            return self.op_unlink()
        path = f"{self.pick_dir()}/{self.new_name('f')}"
        data = self.rng.randbytes(self.rng.randrange(0, self.max_size // 4))
        with self.c.open(path, "xb") as f:
            pos = 0
            while pos < len(data):
                step = self.rng.randrange(1, 65536)
                f.write(data[pos:pos + step])
                pos += step
        self.files[path] = bytearray(data)

    def op_pwrite(self) -> None:
        path = self.pick_file()
        if path is None:
            return self.op_create()
        model = self.files[path]
        off = self.rng.randrange(0, min(len(model) + 4096, self.max_size))
        data = self.rng.randbytes(self.rng.randrange(1, 32768))
        data = data[: max(1, self.max_size - off)]
        with self.c.open(path, "r+b") as f:
            if self.rng.random() < 0.5:
                n = f.pwrite(data, off)
            else:
                f.seek(off)
                n = f.write(data)
            if n != len(data):
                raise Failure(f"{path}: short write {n}/{len(data)}")
            if self.rng.random() < 0.2:
                f.fsync(datasync=self.rng.random() < 0.5)
                self.count("fsync")
        if off > len(model):
            model.extend(bytes(off - len(model)))
        model[off:off + len(data)] = data

    def op_append(self) -> None:
        path = self.pick_file()
        if path is None or len(self.files[path]) > self.max_size - 8192:
            return self.op_truncate()
        data = self.rng.randbytes(self.rng.randrange(1, 8192))
        with self.c.open(path, "ab") as f:
            f.write(data)
        self.files[path].extend(data)

    def op_truncate(self) -> None:
        path = self.pick_file()
        if path is None:
            return self.op_create()
        model = self.files[path]
        size = self.rng.randrange(0, min(len(model) * 2 + 4096, self.max_size))
        if self.rng.random() < 0.5:
            self.c.truncate(path, size)
        else:
            with self.c.open(path, "r+b") as f:
                f.truncate(size)
        if size < len(model):
            del model[size:]
        else:
            model.extend(bytes(size - len(model)))

    def op_read(self) -> None:
        path = self.pick_file()
        if path is None:
            return self.op_create()
        if self.rng.random() < 0.5:
            self.verify_file(path)
            return
        model = self.files[path]
        off = self.rng.randrange(0, len(model) + 100)
        size = self.rng.randrange(0, 70000)
        with self.c.open(path, "rb") as f:
            got = f.pread(size, off)
        if got != bytes(model[off:off + size]):
            raise Failure(f"{path}: pread({size}, {off}) differs from the model")

    def op_rename(self) -> None:
        path = self.pick_file()
        if path is None:
            return self.op_create()
        dst = f"{self.pick_dir()}/{self.new_name('r')}"
        if self.files and self.rng.random() < 0.3:
            other = self.pick_file()
            if other is not None and other != path:
                dst = other  # replace an existing file
        self.c.rename(path, dst)
        data = self.files.pop(path)
        x = self.xattrs.pop(path, None)
        self.files[dst] = data
        self.xattrs.pop(dst, None)
        if x is not None:
            self.xattrs[dst] = x

    def op_unlink(self) -> None:
        path = self.pick_file()
        if path is None:
            return self.op_create()
        self.c.unlink(path)
        del self.files[path]
        self.xattrs.pop(path, None)

    def op_dirs(self) -> None:
        empty = [d for d in self.dirs if d != self.root
                 and not any(p.startswith(d + "/") for p in list(self.files) + list(self.dirs))]
        if empty and self.rng.random() < 0.4:
            d = self.rng.choice(sorted(empty))
            self.c.rmdir(d)
            self.dirs.discard(d)
        elif len(self.dirs) < 8:
            d = f"{self.pick_dir()}/{self.new_name('d')}"
            self.c.mkdir(d)
            self.dirs.add(d)
        self.verify_dir(self.pick_dir())

    def op_xattr(self) -> None:
        path = self.pick_file()
        if path is None:
            return self.op_create()
        value = self.rng.randbytes(self.rng.randrange(0, 200))
        self.c.setxattr(path, "user.soak", value)
        self.xattrs[path] = value
        got = self.c.getxattr(path, "user.soak", as_bytes=True)
        if bytes(got) != value:
            raise Failure(f"{path}: xattr read back differs")

    # -- races in /shared -------------------------------------------------------------
    def op_shared(self) -> None:
        c = self.c
        r = self.rng.random()
        try:
            if r < 0.3:
                tmp = f"{self.root}/{self.new_name('pub')}"
                with c.open(tmp, "xb") as f:
                    f.write(shared_blob(self.rng))
                dst = f"/shared/s{self.rng.randrange(64)}"
                try:
                    c.rename(tmp, dst)
                except BaseException:
                    c.unlink(tmp)
                    raise
                self.count("shared_publish")
                return
            names = [e.name for e in c.scandir("/shared")]
            self.count("shared_list")
            if not names:
                return
            name = f"/shared/{self.rng.choice(names)}"
            if r < 0.6:
                data = read_all(c, name)
                problem = check_shared_blob(data)
                if problem:
                    raise Failure(f"{name}: {problem}")
                self.count("shared_read")
            elif r < 0.75:
                c.rename(name, f"/shared/s{self.rng.randrange(64)}")
                self.count("shared_rename")
            elif r < 0.85:
                c.link(name, f"/shared/s{self.rng.randrange(64)}")
                self.count("shared_link")
            elif r < 0.95 or len(names) > 48:
                c.unlink(name)
                self.count("shared_unlink")
            else:
                c.exchange(name, f"/shared/{self.rng.choice(names)}")
                self.count("shared_exchange")
        except (FileNotFoundError, FileExistsError):
            self.count("shared_lost_race")

    OPS = (
        (op_create, 10), (op_pwrite, 14), (op_append, 6), (op_truncate, 5), (op_read, 16),
        (op_rename, 6), (op_unlink, 5), (op_dirs, 4), (op_xattr, 4), (op_shared, 20),
    )

    def run(self, deadline: float) -> None:
        funcs = [f for f, _ in self.OPS]
        weights = [w for _, w in self.OPS]
        self.c.makedirs(self.root, exist_ok=True)
        try:
            while time.monotonic() < deadline:
                f = self.rng.choices(funcs, weights)[0]
                self.count(f.__name__[3:])
                f(self)
            # Final online verification of the whole model.
            for path in sorted(self.files):
                self.verify_file(path)
                if path in self.xattrs and self.c.getxattr(path, "user.soak", as_bytes=True) != \
                        self.xattrs[path]:
                    raise Failure(f"{path}: xattr differs at the end")
            for d in sorted(self.dirs):
                self.verify_dir(d)
        except Exception as e:  # noqa: BLE001 - every failure is reported
            self.errors.append(f"{self.tag}: {type(e).__name__}: {e}\n{traceback.format_exc()}")

    def model(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "dirs": sorted(self.dirs),
            "files": {p: {"size": len(d), "sha256": sha(d),
                          "xattr": self.xattrs[p].hex() if p in self.xattrs else None}
                      for p, d in self.files.items()},
        }


def worker_main(base: str, proc: int, threads: int, seconds: float, seed: int,
                out: str) -> int:
    max_files = env_int("SOAK_MAX_FILES", 40)
    max_size = env_int("SOAK_MAX_SIZE", 262144)
    client = mount(base, f"/soak/{proc}")
    deadline = time.monotonic() + seconds
    workers = [Thread(client, proc, t, seed * 1000 + proc * 10 + t, max_files, max_size)
               for t in range(threads)]
    ths = [threading.Thread(target=w.run, args=(deadline,), name=w.tag) for w in workers]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    ops: dict[str, int] = {}
    for w in workers:
        for k, v in w.ops.items():
            ops[k] = ops.get(k, 0) + v
    result = {
        "proc": proc,
        "ops": ops,
        "verified_online": sum(w.verified for w in workers),
        "errors": [e for w in workers for e in w.errors],
        "models": [w.model() for w in workers],
    }
    client.stop()
    with open(out, "w") as f:
        json.dump(result, f)
    return 1 if result["errors"] else 0


# --------------------------------------------------------------------------
# parent side
# --------------------------------------------------------------------------
def final_verification(base: str, results: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """Remount and check every model file, each subtree's listing and /shared."""
    problems: list[str] = []
    verified = 0
    client = mount(base, "/soak/verify")
    try:
        for res in results:
            for m in res["models"]:
                for path, want in m["files"].items():
                    try:
                        data = read_all(client, path)
                    except OSError as e:
                        problems.append(f"{path}: {e}")
                        continue
                    if len(data) != want["size"] or sha(data) != want["sha256"]:
                        problems.append(f"{path}: {len(data)} bytes, content differs "
                                        f"(model {want['size']} bytes)")
                        continue
                    if want["xattr"] is not None:
                        try:
                            x = client.getxattr(path, "user.soak", as_bytes=True).hex()
                        except OSError as e:
                            x = str(e)
                        if x != want["xattr"]:
                            problems.append(f"{path}: xattr differs")
                            continue
                    verified += 1
                expected = set(m["files"]) | set(m["dirs"])
                found = {m["root"]}
                for top, dirs, files in client.walk(m["root"]):
                    for n in list(dirs) + list(files):
                        found.add(f"{top.rstrip('/')}/{n}")
                if found != expected:
                    problems.append(f"{m['root']}: entries differ from the model: "
                                    f"{sorted(found ^ expected)[:10]}")
        for entry in client.scandir("/shared"):
            data = read_all(client, f"/shared/{entry.name}")
            problem = check_shared_blob(data)
            if problem:
                problems.append(f"/shared/{entry.name}: {problem}")
            else:
                verified += 1
    finally:
        client.stop()
    return verified, problems


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        a = sys.argv[2:8]
        return worker_main(a[0], int(a[1]), int(a[2]), float(a[3]), int(a[4]), a[5])

    isolate_package()
    seconds = env_int("SOAK_SECONDS", 600)
    procs = env_int("SOAK_PROCS", 4)
    threads = env_int("SOAK_THREADS", 3)
    seed = env_int("SOAK_SEED", random.randrange(1 << 30))
    own_base = not os.environ.get("SOAK_BASE")
    base = os.environ.get("SOAK_BASE") or tempfile.mkdtemp(prefix="dingofs-soak-")
    os.makedirs(base, exist_ok=True)
    print(f"soak: {procs} processes x {threads} threads, {seconds} s, seed {seed}, base {base}",
          flush=True)

    client = mount(base, "/soak/setup")
    client.makedirs("/shared", exist_ok=True)
    for p in range(procs):
        client.makedirs(f"/w{p}", exist_ok=True)
    client.stop()

    started = time.monotonic()
    children = []
    for p in range(procs):
        out = os.path.join(base, f"result-{p}.json")
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", base, str(p),
               str(threads), str(seconds), str(seed), out]
        children.append((p, out, subprocess.Popen(cmd)))
    failed = False
    nfail = 0
    results = []
    for p, out, child in children:
        # A worker that hangs is a failure too: bounded wait.
        try:
            rc = child.wait(timeout=seconds + 300)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            print(f"soak: worker {p} did not finish in time", flush=True)
            failed = True
            nfail += 1
            continue
        if not os.path.exists(out):
            print(f"soak: worker {p} exited with {rc} and no result", flush=True)
            failed = True
            nfail += 1
            continue
        with open(out) as f:
            res = json.load(f)
        results.append(res)
        for e in res["errors"]:
            print(f"soak: worker {p} error: {e}", flush=True)
        nfail += len(res["errors"])
        failed |= rc != 0
    elapsed = time.monotonic() - started

    ops: dict[str, int] = {}
    for res in results:
        for k, v in res["ops"].items():
            ops[k] = ops.get(k, 0) + v
    # Top-level operations only (fsync and the shared_* outcomes are parts of them).
    top = {f.__name__[3:] for f, _ in Thread.OPS}
    total_ops = sum(v for k, v in ops.items() if k in top)
    print(f"soak: {total_ops} operations in {elapsed:.0f} s "
          f"({total_ops / max(elapsed, 1e-9):.0f}/s): "
          + ", ".join(f"{k}={v}" for k, v in sorted(ops.items())), flush=True)
    print(f"soak: {sum(r['verified_online'] for r in results)} file verifications during the run",
          flush=True)

    import dingofs

    print(f"soak: package {os.path.dirname(dingofs.__file__)}", flush=True)
    problems, report = dingofs.Client.fsck(address(base))
    print(f"soak: checker: {problems} problem(s)", flush=True)
    if report.strip():
        print(report.rstrip(), flush=True)
    failed |= problems != 0
    nfail += problems

    verified, bad = final_verification(base, results)
    for b in bad:
        print(f"soak: verification: {b}", flush=True)
    failed |= bool(bad) or len(results) != procs
    nfiles = sum(len(m["files"]) for r in results for m in r["models"])
    nfail += len(bad)
    print(f"soak: verified after remount: {verified} files ({nfiles} in the models, the rest "
          f"in /shared)", flush=True)

    shared_seconds = env_int("SOAK_SHARED_SECONDS", seconds // 2)
    if shared_seconds > 0:
        shared_verified, shared_failures = shared_use_soak(base, shared_seconds, seed)
        verified += shared_verified
        nfail += shared_failures
        failed |= shared_failures != 0
    print(f"soak: {verified} passed, {nfail} failed", flush=True)
    if failed:
        print(f"soak: FAILED (base kept: {base})", flush=True)
        return 1
    if own_base:
        shutil.rmtree(base, ignore_errors=True)
    print("soak: OK", flush=True)
    return 0


def shared_use_soak(base: str, seconds: int, seed: int) -> tuple[int, int]:
    """The shared-use scenario for ``seconds``; returns (files verified, failures)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import shared_use

    workers = env_int("SOAK_SHARED_WORKERS", 6)
    kill = env_int("SOAK_SHARED_KILL", 5)
    work = os.path.join(base, "shared-use")
    os.makedirs(work, exist_ok=True)
    print(f"soak: shared use: {seconds} s, {workers} worker processes per round, 1 in {kill} "
          f"killed with SIGKILL, seed {seed}, in {work}", flush=True)
    cfg = shared_use.Config(work=work, seconds=seconds, min_rounds=1, workers=workers,
                            kill_one_in=kill, min_overlap=1000, max_seconds=2 * seconds + 120,
                            seed=seed)
    started = time.monotonic()
    last = [started]

    def progress(line: str) -> None:  # a round's line every 30 s; failures come at the end
        now = time.monotonic()
        if "FAILURE" not in line and now - last[0] >= 30:
            last[0] = now
            print(f"soak: {line}", flush=True)

    res = shared_use.run(cfg, log=progress)
    short = res.overlap_thread < cfg.min_overlap or res.overlap_process < cfg.min_overlap
    if short:
        res.problems.append(f"stats overlapping renames: {res.overlap_thread} (thread), "
                            f"{res.overlap_process} (processes), fewer than {cfg.min_overlap}")
    for p in res.problems[:50]:
        print(f"soak: shared use: FAILURE: {p}", flush=True)
    print(f"soak: shared use: rounds {res.rounds}, worker processes started {res.started}, "
          f"killed {res.killed}, finished {res.finished}; renamer processes "
          f"{res.renamers_started} ({res.renamers_killed} killed)", flush=True)
    print(f"soak: shared use: files acknowledged {res.acked_files}, unlinks acknowledged "
          f"{res.acked_unlinks}, verified after rounds {res.verified_rounds}, verified after a "
          f"fresh mount {res.verified_final}", flush=True)
    print(f"soak: shared use: reader stats {res.stats}, misses {res.misses}; overlapping "
          f"renames: thread {res.overlap_thread} ({res.renames_thread} renames), processes "
          f"{res.overlap_process} ({res.renames_process} renames); reads of /cfg "
          f"{res.cfg_reads} ({res.bad_reads} wrong)", flush=True)
    print(f"soak: shared use: lock checks {res.lock_checks}; fsck {res.fsck_problems} "
          f"problem(s); {len(res.problems)} failure(s) in {res.seconds:.0f} s", flush=True)
    return res.verified_final, len(res.problems)


if __name__ == "__main__":
    sys.exit(main())
