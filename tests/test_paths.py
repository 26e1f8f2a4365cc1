"""Path arguments: str, bytes, os.PathLike; bytes in -> bytes out; NUL."""
from __future__ import annotations

import os
import pathlib

import pytest


class PL:
    """A minimal os.PathLike."""

    def __init__(self, p):
        self.p = p

    def __fspath__(self):
        return self.p


PATH_FORMS = [
    pytest.param(lambda p: p, id="str"),
    pytest.param(lambda p: p.encode(), id="bytes"),
    pytest.param(lambda p: pathlib.PurePosixPath(p), id="PurePosixPath"),
    pytest.param(lambda p: PL(p), id="PathLike-str"),
    pytest.param(lambda p: PL(p.encode()), id="PathLike-bytes"),
]


@pytest.mark.parametrize("form", PATH_FORMS)
def test_every_path_parameter_accepts_all_forms(client, form):
    P = form
    client.mkdir(P("/d"))
    client.makedirs(P("/d/e/f"), exist_ok=True)
    with client.open(P("/d/file"), "wb") as f:
        f.write(b"0123")
    assert client.stat(P("/d/file")).length == 4
    assert client.lstat(P("/d/file")).length == 4
    client.chmod(P("/d/file"), 0o600)
    client.chown(P("/d/file"), -1, -1)
    client.truncate(P("/d/file"), 2)
    client.utime(P("/d/file"), ns=(1, 2))
    import dingofs
    client.set_attr(P("/d/file"), dingofs.SET_ATTR_MODE, dingofs.Attr(mode=0o644))
    client.symlink(P("file"), P("/d/sym"))
    assert os.fsdecode(client.readlink(P("/d/sym"))) == "file"
    client.link(P("/d/file"), P("/d/hard"))
    client.rename(P("/d/hard"), P("/d/hard2"))
    client.unlink(P("/d/hard2"))
    client.mknod(P("/d/fifo"), 0o010644)
    client.setxattr(P("/d/file"), "user.k", b"v")
    assert client.getxattr(P("/d/file"), "user.k") == "v"
    assert client.listxattr(P("/d/file")) == ["user.k"]
    client.removexattr(P("/d/file"), "user.k")
    assert len(client.ioctl(P("/d/file"), 0x80086601)) == 8
    assert len(client.listdir(P("/d"))) == 4
    with client.scandir(P("/d")) as it:
        assert len(list(it)) == 4
    assert len(list(client.walk(P("/d")))) == 3
    client.rmdir(P("/d/e/f"))
    assert client.exists(P("/d/e"))


@pytest.mark.parametrize("form", PATH_FORMS)
def test_result_type_follows_input_type(client, form):
    P = form
    client.makedirs("/d/sub")
    client.write_bytes("/d/f", b"")
    client.symlink("target", "/d/l")
    want_bytes = isinstance(os.fspath(P("/d")), bytes)
    T = bytes if want_bytes else str
    for e in client.listdir(P("/d")):
        assert type(e.name) is T and type(e.path) is T
    for e in client.scandir(P("/d")):
        assert type(e.name) is T and type(e.path) is T
    for dirpath, dirnames, filenames in client.walk(P("/d")):
        assert type(dirpath) is T
        assert all(type(n) is T for n in dirnames + filenames)
    assert type(client.readlink(P("/d/l"))) is T


def test_str_encoded_with_fsencode(client):
    name = "/caf\xe9-\udcff"  # a surrogate escape from a non-UTF-8 name
    client.write_bytes(name, b"x")
    assert os.fsencode(name[1:]) in [e.name for e in client.listdir(b"/")]
    assert name[1:] in [e.name for e in client.listdir("/")]


@pytest.mark.parametrize("bad", ["/a\0", b"/a\0b", PL("/a\0"), pathlib.PurePosixPath("/x\0")],
                         ids=["str", "bytes", "PathLike", "PurePosixPath"])
def test_embedded_nul(client, bad):
    for call in (client.stat, client.mkdir, client.listdir, client.unlink,
                 lambda p: client.open(p, "wb"), lambda p: client.rename("/ok", p),
                 lambda p: client.symlink(p, "/ok2")):
        with pytest.raises(ValueError, match="embedded null byte"):
            call(bad)
    assert client.listdir("/") == []


@pytest.mark.parametrize("bad", [1, 1.5, None, ["/a"], object()],
                         ids=["int", "float", "None", "list", "object"])
def test_wrong_path_types(client, bad):
    calls = [client.stat, client.mkdir, lambda p: client.open(p, "rb")]
    if bad is not None:  # listdir(None) lists the current directory, as os.listdir
        calls.append(client.listdir)
    for call in calls:
        with pytest.raises(TypeError):
            call(bad)


def test_paths_not_normalised(client):
    client.makedirs("/a/b")
    client.write_bytes("/a/b/f", b"x")
    client.write_bytes("/top", b"")
    assert client.read_bytes("/a/b/../b/./f") == b"x"
    assert client.read_bytes("//a///b//f") == b"x"
    assert client.read_bytes("a/b/f") == b"x"  # relative to the root
    assert client.stat("/a/b/").type == client.stat("/a/b").type
    with pytest.raises(NotADirectoryError):
        client.stat("/top/")
    client.symlink("/a/b", "/lnk")
    # '..' after a symlink resolves physically (like the kernel): /a/b/.. = /a
    assert client.stat("/lnk/..").ino == client.stat("/a").ino
    assert client.stat("/..").ino == client.stat("/").ino


def test_long_names(client):
    client.write_bytes("/" + "n" * 255, b"")
    with pytest.raises(OSError) as ei:
        client.write_bytes("/" + "n" * 256, b"")
    import errno
    assert ei.value.errno == errno.ENAMETOOLONG
