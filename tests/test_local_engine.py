"""``local://`` filesystems on disk, asked of the embedded engine: the address rules
and the layout (``dingofs_x_local_info``/``_list``/``_remove`` through
``dingofs._calls``), and what ``dingofs.path`` builds on them."""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from helpers import engine_backend, local_url, run_in_child

import dingofs
from dingofs import _calls
from dingofs.path import ConnectionSettings, default_base_dir, valid_local_name


@pytest.fixture
def engine():
    backend = engine_backend()
    if not backend.has("local_info"):
        pytest.skip("the loaded engine lacks the local_* extensions")
    return backend


def _make(base: Path, name: str, **params: object) -> None:
    dingofs.Client.build(local_url(base, name, **params), name, "/m",
                         init_logging=False).stop()


def _write_big(base: Path, name: str, **params: object) -> None:
    with dingofs.Client.build(local_url(base, name, **params), name, "/m",
                              init_logging=False) as c:
        c.write_bytes("/big", os.urandom(300_000))  # a data file, not inline


# -- the address rules ----------------------------------------------------------------
@pytest.mark.parametrize("name,valid", [
    ("a", True), ("A-z_0.9", True), ("x" * 64, True), ("_lead", True), ("-lead", True),
    ("", False), (".hidden", False), ("x" * 65, False), ("a/b", False), ("a b", False),
    ("a?base=/x", False), ("a?colour=1", False), ("café", False), ("a\0b", False),
    ("a&b", False), ("a%20", False),
], ids=repr)
def test_valid_local_name_is_the_engines(engine, name, valid):
    assert valid_local_name(name) is valid
    if name and "\0" not in name and "?" not in name:
        rc = None
        try:
            _calls.local_info(engine, f"local://{name}".encode(), parse_only=True)
        except OSError as exc:
            rc = exc.errno
        assert (rc is None) is valid


def test_default_base_dir_follows_the_engine(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("DINGOFS_BASE_DIR", f"{tmp_path}/b//")
    assert default_base_dir() == f"{tmp_path}/b"
    assert default_base_dir({"DINGOFS_BASE_DIR": "/elsewhere/"}) == "/elsewhere"
    monkeypatch.setenv("DINGOFS_BASE_DIR", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = "/var/dingo" if os.geteuid() == 0 else f"{tmp_path}/home/.dingo"
    assert default_base_dir() == expected
    assert _calls.local_base_dir(engine) == expected


def test_info_parses_like_mount(engine, tmp_path):
    info = _calls.local_info(engine, f"local://n?base={tmp_path}&path=/d%26x&base={tmp_path}/"
                             .encode(), parse_only=True)
    assert (info.name, info.base_dir) == ("n", str(tmp_path))
    assert info.meta_dir == f"{tmp_path}/meta/n"
    assert info.data_dir == "/d&x"
    assert (info.exists, info.mounted, info.size) == (None, None, None)
    with pytest.raises(dingofs.DingofsError) as ei:
        _calls.local_info(engine, b"local://n?colour=blue", shown="local://n?colour=blue")
    assert ei.value.errno == errno.EINVAL
    assert ei.value.operation == "dingofs_x_local_info"
    assert "unknown parameter colour" in str(ei.value)
    with pytest.raises(dingofs.DingofsError) as ei:
        _calls.local_info(engine, b"127.0.0.1:6700")
    assert ei.value.errno == errno.EPROTONOSUPPORT


def test_settings_take_the_name_from_the_engine(engine, tmp_path):
    s = ConnectionSettings.resolve(mds_addrs=f"local://abc?base={tmp_path}", environ={})
    assert s.fs_name == "abc"
    with pytest.raises(ValueError, match="bad filesystem name"):
        ConnectionSettings.resolve(mds_addrs="local://.bad", environ={})
    with pytest.raises(ValueError, match="no filesystem name"):
        ConnectionSettings.resolve(mds_addrs="127.0.0.1:6700", environ={})


# -- existence, listing, sizes --------------------------------------------------------
def test_info_and_list_of_real_filesystems(engine, tmp_path):
    base = tmp_path / "base"
    elsewhere = tmp_path / "elsewhere"
    _make(base, "b")
    _write_big(base, "a", path=elsewhere)
    info = _calls.local_info(engine, local_url(base, "a").encode(), sizes=True)
    assert info.exists is True and info.mounted is False
    assert info.data_dir == str(elsewhere)  # recorded at creation
    assert info.size is not None and info.size >= 300_000
    missing = _calls.local_info(engine, local_url(base, "zz").encode())
    assert (missing.exists, missing.mounted) == (False, False)
    assert not Path(missing.meta_dir).exists()
    found = _calls.local_list(engine, os.fsencode(base), sizes=True)
    assert [f.name for f in found] == ["a", "b"]
    assert found[0].size is not None and found[1].size is not None
    assert found[0].size > found[1].size
    with dingofs.Client.build(local_url(base, "b"), "b", "/m", init_logging=False):
        listed = {f.name: f.mounted for f in _calls.local_list(engine, os.fsencode(base))}
        assert listed == {"a": False, "b": True}
    assert _calls.local_list(engine, os.fsencode(tmp_path / "none")) == []


def test_filesystem_identity_is_the_resolved_base_and_name(engine, tmp_path, monkeypatch):
    base = tmp_path / "real"
    base.mkdir()
    (tmp_path / "link").symlink_to(base)
    one = _calls.filesystem_id(engine, f"local://x?base={base}", "x")
    assert _calls.filesystem_identity(engine, f"local://x?base={base}") == f"local|{base}|x"
    assert _calls.filesystem_id(engine, f"local://x?base={base}/", "x") == one
    assert _calls.filesystem_id(engine, f"local://x?base={tmp_path}/link&ro=1", "") == one
    monkeypatch.setenv("DINGOFS_BASE_DIR", str(tmp_path / "link"))
    assert _calls.filesystem_id(engine, "local://x", "x") == one
    assert _calls.filesystem_id(engine, f"local://y?base={base}", "y") != one
    assert 0 <= one < 2**63
    cluster = _calls.filesystem_identity(engine, "10.0.0.1:6700", "fs")
    assert cluster == "10.0.0.1:6700|fs"


# -- removal --------------------------------------------------------------------------
def test_remove_is_refused_while_mounted(engine, tmp_path):
    base = tmp_path / "base"
    _write_big(base, "m")
    addrs = local_url(base, "m").encode()
    with dingofs.Client.build(local_url(base, "m"), "m", "/m", init_logging=False):
        with pytest.raises(dingofs.DingofsError) as ei:
            _calls.local_remove(engine, addrs, shown="m")
        assert ei.value.errno == errno.EBUSY
        assert "mounted" in str(ei.value)

        def other_process() -> int:
            try:
                _calls.local_remove(engine, addrs)
            except OSError as exc:
                return exc.errno or 0
            return 0

        assert run_in_child(other_process) == errno.EBUSY
    assert (base / "meta" / "m").is_dir()
    _calls.local_remove(engine, addrs)
    assert not (base / "meta" / "m").exists()
    assert not (base / "data" / "m").exists()
    with pytest.raises(FileNotFoundError):
        _calls.local_remove(engine, addrs)


def test_remove_takes_the_data_dir_given_with_path(engine, tmp_path):
    base = tmp_path / "base"
    data = tmp_path / "outside" / "data"
    _write_big(base, "p", path=data)
    assert data.is_dir()
    _calls.local_remove(engine, local_url(base, "p").encode())
    assert not data.exists()
    assert (tmp_path / "outside").is_dir()
    assert not (base / "meta" / "p").exists()
