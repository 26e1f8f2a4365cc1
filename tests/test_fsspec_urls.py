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
