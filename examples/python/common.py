"""Connection settings and small helpers shared by the examples.

By default every example mounts an embedded ``local://`` filesystem that
lives in a fresh temporary directory and is removed when the example exits,
so the examples run anywhere without a DingoFS cluster.

Environment variables change that:

``DINGOFS_MDS_ADDRS``
    MDS addresses of a DingoFS cluster (``host:port[,host:port]``), or any
    ``local://NAME[?...]`` address. Empty: an embedded ``local://`` filesystem.
``DINGOFS_FS_NAME``
    Filesystem name (required for a cluster; ``examples`` for ``local://``).
``DINGOFS_MOUNT_POINT``
    Label used in the library's logs (default ``/dingofs-examples``).
``DINGOFS_BASE_DIR``
    Base directory of the embedded engine. When set, the filesystem is kept
    there (and reused by later runs) instead of in a temporary directory.
``DINGOFS_LOG_DIR``
    Where the library writes its log file. Default: inside the temporary
    base directory when there is one, else the library's default.

Each example works inside its own scratch directory (see :func:`scratch`)
and removes it at the end, so they can also run on a shared cluster.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import stat
import sys
import tempfile
import uuid
from collections.abc import Iterator

import dingofs

LOCAL_FS_NAME = "examples"
DEFAULT_MOUNT_POINT = "/dingofs-examples"

_temp_base: str | None = None


def _temporary_base() -> str:
    """Create (once) the temporary base directory and remove it at exit."""
    global _temp_base
    if _temp_base is None:
        _temp_base = tempfile.mkdtemp(prefix="dingofs-example-")
        atexit.register(shutil.rmtree, _temp_base, ignore_errors=True)
    return _temp_base


def settings() -> tuple[str, str, str, str]:
    """Return ``(mds_addrs, fs_name, mount_point, log_dir)`` for this run."""
    mds_addrs = os.environ.get("DINGOFS_MDS_ADDRS", "")
    fs_name = os.environ.get("DINGOFS_FS_NAME", "")
    mount_point = os.environ.get("DINGOFS_MOUNT_POINT", "") or DEFAULT_MOUNT_POINT
    log_dir = os.environ.get("DINGOFS_LOG_DIR", "")

    if not mds_addrs:
        fs_name = fs_name or LOCAL_FS_NAME
        if os.environ.get("DINGOFS_BASE_DIR"):
            # The embedded engine reads $DINGOFS_BASE_DIR itself.
            mds_addrs = f"local://{fs_name}"
        else:
            base = _temporary_base()
            mds_addrs = f"local://{fs_name}?base={base}"
            log_dir = log_dir or base
    elif mds_addrs.startswith("local://"):
        # The filesystem name of a local:// address is the part before '?'.
        fs_name = fs_name or mds_addrs[len("local://") :].split("?", 1)[0]
    elif not fs_name:
        sys.exit("DINGOFS_FS_NAME must name the filesystem when DINGOFS_MDS_ADDRS is set")
    return mds_addrs, fs_name, mount_point, log_dir


def connect() -> dingofs.Client:
    """Mount the filesystem named by the environment and return the client.

    Use it as a context manager so the client is stopped at the end::

        with common.connect() as client:
            ...
    """
    mds_addrs, fs_name, mount_point, log_dir = settings()
    print(f"# mounting {fs_name!r} from {mds_addrs}")
    return dingofs.Client.build(mds_addrs, fs_name, mount_point, log_dir=log_dir)


def scratch_name(prefix: str) -> str:
    """Return a fresh absolute directory name, unique across hosts and runs."""
    return f"/example-{prefix}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def remove_tree(client: dingofs.Client, top: str) -> None:
    """Remove ``top`` and everything below it (like ``shutil.rmtree``)."""
    for dirpath, dirnames, filenames in client.walk(top, topdown=False):
        for name in filenames:
            client.unlink(f"{dirpath}/{name}")
        for name in dirnames:
            path = f"{dirpath}/{name}"
            # walk() lists symlinks to directories among the directories.
            if stat.S_ISLNK(client.lstat(path).mode):
                client.unlink(path)
            else:
                client.rmdir(path)
    client.rmdir(top)


@contextlib.contextmanager
def scratch(client: dingofs.Client, prefix: str) -> Iterator[str]:
    """Create a unique scratch directory and remove it (with its contents) afterwards."""
    top = scratch_name(prefix)
    client.mkdir(top, 0o755)
    try:
        yield top
    finally:
        remove_tree(client, top)
