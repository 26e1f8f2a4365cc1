"""fork(): inherited objects are refused in the child; a new client works."""
from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile

import pytest
from helpers import local_url, run_in_child

import dingofs


def test_fork_refuses_inherited_and_new_client_works(factory):
    client = factory()
    client.write_bytes("/f", b"parent data")
    f = client.open("/f", "rb")
    it = client.scandir("/")
    url = factory.url()
    logs = str(factory.logs)

    def child():
        out = {}
        for name, call in (("stat", lambda: client.stat("/f")),
                           ("open", lambda: client.open("/f", "rb")),
                           ("read", lambda: f.read()),
                           ("next", lambda: next(it)),
                           ("stop", lambda: client.stop())):
            try:
                call()
                out[name] = "no error"
            except dingofs.ClientStoppedError as e:
                out[name] = (e.errno, "new client" in str(e) or "fork" in str(e))
            except Exception as e:  # noqa: BLE001
                out[name] = repr(e)
        c2 = dingofs.Client.build(url, "t", "/mnt/t", log_dir=logs)
        out["new_read"] = c2.read_bytes("/f")
        c2.write_bytes("/from_child", b"child")
        c2.stop()
        return out

    res = run_in_child(child)
    for name in ("stat", "open", "read", "next"):
        assert res[name] == (errno.ENOTCONN, True), (name, res[name])
    # stop() in the child is allowed (nothing to do) or refused the same way
    assert res["stop"] in ("no error", (errno.ENOTCONN, True))
    assert res["new_read"] == b"parent data"
    # the parent's objects are untouched by the child's finalizers
    assert f.read() == b"parent data"
    assert next(it).name in ("f", "from_child")
    it.close()
    f.close()
    assert client.read_bytes("/from_child") == b"child"


def test_child_exit_without_cleanup_leaves_parent_usable(factory):
    client = factory()
    client.write_bytes("/f", b"abc")
    f = client.open("/f", "rb+")

    def child():
        import gc
        gc.collect()  # finalizers of inherited objects run here: no C call allowed
        return "done"

    assert run_in_child(child) == "done"
    f.write(b"X")
    f.seek(0)
    assert f.read() == b"Xbc"
    f.close()
    client.mkdir("/still-works")


@pytest.mark.root
def test_permissions_as_non_root_child(tmp_path):
    """EACCES/EPERM reach Python as PermissionError (a non-root child)."""
    work = tempfile.mkdtemp(prefix="dingofs-nonroot-")
    try:
        os.chown(work, 65534, 65534)
        os.chmod(work, 0o700)

        def child():
            os.setgid(65534)
            os.setuid(65534)
            out = {}
            c = dingofs.Client.build(local_url(work, "p"), "p", "/mnt/p", log_dir=work)
            try:
                c.write_bytes("/secret", b"s")
                c.chmod("/secret", 0)
                c.write_bytes("/mine", b"m")
                for name, call in (
                        ("open-read", lambda: c.open("/secret", "rb")),
                        ("open-write", lambda: c.open("/secret", "wb")),
                        ("chown-root", lambda: c.chown("/secret", 0, 0)),
                        ("setflags-immutable",
                         lambda: c.ioctl("/mine", 0x40086602, b"\x10\0\0\0\0\0\0\0"))):
                    try:
                        call()
                        out[name] = None
                    except PermissionError as e:
                        out[name] = (e.errno, isinstance(e, dingofs.DingofsError),
                                     e.operation)
                c.mkdir("/ro", 0o555)
                try:
                    c.mkdir("/ro/sub")
                    out["mkdir-in-ro"] = None
                except PermissionError as e:
                    out["mkdir-in-ro"] = (e.errno, True, e.operation)
                out["access-r"] = c.access("/secret", os.R_OK)
                out["mode"] = stat.S_IMODE(c.stat("/secret").mode)
            finally:
                c.stop()
            return out

        res = run_in_child(child)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert res["open-read"] == (errno.EACCES, True, "dingofs_open")
    assert res["open-write"] == (errno.EACCES, True, "dingofs_open")
    assert res["chown-root"][0] == errno.EPERM
    assert res["setflags-immutable"][0] == errno.EPERM
    assert res["mkdir-in-ro"][0] == errno.EACCES
    assert res["access-r"] is False
    assert res["mode"] == 0
