"""The only module that imports the compiled bridges (``ffi`` and ``lib``).

Up to two bridges can be installed: ``dingofs._bridge`` (the embedded engine,
bundled) and ``dingofs._bridge_sys`` (an installed ``libdingofs.so.1``, e.g.
the upstream cluster client). Each loaded one is described by a
:class:`Backend`; :func:`backend_for` picks the one that serves an address.

``DINGOFS_DISABLE_BUNDLED=1`` / ``DINGOFS_DISABLE_SYSTEM=1`` in the environment
skip loading one of them (to test an installation as if it lacked it).
"""

from __future__ import annotations

import errno as _errno
import importlib
import os
from typing import Any

from ._version import __version__
from .errors import error_from_errno

__all__ = ["Backend", "backends", "backend_for", "library_info", "EXTENSIONS"]

#: Tunable that lets a process load the upstream library (static TLS).
STATIC_TLS_HINT = "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16777216"

_MODULES = (("bundled", "dingofs._bridge"), ("system", "dingofs._bridge_sys"))


class Backend:
    """One loaded bridge module and what its library offers.

    :ivar name: ``"bundled"`` or ``"system"``.
    :ivar ffi: the cffi ``FFI`` object of the module.
    :ivar lib: the compiled functions and constants.
    :ivar known_extensions: short names of the extensions the bridge wraps, in the
        order of their feature bits (the list ``dingofs/_csrc/extensions.def`` it
        was compiled from).
    :ivar extensions: names of the extensions the library exports.
    :ivar version: library version string ("" when it does not say).
    :ivar built_version: version of the library the bridge was built against, as
        the build found it (pkg-config); "" when unknown or bundled.
    :ivar embedded: whether the library is the embedded engine.
    :ivar kind: ``"embedded"`` (engine linked into the bridge) or ``"system"``
        (a shared ``libdingofs.so.1``).
    :ivar implementation: ``"embedded"`` (this project's engine, which has the
        extensions) or ``"upstream"`` (a library without them, e.g. the DingoFS
        cluster client).
    :ivar library_path: the file that defines the C functions the bridge calls.
    """

    def __init__(self, name: str, module: Any) -> None:
        self.name = name
        self.module_name = module.__name__
        self.module_file = getattr(module, "__file__", "") or ""
        self.ffi = module.ffi
        self.lib = module.lib
        self.known_extensions: tuple[str, ...] = tuple(
            _cstr(self.ffi, self.lib, "dfx_extension_names").split())
        mask = int(self.lib.dfx_present())
        self.extensions = frozenset(
            ext for bit, ext in enumerate(self.known_extensions) if mask & (1 << bit)
        )
        self.embedded = False
        self.version = ""
        if "version" in self.extensions:
            flag = self.ffi.new("int*", 0)
            raw = self.lib.dfx_version(flag)
            if raw != self.ffi.NULL:
                self.version = self.ffi.string(raw).decode("utf-8", "replace")
            self.embedded = bool(flag[0])
        self.built_version = _cstr(self.ffi, self.lib, "dfx_built_version")
        self.library_path = _cstr(self.ffi, self.lib, "dfx_library_path")
        if self.library_path:
            self.library_path = os.path.realpath(self.library_path)
        else:
            self.library_path = self.module_file
        self.kind = "system" if name == "system" else "embedded"
        self.implementation = "embedded" if self.embedded else "upstream"

    def cpu_problem(self) -> str:
        """Why this machine's processor cannot run the library, or "".

        The prebuilt upstream client (the ``dingofs`` 5.2.0 wheel) is compiled for
        x86-64 processors with AVX-512: on one without, mounting stops the whole
        process with ``SIGILL``. An upstream library built for older processors
        (e.g. by a distribution) is let through with ``DINGOFS_SKIP_CPU_CHECK=1``.
        """
        if self.implementation != "upstream" or os.environ.get("DINGOFS_SKIP_CPU_CHECK") == "1":
            return ""
        missing = missing_cpu_features()
        if not missing:
            return ""
        return (
            f"this processor lacks {', '.join(missing)} (AVX-512), which the upstream DingoFS "
            f"client library {self.library_path} is built for: mounting would stop the process "
            "with SIGILL; use a machine with AVX-512, or a libdingofs built for this processor "
            "(then set DINGOFS_SKIP_CPU_CHECK=1)"
        )

    def has(self, ext: str) -> bool:
        """Whether the extension ``ext`` (e.g. ``"readdirplus"``) is present."""
        return ext in self.extensions

    def lacks(self, operation: str) -> str:
        """An explanation when ``operation`` (``"dingofs_x_NAME"``) is an extension this
        library does not have; "" otherwise."""
        if not operation.startswith("dingofs_x_"):
            return ""
        ext = operation[len("dingofs_x_"):]
        if ext not in self.known_extensions or ext in self.extensions:
            return ""
        return (
            f"{operation} is an extension of the embedded engine that the loaded "
            f"{self.implementation} library ({self.library_path or self.module_name}) does "
            "not provide"
        )

    def info(self) -> dict[str, Any]:
        """A description of this library for :func:`library_info`."""
        return {
            "name": self.name,
            "kind": self.kind,
            "implementation": self.implementation,
            "version": self.version or self.built_version,
            "version_source": "library" if self.version else ("build" if self.built_version
                                                               else "unknown"),
            "path": self.library_path,
            "module": self.module_name,
            "module_file": self.module_file,
            "embedded": self.embedded,
            "extensions": sorted(self.extensions),
            "missing_extensions": sorted(set(self.known_extensions) - self.extensions),
        }

    def __repr__(self) -> str:
        return (f"<dingofs Backend {self.name} kind={self.kind} "
                f"implementation={self.implementation} version={self.version!r}>")


#: The AVX-512 features the prebuilt upstream client executes at mount.
UPSTREAM_CPU_FEATURES = ("avx512f", "avx512vl")


def missing_cpu_features(cpuinfo: str | None = None) -> list[str]:
    """The features of :data:`UPSTREAM_CPU_FEATURES` this x86-64 processor lacks
    (from ``/proc/cpuinfo``, or the text given); [] elsewhere or when unknown."""
    if cpuinfo is None:
        if os.uname().machine not in ("x86_64", "amd64"):
            return []
        try:
            with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
                cpuinfo = f.read()
        except OSError:
            return []
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            flags = set(value.split())
            return [f for f in UPSTREAM_CPU_FEATURES if f not in flags]
    return []


def _cstr(ffi: Any, lib: Any, func: str) -> str:
    """The string returned by the no-argument bridge function ``func`` ("" if absent)."""
    fn = getattr(lib, func, None)
    if fn is None:
        return ""
    raw = fn()
    if raw == ffi.NULL:
        return ""
    return str(ffi.string(raw).decode("utf-8", "surrogateescape"))


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
        if "cannot open shared object file" in str(exc):
            raise ImportError(
                f"cannot load {modname}: the shared libdingofs it was built against is no "
                f"longer where the build found it ({exc}). Reinstall the package against the "
                "library's current location, or add its directory to LD_LIBRARY_PATH.",
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
    if os.environ.get("DINGOFS_DISABLE_" + _name.upper(), "").strip().lower() in (
            "1", "true", "yes", "on"):
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
    if _ERRORS:
        raise ImportError("dingofs: " + "; ".join(_ERRORS.values()), name=__name__)
    raise ImportError(
        "dingofs: no compiled bridge is installed (dingofs._bridge or dingofs._bridge_sys). "
        "Install the package with `pip install .` (which builds native/ and the bridge)",
        name=__name__,
    )


#: Short names of the extensions the bridges wrap (``dingofs_x_NAME`` of the C ABI),
#: as compiled into them from ``dingofs/_csrc/extensions.def``.
EXTENSIONS: tuple[str, ...] = _BACKENDS[0].known_extensions


def backends() -> list[Backend]:
    """Every loaded bridge, bundled first."""
    return list(_BACKENDS)


def backend_for(mds_addrs: str) -> Backend:
    """The bridge that serves ``mds_addrs``.

    ``local://`` addresses go to the embedded engine; cluster addresses go to a
    library without it (the upstream client) loaded through the system bridge.

    :raises DingofsError: ``EPROTONOSUPPORT`` when no loaded library serves this
        kind of address; the message says how to get one.
    """
    is_local = mds_addrs.startswith("local://")
    for b in _BACKENDS:
        if b.embedded == is_local:
            return b
    raise error_from_errno(_errno.EPROTONOSUPPORT, "dingofs_mount", mds_addrs,
                           detail=_missing_bridge_detail(is_local))


def _missing_bridge_detail(is_local: bool) -> str:
    loaded = ", ".join(f"{b.module_name} ({b.implementation})" for b in _BACKENDS)
    if is_local:
        text = (
            f"local:// addresses are served by the embedded engine, which this installation "
            f"does not have (loaded: {loaded}); it was built with DINGOFS_USE_SYSTEM=1. "
            "Rebuild it with DINGOFS_USE_SYSTEM=both (engine and system library) or without "
            "DINGOFS_USE_SYSTEM (see INSTALL.md)"
        )
        reason = _ERRORS.get("bundled")
    else:
        text = (
            f"cluster addresses are served by a system libdingofs (the DingoFS client), which "
            f"this installation does not have loaded (loaded: {loaded}); the embedded engine "
            "serves only local:// addresses. Build the package against the client with "
            "DINGOFS_USE_SYSTEM=both and DINGOFS_PREFIX=DIR or pkg-config dingofs "
            "(see INSTALL.md)"
        )
        reason = _ERRORS.get("system")
        if reason:
            return f"the system library bridge is installed but did not load: {reason}"
    if reason:
        text = f"{text}. The bridge is installed but did not load: {reason}"
    return text


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
