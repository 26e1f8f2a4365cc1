"""Build hook: compile the embedded engine in native/ before the cffi extension.

Metadata lives in pyproject.toml. Set DINGOFS_USE_SYSTEM=1 to link an installed
libdingofs.so.1 instead of the bundled engine (see build_ffi.py).
"""

import os
import shlex
import subprocess

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildNativeFirst(build_ext):
    """``build_ext`` that runs ``make -C native`` before compiling the bridge."""

    def run(self) -> None:
        if os.environ.get("DINGOFS_USE_SYSTEM", "") not in ("1", "true", "yes"):
            make = shlex.split(os.environ.get("MAKE", "make"))
            jobs = os.environ.get("DINGOFS_MAKE_JOBS", "2")
            cmd = [*make, "-C", os.path.join(HERE, "native"), f"-j{jobs}"]
            self.announce("building the embedded engine: " + " ".join(cmd), level=2)
            subprocess.check_call(cmd)
        super().run()


setup(
    cffi_modules=["build_ffi.py:ffibuilder"],
    cmdclass={"build_ext": BuildNativeFirst},
)
