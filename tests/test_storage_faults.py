"""Storage that changes under a mounted ``local://`` filesystem.

Each case states the errno a caller gets (docs/hardening.md has the table):

* the metadata directory removed while mounted: reads keep working (the store
  is still open), every change and every ``fsync`` fails with ``EIO``, ``stop()``
  raises ``EIO``, and a new mount refuses with ``EEXIST`` instead of silently
  starting an empty filesystem next to the old data;
* the data directory removed while mounted: opening a file whose data is gone,
  writing and ``fsync`` fail with ``EIO`` (nothing is recreated), ``stop()`` raises
  ``EIO``, a new mount refuses with ``EIO``;
* the data directory made unreadable (as uid 65534, since root reads
  everything): opening a file that is not open yet and writing a new one fail
  with ``EACCES``; what is open keeps working; once the mode is back, all is well;
* read-only media: a read-write mount fails with ``EROFS`` and names ``ro=1``;
  ``ro=1`` mounts and reads, changes fail with ``EROFS``, ``fsck`` works.

The storage turning read-only *while* mounted cannot be produced with a real
remount (the kernel refuses one while files are open for writing); the engine's
fault-injection sweep covers it (``native/tests/test_faults.c``, EROFS mode).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import local_url, run_in_child

import dingofs

NOBODY = 65534
# Above the engine's default inline threshold (64 KiB): these files have data
# files, which is what the cases below are about. Smaller files keep their
# bytes in the metadata store and do not touch the data directory at all.
BIG = 70 * 1024
SMALL = 1000


def _errno_of(call: Any) -> int:
    try:
        call()
    except OSError as e:
        return e.errno or 0
    return 0


def _setup(base: Path) -> tuple[Any, Any, str]:
    addr = local_url(base, "s")
    c = dingofs.Client.build(addr, "s", "/m", init_logging=False)
    c.write_bytes("/old", b"o" * BIG)
    c.write_bytes("/other", b"t" * (BIG + 2000))
    c.write_bytes("/small", b"s" * SMALL)
    c.mkdir("/d")
    held = c.open("/held", "wb")
    held.write(b"h" * BIG)
    held.flush()
    return c, held, addr


def test_metadata_directory_removed_while_mounted(tmp_path: Path) -> None:
    c, held, addr = _setup(tmp_path)
    try:
        shutil.rmtree(tmp_path / "meta")
        # The store is still open: reading goes on.
        assert c.read_bytes("/old") == b"o" * BIG
        assert sorted(e.name for e in c.scandir("/")) == ["d", "held", "old", "other", "small"]
        # No change can be kept any more.
        assert _errno_of(lambda: c.write_bytes("/new", b"n")) == errno.EIO
        assert _errno_of(lambda: c.mkdir("/d2")) == errno.EIO
        assert _errno_of(lambda: c.unlink("/old")) == errno.EIO
        assert _errno_of(lambda: c.setxattr("/d", "user.a", b"1")) == errno.EIO
        assert _errno_of(held.fsync) == errno.EIO
        held.close() if _errno_of(held.close) == 0 else None
    finally:
        err = _errno_of(c.stop)
    assert err == errno.EIO  # stop() tells that not everything reached the disk
    with pytest.raises(OSError) as info:
        dingofs.Client.build(addr, "s", "/m", init_logging=False)
    assert info.value.errno == errno.EEXIST
    assert "no metadata store" in str(info.value)


def test_data_directory_removed_while_mounted(tmp_path: Path) -> None:
    c, held, addr = _setup(tmp_path)
    try:
        shutil.rmtree(tmp_path / "data")
        assert c.stat("/old").st_size == BIG  # metadata is all there
        assert _errno_of(lambda: c.read_bytes("/old")) == errno.EIO
        assert _errno_of(lambda: c.write_bytes("/new", b"n" * BIG)) == errno.EIO
        # A small file's bytes are in the store: it is still readable.
        assert c.read_bytes("/small") == b"s" * SMALL
        held.write(b"x")
        assert _errno_of(held.fsync) == errno.EIO
        assert not (tmp_path / "data").exists()  # nothing was recreated
        _errno_of(held.close)
    finally:
        err = _errno_of(c.stop)
    assert err == errno.EIO
    with pytest.raises(OSError) as info:
        dingofs.Client.build(addr, "s", "/m", init_logging=False)
    assert info.value.errno == errno.EIO
    assert "data directory" in str(info.value) and "missing" in str(info.value)


@pytest.fixture
def work() -> Iterator[Path]:
    """A scratch directory uid 65534 can reach."""
    path = Path(tempfile.mkdtemp(prefix="dingofs-storage-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for dirpath, dirnames, _ in os.walk(path):
            for d in dirnames:
                os.chmod(os.path.join(dirpath, d), 0o700)
        shutil.rmtree(path, ignore_errors=True)


def _unreadable(base: Path) -> dict[str, Any]:
    c, held, addr = _setup(base)
    data = base / "data" / "s"
    out: dict[str, Any] = {}
    try:
        data.chmod(0)
        out["open"] = _errno_of(lambda: c.read_bytes("/old"))
        out["new"] = _errno_of(lambda: c.write_bytes("/new", b"n" * BIG))
        out["small"] = c.read_bytes("/small") == b"s" * SMALL  # in the store
        held.write(b"x" * 10)
        held.fsync()  # open before: keeps working
        out["stat"] = c.stat("/other").st_size
        data.chmod(stat.S_IRWXU)
        out["after"] = c.read_bytes("/old") == b"o" * BIG
        held.close()
    finally:
        data.chmod(stat.S_IRWXU)
        c.stop()
    problems, report = dingofs.Client.fsck(addr)
    out["fsck"] = (problems, report)
    return out


def test_data_directory_unreadable_as_nobody(work: Path) -> None:
    if os.geteuid() == 0:
        os.chown(work, NOBODY, NOBODY)

        def child() -> dict[str, Any]:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            return _unreadable(work)

        out = run_in_child(child)
    else:
        out = _unreadable(work)
    assert out["open"] == errno.EACCES
    assert out["new"] == errno.EACCES
    assert out["stat"] == BIG + 2000
    assert out["small"] is True
    assert out["after"] is True
    assert out["fsck"][0] == 0, out["fsck"]


def _namespace() -> list[str] | None:
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    tries = [[unshare, "-rm", "--propagation", "private"]]
    if os.geteuid() == 0:
        tries.insert(0, [unshare, "-m", "--propagation", "private"])
    for cmd in tries:
        probe = subprocess.run(
            [*cmd, "sh", "-c", 'd=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs "$d" && '
             'mount -o remount,ro "$d"'],
            capture_output=True,
        )
        if probe.returncode == 0:
            return cmd
    return None


READ_ONLY_MEDIA = r"""
import errno, subprocess, sys
import dingofs
base = sys.argv[1]
addr = f"local://s?base={base}"
c = dingofs.Client.build(addr, "s", "/m", init_logging=False)
c.write_bytes("/a", b"a" * 3000)
c.mkdir("/d")
c.stop()
subprocess.run(["mount", "-o", "remount,ro", base], check=True)
try:
    dingofs.Client.build(addr, "s", "/m", init_logging=False)
    raise SystemExit("a read-write mount of read-only media worked")
except OSError as e:
    assert e.errno == errno.EROFS, e
    assert "ro=1" in str(e), e
c = dingofs.Client.build(addr + "&ro=1", "s", "/m", init_logging=False)
assert c.read_bytes("/a") == b"a" * 3000
assert sorted(e.name for e in c.scandir("/")) == ["a", "d"]
for call in (lambda: c.write_bytes("/b", b"x"), lambda: c.mkdir("/e"),
             lambda: c.unlink("/a")):
    try:
        call()
        raise SystemExit("a change on read-only media worked")
    except OSError as e:
        assert e.errno == errno.EROFS, e
c.stop()
problems, report = dingofs.Client.fsck(addr)
assert problems == 0, report
print("read-only media: ok")
"""


def test_read_only_media() -> None:
    ns = _namespace()
    if ns is None:
        pytest.skip("cannot mount a tmpfs in a mount namespace here")
    with tempfile.TemporaryDirectory() as d:
        script = 'mount -t tmpfs -o size=32m tmpfs "$1" && shift && exec "$@"'
        r = subprocess.run(
            [*ns, "sh", "-c", script, "sh", d, sys.executable, "-c", READ_ONLY_MEDIA, d],
            capture_output=True, text=True, timeout=120,
        )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "read-only media: ok" in r.stdout
