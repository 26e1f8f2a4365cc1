"""universal-pathlib support: ``UPath("dingofs://NAME/path")``.

Registered for the protocol ``dingofs`` through the
``universal_pathlib.implementations`` entry point, so
``upath.UPath("dingofs://NAME/dir/a.txt")`` is a :class:`DingoUPath` on the
filesystem ``NAME`` (connection options as for :mod:`dingofs.fsspec`: the
``storage_options`` or the environment) and ``str()`` gives back the URL with
its filesystem name, which ``UPath`` accepts again.

Needs the ``universal_pathlib`` package.
"""
from __future__ import annotations

import fsspec
from upath import UPath

from dingofs.fsspec import DingoFileSystem
from dingofs.path import URL_SCHEME

__all__ = ["DingoUPath"]

# universal-pathlib takes the path rules of a protocol from the filesystem class
# fsspec has already imported; make sure that is this one (and not a generic
# stand-in chosen with a warning).
if URL_SCHEME not in fsspec.registry:
    fsspec.register_implementation(URL_SCHEME, DingoFileSystem)

_NAMELESS = f"{URL_SCHEME}:///"


class DingoUPath(UPath):
    """A universal-pathlib path on a DingoFS filesystem (``dingofs://NAME/path``).

    The filesystem name travels in ``storage_options["fs_name"]`` (taken from
    the URL's host part) and is written back into ``str()``, so
    ``UPath(str(p)) == p``. Operations go through
    :class:`dingofs.fsspec.DingoFileSystem`; for the native pathlib-style API
    with ``os`` semantics, use :class:`dingofs.DingoPath`.
    """

    __slots__ = ()

    def __str__(self) -> str:
        """The URL of this path, ``dingofs://NAME/path`` when the filesystem
        is named (a relative path is returned as it is).

        :returns: the URL, which ``UPath`` accepts again.
        """
        text = super().__str__()
        if self._relative_base is not None or not text.startswith(_NAMELESS):
            return text
        name = self.storage_options.get("fs_name")
        if not name:
            return text
        return f"{URL_SCHEME}://{name}/{text[len(_NAMELESS):]}"
