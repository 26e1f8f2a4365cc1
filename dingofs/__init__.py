"""dingofs: Python SDK for the DingoFS distributed filesystem.

Quick start::

    import dingofs

    with dingofs.Client.build("local://demo", "demo", "/mnt/demo") as client:
        client.write_bytes("/hello.txt", b"hello")
        print(client.stat("/hello.txt").length)

Addresses ``"local://NAME[?base=DIR&...]"`` are served by the embedded engine
compiled into this package; ``"host:port,..."`` addresses reach a DingoFS
cluster through an installed upstream ``libdingofs.so.1``.
"""

from typing import TYPE_CHECKING, Any

from . import types as _types
from ._version import __version__
from .errors import ClientStoppedError, DingofsError, SameFileError
from .types import *  # noqa: F403  (the value types and the SET_ATTR_* bits, as types.__all__)

if TYPE_CHECKING:
    from ._ffi import library_info
    from .client import Client
    from .dir import DirEntry, ScandirIterator
    from .file import DingoFile

# Names whose modules load the compiled bridge: imported on first use, so that
# ``import dingofs`` (e.g. by the pytest plugin) stays cheap.
_LAZY = {
    "Client": ".client",
    "DingoFile": ".file",
    "DirEntry": ".dir",
    "ScandirIterator": ".dir",
    "library_info": "._ffi",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dingofs' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


#: ``FS_IOC_GETFLAGS``: read the inode flags word (8-byte argument).
FS_IOC_GETFLAGS = 0x80086601
#: ``FS_IOC_SETFLAGS``: write the inode flags word (8-byte argument).
FS_IOC_SETFLAGS = 0x40086602
#: ``FS_IOC32_GETFLAGS``: read the inode flags word (4-byte argument).
FS_IOC32_GETFLAGS = 0x80046601
#: ``FS_IOC32_SETFLAGS``: write the inode flags word (4-byte argument).
FS_IOC32_SETFLAGS = 0x40046602
#: ``FS_IOC_FSGETXATTR``: read ``struct fsxattr`` (28 bytes).
FS_IOC_FSGETXATTR = 0x801C581F

__all__ = [
    "__version__",
    "library_info",
    "Client",
    "DingoFile",
    "DirEntry",
    "ScandirIterator",
    "DingofsError",
    "ClientStoppedError",
    "SameFileError",
    "FS_IOC_GETFLAGS",
    "FS_IOC_SETFLAGS",
    "FS_IOC32_GETFLAGS",
    "FS_IOC32_SETFLAGS",
    "FS_IOC_FSGETXATTR",
]
__all__ += _types.__all__
