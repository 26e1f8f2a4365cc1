"""DingoPath: each method compared with pathlib.Path on a local directory."""
from __future__ import annotations

import stat
from pathlib import Path, PurePosixPath

import pytest

from dingofs.path import DingoPath

TREE = {
    "a.txt": b"alpha\n",
    "b.csv": b"1,2\n3,4\n",
    ".hidden": b"h",
    "sub/c.txt": b"gamma",
    "sub/deeper/d.txt": b"delta",
    "sub/deeper/e.bin": b"\x00\x01",
    "other/f.txt": b"",
}


def _build_local(root: Path) -> None:
    for rel, data in TREE.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    (root / "empty").mkdir()


def _build_remote(root: DingoPath) -> None:
    for rel, data in TREE.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    (root / "empty").mkdir()


@pytest.fixture
def pair(client, local_dir):
    """(DingoPath root, pathlib root) holding the same tree."""
    droot = DingoPath(client, "/data")
    droot.mkdir()
    _build_remote(droot)
    _build_local(local_dir)
    return droot, local_dir


def _rel_d(paths, root: DingoPath) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in paths)


def _rel_l(paths, root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in paths)


# -- pure behaviour -----------------------------------------------------------
def test_pure_operations(client):
    p = DingoPath(client, "/dir", "file.tar.gz")
    q = PurePosixPath("/dir/file.tar.gz")
    assert str(p) == str(q)
    assert p.name == q.name and p.suffix == q.suffix and p.suffixes == q.suffixes
    assert p.stem == q.stem and p.parts == q.parts and p.anchor == q.anchor
    assert str(p.parent) == str(q.parent)
    assert [str(x) for x in p.parents] == [str(x) for x in q.parents]
    assert str(p.with_name("x.py")) == str(q.with_name("x.py"))
    assert str(p.with_suffix(".bz2")) == str(q.with_suffix(".bz2"))
    assert str(p.with_stem("y")) == "/dir/y.gz"
    assert p.relative_to("/dir") == PurePosixPath("file.tar.gz")
    assert p.is_relative_to(DingoPath(client, "/dir")) and not p.is_relative_to("/other")
    assert p.match("*.gz") and not p.match("*.txt")
    assert p.is_absolute() and p.absolute() is p
    assert DingoPath(client, "rel") == DingoPath(client, "/rel")
    assert (DingoPath(client, "/") / "a" / "b").path == "/a/b"
    assert DingoPath(client, "/a").joinpath("b", "c").path == "/a/b/c"
    assert p.as_posix() == "/dir/file.tar.gz"
    assert hash(DingoPath(client, "/x")) == hash(DingoPath(client, "/x"))
    assert sorted([DingoPath(client, "/b"), DingoPath(client, "/a")])[0].path == "/a"
    assert p.client is client
    with pytest.raises(TypeError):
        DingoPath(client, 3)  # type: ignore[arg-type]
    assert not hasattr(p, "__fspath__")


def test_paths_of_different_clients_differ(factory):
    c1, c2 = factory("one"), factory("two")
    assert DingoPath(c1, "/x") != DingoPath(c2, "/x")


# -- queries ------------------------------------------------------------------
@pytest.mark.parametrize(
    "rel", ["a.txt", "sub", "sub/deeper/d.txt", "missing", "a.txt/below", "empty"]
)
def test_exists_is_dir_is_file(pair, rel):
    d, local = pair
    assert (d / rel).exists() == (local / rel).exists()
    assert (d / rel).is_dir() == (local / rel).is_dir()
    assert (d / rel).is_file() == (local / rel).is_file()
    assert (d / rel).is_symlink() == (local / rel).is_symlink()


def test_stat_and_lstat(pair):
    d, local = pair
    for rel in ("a.txt", "sub", "other/f.txt"):
        ds, ls = (d / rel).stat(), (local / rel).stat()
        assert ds.st_size == ls.st_size or stat.S_ISDIR(ls.st_mode)
        assert stat.S_IFMT(ds.st_mode) == stat.S_IFMT(ls.st_mode)
    (d / "link").symlink_to("/data/a.txt")
    (local / "link").symlink_to(local / "a.txt")
    assert stat.S_ISLNK((d / "link").lstat().st_mode)
    assert stat.S_ISLNK((local / "link").lstat().st_mode)
    assert stat.S_ISREG((d / "link").stat().st_mode)
    assert stat.S_ISLNK((d / "link").stat(follow_symlinks=False).st_mode)
    assert (d / "link").is_symlink() and (local / "link").is_symlink()
    assert (d / "link").samefile("/data/a.txt")
    with pytest.raises(FileNotFoundError):
        (d / "missing").stat()
    with pytest.raises(FileNotFoundError):
        (local / "missing").stat()


def test_iterdir(pair):
    d, local = pair
    assert sorted(p.name for p in d.iterdir()) == sorted(p.name for p in local.iterdir())
    assert all(isinstance(p, DingoPath) and p.client is d.client for p in d.iterdir())
    with pytest.raises(NotADirectoryError):
        list((d / "a.txt").iterdir())
    with pytest.raises(NotADirectoryError):
        list((local / "a.txt").iterdir())
    with pytest.raises(FileNotFoundError):
        list((d / "nope").iterdir())


@pytest.mark.parametrize(
    "pattern",
    ["*.txt", "*", "sub/*", "**/*.txt", "sub/**/*.bin", "*/", "s?b/*.t[x]t", "**/deeper/*",
     "nothing*", "sub/deeper/d.txt", "*/*.txt"],
)
def test_glob_matches_pathlib(pair, pattern):
    d, local = pair
    assert _rel_d(d.glob(pattern), d) == _rel_l(local.glob(pattern), local)


@pytest.mark.parametrize("pattern", ["*.txt", "*", "d.*", "deeper"])
def test_rglob_matches_pathlib(pair, pattern):
    d, local = pair
    assert _rel_d(d.rglob(pattern), d) == _rel_l(local.rglob(pattern), local)


def test_glob_rejects_bad_patterns(pair):
    d, _ = pair
    with pytest.raises(ValueError):
        list(d.glob(""))
    with pytest.raises(NotImplementedError):
        list(d.glob("/abs"))


# -- directories ----------------------------------------------------------------
def test_mkdir_like_pathlib(pair):
    d, local = pair
    for root in (d, local):
        (root / "n1").mkdir()
        assert (root / "n1").is_dir()
        with pytest.raises(FileExistsError):
            (root / "n1").mkdir()
        (root / "n1").mkdir(exist_ok=True)
        with pytest.raises(FileNotFoundError):
            (root / "x" / "y").mkdir()
        (root / "x" / "y" / "z").mkdir(parents=True)
        assert (root / "x" / "y" / "z").is_dir()
        (root / "x" / "y").mkdir(parents=True, exist_ok=True)
        with pytest.raises(FileExistsError):
            (root / "a.txt").mkdir(exist_ok=True)  # a file is in the way
        (root / "n1").rmdir()
        assert not (root / "n1").exists()


def test_mkdir_mode(client):
    client.umask = 0o022
    p = DingoPath(client, "/m")
    p.mkdir(mode=0o750)
    assert stat.S_IMODE(p.stat().st_mode) == 0o750


def test_walk(pair):
    d, local = pair
    got = sorted((str(p.relative_to(d)), sorted(ds), sorted(fs)) for p, ds, fs in d.walk())
    want = sorted(
        (str(Path(root).relative_to(local)), sorted(ds), sorted(fs))
        for root, ds, fs in __import__("os").walk(local)
    )
    assert got == want


# -- files --------------------------------------------------------------------------
def test_read_write_bytes_and_text(pair):
    d, local = pair
    for root in (d, local):
        assert (root / "w.bin").write_bytes(b"\x00abc") == 4
        assert (root / "w.bin").read_bytes() == b"\x00abc"
        assert (root / "w.txt").write_text("héllo\nwörld", encoding="utf-8") == 11
        assert (root / "w.txt").read_text(encoding="utf-8") == "héllo\nwörld"
        assert (root / "w.txt").read_bytes() == "héllo\nwörld".encode()
        (root / "n.txt").write_text("a\nb\n", newline="\r\n")
        assert (root / "n.txt").read_bytes() == b"a\r\nb\r\n"
        with pytest.raises(TypeError):
            (root / "w.txt").write_text(b"bytes")  # type: ignore[arg-type]
    assert (d / "a.txt").read_text() == (local / "a.txt").read_text()


def test_open_modes(pair):
    d, local = pair
    for root in (d, local):
        with (root / "o.txt").open("w") as f:
            f.write("line1\nline2\n")
        with (root / "o.txt").open() as f:
            assert isinstance(f.read(), str)
        with (root / "o.txt").open("rb") as f:
            assert f.read() == b"line1\nline2\n"
        with (root / "o.txt").open("a") as f:
            f.write("line3\n")
        with (root / "o.txt").open("r") as f:
            assert f.readlines() == ["line1\n", "line2\n", "line3\n"]
        with pytest.raises(FileExistsError):
            (root / "o.txt").open("x")
        with pytest.raises(FileNotFoundError):
            (root / "missing.txt").open()


def test_touch(pair):
    d, local = pair
    for root in (d, local):
        (root / "t").touch()
        assert (root / "t").is_file() and (root / "t").stat().st_size == 0
        (root / "a.txt").touch()
        assert (root / "a.txt").read_bytes() == b"alpha\n"
        with pytest.raises(FileExistsError):
            (root / "t").touch(exist_ok=False)
    before = (d / "a.txt").stat().st_mtime_ns
    import time

    time.sleep(0.01)
    (d / "a.txt").touch()
    assert (d / "a.txt").stat().st_mtime_ns > before


def test_unlink(pair):
    d, local = pair
    for root in (d, local):
        (root / "a.txt").unlink()
        assert not (root / "a.txt").exists()
        with pytest.raises(FileNotFoundError):
            (root / "a.txt").unlink()
        (root / "a.txt").unlink(missing_ok=True)
        with pytest.raises(IsADirectoryError):
            (root / "empty").unlink()


def test_rename_and_replace(pair):
    d, local = pair
    for root in (d, local):
        target = (root / "a.txt").rename(root / "renamed.txt")
        assert target.read_bytes() == b"alpha\n"
        assert not (root / "a.txt").exists()
        (root / "b.csv").replace(root / "renamed.txt")
        assert (root / "renamed.txt").read_bytes() == TREE["b.csv"]
    new = (d / "renamed.txt").rename("/data/sub/moved.txt")
    assert isinstance(new, DingoPath) and new.path == "/data/sub/moved.txt"
    assert new.read_bytes() == TREE["b.csv"]


def test_links_and_chmod(pair):
    d, local = pair
    (d / "sl").symlink_to("a.txt")
    assert (d / "sl").readlink() == PurePosixPath("a.txt")  # verbatim, as pathlib
    assert (d / "sl").parent / (d / "sl").readlink() == d / "a.txt"
    assert (d / "sl").read_bytes() == b"alpha\n"
    (d / "hl").hardlink_to(d / "a.txt")
    assert (d / "hl").stat().st_ino == (d / "a.txt").stat().st_ino
    assert (d / "hl").samefile(d / "a.txt")
    (d / "a.txt").chmod(0o600)
    (local / "a.txt").chmod(0o600)
    want = stat.S_IMODE((local / "a.txt").stat().st_mode)
    assert stat.S_IMODE((d / "a.txt").stat().st_mode) == want
