"""Shared fixtures of the dingofs test suite.

Every test gets its own embedded (``local://``) filesystem under its own
``tmp_path``, so tests share no state and run in any order, in parallel
(``pytest -n auto``).
"""
from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import pytest
from _profiles import freeze_local_constants, load_profiles
from helpers import local_url

import dingofs

# --------------------------------------------------------------------------
# hypothesis profiles: ``ci`` (derandomized, no database) unless
# $HYPOTHESIS_PROFILE names another; the same in and out of CI (tests/_profiles.py)
# --------------------------------------------------------------------------
HAVE_HYPOTHESIS = importlib.util.find_spec("hypothesis") is not None  # a test extra
if HAVE_HYPOTHESIS:
    load_profiles(freeze=False)


@pytest.hookimpl(trylast=True)  # after hypothesis's own pytest_sessionstart
def pytest_sessionstart(session: pytest.Session) -> None:
    """Freeze hypothesis's local constants before any test module is collected."""
    if HAVE_HYPOTHESIS:
        freeze_local_constants()


# --------------------------------------------------------------------------
# markers and selection
# --------------------------------------------------------------------------
# The markers themselves are declared in one place: pyproject.toml
# ([tool.pytest.ini_options] markers; --strict-markers rejects any other).


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    # Slow tests only run when asked for with a marker expression (-m slow).
    markexpr = getattr(config.option, "markexpr", "") or ""
    skip_slow = pytest.mark.skip(reason="slow test: run with -m slow")
    skip_cluster = pytest.mark.skip(reason="needs DINGOFS_TEST_MDS (a DingoFS cluster)")
    skip_root = pytest.mark.skip(reason="needs root")
    for item in items:
        if "slow" in item.keywords and "slow" not in markexpr:
            item.add_marker(skip_slow)
        if "cluster" in item.keywords and not os.environ.get("DINGOFS_TEST_MDS"):
            item.add_marker(skip_cluster)
        if "root" in item.keywords and os.geteuid() != 0:
            item.add_marker(skip_root)


# --------------------------------------------------------------------------
# filesystems
# --------------------------------------------------------------------------
class ClientFactory:
    """Builds clients on filesystems under one temporary directory.

    ``factory()`` with the same ``name`` mounts the same filesystem again
    (a second handle); different names give independent filesystems. Every
    client built here is stopped at teardown.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = root / "dfs"
        self.logs = root / "logs"
        self.base.mkdir(exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        self.clients: list = []

    def url(self, name: str = "t", **params: object) -> str:
        return local_url(self.base, name, **params)

    def __call__(self, name: str = "t", *, params: dict | None = None,
                 **kwargs: object) -> dingofs.Client:
        kwargs.setdefault("log_dir", str(self.logs))
        client = dingofs.Client.build(self.url(name, **(params or {})), name,
                                      f"/mnt/{name}", **kwargs)
        self.clients.append(client)
        return client

    def close_all(self) -> None:
        while self.clients:
            self.clients.pop().stop()


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[ClientFactory]:
    f = ClientFactory(tmp_path)
    try:
        yield f
    finally:
        f.close_all()


@pytest.fixture
def client(factory: ClientFactory) -> dingofs.Client:
    """A client on a fresh, empty embedded filesystem."""
    return factory()


@pytest.fixture
def local_dir(tmp_path: Path) -> Path:
    """A local directory to compare behaviour with ``os``/``builtins.open``."""
    d = tmp_path / "local"
    d.mkdir()
    return d


@pytest.fixture
def proc_umask() -> Iterator[Callable[[int], None]]:
    """Set the process umask for one test and restore it afterwards."""
    old = os.umask(0o022)
    os.umask(old)

    def set_umask(value: int) -> None:
        os.umask(value)

    try:
        yield set_umask
    finally:
        os.umask(old)
