"""fsspec and universal-pathlib conventions: a URL's filesystem name, the
round trip of paths and URLs, files fsspec helpers can use, clean exits."""
from __future__ import annotations

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
