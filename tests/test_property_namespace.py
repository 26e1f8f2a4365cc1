"""Random namespace operations on DingoFS and on a local directory through os:
same results, same errno values."""
from __future__ import annotations

import os
import shutil
import stat
import uuid

from hypothesis import given
from hypothesis import strategies as st

NAMES = ["a", "b", "a/c", "b/c", "a/c/d", "l"]

_path = st.sampled_from(NAMES)
_ops = st.lists(st.one_of(
    st.tuples(st.just("mkdir"), _path),
    st.tuples(st.just("rmdir"), _path),
    st.tuples(st.just("write"), _path, st.binary(max_size=20)),
    st.tuples(st.just("unlink"), _path),
    st.tuples(st.just("rename"), _path, _path),
    st.tuples(st.just("symlink"), _path, _path),
    st.tuples(st.just("link"), _path, _path),
    st.tuples(st.just("truncate"), _path, st.integers(0, 50)),
    st.tuples(st.just("stat"), _path),
    st.tuples(st.just("lstat"), _path),
    st.tuples(st.just("listdir"), _path),
    st.tuples(st.just("read"), _path),
), max_size=25)


def _summ(mode, size, nlink):
    kind = stat.S_IFMT(mode)
    return (kind, size if stat.S_ISREG(mode) else None,
            nlink if not stat.S_ISDIR(mode) else None)


def _dfs(client, root):
    def p(x):
        return f"{root}/{x}"

    def run(op):
        name, *a = op
        if name == "mkdir":
            client.mkdir(p(a[0]))
        elif name == "rmdir":
            client.rmdir(p(a[0]))
        elif name == "write":
            with client.open(p(a[0]), "wb") as f:
                f.write(a[1])
        elif name == "unlink":
            client.unlink(p(a[0]))
        elif name == "rename":
            client.rename(p(a[0]), p(a[1]))
        elif name == "symlink":
            client.symlink(p(a[0]), p(a[1]))
        elif name == "link":
            client.link(p(a[0]), p(a[1]))
        elif name == "truncate":
            client.truncate(p(a[0]), a[1])
        elif name in ("stat", "lstat"):
            s = getattr(client, name)(p(a[0]))
            return _summ(s.st_mode, s.st_size, s.st_nlink)
        elif name == "listdir":
            return sorted(e.name for e in client.listdir(p(a[0])))
        elif name == "read":
            return client.read_bytes(p(a[0]))
        return None
    return run


def _local(root):
    def p(x):
        return os.path.join(root, x)

    def run(op):
        name, *a = op
        if name == "mkdir":
            os.mkdir(p(a[0]))
        elif name == "rmdir":
            os.rmdir(p(a[0]))
        elif name == "write":
            with open(p(a[0]), "wb") as f:
                f.write(a[1])
        elif name == "unlink":
            os.unlink(p(a[0]))
        elif name == "rename":
            os.rename(p(a[0]), p(a[1]))
        elif name == "symlink":
            os.symlink(p(a[0]), p(a[1]))
        elif name == "link":
            os.link(p(a[0]), p(a[1]), follow_symlinks=False)
        elif name == "truncate":
            os.truncate(p(a[0]), a[1])
        elif name in ("stat", "lstat"):
            s = getattr(os, name)(p(a[0]))
            return _summ(s.st_mode, s.st_size, s.st_nlink)
        elif name == "listdir":
            return sorted(os.listdir(p(a[0])))
        elif name == "read":
            with open(p(a[0]), "rb") as f:
                return f.read()
        return None
    return run


def _outcome(fn, op):
    try:
        return ("ok", fn(op))
    except OSError as e:
        return ("errno", e.errno)


@given(ops=_ops)
def test_random_namespace_ops_match_os(factory, tmp_path, ops):
    client = factory.clients[0] if factory.clients else factory()
    tag = uuid.uuid4().hex
    droot = f"/{tag}"
    lroot = str(tmp_path / "ns" / tag)
    client.mkdir(droot)
    os.makedirs(lroot)
    # symlinks hold absolute targets of each side; make them comparable by
    # resolving inside each tree (targets differ only by their root prefix)
    d, l_ = _dfs(client, droot), _local(lroot)
    try:
        for i, op in enumerate(ops):
            a, b = _outcome(d, op), _outcome(l_, op)
            assert a == b, f"step {i} {op}: dingofs {a} != os {b}"
    finally:
        shutil.rmtree(lroot, ignore_errors=True)
