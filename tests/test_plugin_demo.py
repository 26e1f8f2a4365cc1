"""Demonstration of the dingofs pytest plugin in a user's own test suite.

Only the plugin's fixtures are used. Each test gets a new, empty embedded
filesystem, so the tests below pass in any order and under ``pytest -n 4``.
"""
from __future__ import annotations

from importlib import metadata

import pytest


def _plugin_installed() -> bool:
    eps = metadata.entry_points()
    group = eps.select(group="pytest11") if hasattr(eps, "select") else eps.get("pytest11", [])
    return any(ep.value == "dingofs.pytest_plugin" for ep in group)


if not _plugin_installed():  # only needed before the package declares its entry point
    pytest_plugins = ["dingofs.pytest_plugin"]


@pytest.mark.parametrize("n", range(16))
def test_each_test_sees_an_empty_filesystem(dingofs_client, n):
    assert dingofs_client.listdir("/") == []
    dingofs_client.makedirs("/work/out")  # fails if another test's directory were visible
    dingofs_client.write_bytes(f"/work/out/result-{n}.txt", str(n).encode())
    assert [e.name for e in dingofs_client.listdir("/work/out")] == [f"result-{n}.txt"]


def test_path_fixture(dingofs_path, dingofs_client):
    assert list(dingofs_path.iterdir()) == []
    (dingofs_path / "notes" / "a.txt").parent.mkdir()
    (dingofs_path / "notes" / "a.txt").write_text("hello")
    assert dingofs_client.read_bytes("/notes/a.txt") == b"hello"


def test_factory_makes_independent_filesystems(dingofs_factory):
    first = dingofs_factory()
    second = dingofs_factory()
    first.write_bytes("/only-in-first", b"1")
    assert not second.exists("/only-in-first")
    again = dingofs_factory("fs0")  # the first one, mounted a second time
    assert again.read_bytes("/only-in-first") == b"1"


def test_fsspec_fixture_shares_the_client_filesystem(dingofs_fs, dingofs_client):
    assert dingofs_fs.ls("/") == []
    dingofs_fs.pipe_file("/from-fsspec", b"data")
    assert dingofs_client.read_bytes("/from-fsspec") == b"data"


def test_urls_with_storage_options(dingofs_url, dingofs_storage_options, dingofs_client):
    fsspec = pytest.importorskip("fsspec")
    with fsspec.open(dingofs_url + "u.txt", "wt", **dingofs_storage_options) as f:
        f.write("through a URL")
    assert dingofs_client.read_bytes("/u.txt") == b"through a URL"
