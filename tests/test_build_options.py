"""Client.build / stop / context manager and the static option functions."""
from __future__ import annotations

import glob
import inspect
import io
import os

import pytest
from helpers import local_url

import dingofs

LOG_KEYS = ("log_dir", "log_level", "log_v")


@pytest.fixture
def restore_options():
    """Snapshot the log keys (module state) and restore them afterwards."""
    saved = {k: dingofs.Client.get_option(k) for k in LOG_KEYS}
    try:
        yield saved
    finally:
        for k, v in saved.items():
            dingofs.Client.set_option(k, v)


def _log_files(d) -> list[str]:
    return sorted(glob.glob(os.path.join(str(d), "dingofs-*.log")))


# --------------------------------------------------------------------------
# signature and basics
# --------------------------------------------------------------------------
def test_build_signature_matches_documented_api():
    sig = inspect.signature(dingofs.Client.build)
    params = list(sig.parameters.values())
    if params and params[0].name in ("cls", "self"):
        params = params[1:]
    names = [p.name for p in params]
    assert names == ["mds_addrs", "fs_name", "mount_point", "conf_file", "log_dir",
                     "log_level", "log_v", "init_logging", "umask"]
    by = {p.name: p for p in params}
    assert by["conf_file"].default == ""
    assert by["log_dir"].default == ""
    assert by["log_level"].default == ""
    assert by["log_v"].default == 0
    assert by["init_logging"].default is True
    assert by["init_logging"].kind is inspect.Parameter.KEYWORD_ONLY
    assert by["umask"].default is None
    assert by["umask"].kind is inspect.Parameter.KEYWORD_ONLY
    for p in ("mds_addrs", "fs_name", "mount_point"):
        assert by[p].default is inspect.Parameter.empty


def test_build_and_stop(tmp_path):
    c = dingofs.Client.build(local_url(tmp_path), "t", "/mnt/t", log_dir=str(tmp_path))
    assert isinstance(c, dingofs.Client)
    c.mkdir("/d")
    assert c.stat("/d").type == dingofs.FileType.Directory
    c.stop()
    c.stop()  # idempotent
    with pytest.raises(dingofs.ClientStoppedError):
        c.stat("/")


def test_stopped_client_error_is_enotconn(client):
    import errno
    client.stop()
    with pytest.raises(dingofs.ClientStoppedError) as ei:
        client.mkdir("/x")
    assert isinstance(ei.value, dingofs.DingofsError)
    assert isinstance(ei.value, OSError)
    assert ei.value.errno == errno.ENOTCONN


def test_context_manager_stops(tmp_path):
    with dingofs.Client.build(local_url(tmp_path), "t", "/mnt/t",
                              log_dir=str(tmp_path)) as c:
        c.write_bytes("/f", b"abc")
        f = c.open("/f", "rb")
        it = c.scandir("/")
    with pytest.raises(dingofs.ClientStoppedError):
        c.stat("/f")
    # stop() closed the open file and the iterator
    assert f.closed
    with pytest.raises(ValueError):
        f.read()
    with pytest.raises((ValueError, dingofs.ClientStoppedError, StopIteration)):
        next(it)


def test_context_manager_stops_on_exception(tmp_path):
    with pytest.raises(RuntimeError), dingofs.Client.build(local_url(tmp_path), "t", "/mnt/t",
                              log_dir=str(tmp_path)) as c:
        raise RuntimeError("boom")
    with pytest.raises(dingofs.ClientStoppedError):
        c.statfs()


def test_data_persists_across_clients(factory):
    c1 = factory()
    c1.write_bytes("/keep", b"persist")
    c1.stop()
    c2 = factory()
    assert c2.read_bytes("/keep") == b"persist"


def test_two_handles_on_one_filesystem(factory):
    a = factory()
    b = factory()
    with a.open("/shared", "wb") as f:
        f.write(b"from a")
    assert b.read_bytes("/shared") == b"from a"


def test_independent_filesystems(factory):
    a = factory("one")
    b = factory("two")
    a.mkdir("/only_in_one")
    assert b.exists("/only_in_one") is False


@pytest.mark.parametrize("args", [
    ("", "t", "/mnt/t"),
    ("local://t", "", "/mnt/t"),
    ("local://t", "t", ""),
], ids=["empty-mds", "empty-fsname", "empty-mountpoint"])
def test_build_rejects_empty_arguments(args):
    with pytest.raises(ValueError):
        dingofs.Client.build(*args)


@pytest.mark.parametrize("bad", [
    (None, "t", "/mnt/t"),
    ("local://t", 5, "/mnt/t"),
    ("local://t", "t", 3.5),
], ids=["mds-none", "fsname-int", "mountpoint-float"])
def test_build_rejects_wrong_types(bad):
    with pytest.raises(TypeError):
        dingofs.Client.build(*bad)


def test_build_rejects_bad_umask(tmp_path):
    with pytest.raises(TypeError):
        dingofs.Client.build(local_url(tmp_path), "t", "/m", umask="022")
    with pytest.raises(ValueError):
        dingofs.Client.build(local_url(tmp_path), "t", "/m", umask=-1)


def test_cluster_address_is_not_served_by_embedded_engine(tmp_path):
    import errno
    with pytest.raises(dingofs.DingofsError) as ei:
        dingofs.Client.build("127.0.0.1:1", "t", "/mnt/t", log_dir=str(tmp_path))
    assert ei.value.errno == errno.EPROTONOSUPPORT


def test_create_0_missing_filesystem(tmp_path):
    with pytest.raises(FileNotFoundError):
        dingofs.Client.build(local_url(tmp_path, "t", create=0), "t", "/mnt/t",
                             log_dir=str(tmp_path))


# --------------------------------------------------------------------------
# logging arguments
# --------------------------------------------------------------------------
def test_build_creates_log_file_in_log_dir(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    c = dingofs.Client.build(local_url(tmp_path / "fs"), "t", "/mnt/t",
                             log_dir=str(logs), log_level="INFO", log_v=1)
    try:
        files = _log_files(logs)
        assert len(files) == 1
        assert os.path.basename(files[0]).startswith(f"dingofs-t.{os.getpid()}.")
    finally:
        c.stop()


def test_build_init_logging_false_writes_no_log(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    c = dingofs.Client.build(local_url(tmp_path / "fs"), "t", "/mnt/t",
                             log_dir=str(logs), init_logging=False)
    try:
        c.mkdir("/works")
        assert c.isdir("/works")
        assert _log_files(logs) == []
    finally:
        c.stop()


def test_log_keys_are_module_state(tmp_path, restore_options):
    state_dir = tmp_path / "state_logs"
    arg_dir = tmp_path / "arg_logs"
    state_dir.mkdir()
    arg_dir.mkdir()
    dingofs.Client.set_option("log_dir", str(state_dir))
    dingofs.Client.set_option("log_level", "INFO")
    dingofs.Client.set_option("log_v", "2")
    assert dingofs.Client.get_option("log_dir") == str(state_dir)
    assert dingofs.Client.get_option("log_level") == "INFO"
    assert dingofs.Client.get_option("log_v") == "2"

    # build() without log_dir applies the module state ...
    c1 = dingofs.Client.build(local_url(tmp_path / "fs1"), "t", "/mnt/t")
    try:
        assert len(_log_files(state_dir)) == 1
    finally:
        c1.stop()
    # ... and a non-empty argument overrides it
    c2 = dingofs.Client.build(local_url(tmp_path / "fs2"), "t", "/mnt/t",
                              log_dir=str(arg_dir))
    try:
        assert len(_log_files(arg_dir)) == 1
        assert len(_log_files(state_dir)) == 1
    finally:
        c2.stop()


# --------------------------------------------------------------------------
# conf_file
# --------------------------------------------------------------------------
def test_conf_file_is_loaded(tmp_path):
    # A fresh interpreter: no log key has been set in the module state, so the
    # file's log_dir decides where the log file goes.
    import subprocess
    import sys
    logs = tmp_path / "conf_logs"
    logs.mkdir()
    conf = tmp_path / "client.conf"
    conf.write_text(
        "# a comment\n"
        "\n"
        f"--log_dir={logs}\n"
        "-log_level=INFO\n"
    )
    code = (
        "import sys, dingofs\n"
        "c = dingofs.Client.build(sys.argv[1], 't', '/mnt/t', conf_file=sys.argv[2])\n"
        "c.mkdir('/ok')\n"
        "c.stop()\n"
    )
    out = subprocess.run([sys.executable, "-c", code, local_url(tmp_path / "fs"), str(conf)],
                         capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert len(_log_files(logs)) == 1


def test_conf_file_reaches_the_library(tmp_path):
    # A well-formed line whose value the library rejects: the mount fails,
    # which proves the file was handed to dingofs_conf_load.
    import errno
    conf = tmp_path / "client.conf"
    conf.write_text("--log_v=not-a-number\n")
    with pytest.raises(dingofs.DingofsError) as ei:
        dingofs.Client.build(local_url(tmp_path / "fs"), "t", "/mnt/t",
                             conf_file=str(conf), log_dir=str(tmp_path))
    assert ei.value.errno == errno.EINVAL


def test_conf_file_missing(tmp_path):
    with pytest.raises(FileNotFoundError):
        dingofs.Client.build(local_url(tmp_path / "fs"), "t", "/mnt/t",
                             conf_file=str(tmp_path / "nope.conf"),
                             log_dir=str(tmp_path))


def test_conf_file_bad_line_is_rejected_before_c(tmp_path):
    # a line that is not --key=value / -key=value, a comment or blank
    conf = tmp_path / "bad.conf"
    conf.write_text("--vfs_meta_rpc_retry_times=3\nthis is not an option line\n")
    with pytest.raises(ValueError):
        dingofs.Client.build(local_url(tmp_path / "fs"), "t", "/mnt/t",
                             conf_file=str(conf), log_dir=str(tmp_path))
    # nothing was mounted or created
    assert not (tmp_path / "fs" / "meta" / "t").exists()


# --------------------------------------------------------------------------
# options
# --------------------------------------------------------------------------
def test_option_functions_are_static():
    for name in ("set_option", "get_option", "list_options", "print_options"):
        attr = inspect.getattr_static(dingofs.Client, name)
        assert isinstance(attr, (staticmethod, classmethod)), name


def test_list_options():
    opts = dingofs.Client.list_options()
    assert isinstance(opts, list) and opts
    names = [o.name for o in opts]
    for o in opts:
        assert isinstance(o, dingofs.OptionInfo)
        for field in ("name", "type", "default_value", "description"):
            assert isinstance(getattr(o, field), str), field
        assert o.name and o.type and o.description
    for expected in ("vfs_meta_rpc_timeout_ms", "vfs_meta_rpc_retry_times",
                     "vfs_access_logging", "logtostderr", "minloglevel"):
        assert expected in names
    timeout = next(o for o in opts if o.name == "vfs_meta_rpc_timeout_ms")
    assert timeout.default_value == "10000"


def test_set_get_option_round_trip():
    key = "vfs_meta_rpc_retry_times"
    old = dingofs.Client.get_option(key)
    assert isinstance(old, str)
    try:
        new = str(int(old) + 3)
        assert dingofs.Client.set_option(key, new) is None
        assert dingofs.Client.get_option(key) == new
    finally:
        dingofs.Client.set_option(key, old)
    assert dingofs.Client.get_option(key) == old


def test_options_usable_before_any_client_in_fresh_process(tmp_path):
    import subprocess
    import sys
    code = (
        "import dingofs\n"
        "opts = dingofs.Client.list_options()\n"
        "assert opts\n"
        "v = dingofs.Client.get_option('vfs_meta_rpc_timeout_ms')\n"
        "assert v == '10000', v\n"
        "print('OK')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=120, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "OK"


def test_unknown_option():
    with pytest.raises(dingofs.DingofsError):
        dingofs.Client.set_option("no_such_option_really", "1")
    with pytest.raises(dingofs.DingofsError):
        dingofs.Client.get_option("no_such_option_really")


def test_option_argument_types():
    with pytest.raises(TypeError):
        dingofs.Client.set_option(1, "2")
    with pytest.raises(TypeError):
        dingofs.Client.get_option(None)


def test_print_options_to_stdout_is_captured(capsys):
    assert dingofs.Client.print_options() is None
    out = capsys.readouterr().out
    assert "vfs_meta_rpc_timeout_ms" in out
    assert "vfs_access_logging" in out


def test_print_options_to_file():
    buf = io.StringIO()
    dingofs.Client.print_options(file=buf)
    text = buf.getvalue()
    assert "vfs_meta_rpc_timeout_ms" in text
    for o in dingofs.Client.list_options():
        assert o.name in text


def test_print_options_reflects_set_value():
    key = "vfs_meta_rpc_retry_times"
    old = dingofs.Client.get_option(key)
    new = str(int(old) + 7)
    try:
        dingofs.Client.set_option(key, new)
        buf = io.StringIO()
        dingofs.Client.print_options(buf)
        line = next(ln for ln in buf.getvalue().splitlines() if key in ln)
        assert new in line
    finally:
        dingofs.Client.set_option(key, old)


# --------------------------------------------------------------------------
# statfs / stats
# --------------------------------------------------------------------------
def test_statfs(client):
    st = client.statfs()
    assert isinstance(st, dingofs.FsStat)
    for f in ("max_bytes", "used_bytes", "max_inodes", "used_inodes"):
        assert isinstance(getattr(st, f), int), f
    assert st.max_bytes > 0 and st.max_inodes > 0
    assert st.used_inodes >= 1  # the root
    before = st
    client.write_bytes("/data", b"x" * 100_000)
    after = client.statfs()
    assert after.used_inodes == before.used_inodes + 1
    assert after.used_bytes >= before.used_bytes + 100_000


def test_statfs_capacity_parameters(factory):
    c = factory(params={"capacity": 1 << 30, "inodes": 1000})
    st = c.statfs()
    assert st.max_bytes == 1 << 30
    assert st.max_inodes == 1000
