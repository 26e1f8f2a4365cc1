"""What the host filesystem can be compared on, and host-side path safety."""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat as st_mod
import tempfile
from dataclasses import dataclass

#: Explicit times set by the tests are all before this instant (about 2001);
#: any change made "now" lands after it.
PAST_CUTOFF_NS = 10**18


@dataclass(frozen=True)
class HostCaps:
    """Behaviours of the host directory that the comparison may rely on."""

    dir_nlink: bool        # directories have nlink == 2 + number of subdirectories
    user_xattr: bool       # user.* attributes work on files and directories
    trusted_xattr: bool    # trusted.* attributes work (root on most filesystems)
    bytes_names: bool      # names that are not valid UTF-8 are accepted
    ns_times: bool         # timestamps keep nanoseconds
    name_max: int          # longest accepted name
    fifo: bool             # mknod of a FIFO works


def _try(fn) -> bool:
    try:
        fn()
        return True
    except OSError:
        return False


def probe_host(parent: str | None = None) -> HostCaps:
    """Probe a scratch directory next to where the comparison will run."""
    d = tempfile.mkdtemp(prefix="dfs-probe-", dir=parent)
    try:
        bd = os.fsencode(d)
        os.mkdir(bd + b"/x")
        os.mkdir(bd + b"/x/y")
        dir_nlink = os.lstat(bd + b"/x").st_nlink == 3
        f = bd + b"/f"
        with open(f, "wb"):
            pass
        user_xattr = (_try(lambda: os.setxattr(f, "user.probe", b"1"))
                      and _try(lambda: os.setxattr(bd + b"/x", "user.probe", b"1")))
        trusted_xattr = _try(lambda: os.setxattr(f, "trusted.probe", b"1"))
        bytes_names = _try(lambda: os.mkdir(bd + b"/\xff\xfe"))
        ns_times = False
        if _try(lambda: os.utime(f, ns=(123456789, 987654321))):
            s = os.stat(f)
            ns_times = s.st_atime_ns == 123456789 and s.st_mtime_ns == 987654321
        name_max = os.pathconf(d, "PC_NAME_MAX")
        fifo = _try(lambda: os.mkfifo(bd + b"/p"))
        return HostCaps(dir_nlink, user_xattr, trusted_xattr, bytes_names, ns_times,
                        name_max, fifo)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def escapes(root: bytes, rel: bytes) -> bool:
    """Would resolving ``rel`` under ``root`` on the host ever leave ``root``?

    The embedded engine keeps ``..`` at its root (like a chroot); the host
    directory has a parent. A path whose resolution climbs above ``root``
    (through ``..`` or a symlink target) is not comparable and is skipped.
    The final component is followed (the conservative answer). Resolution
    stops, answering no, where the host lookup would fail anyway.
    """
    pending = [c for c in rel.split(b"/") if c]
    pending.reverse()
    stack: list[bytes] = []
    hops = 0
    while pending:
        comp = pending.pop()
        if comp == b".":
            continue
        if comp == b"..":
            if not stack:
                return True
            stack.pop()
            continue
        here = root + b"/" + b"/".join(stack + [comp])
        try:
            s = os.lstat(here)
        except OSError:
            return False
        if st_mod.S_ISLNK(s.st_mode):
            hops += 1
            if hops > 40:
                return False
            target = os.readlink(here)
            if target.startswith(b"/"):
                return True
            pending.extend(reversed([c for c in target.split(b"/") if c]))
            continue
        if not st_mod.S_ISDIR(s.st_mode):
            return False
        stack.append(comp)
    return False


def make_tree_removable(top: bytes | str) -> None:
    """Give every directory under ``top`` owner rwx so ``rmtree`` can work."""
    top = os.fsencode(top)
    with contextlib.suppress(OSError):
        os.chmod(top, 0o700)
    for dirpath, dirnames, _ in os.walk(top):
        for d in dirnames:
            p = os.path.join(dirpath, d)
            try:
                if not os.path.islink(p):
                    os.chmod(p, 0o700)
            except OSError:
                pass


def remove_tree(top: str) -> None:
    try:
        shutil.rmtree(top)
    except OSError:
        make_tree_removable(top)
        shutil.rmtree(top, ignore_errors=True)


def errno_name(n: int | None) -> str:
    if n is None:
        return "None"
    return errno.errorcode.get(n, str(n))
