"""Where DingoPath and Client follow pathlib and os conventions that users
bring with them: each case runs the same steps on a local directory and on
DingoFS and compares."""
from __future__ import annotations

import errno
import grp
import io
import os
import pwd
import stat as stat_mod
from pathlib import Path, PurePosixPath

import pytest

import dingofs
from dingofs.path import DingoPath


def _links(make_dir, make_link) -> None:
    make_dir("d")
    make_dir("d/sub")
    make_link("d/rel", "sub")
    make_link("d/abs", "/d/sub")
    make_link("d/up", "../d/sub/../sub")
    make_link("d/chain", "rel")
    make_link("d/dangling", "nowhere/x")
    make_link("d/loop1", "loop2")
    make_link("d/loop2", "loop1")


@pytest.fixture
def trees(client, tmp_path):
    """(DingoPath root, local root) with the same directories and symlinks;
    local absolute targets are rewritten under the local root."""
    local = tmp_path / "local"
    local.mkdir()
    _links(lambda p: client.mkdir("/" + p),
           lambda p, t: client.symlink(t, "/" + p))
    _links(lambda p: (local / p).mkdir(),
           lambda p, t: os.symlink(str(local) + t if t.startswith("/") else t, local / p))
    return DingoPath(client, "/"), local


# -- readlink, resolve, root, owner, group ------------------------------------------
@pytest.mark.parametrize("name", ["d/rel", "d/up", "d/chain", "d/dangling"])
def test_readlink_is_verbatim(trees, name):
    d, local = trees
    assert d.joinpath(name).readlink() == PurePosixPath((local / name).readlink())
    assert str(d.joinpath(name).readlink()) == os.readlink(local / name)


def _inside(local_result: str, local: Path) -> str:
    rel = os.path.relpath(local_result, local)
    return "/" if rel == "." else "/" + rel


@pytest.mark.parametrize("name", [
    "d/rel", "d/abs", "d/up", "d/chain", "d/dangling", "d/sub/../rel", "d/missing/../x",
    "d/loop1", "d/chain/x", "d/sub/..", "d",
])
def test_resolve_matches_realpath(trees, name):
    d, local = trees
    got = d.joinpath(name).resolve()
    assert isinstance(got, DingoPath)
    assert str(got) == _inside(os.path.realpath(local / name), local)


def test_resolve_dotdot_stays_at_root(trees):
    d, _ = trees
    assert str(d.joinpath("../../d/rel").resolve()) == "/d/sub"
    assert str(d.joinpath("..").resolve()) == "/"


@pytest.mark.parametrize("name", ["d/dangling", "d/missing"])
def test_resolve_strict_missing(trees, name):
    d, local = trees
    with pytest.raises(FileNotFoundError):
        os.path.realpath(local / name, strict=True)
    with pytest.raises(FileNotFoundError):
        d.joinpath(name).resolve(strict=True)


def test_resolve_strict_loop(trees):
    d, local = trees
    with pytest.raises(OSError) as want:
        os.path.realpath(local / "d/loop1", strict=True)
    with pytest.raises(OSError) as got:
        d.joinpath("d/loop1").resolve(strict=True)
    assert got.value.errno == want.value.errno == errno.ELOOP


def test_root_drive_owner_group(client):
    p = DingoPath(client, "/f")
    p.write_bytes(b"")
    assert (p.root, p.drive, p.anchor) == (Path("/f").root, Path("/f").drive, "/")
    st = p.stat()
    assert p.owner() == pwd.getpwuid(st.st_uid).pw_name
    assert p.group() == grp.getgrgid(st.st_gid).gr_name
    client.symlink("/f", "/l")
    assert DingoPath(client, "/l").owner(follow_symlinks=False) == p.owner()
    if os.geteuid() == 0:  # an owner this machine has no name for
        client.chown("/f", 4_000_000_000 - 7, -1)
        with pytest.raises(KeyError):
            p.owner()


def test_client_replace_like_os_replace(client, tmp_path):
    client.write_bytes("/a", b"A")
    client.write_bytes("/b", b"B")
    client.replace("/a", "/b")
    assert client.read_bytes("/b") == b"A" and not client.exists("/a")
    client.mkdir("/dir")
    (tmp_path / "a").write_bytes(b"")
    (tmp_path / "dir").mkdir()
    with pytest.raises(OSError) as want:
        os.replace(tmp_path / "a", tmp_path / "dir")
    client.write_bytes("/a", b"")
    with pytest.raises(OSError) as got:
        client.replace("/a", "/dir")
    assert got.value.errno == want.value.errno
    assert isinstance(got.value, type(want.value))
    assert isinstance(got.value, dingofs.DingofsError)


# -- a NUL byte names nothing ------------------------------------------------------
@pytest.mark.parametrize("query", ["exists", "isfile", "isdir", "islink"])
@pytest.mark.parametrize("path", ["/a\0b", b"/a\0b"], ids=["str", "bytes"])
def test_nul_byte_queries_are_false_like_os_path(client, tmp_path, query, path):
    local = os.fsencode(tmp_path) + b"/a\0b" if isinstance(path, bytes) else f"{tmp_path}/a\0b"
    assert getattr(os.path, query)(local) is False
    assert getattr(client, query)(path) is False


@pytest.mark.parametrize("query", ["exists", "is_file", "is_dir", "is_symlink"])
def test_nul_byte_path_queries_are_false_like_pathlib(client, tmp_path, query):
    assert getattr(tmp_path / "a\0b", query)() is False
    assert getattr(DingoPath(client, "/a\0b"), query)() is False


def test_nul_byte_elsewhere_still_raises(client):
    with pytest.raises(ValueError, match="null"):
        client.stat("/a\0b")
    with pytest.raises(ValueError, match="null"):
        client.open("/a\0b", "wb")


# -- argument errors of the same type as os raises -----------------------------------
def _same_error(local_call, dingo_call) -> None:
    with pytest.raises(Exception) as want:
        local_call()
    with pytest.raises(Exception) as got:
        dingo_call()
    assert isinstance(got.value, type(want.value)), (got.value, want.value)
    if isinstance(want.value, OSError):
        assert got.value.errno == want.value.errno


ARG_CASES = {
    "truncate(-1)": (lambda p: os.truncate(p, -1), lambda c: c.truncate("/f", -1)),
    "utime((1,))": (lambda p: os.utime(p, (1,)), lambda c: c.utime("/f", (1,))),
    "utime((1,2,3))": (lambda p: os.utime(p, (1, 2, 3)), lambda c: c.utime("/f", (1, 2, 3))),
    "utime(ns=(1,))": (lambda p: os.utime(p, ns=(1,)), lambda c: c.utime("/f", ns=(1,))),
    "chown(-5, 0)": (lambda p: os.chown(p, -5, 0), lambda c: c.chown("/f", -5, 0)),
    "chown(0, -5)": (lambda p: os.chown(p, 0, -5), lambda c: c.chown("/f", 0, -5)),
    "chown(2**32, 0)": (lambda p: os.chown(p, 2**32, 0), lambda c: c.chown("/f", 2**32, 0)),
    "lchown(-5, 0)": (lambda p: os.lchown(p, -5, 0), lambda c: c.lchown("/f", -5, 0)),
    "chown('a', 0)": (lambda p: os.chown(p, "a", 0), lambda c: c.chown("/f", "a", 0)),
}


@pytest.mark.parametrize("case", sorted(ARG_CASES))
def test_argument_errors_match_os(client, tmp_path, case):
    local_call, dingo_call = ARG_CASES[case]
    (tmp_path / "f").write_bytes(b"data")
    client.write_bytes("/f", b"data")
    _same_error(lambda: local_call(tmp_path / "f"), lambda: dingo_call(client))
    assert client.read_bytes("/f") == b"data"


@pytest.mark.parametrize("mode", ["rb", "rt", "wb", "wt", "rb+"])
def test_negative_buffering_is_the_default_like_io(client, tmp_path, mode):
    (tmp_path / "f").write_bytes(b"data")
    client.write_bytes("/f", b"data")
    with open(tmp_path / "f", mode, buffering=-2) as want, \
            client.open("/f", mode, buffering=-2) as got:
        assert isinstance(got, io.TextIOBase) == isinstance(want, io.TextIOBase)
        if "r" in mode:
            assert got.read() == want.read()


def test_listdir_and_scandir_none_list_the_root(client):
    client.mkdir("/d")
    client.write_bytes("/f", b"")
    names = sorted(e.name for e in client.listdir(None))
    assert names == ["d", "f"] and all(isinstance(n, str) for n in names)
    with client.scandir(None) as it:
        assert sorted((e.name, e.path) for e in it) == [("d", "/d"), ("f", "/f")]
    assert sorted(os.listdir(None)) == sorted(os.listdir("."))  # what os does


# -- a client's with block, atomic_write -----------------------------------------------
def test_with_after_stop_raises(factory):
    c = factory()
    c.stop()
    with pytest.raises(dingofs.ClientStoppedError, match="stopped"), c:
        pass
    f = open(os.devnull, "rb")  # what a closed file does
    f.close()
    with pytest.raises(ValueError), f:
        pass


def test_atomic_write_keeps_mode_owner_and_xattrs(client):
    client.write_bytes("/f", b"old")
    client.chmod("/f", 0o600)
    client.setxattr("/f", "user.tag", b"kept")
    if os.geteuid() == 0:
        client.chown("/f", 1234, 5678)
    with client.atomic_write("/f") as f:
        f.write(b"new")
    st = client.stat("/f")
    assert client.read_bytes("/f") == b"new"
    assert stat_mod.S_IMODE(st.st_mode) == 0o600
    assert client.getxattr("/f", "user.tag") == "kept"
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (1234, 5678)


def test_atomic_write_new_file_gets_default_mode(client):
    client.umask = 0o022
    with client.atomic_write("/new") as f:
        f.write(b"x")
    assert stat_mod.S_IMODE(client.stat("/new").st_mode) == 0o644
    assert client.listxattr("/new") == []


@pytest.mark.parametrize("mode", ["w", "wt"])
def test_atomic_write_text_with_encoding(client, mode):
    with client.atomic_write("/t", mode, encoding="utf-16", newline="\r\n") as f:
        assert isinstance(f, io.TextIOBase)
        f.write("é\n")
    assert client.read_bytes("/t") == "é\r\n".encode("utf-16")


def test_atomic_write_binary_refuses_encoding(client):
    with pytest.raises(ValueError, match="encoding"), \
            client.atomic_write("/b", "wb", encoding="utf-8"):
        pass
    assert not client.exists("/b")


@pytest.mark.parametrize("kind", [str, bytes, Path])
def test_missing_conf_file_error_names_it_as_given(tmp_path, kind):
    missing = tmp_path / "missing.conf"
    arg = kind(os.fsencode(missing)) if kind is bytes else kind(missing)
    with pytest.raises(FileNotFoundError) as want:
        open(arg, "rb")
    with pytest.raises(FileNotFoundError) as got:
        dingofs.Client.build(f"local://c?base={tmp_path}", "c", "/mnt/c", conf_file=arg)
    assert got.value.filename == want.value.filename
    assert type(got.value.filename) is type(want.value.filename)
