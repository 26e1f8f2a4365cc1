"""One API suite, run on the embedded engine and, when one is named, on a cluster.

The ``local`` run always happens (it keeps the suite honest); the ``cluster``
run needs ``DINGOFS_TEST_MDS`` (MDS addresses), ``DINGOFS_TEST_FS`` (an existing
filesystem) and optionally ``DINGOFS_TEST_MOUNTPOINT`` (default
``/mnt/dingofs-test``), plus an installed system bridge and the static-TLS
tunable in the environment of pytest. Each test works in its own fresh
directory, removed afterwards.
"""
from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sysutil import SKIP_NO_SYSTEM, free_port, have_system_bridge

import dingofs

pytestmark = pytest.mark.system


class Target:
    """A client and the directory a test owns on it."""

    def __init__(self, client: dingofs.Client, root: str, name: str) -> None:
        self.c = client
        self.root = root
        self.name = name

    def p(self, *parts: str) -> str:
        return "/".join([self.root, *parts])


def _cluster_settings() -> tuple[str, str, str]:
    mds = os.environ.get("DINGOFS_TEST_MDS", "")
    fs = os.environ.get("DINGOFS_TEST_FS", "")
    if not mds or not fs:
        pytest.skip("needs DINGOFS_TEST_MDS and DINGOFS_TEST_FS (a DingoFS cluster)")
    if not have_system_bridge():
        pytest.skip(SKIP_NO_SYSTEM)
    from dingofs import _ffi
    if not any(b.name == "system" for b in _ffi.backends()):
        pytest.skip("the system bridge did not load: "
                    + dingofs.library_info()["unavailable"].get("system", "unknown reason"))
    return mds, fs, os.environ.get("DINGOFS_TEST_MOUNTPOINT", "/mnt/dingofs-test")


@pytest.fixture(scope="module")
def cluster_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dingofs.Client]:
    mds, fs, mp = _cluster_settings()
    logs = tmp_path_factory.mktemp("cluster-logs")
    conf = logs / "mount.conf"
    conf.write_text(f"--vfs_dummy_server_port={free_port()}\n")
    client = dingofs.Client.build(mds, fs, mp, conf_file=str(conf), log_dir=str(logs))
    try:
        yield client
    finally:
        client.stop()


@pytest.fixture(params=["local", pytest.param("cluster", marks=pytest.mark.cluster)])
def t(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if request.param == "local":
        base = tmp_path / "fs"
        base.mkdir()
        client = dingofs.Client.build(f"local://t?base={base}", "t", "/mnt/t",
                                      log_dir=str(tmp_path))
        owned = True
    else:
        client = request.getfixturevalue("cluster_client")
        owned = False
    root = f"/pytest-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    client.mkdir(root)
    try:
        yield Target(client, root, request.param)
    finally:
        try:
            client.rmtree(root)
        finally:
            if owned:
                client.stop()


def test_mkdir_listdir_rmdir(t):
    t.c.mkdir(t.p("d"))
    t.c.mkdir(t.p("d", "sub"))
    t.c.write_bytes(t.p("d", "f"), b"x")
    assert sorted(e.name for e in t.c.listdir(t.p("d"))) == ["f", "sub"]
    with pytest.raises(OSError) as ei:
        t.c.rmdir(t.p("d"))
    assert ei.value.errno == errno.ENOTEMPTY
    t.c.rmdir(t.p("d", "sub"))
    t.c.unlink(t.p("d", "f"))
    t.c.rmdir(t.p("d"))
    assert not t.c.exists(t.p("d"))


def test_write_read_append(t):
    data = os.urandom(300_000)
    with t.c.open(t.p("f"), "wb") as f:
        assert f.write(data) == len(data)
    with t.c.open(t.p("f"), "ab") as f:
        f.write(b"tail")
    with t.c.open(t.p("f"), "rb") as f:
        assert f.read(10) == data[:10]
        f.seek(-4, os.SEEK_END)
        assert f.read() == b"tail"
    assert t.c.read_bytes(t.p("f")) == data + b"tail"
    assert t.c.stat(t.p("f")).length == len(data) + 4


def test_pread_pwrite_truncate(t):
    with t.c.open(t.p("f"), "wb+") as f:
        f.write(b"0123456789")
        f.pwrite(b"AB", 3)
        assert f.pread(4, 2) == b"2AB5"
        f.truncate(4)
    assert t.c.read_bytes(t.p("f")) == b"012A"
    t.c.truncate(t.p("f"), 8)
    assert t.c.read_bytes(t.p("f")) == b"012A" + b"\0" * 4


def test_text_mode(t):
    t.c.write_text(t.p("t.txt"), "héllo\nwörld\n")
    with t.c.open(t.p("t.txt"), "rt", encoding="utf-8") as f:
        assert f.readlines() == ["héllo\n", "wörld\n"]


def test_stat_types_and_modes(t):
    t.c.mkdir(t.p("d"), 0o750)
    t.c.write_bytes(t.p("f"), b"abc")
    d = t.c.stat(t.p("d"))
    f = t.c.stat(t.p("f"))
    assert d.type == dingofs.FileType.Directory
    assert f.type == dingofs.FileType.File
    assert f.length == 3 and f.st_size == 3
    assert d.ino != f.ino
    t.c.chmod(t.p("f"), 0o600)
    assert t.c.stat(t.p("f")).mode & 0o7777 == 0o600


def test_rename_and_unlink(t):
    t.c.write_bytes(t.p("a"), b"1")
    t.c.rename(t.p("a"), t.p("b"))
    assert not t.c.exists(t.p("a"))
    assert t.c.read_bytes(t.p("b")) == b"1"
    t.c.unlink(t.p("b"))
    with pytest.raises(FileNotFoundError):
        t.c.stat(t.p("b"))


def test_symlink_and_hard_link(t):
    t.c.write_bytes(t.p("target"), b"data")
    t.c.symlink("target", t.p("sym"))
    assert t.c.readlink(t.p("sym")) == "target"
    assert t.c.lstat(t.p("sym")).type == dingofs.FileType.Symlink
    assert t.c.stat(t.p("sym")).type == dingofs.FileType.File
    t.c.link(t.p("target"), t.p("hard"))
    assert t.c.stat(t.p("target")).nlink == 2
    assert t.c.read_bytes(t.p("hard")) == b"data"


def test_scandir_and_walk(t):
    t.c.makedirs(t.p("a", "b"))
    for i in range(70):  # more than one C batch of entries
        t.c.write_bytes(t.p("a", f"f{i:02d}"), b"")
    with t.c.scandir(t.p("a")) as it:
        entries = {e.name: e.is_dir() for e in it}
    assert len(entries) == 71 and entries["b"] is True and entries["f00"] is False
    walked = [(d, sorted(ds), len(fs)) for d, ds, fs in t.c.walk(t.p("a"))]
    assert walked == [(t.p("a"), ["b"], 70), (t.p("a", "b"), [], 0)]


def test_xattr(t):
    t.c.write_bytes(t.p("f"), b"")
    t.c.setxattr(t.p("f"), "user.color", "blue")
    assert t.c.getxattr(t.p("f"), "user.color") == "blue"
    assert "user.color" in t.c.listxattr(t.p("f"))
    t.c.removexattr(t.p("f"), "user.color")
    assert "user.color" not in t.c.listxattr(t.p("f"))


def test_utime(t):
    t.c.write_bytes(t.p("f"), b"")
    t.c.utime(t.p("f"), (1_000_000, 2_000_000))
    st = t.c.stat(t.p("f"))
    assert int(st.st_atime) == 1_000_000 and int(st.st_mtime) == 2_000_000


def test_statfs(t):
    s = t.c.statfs()
    assert s.max_bytes >= s.used_bytes >= 0
    assert s.max_inodes >= s.used_inodes >= 0


def test_errors_map_to_builtin_exceptions(t):
    t.c.write_bytes(t.p("f"), b"")
    t.c.mkdir(t.p("d"))
    with pytest.raises(FileNotFoundError):
        t.c.open(t.p("missing"), "rb")
    with pytest.raises(FileExistsError):
        t.c.mkdir(t.p("d"))
    with pytest.raises(NotADirectoryError):
        t.c.listdir(t.p("f"))
    with pytest.raises(IsADirectoryError):
        t.c.open(t.p("d"), "rb")
    with pytest.raises(dingofs.DingofsError):
        t.c.rmdir(t.p("f"))


def test_copy_inside_the_filesystem(t):
    data = os.urandom(100_000)
    t.c.write_bytes(t.p("src"), data)
    t.c.copy(t.p("src"), t.p("dst"))
    assert t.c.read_bytes(t.p("dst")) == data
