"""DingoFile and the buffered wrappers follow the io protocol of builtins.open.

Every scenario runs the same operations on a DingoFS file and on a local file
opened with ``builtins.open`` and compares each outcome.
"""
from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from iocompare import CONTENT, Pair, close_quietly, run_ops

import dingofs

# -1 and 0 both give the raw DingoFile (test_buffered_wrapper_types checks
# that); the scripts run on the raw file and on two buffer sizes.
BUFFERINGS = [-1, 7, 4096]
BUF_IDS = ["raw", "buf-7", "buf-4096"]

READ_MODES = ["r", "rb", "r+", "rb+", "r+b", "w+", "wb+", "a+", "ab+", "x+", "xb+"]
WRITE_MODES = ["w", "wb", "a", "ab", "x", "xb", "r+", "rb+", "w+", "a+", "x+"]


def _needs_seed(mode: str) -> bool:
    return "x" not in mode


def _open_pair(client, local_dir, mode, buffering, seed=True):
    pair = Pair(client, local_dir)
    if seed and _needs_seed(mode):
        pair.seed()
    (dk, dfile), (lk, lfile) = pair.open(mode, buffering)
    assert dk == lk == "ok", (dfile, lfile)
    return pair, dfile, lfile


# --------------------------------------------------------------------------
# scripted scenarios
# --------------------------------------------------------------------------
READ_SCRIPTS = {
    "read-all": [("read",), ("read",), ("tell",)],
    "read-n": [("read", 5), ("read", 0), ("read", 3), ("tell",), ("read", 10_000),
               ("read", 1), ("tell",)],
    "read-minus-one": [("read", -1), ("read", -1)],
    "readinto": [("readinto", 4), ("readinto", 0), ("readinto", 1000), ("readinto", 10),
                 ("tell",)],
    "readline": [("readline",), ("readline",), ("readline", 3), ("readline", 0),
                 ("readline", -1), ("readline",), ("readline",), ("tell",)],
    "readlines": [("readline",), ("readlines",), ("readlines",)],
    "readlines-hint": [("readlines", 15), ("readlines", 1)],
    "iterate": [("read", 2), ("iter",), ("read",)],
    "next": [("next",), ("next",), ("tell",)],
    "seek-set": [("seek", 7), ("read", 4), ("seek", 0), ("read", 3), ("tell",)],
    "seek-cur": [("read", 4), ("seek", 3, 1), ("read", 2), ("seek", -5, 1), ("read", 2),
                 ("seek", 0, 1)],
    "seek-end": [("seek", 0, 2), ("read",), ("seek", -6, 2), ("read",), ("tell",)],
    "seek-past-end": [("seek", 100_000), ("read",), ("read", 5), ("tell",)],
    "seek-negative": [("seek", -1), ("tell",), ("seek", -10_000, 2), ("tell",)],
    "seek-bad-whence": [("seek", 0, 9)],
    "flags": [("readable",), ("writable",), ("seekable",), ("isatty",), ("closed",)],
}


@pytest.mark.parametrize("buffering", BUFFERINGS, ids=BUF_IDS)
@pytest.mark.parametrize("script", sorted(READ_SCRIPTS))
@pytest.mark.parametrize("mode", ["rb", "r+b", "ab+"])
def test_read_scripts(client, local_dir, mode, script, buffering):
    _, d, l_ = _open_pair(client, local_dir, mode, buffering)
    try:
        ops = READ_SCRIPTS[script]
        if mode.startswith("a"):
            ops = [("seek", 0)] + ops
        run_ops(d, l_, ops)
    finally:
        close_quietly(d, l_)


WRITE_SCRIPTS = {
    "write-read-back": [("write", b"hello"), ("tell",), ("seek", 0), ("read",)],
    "overwrite-middle": [("seek", 3), ("write", b"XYZ"), ("tell",), ("seek", 0),
                         ("read", 20)],
    "write-memoryview": [("write", memoryview(b"0123456789")[2:6]), ("seek", 0), ("read",)],
    "write-bytearray": [("write", bytearray(b"abc")), ("flush",), ("tell",)],
    "writelines": [("writelines", [b"a\n", b"bb\n", b"ccc"]), ("seek", 0), ("read",)],
    "sparse": [("seek", 5000), ("write", b"end"), ("seek", 0), ("read",), ("tell",)],
    "truncate-shrink": [("write", b"0123456789"), ("truncate", 4), ("tell",), ("seek", 0),
                        ("read",)],
    "truncate-grow": [("write", b"ab"), ("truncate", 10), ("tell",), ("seek", 0), ("read",)],
    "truncate-here": [("write", b"abcdef"), ("seek", 2), ("truncate",), ("tell",),
                      ("seek", 0), ("read",)],
    "truncate-negative": [("truncate", -1)],
    "interleaved": [("write", b"xx"), ("read", 3), ("write", b"yy"), ("seek", -1, 1),
                    ("read", 4), ("seek", 0, 2), ("write", b"!"), ("seek", 0), ("read",)],
    "write-empty": [("write", b""), ("tell",)],
    "write-str-rejected": [("write", "text")],
}


@pytest.mark.parametrize("buffering", BUFFERINGS, ids=BUF_IDS)
@pytest.mark.parametrize("script", sorted(WRITE_SCRIPTS))
@pytest.mark.parametrize("mode", ["rb+", "wb+", "ab+", "xb+"])
def test_write_scripts(client, local_dir, mode, script, buffering):
    pair, d, l_ = _open_pair(client, local_dir, mode, buffering)
    try:
        run_ops(d, l_, WRITE_SCRIPTS[script])
    finally:
        close_quietly(d, l_)
    dc, lc = pair.contents()
    assert dc == lc


APPEND_SCRIPT = [("write", b"one"), ("tell",), ("seek", 0), ("write", b"two"), ("tell",),
                 ("seek", 0), ("read",), ("seek", 2), ("truncate",)]


@pytest.mark.parametrize("buffering", BUFFERINGS, ids=BUF_IDS)
@pytest.mark.parametrize("mode", ["a", "ab", "a+", "ab+"])
def test_append_always_writes_at_end(client, local_dir, mode, buffering):
    pair, d, l_ = _open_pair(client, local_dir, mode, buffering)
    try:
        run_ops(d, l_, APPEND_SCRIPT if "+" in mode else APPEND_SCRIPT[:5])
    finally:
        close_quietly(d, l_)
    assert pair.contents()[0] == pair.contents()[1]


@pytest.mark.parametrize("buffering", BUFFERINGS, ids=BUF_IDS)
@pytest.mark.parametrize("mode", ["w", "wb", "w+", "wb+"])
def test_w_truncates(client, local_dir, mode, buffering):
    pair, d, l_ = _open_pair(client, local_dir, mode, buffering)
    try:
        run_ops(d, l_, [("tell",), ("seek", 0, 2)])
    finally:
        close_quietly(d, l_)
    assert pair.contents() == (b"", b"")


# --------------------------------------------------------------------------
# wrong direction, closed files, x mode, directories
# --------------------------------------------------------------------------
@pytest.mark.parametrize("buffering", BUFFERINGS, ids=BUF_IDS)
@pytest.mark.parametrize("mode", ["w", "wb", "a", "ab", "x", "xb"])
def test_read_on_write_only(client, local_dir, mode, buffering):
    _, d, l_ = _open_pair(client, local_dir, mode, buffering)
    try:
        run_ops(d, l_, [("read",), ("read", 1), ("readinto", 4), ("readline",),
                        ("readable",)])
        with pytest.raises(io.UnsupportedOperation):
            d.read()
    finally:
        close_quietly(d, l_)


@pytest.mark.parametrize("buffering", BUFFERINGS, ids=BUF_IDS)
@pytest.mark.parametrize("mode", ["r", "rb"])
def test_write_on_read_only(client, local_dir, mode, buffering):
    pair, d, l_ = _open_pair(client, local_dir, mode, buffering)
    try:
        run_ops(d, l_, [("write", b"x"), ("writelines", [b"y"]), ("truncate", 0),
                        ("writable",)])
        with pytest.raises(io.UnsupportedOperation):
            d.write(b"x")
    finally:
        close_quietly(d, l_)
    assert pair.contents()[0] == CONTENT


CLOSED_OPS = [("read",), ("read", 1), ("readinto", 2), ("readline",), ("readlines",),
              ("write", b"x"), ("seek", 0), ("tell",), ("truncate", 0), ("flush",),
              ("readable",), ("writable",), ("seekable",), ("isatty",), ("next",),
              ("closed",), ("close",)]


@pytest.mark.parametrize("buffering", BUFFERINGS, ids=BUF_IDS)
@pytest.mark.parametrize("mode", ["rb", "rb+", "wb", "ab+"])
def test_closed_file(client, local_dir, mode, buffering):
    _, d, l_ = _open_pair(client, local_dir, mode, buffering)
    d.close()
    l_.close()
    run_ops(d, l_, CLOSED_OPS)
    assert d.closed
    if isinstance(d, dingofs.DingoFile):
        with pytest.raises(ValueError, match="I/O operation on closed file"):
            d.read()


@pytest.mark.parametrize("buffering", BUFFERINGS, ids=BUF_IDS)
@pytest.mark.parametrize("mode", ["x", "xb", "x+", "xb+", "xt"])
def test_x_mode(client, local_dir, mode, buffering):
    pair = Pair(client, local_dir)
    pair.seed()
    d, l_ = pair.open(mode, buffering)
    assert d == l_ == ("error", ("OSError", 17))
    with pytest.raises(FileExistsError):
        client.open(pair.dpath, mode, buffering)
    assert pair.contents()[0] == CONTENT


@pytest.mark.parametrize("mode", ["rb", "r", "wb", "ab", "rb+", "xb"])
def test_open_directory(client, local_dir, mode):
    client.mkdir("/dir")
    (local_dir / "dir").mkdir()
    pair = Pair(client, local_dir, "dir")
    d, l_ = pair.open(mode, 0)
    assert d == l_
    assert d[0] == "error"


def test_open_directory_raises_isadirectory(client):
    client.mkdir("/dir")
    with pytest.raises(IsADirectoryError):
        client.open("/dir", "rb")
    with pytest.raises(IsADirectoryError):
        client.open("/dir", "wb")


@pytest.mark.parametrize("mode", ["rb", "r+b", "r", "rt"])
def test_open_missing(client, local_dir, mode):
    pair = Pair(client, local_dir, "missing")
    d, l_ = pair.open(mode, -1 if "t" not in mode else 4096)
    assert d == l_ == ("error", ("OSError", 2))


# --------------------------------------------------------------------------
# object types, attributes and modes
# --------------------------------------------------------------------------
@pytest.mark.parametrize("mode,expected", [
    ("r", "rb"), ("rb", "rb"), ("br", "rb"), ("r+", "rb+"), ("rb+", "rb+"), ("r+b", "rb+"),
    ("+rb", "rb+"), ("w", "wb"), ("wb", "wb"), ("w+", "rb+"), ("w+b", "rb+"),
    ("a", "ab"), ("ab", "ab"), ("a+", "ab+"), ("ab+", "ab+"), ("x", "xb"), ("xb+", "xb+"),
])
def test_mode_is_normalised_like_fileio(client, local_dir, mode, expected):
    pair = Pair(client, local_dir)
    if "x" not in mode:
        pair.seed()
    f = client.open(pair.dpath, mode)
    try:
        assert isinstance(f, dingofs.DingoFile)
        assert f.mode == expected
        ref_path = local_dir / "cmp"
        if "x" not in mode:
            ref_path.write_bytes(b"")
        with io.FileIO(ref_path, mode if "b" in mode else mode + "b") as ref:
            assert ref.mode == expected
    finally:
        f.close()


def test_default_open_is_binary_raw(client):
    client.write_bytes("/f", b"data")
    with client.open("/f") as f:
        assert isinstance(f, dingofs.DingoFile)
        assert isinstance(f, io.RawIOBase)
        assert f.mode == "rb"
        assert isinstance(f.read(), bytes)
    with client.open("/f", "r") as f:
        assert f.read() == b"data"  # 'r' is binary, as upstream


@pytest.mark.parametrize("mode,cls", [
    ("rb", io.BufferedReader), ("wb", io.BufferedWriter), ("ab", io.BufferedWriter),
    ("rb+", io.BufferedRandom), ("wb+", io.BufferedRandom), ("ab+", io.BufferedRandom),
    ("r", io.BufferedReader), ("w", io.BufferedWriter),
])
def test_buffered_wrapper_types(client, mode, cls):
    client.write_bytes("/f", b"data")
    with client.open("/f", mode, buffering=8192) as f:
        assert type(f) is cls
        assert isinstance(f.raw, dingofs.DingoFile)
        assert f.raw.mode == f.mode
    for b in (-1, 0):
        with client.open("/f", mode, buffering=b) as f:
            assert isinstance(f, dingofs.DingoFile)


def test_dingofile_attributes(client):
    client.write_bytes("/f", b"abc")
    f = client.open("/f", "rb+")
    assert f.name == "/f"
    assert f.closed is False
    assert f.readable() and f.writable() and f.seekable()
    assert f.isatty() is False
    with pytest.raises(io.UnsupportedOperation):
        f.fileno()
    f.close()
    assert f.closed is True
    f.close()  # idempotent


def test_name_keeps_the_path_type(client):
    client.write_bytes("/f", b"")
    with client.open(b"/f") as f:
        assert f.name == b"/f"


@pytest.mark.parametrize("mode", ["", "rw", "rr", "wa", "r+w", "rbt", "q", "rb++", "U",
                                  "rU", "b", "t", "+"])
def test_invalid_modes(client, mode):
    client.write_bytes("/f", b"")
    with pytest.raises(ValueError):
        client.open("/f", mode)


def test_invalid_open_argument_types(client):
    client.write_bytes("/f", b"")
    with pytest.raises(TypeError):
        client.open("/f", 5)
    with pytest.raises(TypeError):
        client.open("/f", "rb", "big")
    with pytest.raises(TypeError):
        client.open(3.0, "rb")


def test_context_manager_closes(client):
    with client.open("/f", "wb") as f:
        f.write(b"x")
    assert f.closed


# --------------------------------------------------------------------------
# raw extras: readinto into any buffer, readall, read_into, pread/pwrite, stat
# --------------------------------------------------------------------------
def test_readinto_any_writable_buffer(client):
    client.write_bytes("/f", bytes(range(100)))
    with client.open("/f", "rb") as f:
        ba = bytearray(10)
        assert f.readinto(ba) == 10
        assert ba == bytes(range(10))
        mv = memoryview(bytearray(20))
        assert f.readinto(mv[5:15]) == 10
        assert bytes(mv[5:15]) == bytes(range(10, 20))
        import array
        arr = array.array("B", bytes(5))
        assert f.readinto(arr) == 5
        assert arr.tobytes() == bytes(range(20, 25))
        with pytest.raises(TypeError):
            f.readinto(b"immutable")


def test_readinto_numpy(client):
    np = pytest.importorskip("numpy")
    data = np.arange(1000, dtype=np.int32)
    client.write_bytes("/arr", data.tobytes())
    out = np.zeros(1000, dtype=np.int32)
    with client.open("/arr", "rb") as f:
        assert f.readinto(out) == 4000
    assert (out == data).all()
    with client.open("/arr2", "wb") as f:
        assert f.write(data) == 4000
    assert client.read_bytes("/arr2") == data.tobytes()


def test_read_into_alias(client):
    client.write_bytes("/f", b"0123456789")
    with client.open("/f", "rb") as f:
        buf = bytearray(4)
        assert f.read_into(buf) == 4
        assert buf == b"0123"
        buf = bytearray(8)
        assert f.read_into(buf, 3) == 3
        assert buf[:3] == b"456"
        assert f.read_into(bytearray(100)) == 3


def test_readall(client, local_dir):
    pair = Pair(client, local_dir)
    pair.seed()
    with client.open("/f", "rb") as d, open(pair.lpath, "rb", buffering=0) as l_:
        assert d.read(3) == l_.read(3)
        assert d.readall() == l_.readall()
        assert d.readall() == b""


def test_pread_pwrite(client):
    with client.open("/f", "wb+") as f:
        f.write(b"0123456789")
        assert f.pread(3, 2) == b"234"
        assert f.tell() == 10
        assert f.pwrite(b"ab", 4) == 2
        assert f.tell() == 10
        assert f.pread(100, 0) == b"0123ab6789"
        assert f.pread(5, 50) == b""
        assert f.pwrite(memoryview(b"zz"), 12) == 2
        assert f.pread(100, 8) == b"89\0\0zz"
        with pytest.raises(ValueError):
            f.pread(1, -1)
        with pytest.raises(ValueError):
            f.pwrite(b"x", -1)
    with client.open("/f", "rb") as f, pytest.raises(io.UnsupportedOperation):
        f.pwrite(b"x", 0)


def test_file_stat(client):
    with client.open("/f", "wb") as f:
        f.write(b"12345")
        f.flush()
        st = f.stat()
        assert isinstance(st, dingofs.Attr)
        assert st.length == 5
        assert st.type == dingofs.FileType.File
        assert st.ino == client.stat("/f").ino


def test_fsync_and_flush(client):
    with client.open("/f", "wb") as f:
        f.write(b"durable")
        assert f.flush() is None
        assert f.fsync() is None
        assert f.fsync(datasync=True) is None
    assert client.read_bytes("/f") == b"durable"


def test_dingofile_truncate(client):
    with client.open("/f", "wb+") as f:
        f.write(b"0123456789")
        assert f.truncate(3) == 3
        assert f.tell() == 10
        assert f.stat().length == 3
        f.seek(1)
        assert f.truncate() == 1
    assert client.read_bytes("/f") == b"0"


def test_read_bounded_allocation(client):
    client.write_bytes("/small", b"abc")
    with client.open("/small", "rb") as f:
        # asking for a huge n must not try to allocate n bytes
        assert f.read(1 << 40) == b"abc"
        assert f.read(1 << 40) == b""


def test_read_sees_growth(client):
    with client.open("/g", "wb") as w, client.open("/g", "rb") as r:
        w.write(b"abc")
        w.flush()
        assert r.read(100) == b"abc"
        w.write(b"defg")
        w.flush()
        assert r.read(100) == b"defg"


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 1 << 20, (1 << 20) + 17])
def test_large_round_trip(client, size):
    import os
    data = os.urandom(size)
    with client.open("/big", "wb") as f:
        assert f.write(data) == size
    with client.open("/big", "rb") as f:
        assert f.read() == data
    assert client.stat("/big").length == size


# --------------------------------------------------------------------------
# random operation sequences against builtins.open
# --------------------------------------------------------------------------
_op = st.one_of(
    st.tuples(st.just("read"), st.integers(-1, 300)),
    st.tuples(st.just("read")),
    st.tuples(st.just("readinto"), st.integers(0, 300)),
    st.tuples(st.just("readline")),
    st.tuples(st.just("readline"), st.integers(-1, 40)),
    st.tuples(st.just("write"), st.binary(max_size=200)),
    st.tuples(st.just("seek"), st.integers(-50, 1000), st.sampled_from([0, 1, 2])),
    st.tuples(st.just("tell")),
    st.tuples(st.just("truncate"), st.integers(0, 1200)),
    st.tuples(st.just("truncate")),
    st.tuples(st.just("flush")),
)


@given(mode=st.sampled_from(["rb+", "wb+", "ab+", "rb", "wb", "ab"]),
       buffering=st.sampled_from([-1, 0, 5, 64, 8192]),
       ops=st.lists(_op, max_size=30))
def test_random_operations_match_builtins_open(factory, tmp_path, mode, buffering, ops):
    import itertools
    import uuid
    client = factory.clients[0] if factory.clients else factory()
    local_dir = tmp_path / "rand"
    local_dir.mkdir(exist_ok=True)
    name = f"f{uuid.uuid4().hex}"
    pair = Pair(client, local_dir, name)
    pair.seed(bytes(itertools.islice(itertools.cycle(b"abc\ndef\r\n"), 500)))
    (dk, d), (lk, l_) = pair.open(mode, buffering)
    assert dk == lk == "ok"
    try:
        run_ops(d, l_, ops)
    finally:
        close_quietly(d, l_)
    dc, lc = pair.contents()
    assert dc == lc


def test_open_directory_for_reading_leaves_nothing_open(client):
    # The directory check runs in C right after the open: the descriptor it
    # opened is released again, so refused opens do not pile up.
    client.mkdir("/d")
    client.write_bytes("/f", b"x")
    with client.open("/f", "rb") as f:
        first = f._fd
    for mode in ("rb", "r", "rb+"[:2]):
        for _ in range(50):
            with pytest.raises(IsADirectoryError) as info:
                client.open("/d", mode)
            assert info.value.filename == "/d"
    with client.open("/f", "rb") as f:
        last = f._fd
    # The engine numbers descriptors upwards: each refused open had one of
    # these, and none of them is still open.
    assert last > first + 150
    import errno

    for fd in range(first + 1, last):
        with pytest.raises(OSError) as err:
            client._s.plain_attr("dingofs_fstat", fd)
        assert err.value.errno == errno.EBADF
    assert client.stats()["open_files"] == 0
