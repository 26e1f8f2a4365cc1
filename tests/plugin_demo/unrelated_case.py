"""A test module of an unrelated project (copied to a temporary directory).

With the dingofs plugin loaded, plain tests must run as before, and loading
the plugin must not load the compiled bridge or fsspec.
"""
import sys


def test_plain_arithmetic():
    assert 1 + 1 == 2


def test_plugin_loaded_nothing_heavy(pytestconfig):
    manager = pytestconfig.pluginmanager
    assert manager.has_plugin("dingofs") or manager.has_plugin("dingofs.pytest_plugin")
    heavy = sorted(m for m in sys.modules if m.startswith("dingofs._bridge") or m == "fsspec")
    assert heavy == []


def test_tmp_path_still_works(tmp_path):
    (tmp_path / "f").write_text("x")
    assert (tmp_path / "f").read_text() == "x"
