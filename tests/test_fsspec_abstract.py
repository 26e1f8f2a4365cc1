"""fsspec's own generic test suites, run against DingoFileSystem."""
from __future__ import annotations

import posixpath

import pytest

pytest.importorskip("fsspec")

from fsspec.tests import abstract  # noqa: E402

from dingofs.fsspec import DingoFileSystem  # noqa: E402


class DingoFixtures(abstract.AbstractFixtures):
    @pytest.fixture
    def fs(self, factory):
        inst = DingoFileSystem("abstract", mds_addrs=factory.url("abstract"),
                               skip_instance_cache=True)
        yield inst
        inst.close()

    @pytest.fixture
    def fs_join(self):
        return posixpath.join

    @pytest.fixture
    def fs_path(self):
        return "/"


class TestDingoCopy(abstract.AbstractCopyTests, DingoFixtures):
    pass


class TestDingoGet(abstract.AbstractGetTests, DingoFixtures):
    pass


class TestDingoPut(abstract.AbstractPutTests, DingoFixtures):
    pass


class TestDingoOpen(abstract.AbstractOpenTests, DingoFixtures):
    pass


class TestDingoPipe(abstract.AbstractPipeTests, DingoFixtures):
    pass
