"""mkdir/makedirs/rmdir, listdir, scandir, DirEntry and walk."""
from __future__ import annotations

import os
import stat

import pytest
from helpers import fd_count

import dingofs
from dingofs.path import DingoPath


def _tree(client, local_dir=None):
    """The same small tree on DingoFS (and optionally locally)."""
    dirs = ["a", "a/b", "a/b/c", "d", "e", "e/f"]
    files = ["top.txt", "a/x", "a/b/y", "a/b/c/z", "d/w", "e/f/v"]
    for d in dirs:
        client.mkdir("/" + d)
        if local_dir is not None:
            (local_dir / d).mkdir()
    for f in files:
        client.write_bytes("/" + f, f.encode())
        if local_dir is not None:
            (local_dir / f).write_bytes(f.encode())
    client.symlink("/a", "/link_to_dir")
    client.symlink("top.txt", "/link_to_file")
    client.symlink("/nowhere", "/dangling")
    if local_dir is not None:
        os.symlink(local_dir / "a", local_dir / "link_to_dir")
        os.symlink("top.txt", local_dir / "link_to_file")
        os.symlink(local_dir / "nowhere", local_dir / "dangling")


# --------------------------------------------------------------------------
# mkdir / makedirs / rmdir
# --------------------------------------------------------------------------
def test_mkdir_returns_attr(client):
    a = client.mkdir("/d")
    assert isinstance(a, dingofs.Attr)
    assert a.type == dingofs.FileType.Directory
    assert a.nlink == 2
    assert client.stat("/d").ino == a.ino


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o027, 0o077, 0o777],
                         ids=lambda u: f"umask-{u:03o}")
@pytest.mark.parametrize("mode", [0o777, 0o755, 0o1777, 0o700], ids=lambda m: f"mode-{m:o}")
def test_mkdir_applies_process_umask_like_os(factory, local_dir, proc_umask, umask, mode):
    proc_umask(umask)
    client = factory()
    a = client.mkdir("/d", mode)
    os.mkdir(local_dir / "d", mode)
    assert stat.S_IMODE(a.mode) == stat.S_IMODE(os.stat(local_dir / "d").st_mode)
    assert stat.S_IMODE(client.stat("/d").mode) == stat.S_IMODE(a.mode)


def test_mkdir_default_mode(factory, local_dir, proc_umask):
    proc_umask(0o022)
    client = factory()
    client.mkdir("/d")
    os.mkdir(local_dir / "d")
    assert stat.S_IMODE(client.stat("/d").mode) == stat.S_IMODE(os.stat(local_dir / "d").st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0], ids=lambda u: f"umask-{u:03o}")
def test_build_umask_overrides_process(factory, local_dir, proc_umask, umask):
    proc_umask(0o002)
    client = factory(umask=umask)
    a = client.mkdir("/d", 0o777)
    f = client.open("/f", "wb")
    f.close()
    n = client.mknod("/n", stat.S_IFIFO | 0o666)
    proc_umask(umask)
    os.mkdir(local_dir / "d", 0o777)
    open(local_dir / "f", "wb").close()
    os.mkfifo(local_dir / "n", 0o666)
    assert stat.S_IMODE(a.mode) == stat.S_IMODE(os.stat(local_dir / "d").st_mode)
    assert stat.S_IMODE(client.stat("/f").mode) == stat.S_IMODE(os.stat(local_dir / "f").st_mode)
    assert stat.S_IMODE(n.mode) == stat.S_IMODE(os.stat(local_dir / "n").st_mode)


def test_process_umask_is_read_once_at_build(factory, proc_umask, monkeypatch):
    proc_umask(0o027)
    client = factory()
    assert client.umask == 0o027
    # Creating calls never read the process umask again (it costs more than
    # some of the calls it serves), and a later os.umask() does not reach the
    # client: both as documented.
    def no_read() -> int:
        raise AssertionError("the process umask was read after build")
    monkeypatch.setattr(dingofs._util, "read_umask", no_read)
    monkeypatch.setattr(dingofs.client, "read_umask", no_read)
    proc_umask(0o077)
    client.mkdir("/d", 0o777)
    client.open("/f", "wb").close()
    client.mknod("/n", stat.S_IFIFO | 0o666)
    client.makedirs("/a/b", 0o777)
    DingoPath(client, "/t").touch(0o640)
    assert stat.S_IMODE(client.stat("/d").mode) == 0o750
    assert stat.S_IMODE(client.stat("/f").mode) == 0o640
    assert stat.S_IMODE(client.stat("/n").mode) == 0o640
    assert stat.S_IMODE(client.stat("/a/b").mode) == 0o750
    assert stat.S_IMODE(client.stat("/t").mode) == 0o640


def test_client_umask_can_be_changed(factory):
    client = factory(umask=0o022)
    assert client.umask == 0o022
    client.umask = 0o077
    assert client.umask == 0o077
    client.mkdir("/d", 0o777)
    client.open("/f", "wb").close()
    assert stat.S_IMODE(client.stat("/d").mode) == 0o700
    assert stat.S_IMODE(client.stat("/f").mode) == 0o600
    client.umask = 0
    client.open("/g", "wb").close()
    assert stat.S_IMODE(client.stat("/g").mode) == 0o666
    for bad, exc in ((-1, ValueError), (0o1000, ValueError), ("022", TypeError),
                     (True, TypeError), (0.5, TypeError)):
        with pytest.raises(exc, match="umask"):
            client.umask = bad
    assert client.umask == 0


def test_file_creation_modes_like_builtins(factory, local_dir, proc_umask):
    proc_umask(0o027)
    client = factory()
    for mode in ("wb", "ab", "xb", "w+", "a+", "xt"):
        name = "f" + mode.replace("+", "p")
        client.open("/" + name, mode).close()
        builtins_mode = mode if ("b" in mode or "t" in mode) else mode + "b"
        open(local_dir / name, builtins_mode).close()
        assert stat.S_IMODE(client.stat("/" + name).mode) == \
            stat.S_IMODE(os.stat(local_dir / name).st_mode), mode


def test_makedirs(client, local_dir, proc_umask):
    proc_umask(0o022)  # for os
    client.umask = 0o022  # the client read the process umask when it was built
    client.makedirs("/a/b/c")
    assert client.isdir("/a/b/c")
    with pytest.raises(FileExistsError):
        client.makedirs("/a/b/c")
    client.makedirs("/a/b/c", exist_ok=True)
    client.write_bytes("/a/file", b"")
    with pytest.raises(FileExistsError):
        client.makedirs("/a/file", exist_ok=True)
    with pytest.raises(NotADirectoryError):
        client.makedirs("/a/file/sub", exist_ok=True)
    client.makedirs("/m/n", mode=0o700)
    os.makedirs(local_dir / "m" / "n", mode=0o700)
    assert stat.S_IMODE(client.stat("/m/n").mode) == \
        stat.S_IMODE(os.stat(local_dir / "m" / "n").st_mode)
    assert stat.S_IMODE(client.stat("/m").mode) == \
        stat.S_IMODE(os.stat(local_dir / "m").st_mode)


def test_rmdir(client):
    client.mkdir("/d")
    assert client.rmdir("/d") is None
    assert not client.exists("/d")
    with pytest.raises(FileNotFoundError):
        client.rmdir("/d")
    client.mkdir("/d")
    client.write_bytes("/d/f", b"")
    with pytest.raises(OSError) as ei:
        client.rmdir("/d")
    import errno
    assert ei.value.errno == errno.ENOTEMPTY


# --------------------------------------------------------------------------
# listdir
# --------------------------------------------------------------------------
def test_listdir_entries(client):
    _tree(client)
    entries = client.listdir("/")
    assert isinstance(entries, list)
    assert all(isinstance(e, dingofs.DirEntry) for e in entries)
    names = sorted(e.name for e in entries)
    assert names == sorted(["a", "d", "e", "top.txt", "link_to_dir", "link_to_file",
                            "dangling"])
    for e in entries:
        assert e.ino == client.lstat("/" + e.name).ino
        assert isinstance(e.name, str)


def test_listdir_empty_and_no_dots(client):
    client.mkdir("/d")
    assert client.listdir("/d") == []
    names = [e.name for e in client.listdir("/")]
    assert "." not in names and ".." not in names
    assert ".stats" not in names and ".trash" not in names


def test_listdir_matches_os(client, local_dir):
    _tree(client, local_dir)
    for sub in ("", "a", "a/b", "e/f"):
        assert sorted(e.name for e in client.listdir("/" + sub)) == \
            sorted(os.listdir(local_dir / sub))


def test_listdir_bytes(client):
    client.mkdir("/d")
    client.write_bytes("/d/\xe9t\xe9", b"")
    entries = client.listdir(b"/d")
    assert [e.name for e in entries] == ["\xe9t\xe9".encode()]
    assert isinstance(entries[0].path, bytes)
    assert [e.name for e in client.listdir("/d")] == ["\xe9t\xe9"]


def test_listdir_many(client):
    client.mkdir("/big")
    names = {f"entry-{i:04d}" for i in range(300)}
    for n in names:
        client.write_bytes("/big/" + n, b"")
    assert {e.name for e in client.listdir("/big")} == names


# --------------------------------------------------------------------------
# scandir
# --------------------------------------------------------------------------
def test_scandir_iterator_and_context_manager(client):
    _tree(client)
    it = client.scandir("/")
    assert isinstance(it, dingofs.ScandirIterator)
    assert iter(it) is it
    names = sorted(e.name for e in it)
    assert names == sorted(e.name for e in client.listdir("/"))
    with client.scandir("/a") as it2:
        assert sorted(e.name for e in it2) == ["b", "x"]


def test_scandir_direntry_like_os(client, local_dir):
    _tree(client, local_dir)
    mine = {e.name: e for e in client.scandir("/")}
    theirs = {e.name: e for e in os.scandir(local_dir)}
    assert set(mine) == set(theirs)
    for name, e in mine.items():
        o = theirs[name]
        assert e.path == "/" + name
        for follow in (True, False):
            assert e.is_dir(follow_symlinks=follow) == o.is_dir(follow_symlinks=follow), name
            assert e.is_file(follow_symlinks=follow) == o.is_file(follow_symlinks=follow), name
        assert e.is_symlink() == o.is_symlink(), name
        assert e.is_dir() == o.is_dir()
        assert e.inode() == e.ino == client.lstat("/" + name).ino
        assert isinstance(e.attr, dingofs.Attr)
        assert e.attr.ino == e.ino
        if name != "dangling":
            assert e.stat().ino == client.stat("/" + name).ino
        else:
            with pytest.raises(FileNotFoundError):
                e.stat()
        assert e.stat(follow_symlinks=False).ino == client.lstat("/" + name).ino


def test_direntry_stat_is_cached(client):
    client.write_bytes("/f", b"abc")
    (e,) = list(client.scandir("/"))
    s1 = e.stat()
    client.write_bytes("/f", b"abcdef")
    assert e.stat().length == s1.length == 3
    assert e.stat() is s1


def test_scandir_path_joins(client):
    client.makedirs("/a/b")
    client.write_bytes("/a/b/f", b"")
    assert [e.path for e in client.scandir("/a/b")] == ["/a/b/f"]
    assert [e.path for e in client.scandir("/a/b/")] == ["/a/b/f"]
    assert [e.path for e in client.scandir(b"/a/b")] == [b"/a/b/f"]


def test_scandir_is_lazy_in_batches_of_64(client):
    client.mkdir("/d")
    for i in range(200):
        client.write_bytes(f"/d/{i:03d}", b"")
    before = client.stats()
    it = client.scandir("/d")
    first = next(it)
    assert first.name
    mid = client.stats()
    calls_after_first = _readdir_calls(mid) - _readdir_calls(before)
    assert calls_after_first == 1
    rest = list(it)
    assert len(rest) == 199
    end = client.stats()
    # 200 entries (plus '.' and '..' for plain readdir) in batches of 64: 4 batches
    # and one final call that returns 0
    batches = _readdir_calls(end) - _readdir_calls(before)
    assert 4 <= batches <= 5


def _readdir_calls(stats):
    ops = stats["ops"]
    return ops.get("dingofs_readdir", 0) + ops.get("dingofs_x_readdirplus", 0)


def test_scandir_close_releases_handle(client):
    client.mkdir("/d")
    for i in range(100):
        client.write_bytes(f"/d/{i}", b"")
    it = client.scandir("/d")
    next(it)
    before = client.stats()["ops"].get("dingofs_closedir", 0)
    it.close()
    assert client.stats()["ops"].get("dingofs_closedir", 0) == before + 1
    it.close()  # idempotent
    assert client.stats()["ops"].get("dingofs_closedir", 0) == before + 1
    with pytest.raises(StopIteration):
        next(it)


def test_scandir_break_inside_with_closes(client):
    client.mkdir("/d")
    for i in range(100):
        client.write_bytes(f"/d/{i}", b"")
    before = client.stats()["ops"].get("dingofs_closedir", 0)
    with client.scandir("/d") as it:
        for _e in it:
            break
        assert client.stats()["ops"].get("dingofs_closedir", 0) == before
    assert client.stats()["ops"].get("dingofs_closedir", 0) == before + 1


def test_scandir_exhaustion_closes(client):
    client.mkdir("/d")
    client.write_bytes("/d/x", b"")
    before = client.stats()["ops"].get("dingofs_closedir", 0)
    it = client.scandir("/d")
    assert [e.name for e in it] == ["x"]
    assert client.stats()["ops"].get("dingofs_closedir", 0) == before + 1


def test_scandir_forgotten_iterator_warns(client):
    import gc
    client.mkdir("/d")
    client.write_bytes("/d/x", b"")
    it = client.scandir("/d")
    next(it, None)
    with pytest.warns(ResourceWarning):
        del it
        gc.collect()


def test_scandir_missing(client):
    with pytest.raises(FileNotFoundError):
        client.scandir("/nope")


def test_scandir_many_iterators_no_fd_growth(client):
    client.mkdir("/d")
    client.write_bytes("/d/x", b"")
    for it in [client.scandir("/d") for _ in range(5)]:
        it.close()
    base = fd_count()
    for _ in range(200):
        with client.scandir("/d") as it:
            list(it)
    assert fd_count() == base


# --------------------------------------------------------------------------
# walk, compared with os.walk on the same tree
# --------------------------------------------------------------------------
def _norm_walk(results, root):
    out = []
    for dirpath, dirnames, filenames in results:
        rel = os.path.relpath(dirpath, root) if not isinstance(dirpath, bytes) else \
            os.path.relpath(dirpath, root)
        out.append((rel, sorted(dirnames), sorted(filenames)))
    return out


@pytest.mark.parametrize("topdown", [True, False], ids=["topdown", "bottomup"])
@pytest.mark.parametrize("followlinks", [False, True], ids=["nofollow", "follow"])
def test_walk_like_os_walk(client, local_dir, topdown, followlinks):
    _tree(client, local_dir)
    mine = _norm_walk(client.walk("/", topdown=topdown, followlinks=followlinks), "/")
    theirs = _norm_walk(os.walk(local_dir, topdown=topdown, followlinks=followlinks),
                        str(local_dir))
    assert sorted(mine) == sorted(theirs)
    # order: parents before children top-down, after them bottom-up
    order = [r for r, _, _ in mine]
    if topdown:
        assert order[0] == "."
    else:
        assert order[-1] == "."


def test_walk_is_generator(client):
    import types
    assert isinstance(client.walk("/"), types.GeneratorType)


def test_walk_pruning(client, local_dir):
    _tree(client, local_dir)

    def pruned(walker, root):
        seen = []
        for dirpath, dirnames, _filenames in walker:
            seen.append(os.path.relpath(dirpath, root))
            if "b" in dirnames:
                dirnames.remove("b")
            if "e" in dirnames:
                dirnames[:] = [d for d in dirnames if d != "e"]
        return sorted(seen)

    assert pruned(client.walk("/"), "/") == pruned(os.walk(local_dir), str(local_dir))
    assert "a/b" not in pruned(client.walk("/"), "/")


def test_walk_onerror(client):
    errors = []
    result = list(client.walk("/missing", onerror=errors.append))
    assert result == []
    assert len(errors) == 1
    assert isinstance(errors[0], FileNotFoundError)
    assert list(client.walk("/missing")) == []


def test_walk_bytes(client):
    client.makedirs("/a/b")
    client.write_bytes("/a/b/f", b"")
    out = list(client.walk(b"/a"))
    assert out == [(b"/a", [b"b"], []), (b"/a/b", [], [b"f"])]


def test_walk_subdirectory_paths(client, local_dir):
    _tree(client, local_dir)
    mine = [(p, sorted(d), sorted(f)) for p, d, f in client.walk("/a")]
    root = str(local_dir)
    theirs = [("/" + os.path.relpath(p, root), sorted(d), sorted(f))
              for p, d, f in os.walk(local_dir / "a")]
    assert mine == theirs
    assert mine[0][0] == "/a"


def test_walk_stats_only_symlinks(client):
    _tree(client)
    before = client.stats()["ops"]
    list(client.walk("/"))
    after = client.stats()["ops"]
    stat_calls = sum(after.get(k, 0) - before.get(k, 0)
                     for k in ("dingofs_stat", "dingofs_x_stat", "dingofs_lstat"))
    # three symlinks in the tree; regular files and directories are typed by readdir
    assert stat_calls <= 3


def test_walk_skips_vanishing_entries(client):
    client.mkdir("/d")
    for i in range(5):
        client.mkdir(f"/d/s{i}")
    seen = []
    for dirpath, _dirnames, _ in client.walk("/d"):
        seen.append(dirpath)
        if dirpath == "/d":
            client.rmdir("/d/s3")
    assert "/d/s3" not in seen
    assert len(seen) == 5


@pytest.mark.parametrize("attrs", [True, False, None])
def test_scandir_attrs_chooses_when_attributes_are_read(client, attrs):
    client.mkdir("/ad")
    for i in range(100):
        client.write_bytes(f"/ad/{i:03d}", b"x" * i)

    def calls(name):
        return client.stats()["ops"].get(name, 0)

    plus0, stat0 = calls("dingofs_x_readdirplus"), calls("dingofs_x_stat")
    with client.scandir("/ad", attrs=attrs) as it:
        sizes = {e.name: e.stat(follow_symlinks=False).length for e in it}
    assert sizes == {f"{i:03d}": i for i in range(100)}
    plus = calls("dingofs_x_readdirplus") - plus0
    stats = calls("dingofs_x_stat") - stat0
    if attrs is True:
        assert plus >= 2 and stats == 0  # every batch came with its attributes
    elif attrs is False:
        assert plus == 0 and stats == 100  # one call per entry
    else:
        assert plus >= 1 and stats <= 64  # the first batch is names only


def test_scandir_attrs_must_be_a_bool(client):
    with pytest.raises(TypeError, match="attrs"):
        client.scandir("/", attrs=1)
