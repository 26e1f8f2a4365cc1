"""Build hook: compile the embedded engine in native/ before the cffi bridges.

Metadata lives in pyproject.toml. Which bridges are built is chosen by the
environment (see build_ffi.py and INSTALL.md): by default the bundled engine
(``dingofs._bridge``); with ``DINGOFS_USE_SYSTEM=1`` only the bridge to an
installed libdingofs.so.1 (``dingofs._bridge_sys``); with
``DINGOFS_USE_SYSTEM=both`` (or a configured ``DINGOFS_PREFIX``) both.

Running this file only reads those variables: the system library is looked
for when ``build_ext`` runs, before anything is compiled.
"""

import os
import shlex
import subprocess
import sys

import setuptools
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import build_ffi  # noqa: E402

TARGETS = build_ffi.selected_targets()


def license_metadata() -> dict[str, str]:
    """Apache-2.0 in the form this setuptools writes without deprecation warnings.

    setuptools >= 77 writes the SPDX ``License-Expression`` (PEP 639); older
    releases (Debian 12 builds with 66) only know the free-text ``License``
    field. pyproject.toml lists ``license`` as dynamic so both come from here.
    LICENSE itself reaches the sdist and the wheel through setuptools' default
    license-file patterns in both.
    """
    major = int(setuptools.__version__.split(".", 1)[0])
    return {"license_expression" if major >= 77 else "license": "Apache-2.0"}


class BuildNativeFirst(build_ext):
    """``build_ext`` that runs ``make -C native`` before compiling the bundled bridge."""

    def pre_run(self, ext: Extension, ffi: object) -> None:
        """cffi's hook, called for each bridge before its C is generated (and before
        :meth:`run`): add the library the bridge links, looking for a system one."""
        build_ffi.add_target_options(ext)

    def run(self) -> None:
        if "bundled" in TARGETS:
            make = shlex.split(os.environ.get("MAKE", "make"))
            jobs = os.environ.get("DINGOFS_MAKE_JOBS", "2")
            cmd = [*make, "-C", os.path.join(HERE, "native"), f"-j{jobs}"]
            self.announce("building the embedded engine: " + " ".join(cmd), level=2)
            subprocess.check_call(cmd)
            build_ffi.check_bundled_archive()
        self._drop_stale_bridges()
        super().run()

    def _drop_stale_bridges(self) -> None:
        """Remove bridges of targets not built this time from the build tree.

        An earlier build with other settings may have left one there, and the
        wheel would ship it.
        """
        wanted = {build_ffi.MODULES[t].rsplit(".", 1)[1] for t in TARGETS}
        pkg_dir = os.path.join(self.build_lib, "dingofs")
        if not os.path.isdir(pkg_dir):
            return
        for name in os.listdir(pkg_dir):
            stem = name.split(".", 1)[0]
            if name.endswith(".so") and stem.startswith("_bridge") and stem not in wanted:
                self.announce(f"removing stale {name} from {pkg_dir}", level=2)
                os.remove(os.path.join(pkg_dir, name))


setup(
    **license_metadata(),
    cffi_modules=[f"build_ffi.py:{target}_builder" for target in TARGETS],
    cmdclass={"build_ext": BuildNativeFirst},
    # The bridges use only the stable ABI (cffi builds them with Py_LIMITED_API),
    # so one wheel serves every CPython from 3.9 on.
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
