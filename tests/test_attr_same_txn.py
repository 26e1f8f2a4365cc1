"""Calls that change a file return attributes from the change's own transaction.

chmod, chown, lchown, set_attr, link, symlink, mkdir and mknod used to change
the file and then stat it again in a second call; when that second call failed
(the change removed search permission, another client renamed the file) the
caller got an exception for a change that had been applied. With the engine's
``x_last_attr``/``x_setattr`` extensions the result is read in the same
transaction; without them (the upstream library, simulated here by hiding the
two extensions from the client) a failing follow-up stat gives an
``Attr.partial`` result instead of an exception. Also: a failed mount carries
the engine's explanation (``x_last_error``), e.g. for a base on a FUSE
filesystem.
"""
from __future__ import annotations

import contextlib
import errno
import os
import pickle
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
from helpers import engine_backend, local_url, run_in_child

import dingofs
from dingofs import _ffi

NOBODY = 65534
SAME_TXN = frozenset({"last_attr", "setattr"})
SET_MODE_OWNER_TIME = (dingofs.SET_ATTR_SIZE | dingofs.SET_ATTR_MODE | dingofs.SET_ATTR_UID
                       | dingofs.SET_ATTR_GID | dingofs.SET_ATTR_MTIME)


def _engine() -> _ffi.Backend:
    """The bridge that serves ``local://``: the bundled engine, or the system bridge
    when its library is this project's engine (skips when there is none)."""
    backend: _ffi.Backend = engine_backend()
    return backend


def _need_extensions() -> None:
    missing = SAME_TXN - _engine().extensions
    if missing:
        pytest.skip(f"the loaded engine lacks {sorted(missing)}")


@contextlib.contextmanager
def _upstream_like(names: frozenset[str] = SAME_TXN) -> Iterator[None]:
    """Clients built inside see the engine's library without the extensions ``names``
    (as with the upstream library); every call still goes to the real engine."""
    backend = _engine()
    saved = backend.extensions
    backend.extensions = saved - names
    try:
        yield
    finally:
        backend.extensions = saved


def _as_nobody(work: Path, func: Callable[[], Any]) -> Any:
    """``func()`` as uid/gid 65534: in a forked child when root, else here (already
    unprivileged)."""
    if os.geteuid() != 0:
        return func()
    os.chown(work, NOBODY, NOBODY)

    def child() -> Any:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        return func()

    return run_in_child(child)


@pytest.fixture
def work() -> Iterator[Path]:
    """A scratch directory an unprivileged user can reach (tmp_path may sit below a
    private home directory)."""
    path = Path(tempfile.mkdtemp(prefix="dingofs-txn-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _build(work: Path, name: str = "t", **params: object) -> dingofs.Client:
    return dingofs.Client.build(local_url(work / "dfs", name, **params), name, f"/mnt/{name}",
                                log_dir=str(work), umask=0)


def _ops(client: dingofs.Client) -> dict[str, int]:
    ops: dict[str, int] = client.stats()["ops"]
    return ops


# --------------------------------------------------------------------------
# the Attr.partial field
# --------------------------------------------------------------------------
def test_partial_defaults_to_false_and_survives_pickle():
    assert dingofs.Attr().partial is False
    a = dingofs.Attr(mode=0o644, partial=True)
    assert a.partial is True
    assert "partial=True" in repr(a)
    assert "partial" not in repr(dingofs.Attr())
    b = pickle.loads(pickle.dumps(a))
    assert b.partial is True and b.mode == 0o644
    assert pickle.loads(pickle.dumps(dingofs.Attr())).partial is False
    with pytest.raises(AttributeError):
        a.partial = False  # type: ignore[misc]


def test_stat_results_are_not_partial(factory):
    c = factory()
    c.mkdir("/d")
    assert c.stat("/d").partial is False
    assert c.chmod("/d", 0o700).partial is False
    assert c.listdir("/")[0].stat().partial is False


# --------------------------------------------------------------------------
# (a) a change that removes search permission still reports its result
# --------------------------------------------------------------------------
def test_chmod_that_removes_search_permission_returns_its_attributes(work):
    _need_extensions()

    def run() -> dict[str, Any]:
        out: dict[str, Any] = {}
        # what the host filesystem does with the same calls
        host = Path(tempfile.mkdtemp(dir=work))
        os.mkdir(host / "a", 0o644)
        os.chmod(host / "a", 0o755)
        os.chmod(host / "a" / ".", 0o644)
        out["os_mode"] = stat.S_IMODE(os.stat(host / "a").st_mode)
        os.chmod(host / "a", 0o755)
        c = _build(work)
        try:
            out["mkdir"] = stat.S_IMODE(c.mkdir("a", 0o644).mode)
            out["chmod1"] = stat.S_IMODE(c.chmod("a", 0o755).mode)
            a = c.chmod("a/.", 0o644)  # raised EACCES from dingofs_x_stat before
            out["chmod2"] = (stat.S_IMODE(a.mode), a.is_dir(), a.partial, a.uid, a.ino > 1)
            out["then"] = stat.S_IMODE(c.stat("a").mode)
            with contextlib.suppress(PermissionError):
                c.stat("a/.")
                out["stat_after"] = "no error"
            out["ops"] = _ops(c)
        finally:
            c.stop()
        return out

    res = _as_nobody(work, run)
    assert res["os_mode"] == 0o644
    assert res["mkdir"] == 0o644
    assert res["chmod1"] == 0o755
    assert res["chmod2"] == (0o644, True, False, NOBODY, True)
    assert res["then"] == 0o644
    assert "stat_after" not in res  # the search permission really is gone
    assert res["ops"].get("dingofs_x_last_attr", 0) >= 3


# --------------------------------------------------------------------------
# (b) without the extensions a failing follow-up stat is not an error
# --------------------------------------------------------------------------
def test_upstream_like_library_reports_partial_attributes(work):
    def run() -> dict[str, Any]:
        out: dict[str, Any] = {}
        with _upstream_like():
            c = _build(work)
        try:
            assert not c._has_last_attr and not c._has_setattr
            c.mkdir("a", 0o644)
            c.chmod("a", 0o755)
            a = c.chmod("a/.", 0o644)
            out["chmod"] = (a.partial, a.mode, a.ino, a.dev == c.stat("/").dev)
            c.chmod("a", 0o755)
            # owner, then mode (which removes the search permission), one by one
            b = c.set_attr("a/.", dingofs.SET_ATTR_MODE | dingofs.SET_ATTR_GID,
                           dingofs.Attr(mode=0o600, gid=NOBODY, mtime=7))
            out["set_attr"] = (b.partial, b.mode, b.gid, b.uid, b.mtime, b.length)
            out["after"] = (stat.S_IMODE(c.stat("a").mode), c.stat("a").gid)
            c.chmod("a", 0o755)
            # a normal change is still read back in full
            d = c.chmod("a", 0o750)
            out["normal"] = (d.partial, stat.S_IMODE(d.mode), d.is_dir())
            out["ops"] = _ops(c)
        finally:
            c.stop()
        return out

    res = _as_nobody(work, run)
    assert res["chmod"] == (True, 0o644, 0, True)
    assert res["set_attr"] == (True, 0o600, NOBODY, 0, 0, 0)
    assert res["after"] == (0o600, NOBODY)
    assert res["normal"] == (False, 0o750, True)
    assert "dingofs_x_last_attr" not in res["ops"]
    assert "dingofs_x_setattr" not in res["ops"]


def test_upstream_like_follow_up_failure_after_rename(factory, monkeypatch):
    """Another client renames the new entry between the change and the stat: the
    caller gets partial attributes for link/symlink/mkdir/mknod/chown, no error."""
    with _upstream_like():
        c = factory()
    other = factory()
    c.write_bytes("/src", b"x")
    real = c._stat_raw

    def renamed_away(p: bytes, path: Any, follow: bool) -> dingofs.Attr:
        other.rename(path, path + ".moved")  # the other client moves it first
        return real(p, path, follow)

    monkeypatch.setattr(c, "_stat_raw", renamed_away)
    gid = 4321 if os.geteuid() == 0 else os.getegid()
    got = {
        "mkdir": c.mkdir("/d", 0o750),
        "mknod": c.mknod("/fifo", stat.S_IFIFO | 0o640),
        "symlink": c.symlink("target", "/sl"),
        "link": c.link("/src", "/hl"),
        "chown": c.chown("/src", -1, gid),
        "chmod": c.chmod("/d.moved", 0o700),
    }
    assert all(a.partial for a in got.values())
    assert got["mkdir"].mode == stat.S_IFDIR | 0o750 and got["mkdir"].ino == 0
    assert got["mknod"].mode == stat.S_IFIFO | 0o640
    assert (got["symlink"].mode, got["symlink"].length) == (stat.S_IFLNK | 0o777, 6)
    assert got["link"].ino == 0 and got["link"].mode == 0
    assert (got["chown"].gid, got["chown"].uid) == (gid, 0)
    assert got["chmod"].mode == 0o700
    monkeypatch.undo()
    # every change was applied
    assert c.stat("/d.moved.moved").mode == stat.S_IFDIR | 0o700
    assert stat.S_ISFIFO(c.lstat("/fifo.moved").mode)
    assert c.readlink("/sl.moved") == "target"
    assert c.stat("/src.moved").gid == gid
    assert c.stat("/hl.moved").nlink == 2


def test_nothing_changed_still_raises(factory):
    """A set_attr that changes nothing reports a failing stat (no partial result)."""
    with _upstream_like():
        c = factory()
    with pytest.raises(FileNotFoundError):
        c.set_attr("/missing", dingofs.SET_ATTR_CTIME, dingofs.Attr())
    with pytest.raises(FileNotFoundError):
        c.chmod("/missing", 0o644)


# --------------------------------------------------------------------------
# (c) set_attr is one transaction
# --------------------------------------------------------------------------
def test_set_attr_all_or_none(work):
    _need_extensions()

    def run() -> dict[str, Any]:
        out: dict[str, Any] = {}
        c = _build(work)
        try:
            c.write_bytes("f", b"hello")
            c.chmod("f", 0o640)
            c.utime("f", ns=(10**9, 2 * 10**9))
            before = c.stat("f")
            want = dingofs.Attr(length=1, mode=0o600, uid=0, gid=NOBODY, mtime=9 * 10**9)
            try:
                c.set_attr("f", SET_MODE_OWNER_TIME, want)
                out["error"] = None
            except PermissionError as exc:
                out["error"] = (exc.errno, exc.operation, getattr(exc, "applied_mask", None))
            after = c.stat("f")
            out["unchanged"] = (after.length, after.mode, after.uid, after.mtime) == (
                before.length, before.mode, before.uid, before.mtime)
            out["after"] = (after.length, stat.S_IMODE(after.mode), after.mtime)
            # the same without the failing owner change: applied at once, in one call
            ops0 = dict(_ops(c))
            mask = SET_MODE_OWNER_TIME & ~dingofs.SET_ATTR_UID
            want.uid = NOBODY
            got = c.set_attr("f", mask, want)
            ops1 = _ops(c)
            out["ok"] = (got.length, stat.S_IMODE(got.mode), got.gid, got.mtime, got.partial)
            out["calls"] = {k: ops1.get(k, 0) - ops0.get(k, 0) for k in set(ops1) | set(ops0)
                            if ops1.get(k, 0) != ops0.get(k, 0)}
        finally:
            c.stop()
        return out

    res = _as_nobody(work, run)
    assert res["error"] == (errno.EPERM, "dingofs_x_setattr", 0)
    assert res["unchanged"], res["after"]  # the size (applied first before) did not change
    assert res["ok"] == (1, 0o600, NOBODY, 9 * 10**9, False)
    assert res["calls"] == {"dingofs_x_setattr": 1}


def test_set_attr_mode_removing_search_permission(work):
    _need_extensions()

    def run() -> tuple[int, int]:
        c = _build(work)
        try:
            c.mkdir("a", 0o755)
            got = c.set_attr("a/.", dingofs.SET_ATTR_MODE, dingofs.Attr(mode=0o644))
            return stat.S_IMODE(got.mode), stat.S_IMODE(c.stat("a").mode)
        finally:
            c.stop()

    try:
        res = _as_nobody(work, run)
    except AssertionError as exc:  # the child's exception
        pytest.fail(str(exc).strip().splitlines()[-1])
    assert res == (0o644, 0o644)


def test_set_attr_times_now_and_flags_step(factory):
    _need_extensions()
    c = factory()
    c.write_bytes("/f", b"abc")
    c.utime("/f", ns=(10**9, 10**9))
    t0 = time.time_ns()
    a = c.set_attr("/f", dingofs.SET_ATTR_ATIME_NOW | dingofs.SET_ATTR_MTIME_NOW
                   | dingofs.SET_ATTR_MODE, dingofs.Attr(mode=0o604))
    assert a.atime >= t0 - 10**9 and a.mtime >= t0 - 10**9
    assert stat.S_IMODE(a.mode) == 0o604
    # FLAGS stays a separate step after the transaction; its result has the flags
    noatime = 0x80
    b = c.set_attr("/f", dingofs.SET_ATTR_MODE | dingofs.SET_ATTR_FLAGS,
                   dingofs.Attr(mode=0o600, flags=noatime))
    assert (stat.S_IMODE(b.mode), b.flags, b.partial) == (0o600, noatime, False)
    assert c.stat("/f").flags == noatime
    # a failing FLAGS step (no ioctl on a FIFO) names what was applied before it
    c.mknod("/fifo", stat.S_IFIFO | 0o644)
    with pytest.raises(dingofs.DingofsError) as ei:
        c.set_attr("/fifo", dingofs.SET_ATTR_MODE | dingofs.SET_ATTR_MTIME
                   | dingofs.SET_ATTR_FLAGS, dingofs.Attr(mode=0o600, mtime=3, flags=noatime))
    assert ei.value.applied_mask == (  # type: ignore[attr-defined]
        dingofs.SET_ATTR_MODE | dingofs.SET_ATTR_MTIME)
    assert (stat.S_IMODE(c.lstat("/fifo").mode), c.lstat("/fifo").mtime) == (0o600, 3)


# --------------------------------------------------------------------------
# (d) the creating calls return the new inode's attributes
# --------------------------------------------------------------------------
def test_creating_calls_return_the_right_attributes(factory):
    _need_extensions()
    c = factory()
    c.write_bytes("/src", b"12345")
    uid, gid = (4321, 8765) if os.geteuid() == 0 else (-1, os.getegid())
    luid, lgid = (11, 12) if os.geteuid() == 0 else (-1, os.getegid())
    before = dict(_ops(c))
    calls: dict[str, tuple[Callable[[], dingofs.Attr], str]] = {
        "mkdir": (lambda: c.mkdir("/d", 0o751), "/d"),
        "symlink": (lambda: c.symlink("/src", "/sl"), "/sl"),
        "link": (lambda: c.link("/src", "/hl"), "/hl"),
        "mknod": (lambda: c.mknod("/p", stat.S_IFIFO | 0o640), "/p"),
        "mknod-reg": (lambda: c.mknod("/r", 0o600), "/r"),
        "chmod": (lambda: c.chmod("/src", 0o604), "/src"),
        "chown": (lambda: c.chown("/src", uid, gid), "/src"),
        "lchown": (lambda: c.lchown("/sl", luid, lgid), "/sl"),
    }
    made = {}
    lstats = 0
    for what, (call, path) in calls.items():
        got = call()
        made[what] = (got, path)
        assert got == c.lstat(path), what  # the same record a stat gives right after
        lstats += 1
        assert not got.partial, what
    after = _ops(c)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(made["mkdir"][0].mode) == 0o751 & ~umask
    assert made["mkdir"][0].is_dir() and made["mkdir"][0].nlink == 2
    assert made["symlink"][0].is_symlink() and made["symlink"][0].length == 4
    assert made["link"][0].nlink == 2 and made["link"][0].length == 5
    assert made["link"][0].ino == c.stat("/src").ino
    assert stat.S_ISFIFO(made["mknod"][0].mode)
    assert made["mknod-reg"][0].is_file()
    assert made["chown"][0].gid == gid and made["lchown"][0].gid == lgid
    if uid != -1:
        assert (made["chown"][0].uid, made["lchown"][0].uid) == (uid, luid)
    # taken from the change's transaction: no second stat call
    assert after.get("dingofs_x_stat", 0) - before.get("dingofs_x_stat", 0) == lstats
    assert after["dingofs_x_last_attr"] - before.get("dingofs_x_last_attr", 0) == len(made)


def test_last_attr_is_per_thread_and_per_change(factory):
    """A change on one thread never hands back another thread's inode."""
    import threading

    _need_extensions()
    c = factory(umask=0)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(40):
                name = f"/w{k}-{i}"
                a = c.mkdir(name, 0o700 + k)
                assert a.ino == c.stat(name).ino
                assert stat.S_IMODE(a.mode) & 0o7 == k & 0o7
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# --------------------------------------------------------------------------
# (e) a failed mount says why
# --------------------------------------------------------------------------
def test_mount_error_carries_engine_explanation(tmp_path):
    if not _engine().has("last_error"):
        pytest.skip("the loaded engine lacks x_last_error")
    url = local_url(tmp_path / "dfs", "right")
    with pytest.raises(dingofs.DingofsError) as ei:
        dingofs.Client.build(url, "wrong", "/mnt/x", log_dir=str(tmp_path))
    assert ei.value.errno == errno.EINVAL
    assert "fs_name 'wrong' does not match" in str(ei.value)
    assert "'right'" in ei.value.detail
    with pytest.raises(dingofs.DingofsError) as ei:
        dingofs.Client.build(url + "&colour=blue", "right", "/mnt/x", log_dir=str(tmp_path))
    assert ei.value.errno == errno.EINVAL
    assert "colour" in str(ei.value) and "bad address" in str(ei.value)
    # the explanation is per failed mount: a later good mount and its errors are its own
    with dingofs.Client.build(url, "right", "/mnt/x", log_dir=str(tmp_path)) as c:
        c.mkdir("/ok")


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("local://bad:name?base={b}", "1 to 64 of the characters"),
        ("local://.hidden?base={b}", "not starting with '.'"),
        ("local://r?base={b}&colour=blue", "known: base, path, storage"),
        ("local://r?base={b}&create", "write create=VALUE"),
        ("local://r?base={b}&ro=yes", "bad value of ro: 'yes' (0 or 1)"),
        ("local://r?base={b}&capacity=1GB", "whole number of bytes"),
        ("local://r?base={b}&inodes=-1", "whole number of inodes"),
        ("local://r?base={b}&storage=s3", "only storage=file"),
        ("local://r?base={b}&path=%zz", "two hex digits"),
    ],
)
def test_mount_error_says_what_is_valid(tmp_path, address, says):
    """Each address mistake is EINVAL with the rule it broke, not a bare errno."""
    if not _engine().has("last_error"):
        pytest.skip("the loaded engine lacks x_last_error")
    url = address.format(b=tmp_path / "dfs")
    name = url[len("local://"):].split("?")[0]
    with pytest.raises(dingofs.DingofsError) as ei:
        dingofs.Client.build(url, name, "/mnt/x", log_dir=str(tmp_path))
    assert ei.value.errno == errno.EINVAL
    assert says in str(ei.value) and says in ei.value.detail
    assert not (tmp_path / "dfs").exists()  # nothing was created


def test_mount_error_without_the_extension_still_raises(tmp_path):
    with _upstream_like(frozenset({"last_error"})), pytest.raises(dingofs.DingofsError) as ei:
        dingofs.Client.build(local_url(tmp_path / "dfs", "right"), "wrong", "/mnt/x",
                             log_dir=str(tmp_path))
    assert ei.value.errno == errno.EINVAL
    assert ei.value.detail == ""


# --------------------------------------------------------------------------
# (f) a base on a FUSE filesystem is refused with an explanation
# --------------------------------------------------------------------------
@pytest.fixture
def fuse_view() -> Iterator[Path]:
    """A bindfs (FUSE) view of a temporary directory; skipped where that is impossible."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount bindfs")
    bindfs = shutil.which("bindfs")
    fusermount = shutil.which("fusermount") or shutil.which("fusermount3")
    if bindfs is None or fusermount is None or not os.path.exists("/dev/fuse"):
        pytest.skip("bindfs/FUSE is not available")
    root = Path(tempfile.mkdtemp(prefix="dingofs-fuse-"))
    src, mnt = root / "src", root / "mnt"
    src.mkdir()
    mnt.mkdir()
    try:
        r = subprocess.run([bindfs, str(src), str(mnt)], capture_output=True, text=True,
                           timeout=60)
        if r.returncode != 0:
            pytest.skip(f"bindfs cannot mount here: {r.stderr.strip()}")
        try:
            yield mnt
        finally:
            for _ in range(50):
                if subprocess.run([fusermount, "-u", str(mnt)],
                                  capture_output=True).returncode == 0:
                    break
                time.sleep(0.1)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_base_on_fuse_is_refused_unless_unsafe_fs(fuse_view, tmp_path):
    if not _engine().has("last_error"):
        pytest.skip("the loaded engine lacks x_last_error")
    base = fuse_view / "base"
    with pytest.raises(dingofs.DingofsError) as ei:
        dingofs.Client.build(local_url(base, "f"), "f", "/mnt/f", log_dir=str(tmp_path))
    text = str(ei.value)
    assert ei.value.errno == errno.ENOLCK, text
    assert "fuse" in text and "unsafe_fs" in text, text
    c = dingofs.Client.build(local_url(base, "f", unsafe_fs=1), "f", "/mnt/f",
                             log_dir=str(tmp_path))
    try:
        c.write_bytes("/x", b"on fuse")
        assert c.read_bytes("/x") == b"on fuse"
    finally:
        c.stop()
