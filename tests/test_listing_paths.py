"""Directory listings: the switch to readdirplus, bytes paths and batch boundaries.

``listdir``/``walk`` read with plain readdir; ``scandir`` starts that way and
prefetches attributes (readdirplus) for the rest of a listing once one entry's
``attr``/``stat()`` was asked for; fsspec's detailed ``ls`` prefetches from the
start. These tests check that every entry still gets exactly the attributes
``lstat``/``stat`` report, and that names survive any batch split as ``bytes``
(non-UTF-8, 255 bytes long) when the directory is given as ``bytes``.
"""
from __future__ import annotations

import os
import stat

import pytest

from dingofs.dir import BATCH

#: Entries of the large directory: more than one 1024-entry listdir batch and
#: several 256-entry walk batches and 64-entry scandir batches.
MANY = 1150
NAME_MAX = 255


def _ops(client) -> dict:
    return dict(client.stats()["ops"])


def _delta(before: dict, after: dict, op: str) -> int:
    return after.get(op, 0) - before.get(op, 0)


def _lookups(before: dict, after: dict) -> int:
    """Per-path attribute calls made between two snapshots."""
    return sum(_delta(before, after, op)
               for op in ("dingofs_x_stat", "dingofs_stat", "dingofs_lstat"))


# --------------------------------------------------------------------------
# scandir: plain readdir first, readdirplus once attributes are wanted
# --------------------------------------------------------------------------
def _mixed_dir(client, path: str, count: int) -> dict[str, str]:
    """Files of different sizes and modes, directories, symlinks (to a file, to a
    directory, dangling) and FIFOs; returns ``{name: kind}``."""
    client.mkdir(path)
    kinds: dict[str, str] = {}
    for i in range(count):
        name = f"e{i:04d}"
        full = f"{path}/{name}"
        sel = i % 7
        if sel in (0, 1, 2):
            with client.open(full, "wb") as f:
                f.write(b"x" * (i * 13))
            client.chmod(full, 0o600 + (i % 8))
            kinds[name] = "file"
        elif sel == 3:
            client.mkdir(full)
            if i % 2:
                client.mkdir(full + "/sub")  # nlink differs between directories
            kinds[name] = "dir"
        elif sel == 4:
            client.symlink(f"{path}/e0000", full)
            kinds[name] = "link-file"
        elif sel == 5:
            client.symlink(f"{path}/e0003", full)
            kinds[name] = "link-dir"
        else:
            if i % 2:
                client.symlink("does/not/exist", full)
                kinds[name] = "link-dangling"
            else:
                client.mknod(full, stat.S_IFIFO | 0o640)
                kinds[name] = "fifo"
    return kinds


@pytest.mark.parametrize("trigger", ["attr", "stat", "stat-nofollow"])
def test_scandir_switch_gives_right_attributes(client, trigger):
    if "readdirplus" not in client.library["extensions"]:
        pytest.skip("the library has no readdirplus")
    count = 5 * BATCH + 17
    kinds = _mixed_dir(client, "/mix", count)
    before = _ops(client)
    seen: list = []
    with client.scandir("/mix") as it:
        # Entries before the trigger: no attributes asked for (d_type answers is_file).
        first = None
        for entry in it:
            seen.append((entry, None))
            if entry.is_file(follow_symlinks=False):
                first = entry
                break
        assert first is not None
        mid = _ops(client)
        assert _delta(before, mid, "dingofs_x_readdirplus") == 0
        assert _lookups(before, mid) == 0
        if trigger == "attr":
            got = first.attr
        elif trigger == "stat":
            got = first.stat()
        else:
            got = first.stat(follow_symlinks=False)
        seen[-1] = (first, got)
        for entry in it:
            seen.append((entry, entry.attr))
    after = _ops(client)

    names = [e.name for e, _ in seen]
    assert sorted(names) == sorted(kinds)
    # Only the entries already fetched in plain batches needed one lookup each;
    # every later batch came with its attributes.
    assert _delta(before, after, "dingofs_x_readdirplus") >= (count - 2 * BATCH) // BATCH
    assert 1 <= _lookups(before, after) <= BATCH
    assert _lookups(before, after) < count // 2

    for entry, attr in seen:
        if attr is None:
            continue
        path = "/mix/" + entry.name
        assert attr == client.lstat(path), entry.name
        kind = kinds[entry.name]
        if kind.startswith("link"):
            assert stat.S_ISLNK(attr.st_mode)
            assert attr.st_size == len(client.readlink(path))
            assert entry.is_symlink()
            if kind == "link-dangling":
                with pytest.raises(FileNotFoundError):
                    entry.stat()
            else:
                assert entry.stat() == client.stat(path)
                assert entry.is_dir() == (kind == "link-dir")
        elif kind == "dir":
            assert stat.S_ISDIR(attr.st_mode)
            assert entry.is_dir() and not entry.is_symlink()
            assert entry.stat() == attr
        elif kind == "fifo":
            assert stat.S_ISFIFO(attr.st_mode)
        else:
            assert stat.S_ISREG(attr.st_mode)
            assert attr.st_size == int(entry.name[1:]) * 13
            assert entry.stat() == attr


def test_scandir_without_attribute_requests_stays_plain(client):
    _mixed_dir(client, "/mix", 3 * BATCH)
    before = _ops(client)
    with client.scandir("/mix") as it:
        kinds = [(e.name, e.is_dir(follow_symlinks=False), e.is_symlink()) for e in it]
    after = _ops(client)
    assert len(kinds) == 3 * BATCH
    assert _delta(before, after, "dingofs_x_readdirplus") == 0
    assert _delta(before, after, "dingofs_readdir") >= 3
    assert _lookups(before, after) == 0


def test_fsspec_detailed_ls_prefetches_attributes(client):
    pytest.importorskip("fsspec")
    from dingofs.fsspec import DingoFileSystem

    client.mkdir("/plain")
    for i in range(2 * BATCH + 5):
        if i % 4 == 0:
            client.mkdir(f"/plain/d{i:03d}")
        else:
            with client.open(f"/plain/f{i:03d}", "wb") as f:
                f.write(b"y" * i)
    fs = DingoFileSystem(client=client, skip_instance_cache=True)
    try:
        before = _ops(client)
        listing = fs.ls("/plain", detail=True)
        after = _ops(client)
        assert _lookups(before, after) == 0
        assert _delta(before, after, "dingofs_x_readdirplus") >= 1
        assert [d["name"] for d in listing] == sorted(
            "/plain/" + e.name for e in client.listdir("/plain"))
        assert len(listing) == 2 * BATCH + 5
        for d in listing:
            assert d == fs.info(d["name"])

        before = _ops(client)
        names = fs.ls("/plain", detail=False)
        after = _ops(client)
        assert names == [d["name"] for d in listing]
        assert _delta(before, after, "dingofs_x_readdirplus") == 0
        assert _lookups(before, after) == 0

        # Symlinks: the link's own attributes come with the listing, the target's
        # size and type from one stat of the link.
        client.symlink("/plain/f001", "/plain/zlink")
        client.symlink("/plain/d000", "/plain/zdirlink")
        info = {d["name"]: d for d in fs.ls("/plain", detail=True)}
        for name in ("/plain/zlink", "/plain/zdirlink"):
            assert info[name] == fs.info(name)
            assert info[name]["islink"]
        assert info["/plain/zlink"]["type"] == "file"
        assert info["/plain/zlink"]["size"] == 1
        assert info["/plain/zdirlink"]["type"] == "directory"
    finally:
        fs.close()


# --------------------------------------------------------------------------
# bytes paths across batch boundaries
# --------------------------------------------------------------------------
def _odd_name(i: int) -> bytes:
    """Unique names: plain, non-UTF-8, and NAME_MAX bytes long (some both)."""
    tag = b"%05d" % i
    sel = i % 4
    if sel == 0:
        return b"plain-" + tag
    if sel == 1:
        return b"\xff\xfe-" + tag + b"-caf\xe9"
    if sel == 2:
        return tag + b"-" + b"n" * (NAME_MAX - len(tag) - 1)
    return tag + b"\x80" + b"\xe9" * (NAME_MAX - len(tag) - 1)


@pytest.fixture
def big(client):
    """``/big`` with MANY entries (every 97th a directory holding a few files)."""
    client.mkdir(b"/big")
    files: set[bytes] = set()
    dirs: dict[bytes, set[bytes]] = {}
    for i in range(MANY):
        name = _odd_name(i)
        assert len(name) <= NAME_MAX
        if i % 97 == 5:
            client.mkdir(b"/big/" + name)
            inner = {_odd_name(10_000 + i * 3 + k) for k in range(3)}
            for sub in inner:
                client.mknod(b"/big/" + name + b"/" + sub, stat.S_IFREG | 0o644)
            dirs[name] = inner
        else:
            client.mknod(b"/big/" + name, stat.S_IFREG | 0o644)
            files.add(name)
    assert sum(len(n) == NAME_MAX for n in files) > 100
    return files, dirs


def test_listdir_bytes_names_across_batches(client, big):
    files, dirs = big
    before = _ops(client)
    entries = client.listdir(b"/big")
    after = _ops(client)
    names = [e.name for e in entries]
    assert all(type(n) is bytes for n in names)
    assert len(names) == len(set(names)) == MANY
    assert set(names) == files | set(dirs)
    assert _delta(before, after, "dingofs_readdir") >= 2  # more than one 1024 batch
    for e in entries[::53]:
        assert e.path == b"/big/" + e.name
        assert type(os.fspath(e)) is bytes
        assert e.is_dir() == (e.name in dirs)
        assert e.ino == client.lstat(e.path).st_ino


def test_listdir_str_path_decodes_like_os(client, big):
    files, dirs = big
    names = [e.name for e in client.listdir("/big")]
    assert all(type(n) is str for n in names)
    assert set(names) == {os.fsdecode(n) for n in files | set(dirs)}
    assert {os.fsencode(n) for n in names} == files | set(dirs)


def test_scandir_bytes_names_across_batches(client, big):
    files, dirs = big
    with client.scandir(b"/big") as it:
        entries = list(it)
    names = [e.name for e in entries]
    assert all(type(n) is bytes for n in names)
    assert len(names) == len(set(names)) == MANY
    assert set(names) == files | set(dirs)
    # Asking for attributes part-way keeps names intact in the prefetched batches.
    with client.scandir(b"/big") as it:
        got = []
        for k, e in enumerate(it):
            got.append(e.name)
            if k == 10:
                assert e.attr == client.lstat(e.path)
            elif k > 10 and k % 101 == 0:
                assert e.path == b"/big/" + e.name
                assert e.attr == client.lstat(e.path)
    assert got == names


@pytest.mark.parametrize("topdown", [True, False], ids=["topdown", "bottomup"])
def test_walk_bytes_names_across_batches(client, big, topdown):
    files, dirs = big
    result = {d: (sorted(ds), sorted(fs)) for d, ds, fs in client.walk(b"/big", topdown=topdown)}
    for d, (ds, fs) in result.items():
        assert type(d) is bytes
        assert all(type(n) is bytes for n in ds + fs)
    assert result[b"/big"] == (sorted(dirs), sorted(files))
    for name, inner in dirs.items():
        assert result[b"/big/" + name] == ([], sorted(inner))
    assert len(result) == 1 + len(dirs)
