"""The upstream tier: the system bridge over the upstream client, without a cluster.

Every test here loads the upstream library in its own child process (see
:mod:`sysutil`), with only the system bridge enabled unless it says otherwise.
"""
from __future__ import annotations

import errno

import pytest
from sysutil import (
    SKIP_NO_SYSTEM,
    SKIP_SYSTEM_IS_ENGINE,
    TUNABLE,
    expect_result,
    have_system_bridge,
    run_child,
    system_implementation,
)

from dingofs._ffi import missing_cpu_features

pytestmark = [
    pytest.mark.system,
    pytest.mark.upstream,
    pytest.mark.skipif(not have_system_bridge(), reason=SKIP_NO_SYSTEM),
]


@pytest.fixture(autouse=True, scope="module")
def _upstream_library() -> None:
    """Skip when the system library is this project's engine (a distro build against
    ``make -C native install``); any other outcome, a load failure included, is
    left to the tests."""
    if system_implementation() == "embedded":
        pytest.skip(SKIP_SYSTEM_IS_ENGINE)

SYSTEM_ONLY = ("bundled",)


def test_import_and_library_info(tmp_path):
    info = expect_result("""
        import dingofs
        info = dingofs.library_info()
        maps = open("/proc/self/maps").read()
        lib = info["libraries"][0]
        result({"info": info, "mapped": lib["path"] in maps})
    """, tmp_path, disable=SYSTEM_ONLY)
    libs = info["info"]["libraries"]
    assert len(libs) == 1
    lib = libs[0]
    assert lib["kind"] == "system"
    assert lib["implementation"] == "upstream"
    assert lib["module"] == "dingofs._bridge_sys"
    assert lib["embedded"] is False
    # The upstream client has none of the engine's extensions.
    assert lib["extensions"] == []
    assert "readdirplus" in lib["missing_extensions"]
    # The file the core functions come from is a shared libdingofs, and it is mapped.
    assert "/libdingofs.so" in lib["path"]
    assert lib["path"] != lib["module_file"]
    assert info["mapped"] is True
    assert lib["version"], "the build recorded no version of the system library"


def test_static_tls_failure_names_the_tunable(tmp_path):
    found, proc = run_child("""
        try:
            import dingofs
            dingofs.library_info()
        except ImportError as exc:
            result({"error": str(exc)})
        else:
            result({"error": None})
    """, tmp_path, tunable=False, disable=SYSTEM_ONLY, timeout=60)
    assert found is not None, proc.stderr
    if found["error"] is None:
        pytest.skip("this machine's loader reserves enough static TLS without the tunable")
    assert "GLIBC_TUNABLES=" + TUNABLE in found["error"]
    assert "static TLS" in found["error"]


def test_static_tls_failure_keeps_local_working(tmp_path):
    """With both bridges installed, the failed upstream load leaves local:// working and
    cluster addresses fail naming the fix."""
    found = expect_result("""
        import errno, dingofs
        info = dingofs.library_info()
        out = {"names": [l["name"] for l in info["libraries"]],
               "unavailable": info["unavailable"]}
        if "system" not in out["names"] and "bundled" in out["names"]:
            with dingofs.Client.build("local://t?base=" + LOGDIR, "t", "/mnt/t",
                                      log_dir=LOGDIR) as c:
                c.write_bytes("/f", b"ok")
                out["local"] = c.read_bytes("/f").decode()
            try:
                dingofs.Client.build("127.0.0.1:1", "t", "/mnt/t", log_dir=LOGDIR)
            except dingofs.DingofsError as exc:
                out["cluster"] = [exc.errno, str(exc)]
        result(out)
    """, tmp_path, tunable=False, timeout=60)
    if "bundled" not in found["names"] and "system" not in found["unavailable"]:
        pytest.skip("the bundled bridge is not installed")
    if "system" in found["names"]:
        pytest.skip("this machine's loader reserves enough static TLS without the tunable")
    assert "GLIBC_TUNABLES=" + TUNABLE in found["unavailable"]["system"]
    assert found["local"] == "ok"
    assert found["cluster"][0] == errno.EPROTONOSUPPORT
    assert "GLIBC_TUNABLES=" + TUNABLE in found["cluster"][1]


def test_list_options_are_upstream_options(tmp_path):
    found = expect_result("""
        import dingofs
        opts = dingofs.Client.list_options()
        result([[o.name, o.type, o.default_value, o.description, o.library] for o in opts])
    """, tmp_path, disable=SYSTEM_ONLY)
    assert len(found) > 100
    assert {o[4] for o in found} == {"system"}
    by_name = {o[0]: o for o in found}
    assert len(by_name) == len(found), "option names repeat"
    assert by_name["vfs_meta_rpc_timeout_ms"][2] == "10000"
    types = {o[1] for o in found}
    assert all(t for t in types), "an option has no type"
    assert len(types) >= 3, types  # gflags types: int32, bool, string, ...
    assert sum(1 for o in found if o[2] != "") > 100


def test_option_round_trip(tmp_path):
    found = expect_result("""
        import dingofs
        C = dingofs.Client
        before = C.get_option("vfs_meta_rpc_timeout_ms")
        C.set_option("vfs_meta_rpc_timeout_ms", "12345")
        after = C.get_option("vfs_meta_rpc_timeout_ms")
        C.set_option("vfs_meta_rpc_timeout_ms", 10000)
        result([before, after, C.get_option("vfs_meta_rpc_timeout_ms")])
    """, tmp_path, disable=SYSTEM_ONLY)
    assert found == ["10000", "12345", "10000"]


def test_unknown_option_raises(tmp_path):
    found = expect_result("""
        import dingofs
        out = {}
        for what, call in (("set", lambda: dingofs.Client.set_option("not_exist_flag", "1")),
                           ("get", lambda: dingofs.Client.get_option("not_exist_flag"))):
            try:
                call()
                out[what] = None
            except dingofs.DingofsError as exc:
                out[what] = [exc.errno, exc.operation, str(exc)]
        result(out)
    """, tmp_path, disable=SYSTEM_ONLY)
    assert found["set"] is not None, "set_option of an unknown key did not raise"
    assert found["set"][0] > 0
    assert found["set"][1] == "dingofs_conf_set"
    assert "not_exist_flag" in found["set"][2]
    assert found["get"] is not None and found["get"][0] > 0


def test_mount_on_closed_port_fails_in_bounded_time(tmp_path):
    found = expect_result("""
        import time, dingofs
        t0 = time.monotonic()
        try:
            dingofs.Client.build("127.0.0.1:1", "nofs", "/mnt/nofs", conf_file=conf_file(),
                                 log_dir=LOGDIR)
            out = {"error": None}
        except dingofs.DingofsError as exc:
            out = {"error": [type(exc).__name__, exc.errno, exc.operation, str(exc)]}
        out["seconds"] = time.monotonic() - t0
        out["logs"] = sorted(os.listdir(LOGDIR))
        result(out)
    """, tmp_path, disable=SYSTEM_ONLY, timeout=120)
    assert found["error"] is not None, "mounting a closed port succeeded"
    _cls, err, op, text = found["error"]
    if missing_cpu_features():
        # The prebuilt client needs AVX-512: a clear error instead of SIGILL.
        assert (err, op) == (errno.ENOEXEC, "dingofs_mount"), found["error"]
        assert "AVX-512" in text and "SIGILL" in text
        assert found["seconds"] < 10
        return
    assert err > 0 and op == "dingofs_mount"
    assert "127.0.0.1:1" in text
    assert found["seconds"] < 60
    # The failure came from the upstream client: it wrote its logs where it was told.
    assert [n for n in found["logs"] if n != "mount.conf"], found["logs"]


def test_extension_calls_raise_clear_eopnotsupp(tmp_path):
    found = expect_result("""
        import errno, fcntl, dingofs
        from dingofs import _ffi
        from dingofs._calls import Session, new_handle
        out = {}
        try:
            dingofs.Client.fsck("127.0.0.1:1")
        except dingofs.DingofsError as exc:
            out["fsck"] = [exc.errno, str(exc)]
        backend = _ffi.backend_for("127.0.0.1:1")
        s = Session(backend, new_handle(backend))
        try:
            calls = {
                "flock": lambda: s.x_flock(3, fcntl.LOCK_EX, "/f"),
                "mknod": lambda: s.x_mknod(b"/p", 0o10644, 0, "/p"),
                "rename2": lambda: s.x_rename2(b"/a", b"/b", 1, "/a", "/b"),
                "fallocate": lambda: s.x_fallocate(3, 0, 0, 10, "/f"),
                "stat": lambda: s.x_stat_attr(s.gate("client"), b"/", 0, "/"),
            }
            for name, call in calls.items():
                try:
                    call()
                    out[name] = None
                except dingofs.DingofsError as exc:
                    out[name] = [exc.errno, str(exc)]
        finally:
            s.delete()
        result(out)
    """, tmp_path, disable=SYSTEM_ONLY)
    for name in ("fsck", "flock", "mknod", "rename2", "fallocate", "stat"):
        assert found[name] is not None, f"{name} did not raise"
        n, text = found[name]
        assert n == errno.EOPNOTSUPP, (name, text)
        assert f"dingofs_x_{name}" in text
        assert "extension" in text and "upstream" in text, text


def test_local_address_without_engine_names_the_fix(tmp_path):
    found = expect_result("""
        import dingofs
        try:
            dingofs.Client.build("local://x?base=" + LOGDIR, "x", "/mnt/x", log_dir=LOGDIR)
            result(None)
        except dingofs.DingofsError as exc:
            result([exc.errno, str(exc)])
    """, tmp_path, disable=SYSTEM_ONLY)
    assert found is not None
    assert found[0] == errno.EPROTONOSUPPORT
    assert "DINGOFS_USE_SYSTEM=both" in found[1]
