"""Text mode: TextIOWrapper over the buffered layer, compared with builtins.open."""
from __future__ import annotations

import builtins
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from iocompare import Pair, close_quietly, outcome, run_ops

TEXT = "plain ascii\nünïcödé line\r\nwindows line\rold mac line\n€ and 日本語\nend"
ENCODINGS = ["utf-8", "latin-1", "utf-16", "utf-8-sig", "cp1252", "ascii"]
NEWLINES = [None, "", "\n", "\r", "\r\n"]
NL_IDS = ["nl-None", "nl-empty", "nl-LF", "nl-CR", "nl-CRLF"]


def _write_both(client, local_dir, text, mode="w", **kw):
    """Write ``text`` through text mode on both sides; return both raw bytes."""
    pair = Pair(client, local_dir)
    d = client.open(pair.dpath, mode if "t" in mode else mode + "t", **kw)
    l_ = builtins.open(pair.lpath, mode if "t" in mode else mode + "t", **kw)
    try:
        run_ops(d, l_, [("write", text), ("tell",), ("flush",)])
    finally:
        close_quietly(d, l_)
    return pair, pair.contents()


@pytest.mark.parametrize("newline", NEWLINES, ids=NL_IDS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_write_then_read_text(client, local_dir, encoding, newline):
    text = TEXT if encoding not in ("latin-1", "ascii", "cp1252") else \
        TEXT.encode(encoding, "replace").decode(encoding)
    pair, (dbytes, lbytes) = _write_both(client, local_dir, text, "w",
                                         encoding=encoding, newline=newline)
    assert dbytes == lbytes
    for read_nl in NEWLINES:
        d = client.open(pair.dpath, "r", encoding=encoding, newline=read_nl)
        l_ = builtins.open(pair.lpath, encoding=encoding, newline=read_nl)
        try:
            run_ops(d, l_, [("readline",), ("tell",), ("read", 5), ("readlines",),
                            ("seek", 0), ("iter",), ("seek", 0), ("read",)])
        finally:
            close_quietly(d, l_)


@pytest.mark.parametrize("errors", ["strict", "replace", "ignore", "surrogateescape",
                                    "backslashreplace"])
def test_decode_errors(client, local_dir, errors):
    raw = b"good \xff\xfe bad \xc3\x28 end\n"
    pair = Pair(client, local_dir)
    pair.seed(raw)
    d, l_ = pair.open("r", encoding="utf-8", errors=errors)
    assert d[0] == l_[0] == "ok"
    try:
        run_ops(d[1], l_[1], [("read",)])
    finally:
        close_quietly(d[1], l_[1])


@pytest.mark.parametrize("errors", ["strict", "replace", "surrogateescape"])
def test_encode_errors(client, local_dir, errors):
    pair = Pair(client, local_dir)
    text = "caf\u00e9 \udcff \u20ac"
    d, l_ = pair.open("w", encoding="ascii", errors=errors)
    try:
        run_ops(d[1], l_[1], [("write", text), ("flush",)])
    finally:
        close_quietly(d[1], l_[1])
    dc, lc = pair.contents()
    assert dc == lc


@pytest.mark.parametrize("mode", ["rt", "tr", "r+t", "at", "a+t", "wt", "w+t", "xt"])
def test_t_modes(client, local_dir, mode):
    pair = Pair(client, local_dir)
    if "x" not in mode:
        pair.seed(b"line1\nline2\n")
    (dk, d), (lk, l_) = pair.open(mode, encoding="utf-8")
    assert dk == lk == "ok"
    try:
        assert isinstance(d, io.TextIOWrapper)
        assert d.mode == l_.mode
        ops = [("readable",), ("writable",), ("seekable",)]
        if d.readable():
            ops += [("readline",), ("read",)]
        if d.writable():
            ops += [("write", "more\n"), ("flush",)]
        run_ops(d, l_, ops)
    finally:
        close_quietly(d, l_)
    assert pair.contents()[0] == pair.contents()[1]


@pytest.mark.parametrize("kw", [{"encoding": "utf-8"}, {"errors": "strict"},
                                {"newline": "\n"}], ids=["encoding", "errors", "newline"])
def test_text_keywords_select_text_mode(client, kw):
    client.write_bytes("/f", b"abc\n")
    with client.open("/f", "r", **kw) as f:
        assert isinstance(f, io.TextIOWrapper)
        assert f.read() == "abc\n"


@pytest.mark.parametrize("mode,buffer_cls", [
    ("rt", io.BufferedReader), ("wt", io.BufferedWriter), ("at", io.BufferedWriter),
    ("r+t", io.BufferedRandom), ("w+t", io.BufferedRandom),
])
def test_text_layers(client, mode, buffer_cls):
    import dingofs
    client.write_bytes("/f", b"")
    with client.open("/f", mode, encoding="utf-8") as f:
        assert isinstance(f, io.TextIOWrapper)
        assert type(f.buffer) is buffer_cls
        assert isinstance(f.buffer.raw, dingofs.DingoFile)
        assert f.encoding == "utf-8"
        assert f.name == "/f"


def test_text_default_encoding_matches_builtins(client, local_dir):
    pair = Pair(client, local_dir)
    pair.seed(b"x")
    with client.open(pair.dpath, "rt") as d, builtins.open(pair.lpath) as l_:
        assert d.encoding == l_.encoding


def test_line_buffering(client, local_dir):
    d = client.open("/f", "wt", buffering=1, encoding="utf-8")
    l_ = builtins.open(local_dir / "f", "w", buffering=1, encoding="utf-8")
    try:
        assert d.line_buffering is True
        seen = []
        for chunk in ("partial", " line\nnext", " more", "\n"):
            d.write(chunk)
            l_.write(chunk)
            seen.append((client.read_bytes("/f"), (local_dir / "f").read_bytes()))
        for dc, lc in seen:
            assert dc == lc
        assert seen[0][0] == b""
        assert seen[-1][0] == b"partial line\nnext more\n"
    finally:
        close_quietly(d, l_)


def test_buffered_text_size(client):
    f = client.open("/f", "wt", buffering=16, encoding="utf-8")
    try:
        f.write("abc")
        f.flush()
        assert client.read_bytes("/f") == b"abc"
    finally:
        f.close()


@pytest.mark.parametrize("args,kw,exc", [
    (("rb",), {"encoding": "utf-8"}, ValueError),
    (("rb",), {"errors": "strict"}, ValueError),
    (("rb",), {"newline": "\n"}, ValueError),
    (("rt",), {"newline": "x"}, ValueError),
    (("rt", 0), {}, ValueError),
    (("rt",), {"encoding": "no-such-codec"}, LookupError),
    (("rt",), {"encoding": 5}, TypeError),
    (("rt",), {"newline": 5}, TypeError),
    (("rbt",), {}, ValueError),
], ids=["b+encoding", "b+errors", "b+newline", "bad-newline", "unbuffered-text",
        "unknown-codec", "encoding-int", "newline-int", "b-and-t"])
def test_text_validation_like_builtins(client, local_dir, args, kw, exc):
    client.write_bytes("/f", b"data")
    (local_dir / "f").write_bytes(b"data")
    with pytest.raises(exc):
        client.open("/f", *args, **kw)
    with pytest.raises(exc):
        builtins.open(local_dir / "f", *args, **kw)


def test_text_closed_file(client, local_dir):
    pair = Pair(client, local_dir)
    pair.seed(b"abc\n")
    (_, d), (_, l_) = pair.open("rt", encoding="utf-8")
    d.close()
    l_.close()
    run_ops(d, l_, [("read",), ("readline",), ("write", "x"), ("seek", 0), ("tell",),
                    ("closed",)])


def test_text_wrong_direction(client, local_dir):
    pair = Pair(client, local_dir)
    pair.seed(b"abc\n")
    (_, d), (_, l_) = pair.open("rt", encoding="utf-8")
    try:
        run_ops(d, l_, [("write", "x")])
        with pytest.raises(io.UnsupportedOperation):
            d.write("x")
    finally:
        close_quietly(d, l_)
    (_, d), (_, l_) = pair.open("wt", encoding="utf-8")
    try:
        run_ops(d, l_, [("read",)])
    finally:
        close_quietly(d, l_)


def test_write_bytes_to_text_rejected(client):
    with client.open("/f", "wt", encoding="utf-8") as f, pytest.raises(TypeError):
        f.write(b"bytes")


@given(text=st.text(max_size=300),
       encoding=st.sampled_from(["utf-8", "utf-16", "utf-32"]),
       newline=st.sampled_from(NEWLINES))
def test_random_text_round_trip(factory, tmp_path, text, encoding, newline):
    import uuid
    client = factory.clients[0] if factory.clients else factory()
    local_dir = tmp_path / "rand"
    local_dir.mkdir(exist_ok=True)
    name = "t" + uuid.uuid4().hex
    pair = Pair(client, local_dir, name)
    text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    for side_open, path in ((client.open, pair.dpath), (builtins.open, pair.lpath)):
        with side_open(path, "w", encoding=encoding, newline=newline) as f:
            f.write(text)
    assert pair.contents()[0] == pair.contents()[1]
    results = []
    for side_open, path in ((client.open, pair.dpath), (builtins.open, pair.lpath)):
        with side_open(path, "r", encoding=encoding, newline=newline) as f:
            results.append(outcome(f.readlines))
    assert results[0] == results[1]
