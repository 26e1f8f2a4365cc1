#!/usr/bin/env python3
"""Fill a filesystem to the last byte through the SDK, then recover without a remount.

Run by ``tests/test_full_disk.py`` in a child process (its own mount namespace
holds the small tmpfs), and standalone: ``full_disk.py BASE [ROUNDS] [capacity]``.

Each round fills with one pattern (big files, 4 KiB files, 1-byte files,
xattrs, directories, or a mix) until every further attempt fails with
``ENOSPC``, then, on the completely full disk and through the same client:

* ``removexattr``, ``rmdir``, ``rename`` onto an existing name, ``truncate`` to a
  smaller size and ``unlink`` must succeed at once;
* writing works again (a new file, written and fsync'ed), without a remount;
* every file fsync'ed before (the "keep" files, and those of earlier rounds)
  reads back exactly, and ``fsck`` of the filesystem reports no problem.

A second client stays mounted through all rounds, and each round mounts a
client of its own, so the reserve is shared by several handles.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sys
from typing import Any, Callable

PATTERNS = ["big", "4k", "1b", "xattr", "dirs", "mix", "big", "1b", "4k", "xattr"]


def _enospc(e: OSError) -> bool:
    return e.errno in (errno.ENOSPC, errno.EDQUOT)


class Full:
    """The state of one run."""

    def __init__(self, addr: str, name: str, rounds: int, log: Callable[[str], None]) -> None:
        import dingofs

        self.dingofs = dingofs
        self.addr = addr
        self.name = name
        self.rounds = rounds
        self.log = log
        self.kept: dict[str, str] = {}  # fsync'ed files -> sha256
        self.problems: list[str] = []
        self.stats: list[str] = []

    def mount(self, label: str) -> Any:
        return self.dingofs.Client.build(self.addr, self.name, label, init_logging=False)

    def problem(self, text: str) -> None:
        self.problems.append(text)
        self.log("FAILURE: " + text)

    # -- filling ------------------------------------------------------------------------
    def fill(self, c: Any, r: int, pattern: str) -> int:
        """Fill with ``pattern`` until it gets ENOSPC; returns the objects made."""
        d = f"/fill{r}"
        made = 0
        misses = 0
        i = 0
        chunk = os.urandom(1 << 20)
        while misses < 3:
            i += 1
            p = pattern if pattern != "mix" else ["big", "4k", "1b", "xattr", "dirs"][i % 5]
            try:
                if p == "big":
                    with c.open(f"{d}/big{i}", "wb") as f:
                        while True:
                            f.write(chunk)
                elif p == "4k":
                    c.write_bytes(f"{d}/k{i}", chunk[:4096])
                elif p == "1b":
                    c.write_bytes(f"{d}/b{i}", b"x")
                elif p == "xattr":
                    c.setxattr(f"{d}/x", f"user.a{i}", chunk[i % 1000:i % 1000 + 2000])
                    c.setxattr(f"{d}/x{i % 7}", f"user.a{i}", chunk[:3000]) if c.exists(
                        f"{d}/x{i % 7}") else c.write_bytes(f"{d}/x{i % 7}", b"")
                else:
                    c.mkdir(f"{d}/dir{i}")
                made += 1
                misses = 0
            except OSError as e:
                if not _enospc(e):
                    raise
                misses += 1
        # The last bytes: 1-byte files until even they fail three times in a row.
        misses = 0
        while misses < 3:
            i += 1
            try:
                c.write_bytes(f"{d}/last{i}", b"z")
                made += 1
                misses = 0
            except OSError as e:
                if not _enospc(e):
                    raise
                misses += 1
        return made

    # -- checks -------------------------------------------------------------------------
    def must(self, what: str, call: Callable[[], object]) -> None:
        try:
            call()
        except OSError as e:
            self.problem(f"{what} on a full disk: {e!r}")

    def round(self, live: Any, r: int, pattern: str) -> None:
        c = self.mount(f"/full/r{r}")
        try:
            d = f"/fill{r}"
            c.mkdir(d)
            # Things to delete later, made while there is room.
            c.mkdir(f"{d}/empty")
            c.write_bytes(f"{d}/x", b"")  # carries the xattrs of the fill
            c.write_bytes(f"{d}/victim", os.urandom(200_000))
            c.write_bytes(f"{d}/shrink", os.urandom(300_000))
            c.write_bytes(f"{d}/src", os.urandom(5000))
            c.write_bytes(f"{d}/dst", os.urandom(100_000))
            c.setxattr(f"{d}/victim", "user.tag", b"t" * 500)
            keep = f"/keep{r}"
            data = os.urandom(10_000 + 37 * r)
            with c.open(keep, "wb") as f:
                f.write(data)
                f.fsync()
            self.kept[keep] = hashlib.sha256(data).hexdigest()

            made = self.fill(c, r, pattern)
            # Completely full: even the long-lived client cannot create anything.
            try:
                live.write_bytes(f"/live-probe{r}", b"p")
                full = False
            except OSError as e:
                full = _enospc(e)
            st = c.statfs()
            self.stats.append(f"round {r} ({pattern}): {made} objects, full={full}, "
                              f"statfs {st.used_bytes} of {st.max_bytes} bytes used")
            self.log(self.stats[-1])
            if not full:
                self.problem(f"round {r}: the disk was not full after filling")

            # Deletions work at once, through both clients.
            self.must("removexattr", lambda: c.removexattr(f"{d}/victim", "user.tag"))
            self.must("rmdir", lambda: live.rmdir(f"{d}/empty"))
            self.must("rename onto an existing name", lambda: c.rename(f"{d}/src", f"{d}/dst"))
            self.must("truncate", lambda: live.truncate(f"{d}/shrink", 1000))
            self.must("unlink", lambda: c.unlink(f"{d}/victim"))
            # Writing works again at once (no remount): 64 KiB, fsync'ed.
            again = f"/again{r}"
            data = os.urandom(65536)
            try:
                with c.open(again, "wb") as f:
                    f.write(data)
                    f.fsync()
                self.kept[again] = hashlib.sha256(data).hexdigest()
            except OSError as e:
                self.problem(f"round {r}: writing after the deletions: {e!r}")
            # Free the rest of the round's fill (it may take a while).
            for e in c.walk(d, topdown=False):
                top, dirs, files = e
                for f_ in files:
                    self.must(f"unlink {top}/{f_}", lambda p=f"{top}/{f_}": c.unlink(p))
                for d_ in dirs:
                    self.must(f"rmdir {top}/{d_}", lambda p=f"{top}/{d_}": c.rmdir(p))
            self.must(f"rmdir {d}", lambda: c.rmdir(d))
            self.verify(live, f"round {r}")
        finally:
            c.stop()
        problems, report = self.dingofs.Client.fsck(self.addr)
        if problems:
            self.problem(f"round {r}: fsck: {problems} problem(s): {report[:1500]}")

    def verify(self, c: Any, when: str) -> None:
        for path, digest in self.kept.items():
            try:
                got = hashlib.sha256(c.read_bytes(path)).hexdigest()
            except OSError as e:
                self.problem(f"{when}: {path}: {e!r}")
                continue
            if got != digest:
                self.problem(f"{when}: {path} does not read back what was fsync'ed")

    def run(self) -> list[str]:
        live = self.mount("/full/live")
        try:
            for r in range(self.rounds):
                self.round(live, r, PATTERNS[r % len(PATTERNS)])
                if self.problems:
                    break
        finally:
            live.stop()
        fresh = self.mount("/full/fresh")
        try:
            self.verify(fresh, "after a fresh mount")
        finally:
            fresh.stop()
        # Nobody has it mounted now: nothing may be left for later.
        problems, report = self.dingofs.Client.fsck(self.addr)
        if problems:
            self.problem(f"offline fsck at the end: {problems} problem(s): {report[:1500]}")
        return self.problems


def main(argv: list[str]) -> int:
    base = argv[0]
    rounds = int(argv[1]) if len(argv) > 1 else len(PATTERNS)
    extra = argv[2] if len(argv) > 2 else ""
    addr = f"local://full?base={base}" + (f"&{extra}" if extra else "")
    run = Full(addr, "full", rounds, lambda s: print(s, flush=True))
    problems = run.run()
    print(f"full disk: {rounds} rounds, {len(run.kept)} fsync'ed files verified, "
          f"{len(problems)} failure(s)", flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
