"""The fsspec filesystem DingoFileSystem (``dingofs://NAME/path``)."""
from __future__ import annotations

import datetime
import multiprocessing
import os
import pickle
import time

import pytest

fsspec = pytest.importorskip("fsspec")

from fsspec.callbacks import Callback  # noqa: E402

from dingofs.fsspec import DingoBufferedFile, DingoFileSystem  # noqa: E402

if "dingofs" not in fsspec.registry:  # before the package metadata names the entry point
    fsspec.register_implementation("dingofs", DingoFileSystem, clobber=False)


def _close_cached(marker: str) -> None:
    for key, inst in list(DingoFileSystem._cache.items()):
        settings = getattr(inst, "settings", None)
        if settings is not None and marker in settings.mds_addrs:
            DingoFileSystem._cache.pop(key, None)
            inst.close()


@pytest.fixture
def opts(factory):
    """storage_options for dingofs://t/... URLs of a private filesystem."""
    yield {"mds_addrs": factory.url("t")}
    _close_cached(f"base={factory.base}")


@pytest.fixture
def fs(factory):
    inst = DingoFileSystem("t", mds_addrs=factory.url("t"), skip_instance_cache=True)
    yield inst
    inst.close()


class Recorder(Callback):
    def __init__(self) -> None:
        super().__init__()
        self.sizes: list = []
        self.moved = 0

    def set_size(self, size):
        self.sizes.append(size)
        super().set_size(size)

    def relative_update(self, inc=1):
        self.moved += inc
        super().relative_update(inc)


# -- registration and URLs ------------------------------------------------------
def test_entry_point_is_declared():
    from importlib import metadata

    try:
        metadata.distribution("dingofs")
    except metadata.PackageNotFoundError:
        pytest.skip("dingofs is not installed as a distribution")
    eps = metadata.entry_points()
    group = eps.select(group="fsspec.specs") if hasattr(eps, "select") else eps.get(
        "fsspec.specs", [])
    assert any(ep.name == "dingofs" and ep.value.startswith("dingofs.fsspec") for ep in group)


def test_protocol_class():
    assert fsspec.get_filesystem_class("dingofs") is DingoFileSystem


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("dingofs://t/a/b", "/a/b"),
        ("dingofs://t/a/b/", "/a/b"),
        ("dingofs://t", "/"),
        ("dingofs://t/", "/"),
        ("/x//y", "/x/y"),
        ("rel/p", "/rel/p"),
        ("", "/"),
        ("dingofs:///only/path", "/only/path"),
    ],
)
def test_strip_protocol(url, path):
    assert DingoFileSystem._strip_protocol(url) == path


def test_url_to_fs_and_unstrip(opts):
    fs, path = fsspec.core.url_to_fs("dingofs://t/dir/file.txt", **opts)
    assert isinstance(fs, DingoFileSystem)
    assert fs.fs_name == "t" and path == "/dir/file.txt"
    assert fs.unstrip_protocol("/dir/file.txt") == "dingofs://t/dir/file.txt"
    fs2, _ = fsspec.core.url_to_fs("dingofs://t/other", **opts)
    assert fs2 is fs  # cached per options


def test_settings_from_environment(monkeypatch, factory):
    monkeypatch.setenv("DINGOFS_MDS_ADDRS", factory.url("envfs"))
    monkeypatch.setenv("DINGOFS_MOUNT_POINT", "/mnt/env")
    monkeypatch.delenv("DINGOFS_FS_NAME", raising=False)
    fs = DingoFileSystem(skip_instance_cache=True)
    try:
        assert fs.fs_name == "envfs"
        assert fs.settings.mount_point == "/mnt/env"
        fs.pipe_file("/x", b"env")
        assert fs.cat_file("/x") == b"env"
    finally:
        fs.close()


def test_default_is_embedded_engine_under_base_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("DINGOFS_MDS_ADDRS", raising=False)
    monkeypatch.setenv("DINGOFS_BASE_DIR", str(tmp_path / "base"))
    fs = DingoFileSystem("dflt", skip_instance_cache=True)
    try:
        assert fs.settings.mds_addrs == "local://dflt"
        fs.pipe_file("/f", b"1")
        assert (tmp_path / "base" / "meta" / "dflt").is_dir()
    finally:
        fs.close()


def test_missing_name_is_an_error(monkeypatch):
    monkeypatch.delenv("DINGOFS_MDS_ADDRS", raising=False)
    monkeypatch.delenv("DINGOFS_FS_NAME", raising=False)
    with pytest.raises(ValueError, match="filesystem name"):
        DingoFileSystem(skip_instance_cache=True)


# -- metadata -----------------------------------------------------------------------
def test_ls_and_info(fs):
    fs.pipe_file("/d/a.txt", b"12345")
    fs.mkdir("/d/sub")
    fs.client.symlink("a.txt", "/d/link")
    fs.client.symlink("nowhere", "/d/dangling")
    assert fs.ls("/d", detail=False) == ["/d/a.txt", "/d/dangling", "/d/link", "/d/sub"]
    infos = {i["name"]: i for i in fs.ls("/d")}
    assert infos["/d/a.txt"]["type"] == "file" and infos["/d/a.txt"]["size"] == 5
    assert infos["/d/sub"]["type"] == "directory"
    assert infos["/d/link"]["islink"] and infos["/d/link"]["type"] == "file"
    assert infos["/d/link"]["size"] == 5 and infos["/d/link"]["destination"] == "a.txt"
    assert infos["/d/dangling"]["islink"] and infos["/d/dangling"]["type"] == "other"
    assert fs.ls("/d/a.txt", detail=False) == ["/d/a.txt"]
    info = fs.info("dingofs://t/d/a.txt")
    assert info["name"] == "/d/a.txt" and info["size"] == 5
    assert fs.info("/")["type"] == "directory"
    assert fs.isdir("/d") and fs.isfile("/d/a.txt") and not fs.exists("/nope")
    with pytest.raises(FileNotFoundError):
        fs.info("/nope")
    with pytest.raises(FileNotFoundError):
        fs.ls("/nope")
    assert fs.size("/d/a.txt") == 5
    assert sorted(fs.find("/d")) == ["/d/a.txt", "/d/dangling", "/d/link"]
    assert fs.glob("/d/*.txt") == ["/d/a.txt"]
    assert fs.du("/d") >= 5


def test_root_listing_and_walk(fs):
    assert fs.ls("/") == []
    fs.pipe({"/x/1": b"a", "/x/y/2": b"bb"})
    assert [i["name"] for i in fs.ls("/")] == ["/x"]
    walked = {root: (sorted(dirs), sorted(files)) for root, dirs, files in fs.walk("/")}
    assert walked == {"/": (["x"], []), "/x": (["y"], ["1"]), "/x/y": ([], ["2"])}


def test_modified_and_created(fs):
    fs.pipe_file("/m", b"1")
    m = fs.modified("/m")
    assert m.tzinfo is not None
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - m).total_seconds()) < 60
    assert fs.created("/m").tzinfo is not None


def test_mkdir_makedirs(fs):
    fs.mkdir("/a/b/c")
    assert fs.isdir("/a/b/c")
    with pytest.raises(FileExistsError):
        fs.mkdir("/a/b/c")
    with pytest.raises(FileNotFoundError):
        fs.mkdir("/x/y", create_parents=False)
    fs.makedirs("/a/b/c", exist_ok=True)
    with pytest.raises(FileExistsError):
        fs.makedirs("/a/b/c")
    fs.makedirs("/", exist_ok=True)
    fs.rmdir("/a/b/c")
    assert not fs.exists("/a/b/c")


# -- removal, move, copy ----------------------------------------------------------
def test_rm(fs):
    fs.pipe({"/r/a": b"1", "/r/b.csv": b"2", "/r/s/c": b"3", "/r/s/t/d": b"4"})
    fs.rm("/r/a")
    assert not fs.exists("/r/a")
    with pytest.raises(IsADirectoryError):
        fs.rm("/r/s")
    fs.rm("/r/*.csv")
    assert fs.ls("/r", detail=False) == ["/r/s"]
    fs.rm("/r", recursive=True)
    assert not fs.exists("/r")
    with pytest.raises(FileNotFoundError):
        fs.rm("/r")
    fs.pipe({"/q/1": b"", "/q/2": b""})
    fs.rm(["/q/1", "/q/2"])
    assert fs.ls("/q") == []
    fs.pipe({"/z/1": b"", "/z/d/2": b""})
    fs.rm("/", recursive=True)
    assert fs.ls("/") == []


def test_mv_renames(fs):
    fs.pipe_file("/src.txt", b"data")
    ino = fs.info("/src.txt")["ino"]
    fs.mv("/src.txt", "/new/dst.txt")  # parents are made
    assert fs.cat_file("/new/dst.txt") == b"data"
    assert fs.info("/new/dst.txt")["ino"] == ino  # renamed, not copied
    fs.mkdir("/into")
    fs.mv("/new/dst.txt", "/into")
    assert fs.exists("/into/dst.txt")
    fs.mv("/into", "/moved_dir", recursive=True)
    assert fs.cat_file("/moved_dir/dst.txt") == b"data" and not fs.exists("/into")
    with pytest.raises(FileNotFoundError):
        fs.mv("/absent", "/elsewhere")
    fs.pipe({"/g/a.txt": b"a", "/g/b.txt": b"b"})
    fs.mkdir("/gdst")
    fs.mv("/g/*.txt", "/gdst/")
    assert sorted(fs.ls("/gdst", detail=False)) == ["/gdst/a.txt", "/gdst/b.txt"]


def test_cp_file_and_copy(fs):
    data = os.urandom(3 * 1024 * 1024 + 17)
    fs.pipe_file("/c/big", data)
    fs.cp_file("/c/big", "/c2/copy")
    assert fs.cat_file("/c2/copy") == data
    assert fs.info("/c2/copy")["ino"] != fs.info("/c/big")["ino"]
    fs.pipe({"/tree/a": b"1", "/tree/sub/b": b"2"})
    fs.copy("/tree", "/tree2", recursive=True)
    assert fs.cat_file("/tree2/sub/b") == b"2" and fs.cat_file("/tree2/a") == b"1"
    with pytest.raises(FileNotFoundError):
        fs.cp_file("/absent", "/x")


def test_streamed_copy_without_copy_extension(fs, monkeypatch):
    import dingofs.fsspec as mod

    monkeypatch.setattr(mod, "COPY_CHUNK", 1000)
    monkeypatch.delattr(type(fs.client), "copy")
    data = os.urandom(12345)
    fs.pipe_file("/s", data)
    fs.cp_file("/s", "/d")
    assert fs.cat_file("/d") == data


# -- data ----------------------------------------------------------------------------
def test_cat_file_ranges(fs):
    data = bytes(range(256)) * 4
    fs.pipe_file("/r", data)
    assert fs.cat_file("/r") == data
    assert fs.cat_file("/r", start=10, end=20) == data[10:20]
    assert fs.cat_file("/r", start=-16) == data[-16:]
    assert fs.cat_file("/r", start=5, end=-5) == data[5:-5]
    assert fs.cat_file("/r", start=1000, end=5000) == data[1000:]
    assert fs.cat_file("/r", start=30, end=10) == b""
    assert fs.cat_file("/r", end=4) == data[:4]
    assert fs.cat("/r") == data
    assert fs.head("/r", 3) == data[:3] and fs.tail("/r", 3) == data[-3:]
    assert fs.cat_ranges(["/r", "/r"], [0, 100], [2, 103]) == [data[:2], data[100:103]]
    with pytest.raises(FileNotFoundError):
        fs.cat_file("/nope")


def test_pipe_file_modes(fs):
    fs.pipe_file("/p/x", b"one")
    fs.pipe_file("/p/x", b"two")
    assert fs.cat_file("/p/x") == b"two"
    with pytest.raises(FileExistsError):
        fs.pipe_file("/p/x", b"three", mode="create")
    fs.pipe_file("/p/y", b"new", mode="create")
    assert fs.cat_file("/p/y") == b"new"


def test_touch(fs):
    fs.touch("/t/f")
    assert fs.cat_file("/t/f") == b""
    fs.pipe_file("/t/f", b"keep")
    before = fs.info("/t/f")["mtime"]
    time.sleep(0.02)
    fs.touch("/t/f", truncate=False)
    assert fs.cat_file("/t/f") == b"keep" and fs.info("/t/f")["mtime"] > before
    fs.touch("/t/f")
    assert fs.cat_file("/t/f") == b""


def test_open_binary_text_and_append(fs):
    with fs.open("/o/f.bin", "wb") as f:
        f.write(b"abc")
    with fs.open("/o/f.bin", "ab") as f:
        f.write(b"def")
    with fs.open("/o/f.bin", "rb") as f:
        assert f.read() == b"abcdef"
        f.seek(2)
        assert f.read(2) == b"cd"
    with fs.open("/o/t.txt", "w", encoding="utf-8") as f:
        f.write("héllo\nworld\n")
    with fs.open("dingofs://t/o/t.txt", "r", encoding="utf-8") as f:
        assert f.readlines() == ["héllo\n", "world\n"]
    with pytest.raises(FileExistsError):
        fs.open("/o/f.bin", "xb")
    with pytest.raises(FileNotFoundError):
        fs.open("/o/none", "rb")
    with fsspec.open("dingofs://t/o/f.bin", "rb", **{"mds_addrs": fs.settings.mds_addrs}) as f:
        assert f.read() == b"abcdef"
    _close_cached(fs.settings.mds_addrs)


@pytest.mark.parametrize("cache_type", ["readahead", "blockcache", "bytes", "mmap"])
def test_open_with_fsspec_cache(fs, cache_type):
    data = os.urandom(300_000)
    fs.pipe_file("/c", data)
    with fs.open("/c", "rb", cache_type=cache_type, block_size=4096) as f:
        assert isinstance(f, DingoBufferedFile)
        assert f.size == len(data)
        assert f.read(10) == data[:10]
        f.seek(250_000)
        assert f.read(100) == data[250_000:250_100]
        f.seek(-5, 2)
        assert f.read() == data[-5:]
    cached = DingoFileSystem("t", mds_addrs=fs.settings.mds_addrs, default_cache_type=cache_type,
                             skip_instance_cache=True)
    try:
        with cached.open("/c", "rb") as f:
            assert isinstance(f, DingoBufferedFile) and f.read() == data
    finally:
        cached.close()


def test_transaction_commits_and_discards(fs):
    with fs.transaction:
        with fs.open("/tx/a", "wb") as f:
            f.write(b"committed")
        assert not fs.exists("/tx/a")
    assert fs.cat_file("/tx/a") == b"committed"
    with pytest.raises(RuntimeError), fs.transaction:
        with fs.open("/tx/b", "wb") as f:
            f.write(b"lost")
        raise RuntimeError("abort")
    assert not fs.exists("/tx/b")
    assert fs.ls("/tx", detail=False) == ["/tx/a"]  # no temporary left behind


# -- local transfers ----------------------------------------------------------------
def test_put_get_file_with_callbacks(fs, tmp_path):
    data = os.urandom(5 * 1024 * 1024 + 3)
    src = tmp_path / "up.bin"
    src.write_bytes(data)
    cb = Recorder()
    fs.put_file(str(src), "/up/file.bin", callback=cb)
    assert cb.sizes == [len(data)] and cb.moved == len(data)
    assert fs.cat_file("/up/file.bin") == data
    cb = Recorder()
    out = tmp_path / "down" / "file.bin"
    fs.get_file("/up/file.bin", str(out), callback=cb)
    assert out.read_bytes() == data
    assert cb.sizes == [len(data)] and cb.moved == len(data)
    with pytest.raises(FileNotFoundError):
        fs.get_file("/missing", str(tmp_path / "m"))


def test_put_get_trees(fs, tmp_path):
    src = tmp_path / "tree"
    (src / "sub" / "deep").mkdir(parents=True)
    (src / "empty").mkdir()
    files = {"a": b"A", "sub/b": b"B" * 1000, "sub/deep/c": b""}
    for rel, data in files.items():
        (src / rel).write_bytes(data)
    fs.put(str(src), "/remote", recursive=True)
    for rel, data in files.items():
        assert fs.cat_file(f"/remote/{rel}") == data
    assert fs.isdir("/remote/empty")
    dst = tmp_path / "back"
    fs.get("/remote", str(dst), recursive=True)
    for rel, data in files.items():
        assert (dst / rel).read_bytes() == data
    assert (dst / "empty").is_dir()


# -- processes --------------------------------------------------------------------
def test_pickle_round_trip(fs):
    fs.pipe_file("/pk", b"pickled")
    clone = pickle.loads(pickle.dumps(fs))
    try:
        assert isinstance(clone, DingoFileSystem)
        assert clone.cat_file("/pk") == b"pickled"
    finally:
        if clone is not fs:
            clone.close()


def test_reconnects_in_forked_child(fs):
    from helpers import run_in_child

    fs.pipe_file("/fork", b"parent")
    assert fs.cat_file("/fork") == b"parent"  # the parent's client is mounted now

    def child():
        # the inherited client is dead here; the filesystem reconnects lazily
        fs.pipe_file("/fork2", b"child")
        return fs.cat_file("/fork")

    assert run_in_child(child) == b"parent"
    assert fs.cat_file("/fork2") == b"child"


def _read_in_worker(pickled: bytes) -> bytes:
    inst = pickle.loads(pickled)
    try:
        return inst.cat_file("/spawned")
    finally:
        inst.close()


def test_unpickled_in_spawned_process(fs):
    fs.pipe_file("/spawned", b"across processes")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        assert pool.apply(_read_in_worker, (pickle.dumps(fs),)) == b"across processes"


def test_wraps_existing_client(client):
    fs = DingoFileSystem(client=client, skip_instance_cache=True)
    fs.pipe_file("/w", b"via client")
    assert client.read_bytes("/w") == b"via client"
    fs.close()  # leaves the given client running
    assert client.read_bytes("/w") == b"via client"
