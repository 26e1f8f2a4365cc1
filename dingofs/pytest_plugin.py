"""pytest plugin: every test gets its own embedded DingoFS filesystem, and a
session can share one between its tests and xdist workers.

Installed with the package and loaded through the ``pytest11`` entry point
(name ``dingofs``); disable it with ``-p no:dingofs``, or enable it with
``-p dingofs`` when plugin autoloading is off. Do not also list it in
``pytest_plugins``.

Per-test fixtures (function-scoped; each test's filesystems live in a
directory of its own from ``tmp_path_factory``, so tests are isolated and safe
under ``pytest-xdist``):

``dingofs_client``
    a :class:`dingofs.Client` on a new, empty ``local://`` filesystem.
``dingofs_factory``
    a :class:`DingoFSFactory`: ``dingofs_factory()`` makes another empty
    filesystem, ``dingofs_factory("name")`` mounts that one (again, when it
    exists); ``.url(name)``, ``.storage_options(name)``, ``.fsspec(name)``
    and ``.path(name)`` give the other ways in.
``dingofs_path``
    a :class:`dingofs.path.DingoPath` for the root of ``dingofs_client``'s
    filesystem.
``dingofs_fs``
    an fsspec :class:`dingofs.fsspec.DingoFileSystem` on the same filesystem
    as ``dingofs_client`` (skips the test when fsspec is missing).
``dingofs_storage_options``
    ``storage_options`` for ``dingofs://NAME/...`` URLs of that filesystem
    (for pandas, dask, ...); ``dingofs_url`` is its root URL.

Everything above is stopped at the end of the test. Then the test's
filesystems are removed if it passed and kept for a look if it failed (each
``local://`` filesystem holds a space reserve of up to 16 MiB on disk, so a
suite that kept them all would need gigabytes). The ini setting
``dingofs_retention`` chooses: ``failed`` (the default) keeps a failed test's,
``all`` keeps every test's (pytest removes them with the base temporary
directory of an older session, as it does ``tmp_path``), ``none`` keeps none.

Session fixture (one filesystem for the whole run, across xdist workers):

``dingofs_shared``
    a :class:`dingofs.Client` on the filesystem ``shared``, the same for every
    test of the session and every ``pytest-xdist`` worker of it, so tests see
    each other's files (give them distinct paths, e.g. from xdist's
    ``worker_id``). Its directory is :func:`shared_root`: without xdist
    ``tmp_path_factory.getbasetemp() / "dingofs-shared"``; in a worker, whose
    base temporary directory is ``<session basetemp>/popen-gwN``,
    ``tmp_path_factory.getbasetemp().parent / "dingofs-shared-<testrun_uid>"``
    (xdist's identifier of the run), the same for all workers of one run. The
    filesystem is in ``base/`` there, client logs in ``logs/``. The first
    worker to mount it creates it (the engine creates a ``local://``
    filesystem on first mount and lets several processes mount it at once);
    each worker mounts it once and stops that client when its session ends.
    ``dingofs_shared.mds_addrs`` is the ``local://`` address, to mount it
    again (e.g. in a subprocess). Workers share it only on one machine
    (xdist's ``popen`` workers, the default).

This module imports nothing from the compiled bridge when pytest loads it;
fixtures import it when used.
"""
from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover - typing only
    from dingofs.client import Client
    from dingofs.fsspec import DingoFileSystem
    from dingofs.path import DingoPath

__all__ = ["DingoFSFactory", "shared_root"]

#: Name of the filesystem behind ``dingofs_client``.
DEFAULT_NAME = "test"
#: Name of the filesystem behind ``dingofs_shared``.
SHARED_NAME = "shared"


class DingoFSFactory:
    """Makes embedded filesystems (and clients on them) under one directory.

    :param root: a directory owned by one test, or by the session for
        ``dingofs_shared`` (its filesystems live in ``root/base``, client logs
        in ``root/logs``).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.base_dir = self.root / "base"
        self.log_dir = self.root / "logs"
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._clients: list[Client] = []
        self._filesystems: list[DingoFileSystem] = []
        self._counter = 0

    def _new_name(self) -> str:
        while True:
            name = f"fs{self._counter}"
            self._counter += 1
            if not (self.base_dir / "meta" / name).exists():
                return name

    def mds_addrs(self, name: str = DEFAULT_NAME) -> str:
        """The ``local://`` address of filesystem ``name``."""
        return f"local://{name}?base={self.base_dir}"

    def url(self, name: str = DEFAULT_NAME, path: str = "/") -> str:
        """A ``dingofs://`` URL inside filesystem ``name``."""
        return f"dingofs://{name}/{path.lstrip('/')}"

    def storage_options(self, name: str = DEFAULT_NAME) -> dict[str, Any]:
        """fsspec ``storage_options`` that reach filesystem ``name``."""
        return {"mds_addrs": self.mds_addrs(name), "log_dir": str(self.log_dir)}

    def client(self, name: str | None = None, **build_kwargs: Any) -> Client:
        """Mount filesystem ``name`` (a new empty one when ``None``).

        :param build_kwargs: passed to :meth:`dingofs.Client.build`.
        """
        from dingofs import Client

        if name is None:
            name = self._new_name()
        build_kwargs.setdefault("log_dir", str(self.log_dir))
        client = Client.build(self.mds_addrs(name), name, f"/pytest/{name}", **build_kwargs)
        self._clients.append(client)
        return client

    __call__ = client

    def fsspec(self, name: str = DEFAULT_NAME) -> DingoFileSystem:
        """An fsspec filesystem on ``name`` (not shared through fsspec's cache)."""
        from dingofs.fsspec import DingoFileSystem

        fs = DingoFileSystem(name, skip_instance_cache=True, **self.storage_options(name))
        self._filesystems.append(fs)
        return fs

    def path(self, name: str | None = None) -> DingoPath:
        """A :class:`~dingofs.path.DingoPath` at the root of ``name``."""
        from dingofs.path import DingoPath

        return DingoPath(self.client(name), "/")

    def close(self) -> None:
        """Stop every client and fsspec filesystem made for this test,
        including fsspec instances made from this test's URLs."""
        errors: list[BaseException] = []
        for fs in self._filesystems:
            try:
                fs.close()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
        self._filesystems.clear()
        mod = sys.modules.get("dingofs.fsspec")
        if mod is not None:
            marker = f"base={self.base_dir}"
            cache = getattr(mod.DingoFileSystem, "_cache", {})
            for key, fs in list(cache.items()):
                settings = getattr(fs, "settings", None)
                if settings is not None and marker in settings.mds_addrs:
                    cache.pop(key, None)
                    try:
                        fs.close()
                    except Exception as exc:  # noqa: BLE001
                        errors.append(exc)
        while self._clients:
            try:
                self._clients.pop().stop()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
        if errors:
            raise errors[0]


def _ensure_protocol() -> None:
    """Register ``dingofs://`` with fsspec if its entry point was not seen
    (e.g. the package is used from a source tree without installed metadata)."""
    try:
        import fsspec
    except ImportError:
        return
    if "dingofs" not in fsspec.available_protocols():
        from dingofs.fsspec import DingoFileSystem

        fsspec.register_implementation("dingofs", DingoFileSystem, clobber=False)


#: Values of the ``dingofs_retention`` ini setting.
RETENTION = ("failed", "all", "none")

#: Whether the test itself (its call phase) passed, kept on the test item for
#: the teardown of ``dingofs_factory``.
_CALL_PASSED = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the ``dingofs_retention`` ini setting."""
    parser.addini(
        "dingofs_retention",
        "which tests' dingofs filesystems stay on disk after them: failed (default), all, none",
        default="failed",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Refuse a ``dingofs_retention`` value that is not one of :data:`RETENTION`."""
    value = config.getini("dingofs_retention")
    if value not in RETENTION:
        raise pytest.UsageError(
            f"dingofs_retention = {value!r}: expected one of {', '.join(RETENTION)}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Record whether the test itself passed (see :func:`_keep_dir`)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed


def _keep_dir(request: pytest.FixtureRequest) -> bool:
    """Whether a test's filesystems stay on disk after it (``dingofs_retention``):
    a test whose setup failed counts as failed."""
    policy = request.config.getini("dingofs_retention")
    if policy == "all":
        return True
    if policy == "none":
        return False
    return not request.node.stash.get(_CALL_PASSED, False)


@pytest.fixture
def dingofs_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DingoFSFactory]:
    """A factory of embedded filesystems private to this test."""
    factory = DingoFSFactory(tmp_path_factory.mktemp("dingofs", numbered=True))
    try:
        yield factory
    finally:
        try:
            factory.close()
        finally:
            if not _keep_dir(request):
                shutil.rmtree(factory.root, ignore_errors=True)


@pytest.fixture
def dingofs_client(dingofs_factory: DingoFSFactory) -> Client:
    """A client on a new, empty embedded filesystem named ``test``."""
    return dingofs_factory.client(DEFAULT_NAME)


@pytest.fixture
def dingofs_path(dingofs_client: Client) -> DingoPath:
    """The root of ``dingofs_client``'s filesystem as a DingoPath."""
    from dingofs.path import DingoPath

    return DingoPath(dingofs_client, "/")


@pytest.fixture
def dingofs_fs(dingofs_factory: DingoFSFactory, dingofs_client: Client) -> DingoFileSystem:
    """An fsspec filesystem on ``dingofs_client``'s filesystem."""
    pytest.importorskip("fsspec")
    return dingofs_factory.fsspec(DEFAULT_NAME)


@pytest.fixture
def dingofs_storage_options(
    dingofs_factory: DingoFSFactory, dingofs_client: Client
) -> dict[str, Any]:
    """``storage_options`` for ``dingofs://test/...`` URLs of ``dingofs_client``'s filesystem."""
    _ensure_protocol()
    return dingofs_factory.storage_options(DEFAULT_NAME)


@pytest.fixture
def dingofs_url(dingofs_factory: DingoFSFactory, dingofs_client: Client) -> str:
    """The root URL (``dingofs://test/``) of ``dingofs_client``'s filesystem."""
    _ensure_protocol()
    return dingofs_factory.url(DEFAULT_NAME)


def shared_root(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of the session's shared filesystem (``dingofs_shared``).

    Without pytest-xdist: ``<basetemp>/dingofs-shared``. In an xdist worker,
    whose base temporary directory is ``<session basetemp>/popen-gwN``:
    ``<session basetemp>/dingofs-shared-<testrun_uid>``, the same for every
    worker of the run.
    """
    basetemp = tmp_path_factory.getbasetemp()
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        return basetemp / "dingofs-shared"
    return basetemp.parent / f"dingofs-shared-{workerinput['testrunuid']}"


@pytest.fixture(scope="session")
def dingofs_shared(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Client]:
    """A client on the filesystem shared by every test and xdist worker of the session.

    Created by the first worker that mounts it; stopped at the end of each
    worker's session. Tests see each other's files: use distinct paths.
    """
    factory = DingoFSFactory(shared_root(pytestconfig, tmp_path_factory))
    try:
        yield factory.client(SHARED_NAME)
    finally:
        factory.close()
