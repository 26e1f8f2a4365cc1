"""Sphinx configuration of the API reference (``make docs``).

Built offline from the package's docstrings: no intersphinx or other extension
that needs the network. Warnings are errors (``-W``) in ``make docs`` and in
tests/test_docs.py.
"""
from __future__ import annotations

import os
import sys

# The installed package (an editable install in a development tree); a plain
# source tree without one is documented from its sources.
try:
    import dingofs
except ImportError:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    import dingofs

project = "dingofs"
author = "The dingofs authors"
copyright = "The dingofs authors"  # noqa: A001 - Sphinx's name
release = dingofs.__version__
version = release

extensions = ["sphinx.ext.autodoc"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_default_options = {"members": True, "show-inheritance": True}
root_doc = "index"
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path: list[str] = []
# Type hints name classes of other packages (fsspec, io, os); without
# intersphinx they cannot be linked, which is not an error.
nitpicky = False
suppress_warnings = ["ref.python"]
