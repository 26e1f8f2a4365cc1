"""Both bridges in one process: each uses the library it claims.

The bundled bridge carries the embedded engine statically (hidden inside the
module) and serves ``local://``; the system bridge links the upstream
``libdingofs.so.1`` and serves cluster addresses. A child process loads both,
uses each, and reports ``/proc/self/maps`` and what each bridge resolved its
core functions to (``dladdr``).
"""
from __future__ import annotations

import errno
import os

import pytest
from system.sysutil import SKIP_NO_SYSTEM, expect_result, have_bundled_bridge, have_system_bridge

from dingofs._ffi import missing_cpu_features

pytestmark = pytest.mark.system

needs_both = pytest.mark.skipif(not (have_system_bridge() and have_bundled_bridge()),
                                reason=SKIP_NO_SYSTEM + " (next to the bundled one)")

_CHILD = """
import errno, time, dingofs
from dingofs import _ffi

out = {"backends": {b.name: b.info() for b in _ffi.backends()},
       "unavailable": dingofs.library_info()["unavailable"]}
local_dir = os.path.join(LOGDIR, "fs")
os.makedirs(local_dir)
with dingofs.Client.build("local://dual?base=" + local_dir, "dual", "/mnt/dual",
                          log_dir=LOGDIR) as c:
    out["local_library"] = c.library["name"]
    c.write_bytes("/hello.txt", b"from the engine")
    out["local_read"] = c.read_bytes("/hello.txt").decode()
    out["local_has_readdirplus"] = c._backend.has("readdirplus")

cluster_logs = os.path.join(LOGDIR, "cluster")
os.makedirs(cluster_logs)
t0 = time.monotonic()
try:
    dingofs.Client.build("127.0.0.1:1", "nofs", "/mnt/nofs", conf_file=conf_file(),
                         log_dir=cluster_logs)
    out["cluster_error"] = None
except dingofs.DingofsError as exc:
    out["cluster_error"] = [exc.errno, str(exc)]
out["cluster_seconds"] = time.monotonic() - t0
out["cluster_logs"] = sorted(os.listdir(cluster_logs))
out["cluster_backend"] = _ffi.backend_for("127.0.0.1:1").name

paths = set()
with open("/proc/self/maps") as f:
    for line in f:
        parts = line.split(None, 5)
        if len(parts) == 6 and parts[5].startswith("/"):
            paths.add(os.path.realpath(parts[5].strip()))
out["maps"] = sorted(p for p in paths
                     if "libdingofs" in os.path.basename(p) or "_bridge" in os.path.basename(p))
result(out)
"""


@pytest.mark.upstream
@needs_both
def test_both_bridges_use_the_library_they_claim(tmp_path):
    found = expect_result(_CHILD, tmp_path, timeout=120)
    assert found["unavailable"] == {}
    bundled = found["backends"]["bundled"]
    system = found["backends"]["system"]
    maps = set(found["maps"])

    # The engine lives inside the bundled module: its core functions resolve there.
    assert bundled["kind"] == "embedded" and bundled["implementation"] == "embedded"
    assert os.path.realpath(bundled["path"]) == os.path.realpath(bundled["module_file"])
    # The system bridge's core functions resolve in the shared upstream library.
    assert system["kind"] == "system" and system["implementation"] == "upstream"
    assert os.path.basename(system["path"]).startswith("libdingofs.so")
    assert os.path.realpath(system["module_file"]) != system["path"]

    # Exactly one libdingofs is mapped: the one the system bridge claims. The
    # engine added no shared libdingofs of its own.
    libdingofs = {p for p in maps if os.path.basename(p).startswith("libdingofs")}
    assert libdingofs == {system["path"]}
    assert os.path.realpath(bundled["module_file"]) in maps
    assert os.path.realpath(system["module_file"]) in maps

    # local:// worked on the engine.
    assert found["local_library"] == "bundled"
    assert found["local_read"] == "from the engine"
    assert found["local_has_readdirplus"] is True

    # The cluster address reached the upstream library: it fails to connect with the
    # client's own error (EIO), not the engine's EPROTONOSUPPORT, and the client
    # wrote its logs into the log directory it was given.
    assert found["cluster_backend"] == "system"
    assert found["cluster_error"] is not None
    if missing_cpu_features():
        # The prebuilt client needs AVX-512: refused with a clear error, not SIGILL.
        assert found["cluster_error"][0] == errno.ENOEXEC, found["cluster_error"]
        assert "AVX-512" in found["cluster_error"][1]
        return
    assert found["cluster_error"][0] == errno.EIO, found["cluster_error"]
    assert found["cluster_error"][0] != errno.EPROTONOSUPPORT
    assert found["cluster_logs"], "the upstream client wrote no logs"
    assert found["cluster_seconds"] < 60


@pytest.mark.skipif(not have_bundled_bridge(), reason="the bundled bridge is not installed")
def test_only_bundled_rejects_cluster_address_naming_the_fix(tmp_path):
    found = expect_result("""
        import dingofs
        try:
            dingofs.Client.build("127.0.0.1:1", "t", "/mnt/t", log_dir=LOGDIR)
            result(None)
        except dingofs.DingofsError as exc:
            result([exc.errno, str(exc), os.listdir(LOGDIR)])
    """, tmp_path, disable=("system",))
    assert found is not None
    n, text, logs = found
    assert n == errno.EPROTONOSUPPORT
    assert "DINGOFS_USE_SYSTEM=both" in text and "local://" in text
    assert logs == []
