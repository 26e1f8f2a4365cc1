"""Copying a file onto itself: ``SameFileError`` (a ``shutil.SameFileError``),
raised before the destination is opened, so the data stay intact.

Through :meth:`dingofs.Client.copy` and the fsspec ``cp_file``/``copy``, as
:func:`shutil.copyfile` and fsspec's local filesystem behave.
"""
from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import dingofs
from dingofs.errors import DingofsError

DATA = b"precious data\n" * 1000

#: Names of ``/f`` made by :func:`_make_names`: itself, another spelling,
#: a hard link, absolute and relative symlinks, a symlink to a symlink.
SAME_NAMES = ["/f", "/./f", "/d/../f", "//f", "/hard", "/sym", "/d/relsym", "/symsym"]


def _make_names(client: dingofs.Client) -> None:
    client.write_bytes("/f", DATA)
    client.mkdir("/d")
    client.link("/f", "/hard")
    client.symlink("/f", "/sym")
    client.symlink("../f", "/d/relsym")
    client.symlink("/sym", "/symsym")


def _assert_intact(client: dingofs.Client) -> None:
    assert client.read_bytes("/f") == DATA
    assert client.stat("/f").st_size == len(DATA)
    assert client.lstat("/f").st_nlink == 2  # /f and /hard, nothing replaced
    assert client.readlink("/sym") == "/f"


def _assert_same_file_error(exc: BaseException, src: str, dst: str) -> None:
    assert isinstance(exc, dingofs.SameFileError)
    assert isinstance(exc, shutil.SameFileError)
    assert isinstance(exc, DingofsError)
    assert isinstance(exc, OSError)
    assert str(exc) == f"{src!r} and {dst!r} are the same file"


@pytest.fixture
def names(client: dingofs.Client) -> dingofs.Client:
    """The test client, with ``/f`` and its other names made."""
    _make_names(client)
    return client


# -- the exception class ------------------------------------------------------------
def test_exported_from_package() -> None:
    assert "SameFileError" in dingofs.__all__
    assert dingofs.SameFileError is dingofs.errors.SameFileError
    assert issubclass(dingofs.SameFileError, shutil.SameFileError)
    assert issubclass(dingofs.SameFileError, dingofs.DingofsError)


def test_error_pickles(names: dingofs.Client) -> None:
    with pytest.raises(dingofs.SameFileError) as ei:
        names.copy("/f", "/hard")
    clone = pickle.loads(pickle.dumps(ei.value))
    assert type(clone) is dingofs.SameFileError
    assert str(clone) == str(ei.value) == "'/f' and '/hard' are the same file"
    assert clone.errno is None


# -- Client.copy ----------------------------------------------------------------------
@pytest.mark.parametrize("dst", SAME_NAMES)
def test_client_copy_onto_same_file(names: dingofs.Client, dst: str) -> None:
    with pytest.raises(shutil.SameFileError) as ei:
        names.copy("/f", dst)
    _assert_same_file_error(ei.value, "/f", dst)
    _assert_intact(names)


@pytest.mark.parametrize("src", SAME_NAMES)
def test_client_copy_from_other_name_onto_file(names: dingofs.Client, src: str) -> None:
    with pytest.raises(dingofs.SameFileError) as ei:
        names.copy(src, "/f")
    _assert_same_file_error(ei.value, src, "/f")
    _assert_intact(names)


def test_client_copy_bytes_and_pathlike_paths(names: dingofs.Client) -> None:
    with pytest.raises(dingofs.SameFileError) as ei:
        names.copy(b"/f", b"/./f")
    assert str(ei.value) == "'/f' and '/./f' are the same file"
    with pytest.raises(dingofs.SameFileError):
        names.copy(Path("/f"), Path("/hard"))
    _assert_intact(names)


def test_client_copy_open_dingofile_onto_its_own_file(names: dingofs.Client) -> None:
    same = pytest.raises(dingofs.SameFileError)
    with names.open("/f", "rb") as fin, same:
        names.copy(fin, "/sym")
    with names.open("/hard", "rb", buffering=4096) as fin, same:
        names.copy(fin, "/f")
    # An appending destination would otherwise read its own output forever.
    with names.open("/sym", "ab") as fout, same:
        names.copy("/f", fout)
    _assert_intact(names)


def test_client_copy_local_paths_onto_same_file(client: dingofs.Client,
                                                local_dir: Path) -> None:
    src = local_dir / "f"
    src.write_bytes(DATA)
    os.link(src, local_dir / "hard")
    os.symlink(src, local_dir / "sym")
    for dst in (str(src), str(local_dir / "." / "f"), str(local_dir / "hard"),
                str(local_dir / "sym")):
        with pytest.raises(shutil.SameFileError) as ei:
            client.copy(str(src), dst, src_local=True, dst_local=True)
        assert str(ei.value) == f"{str(src)!r} and {dst!r} are the same file"
        with open(src, "rb") as fin, pytest.raises(dingofs.SameFileError):
            client.copy(fin, dst, dst_local=True)
    assert src.read_bytes() == DATA


def test_client_copy_between_filesystems_is_never_same_file(client: dingofs.Client,
                                                            local_dir: Path) -> None:
    # A local file and a dingofs file may share inode numbers; still two files.
    client.write_bytes("/f", DATA)
    local = local_dir / "f"
    local.write_bytes(b"local")
    assert client.copy(str(local), "/f", src_local=True) == len(b"local")
    assert client.read_bytes("/f") == b"local"
    assert client.copy("/f", str(local), dst_local=True) == len(b"local")
    client.write_bytes("/f", DATA)
    assert client.copy("/f", str(local), dst_local=True) == len(DATA)
    assert local.read_bytes() == DATA


def test_client_copy_still_works(names: dingofs.Client, local_dir: Path) -> None:
    # to a new file, over another existing file, from a link, through a
    # dangling symlink (which creates its target, as shutil.copyfile does)
    assert names.copy("/f", "/new") == len(DATA)
    assert names.read_bytes("/new") == DATA
    names.write_bytes("/other", b"x" * (len(DATA) * 2))
    assert names.copy("/sym", "/other") == len(DATA)
    assert names.read_bytes("/other") == DATA
    names.symlink("/target", "/dangling")
    assert names.copy("/hard", "/dangling") == len(DATA)
    assert names.read_bytes("/target") == DATA
    # objects and local paths
    with names.open("/f", "rb") as fin:
        assert names.copy(fin, "/from-object") == len(DATA)
    assert names.read_bytes("/from-object") == DATA
    (local_dir / "a").write_bytes(DATA)
    assert names.copy(str(local_dir / "a"), str(local_dir / "b"),
                      src_local=True, dst_local=True) == len(DATA)
    assert (local_dir / "b").read_bytes() == DATA
    _assert_intact(names)


def test_client_copy_missing_source_unchanged(names: dingofs.Client) -> None:
    with pytest.raises(FileNotFoundError):
        names.copy("/missing", "/f")
    _assert_intact(names)


# -- fsspec ---------------------------------------------------------------------------
@pytest.fixture
def fs(factory: Any) -> Iterator[Any]:
    pytest.importorskip("fsspec")
    from dingofs.fsspec import DingoFileSystem

    inst = DingoFileSystem("t", mds_addrs=factory.url("t"),
                           skip_instance_cache=True)
    _make_names(inst.client)
    yield inst
    inst.close()


@pytest.mark.parametrize("method", ["cp_file", "copy"])
@pytest.mark.parametrize("dst", SAME_NAMES)
def test_fsspec_copy_onto_same_file(fs: Any, method: str, dst: str) -> None:
    with pytest.raises(shutil.SameFileError) as ei:
        getattr(fs, method)("/f", dst)
    assert isinstance(ei.value, dingofs.SameFileError)
    assert "are the same file" in str(ei.value)
    _assert_intact(fs.client)


@pytest.mark.parametrize("method", ["cp_file", "copy"])
def test_fsspec_copy_urls_onto_same_file(fs: Any, method: str) -> None:
    with pytest.raises(dingofs.SameFileError) as ei:
        getattr(fs, method)("dingofs://t/f", "dingofs://t/hard")
    assert str(ei.value) == "'/f' and '/hard' are the same file"
    _assert_intact(fs.client)


@pytest.mark.parametrize("dst", SAME_NAMES)
def test_fsspec_streamed_copy_onto_same_file(fs: Any, dst: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # A client without the copy method: cp_file streams the data itself.
    client = fs.client
    monkeypatch.delattr(type(client), "copy")
    with pytest.raises(dingofs.SameFileError) as ei:
        fs.cp_file("/f", dst)
    # (the paths as the filesystem strips them: "//f" is "/f")
    assert str(ei.value) == f"'/f' and {fs._strip_protocol(dst)!r} are the same file"
    _assert_intact(client)
    fs.cp_file("/sym", "/streamed")
    assert client.read_bytes("/streamed") == DATA


def test_fsspec_copy_still_works(fs: Any) -> None:
    fs.cp_file("/f", "/c/one")
    fs.copy("/hard", "/c/two")
    fs.copy("/sym", "/c/")
    for path in ("/c/one", "/c/two", "/c/sym"):
        assert fs.cat_file(path) == DATA
    assert fs.info("/c/one")["ino"] != fs.info("/f")["ino"]
    _assert_intact(fs.client)
