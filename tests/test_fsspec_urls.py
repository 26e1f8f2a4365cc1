"""fsspec and universal-pathlib conventions: a URL's filesystem name, the
round trip of paths and URLs, files fsspec helpers can use, clean exits."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

fsspec = pytest.importorskip("fsspec")

from dingofs.fsspec import DingoFileSystem  # noqa: E402


@pytest.fixture
def fs(factory):
    inst = DingoFileSystem("t", mds_addrs=factory.url("t"), skip_instance_cache=True)
    yield inst
    inst.close()


# -- the filesystem name of a URL ---------------------------------------------------
@pytest.mark.parametrize("call", [
    pytest.param(lambda fs, u: fs.exists(u), id="exists"),
    pytest.param(lambda fs, u: fs.pipe(u, b"x"), id="pipe"),
    pytest.param(lambda fs, u: fs.cat(u), id="cat"),
    pytest.param(lambda fs, u: fs.open(u, "wb"), id="open"),
    pytest.param(lambda fs, u: fs.ls(u), id="ls"),
    pytest.param(lambda fs, u: fs.info(u), id="info"),
    pytest.param(lambda fs, u: fs.rm(u), id="rm"),
    pytest.param(lambda fs, u: fs.unstrip_protocol(u), id="unstrip_protocol"),
])
def test_url_of_another_filesystem_is_refused(fs, call):
    with pytest.raises(ValueError, match=r"names filesystem 'other'.*serves 't'"):
        call(fs, "dingofs://other/x")
    assert fs.ls("/", detail=False) == []  # nothing was written into 't'


def test_url_of_own_filesystem_is_served(fs):
    fs.pipe("dingofs://t/d/x", b"data")
    assert fs.exists("dingofs://t/d/x")
    assert fs.cat("dingofs://t/d/x") == b"data"
    assert fs.ls("dingofs://t/d", detail=False) == ["/d/x"]


@pytest.mark.parametrize("url", [
    "dingofs://t/a/b.txt", "dingofs://t/", "dingofs://t/dir/sub",
])
def test_strip_and_unstrip_round_trip(fs, url):
    path = fs._strip_protocol(url)
    assert path == DingoFileSystem._strip_protocol(url)
    assert fs.unstrip_protocol(path) == url.rstrip("/") + ("/" if path == "/" else "")
    assert fs._strip_protocol(fs.unstrip_protocol(path)) == path


def test_url_to_fs_selects_by_name(factory):
    opts = {"mds_addrs": factory.url("one")}
    a, pa = fsspec.core.url_to_fs("dingofs://one/x", **opts)
    try:
        assert a.fs_name == "one" and pa == "/x"
        with pytest.raises(ValueError, match="names filesystem 'two'"):
            a.pipe("dingofs://two/x", b"1")
    finally:
        a.close()
        DingoFileSystem.clear_instance_cache()


# -- universal-pathlib ---------------------------------------------------------------
def _upath():
    return pytest.importorskip("upath")


def test_upath_url_round_trips(factory):
    upath = _upath()
    from dingofs.upath import DingoUPath

    so = {"mds_addrs": factory.url("up")}
    try:
        p = upath.UPath("dingofs://up/data/a.txt", **so)
        assert isinstance(p, DingoUPath)
        assert str(p) == "dingofs://up/data/a.txt"
        assert p.path == "/data/a.txt"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("hello")
        again = upath.UPath(str(p), **so)
        assert again == p and again.read_text() == "hello"
        assert str(p.parent) == "dingofs://up/data"
        assert str(p.with_name("b.txt")) == "dingofs://up/data/b.txt"
        assert str(upath.UPath("dingofs://up/", **so) / "data" / "a.txt") == str(p)
        assert [str(c) for c in p.parent.iterdir()] == [str(p)]
        assert p.fs.fs_name == "up"
    finally:
        DingoFileSystem.clear_instance_cache()


def test_upath_registered_by_entry_point(tmp_path):
    """A fresh interpreter that never imported dingofs gets DingoUPath, with
    no warning about an unimplemented filesystem."""
    _upath()
    from importlib import metadata

    try:
        metadata.distribution("dingofs")
    except metadata.PackageNotFoundError:
        pytest.skip("dingofs is not installed as a distribution")
    code = textwrap.dedent("""
        import sys, warnings
        warnings.simplefilter("error")
        from upath import UPath
        p = UPath("dingofs://up/x/y.txt", mds_addrs="local://up?base=" + sys.argv[1])
        print(type(p).__module__, type(p).__name__, str(p))
    """)
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.stdout.split() == ["dingofs.upath", "DingoUPath", "dingofs://up/x/y.txt"]
    assert out.stderr == ""


# -- files from fs.open -------------------------------------------------------------
def test_opened_file_has_size_and_read_block_works(fs):
    fs.pipe("/lines", b"one\ntwo\nthree\nfour\n")
    with fs.open("/lines", "rb") as f:
        assert f.size == 19
    assert fs.read_block("/lines", 5, 6, delimiter=b"\n") == b"three\n"
    assert fs.read_block("/lines", 0, 4) == b"one\n"


def test_dropped_files_close_quietly(fs, recwarn):
    """pyarrow and compression wrappers leave files to the garbage collector;
    fsspec's own files close quietly then, and so do these."""
    import gc

    fs.pipe("/f", b"data")
    for mode in ("rb", "wb", "ab"):
        f = fs.open("/f", mode)
        del f
    gc.collect()
    assert [w for w in recwarn if issubclass(w.category, ResourceWarning)] == []


def test_no_warning_with_compression_pyarrow_and_at_exit(tmp_path):
    """Under -W error, fsspec use through compression, pandas and pyarrow ends
    with no ResourceWarning, and the cached client is stopped at exit."""
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    code = textwrap.dedent("""
        import gc, sys
        import fsspec, pandas as pd
        so = {"mds_addrs": "local://w?base=" + sys.argv[1]}
        with fsspec.open("dingofs://w/a.csv.gz", "wt", compression="gzip", **so) as f:
            f.write("a,b\\n1,2\\n")
        with fsspec.open("dingofs://w/a.csv.gz", "rt", compression="infer", **so) as f:
            assert f.readline() == "a,b\\n"
        assert pd.read_csv("dingofs://w/a.csv.gz", storage_options=so).shape == (1, 2)
        pd.DataFrame({"a": [1, 2]}).to_parquet("dingofs://w/x.parquet", storage_options=so)
        df = pd.read_parquet("dingofs://w/x.parquet", storage_options=so)
        assert list(df["a"]) == [1, 2]
        gc.collect()
        print("ok")
    """)
    out = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", code, str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path)
    assert (out.returncode, out.stdout, out.stderr) == (0, "ok\n", "")
