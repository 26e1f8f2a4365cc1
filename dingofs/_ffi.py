"""The only module that imports the compiled bridges (``ffi`` and ``lib``).

Up to two bridges can be installed: ``dingofs._bridge`` (the embedded engine,
bundled) and ``dingofs._bridge_sys`` (an installed ``libdingofs.so.1``, e.g.
the upstream cluster client). Each loaded one is described by a
:class:`Backend`.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from ._version import __version__

__all__ = ["Backend", "backends", "backend_for", "library_info", "EXTENSIONS"]

#: Tunable that lets a process load the upstream library (static TLS).
STATIC_TLS_HINT = "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16777216"

#: Extension short names, matching the ``DFX_HAVE_*`` bits of the bridge.
EXTENSIONS = (
    "version", "mknod", "utimens", "stat", "fstat", "readdirplus", "rename2",
    "copy_file_range", "flock", "fallocate", "access", "lchown", "fchmod", "fchown", "fsck",
    "free",
)

_MODULES = (("bundled", "dingofs._bridge"), ("system", "dingofs._bridge_sys"))


class Backend:
    """One loaded bridge module and what its library offers.

    :ivar name: ``"bundled"`` or ``"system"``.
    :ivar ffi: the cffi ``FFI`` object of the module.
    :ivar lib: the compiled functions and constants.
    :ivar extensions: names of the extensions the library exports.
    :ivar version: library version string ("" when it does not say).
    :ivar embedded: whether the library is the embedded engine.
    """

    def __init__(self, name: str, module: Any) -> None:
        self.name = name
        self.module_name = module.__name__
        self.module_file = getattr(module, "__file__", "") or ""
        self.ffi = module.ffi
        self.lib = module.lib
        mask = int(self.lib.dfx_present())
        self.extensions = frozenset(
            ext for ext in EXTENSIONS if mask & getattr(self.lib, "DFX_HAVE_" + ext.upper())
        )
        self.embedded = False
        self.version = ""
        if "version" in self.extensions:
            flag = self.ffi.new("int*", 0)
            raw = self.lib.dfx_version(flag)
            if raw != self.ffi.NULL:
                self.version = self.ffi.string(raw).decode("utf-8", "replace")
            self.embedded = bool(flag[0])

    def has(self, ext: str) -> bool:
        """Whether the extension ``ext`` (e.g. ``"readdirplus"``) is present."""
        return ext in self.extensions

    def info(self) -> dict[str, Any]:
        """A description of this library for :func:`library_info`."""
        return {
            "name": self.name,
            "module": self.module_name,
            "module_file": self.module_file,
            "version": self.version,
            "embedded": self.embedded,
            "extensions": sorted(self.extensions),
        }

    def __repr__(self) -> str:
        return f"<dingofs Backend {self.name} version={self.version!r} embedded={self.embedded}>"


def _load(name: str, modname: str) -> Backend | None:
    try:
        module = importlib.import_module(modname)
    except ModuleNotFoundError as exc:
        if exc.name == modname:
            return None
        raise
    except ImportError as exc:
        if "static TLS" in str(exc):
            raise ImportError(
                f"cannot load {modname}: the libdingofs it links needs more static TLS than "
                f"the loader reserves ({exc}). Start Python with {STATIC_TLS_HINT} in its "
                "environment, e.g. `export " + STATIC_TLS_HINT + "`.",
                name=modname,
            ) from exc
        raise
    backend = Backend(name, module)
    if name == "bundled" and backend.embedded and backend.version != __version__:
        raise ImportError(
            f"{modname} contains engine version {backend.version!r} but the dingofs package "
            f"is {__version__!r}: the build is stale; reinstall the package (pip install .)",
            name=modname,
        )
    return backend


_BACKENDS: list[Backend] = []
_ERRORS: dict[str, str] = {}

for _name, _modname in _MODULES:
    if os.environ.get("DINGOFS_DISABLE_" + _name.upper()):
        continue
    try:
        _b = _load(_name, _modname)
    except ImportError as _exc:
        if _name == "bundled":
            raise
        # The optional system bridge failing must not hide the bundled one.
        _ERRORS[_name] = str(_exc)
        continue
    if _b is not None:
        _BACKENDS.append(_b)

if not _BACKENDS:
    raise ImportError(
        "dingofs: no compiled bridge is installed (dingofs._bridge or dingofs._bridge_sys). "
        "Install the package with `pip install .` (which builds native/ and the bridge)"
        + ("; errors: " + "; ".join(_ERRORS.values()) if _ERRORS else "")
    )


def backends() -> list[Backend]:
    """Every loaded bridge, bundled first."""
    return list(_BACKENDS)


def backend_for(mds_addrs: str) -> Backend:
    """The bridge that serves ``mds_addrs``.

    ``local://`` addresses go to the embedded engine when it is loaded; cluster
    addresses go to a system library when one is loaded (else to the first
    bridge, which then reports what it cannot serve).
    """
    is_local = mds_addrs.startswith("local://")
    for b in _BACKENDS:
        if b.embedded == is_local:
            return b
    return _BACKENDS[0]


def library_info() -> dict[str, Any]:
    """Which libraries are loaded, their versions and extensions.

    :returns: ``{"package_version": str, "libraries": [dict, ...],
        "unavailable": {name: reason}}``.
    """
    return {
        "package_version": __version__,
        "libraries": [b.info() for b in _BACKENDS],
        "unavailable": dict(_ERRORS),
    }
