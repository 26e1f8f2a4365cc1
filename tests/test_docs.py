"""The API reference: every public callable documents its parameters, its
result and (where its body raises) its exceptions in reST fields, and the
Sphinx reference built from these docstrings (docs/api, ``make docs``) has no
warning."""
from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest

import dingofs
import dingofs.cli
import dingofs.path

ROOT = Path(__file__).parent.parent


def _public_objects() -> dict[str, Any]:
    """What the reference documents: ``dingofs.__all__`` and the ``__all__`` of
    the path, fsspec, universal-pathlib and command-line modules."""
    objs: dict[str, Any] = {f"dingofs.{n}": getattr(dingofs, n) for n in dingofs.__all__}
    modules: list[Any] = [dingofs.path, dingofs.cli]
    for optional in ("dingofs.fsspec", "dingofs.upath"):
        try:
            modules.append(__import__(optional, fromlist=["__all__"]))
        except ImportError:  # fsspec or universal_pathlib not installed
            continue
    for mod in modules:
        for n in mod.__all__:
            objs[f"{mod.__name__}.{n}"] = getattr(mod, n)
    return objs


def _public_callables() -> list[tuple[str, Callable[..., Any]]]:
    out: list[tuple[str, Callable[..., Any]]] = []
    for qual, obj in _public_objects().items():
        if inspect.isclass(obj):
            for name, member in vars(obj).items():
                if name.startswith("_"):
                    continue
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                if inspect.isfunction(member):
                    out.append((f"{qual}.{name}", member))
        elif inspect.isfunction(obj):
            out.append((qual, obj))
    return out


def _raises(fn: Callable[..., Any]) -> bool:
    """Whether the function's own source has a ``raise`` of an exception."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    return any(isinstance(n, ast.Raise) and n.exc is not None for n in ast.walk(tree))


def _missing(qual: str, fn: Callable[..., Any]) -> list[str]:
    doc = inspect.getdoc(fn) or ""
    sig = inspect.signature(fn)
    missing = [f":param {p.name}:" for p in sig.parameters.values()
               if p.name not in ("self", "cls")
               and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               and f":param {p.name}:" not in doc]
    if sig.return_annotation not in (None, "None", inspect.Signature.empty) \
            and ":returns:" not in doc:
        missing.append(":returns:")
    if _raises(fn) and ":raises" not in doc:
        missing.append(":raises:")
    return missing


CALLABLES = _public_callables()


def test_the_public_surface_is_found():
    names = {q for q, _ in CALLABLES}
    assert {"dingofs.Client.open", "dingofs.DingoFile.read", "dingofs.path.DingoPath.open",
            "dingofs.DirEntry.stat", "dingofs.cli.main"} <= names
    assert len(CALLABLES) > 120


@pytest.mark.parametrize(("qual", "fn"), CALLABLES, ids=[q for q, _ in CALLABLES])
def test_docstring_fields(qual, fn):
    assert not _missing(qual, fn), f"{qual}: docstring lacks {', '.join(_missing(qual, fn))}"


def test_sphinx_reference_builds_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(ROOT / "docs" / "api"), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = (tmp_path / "html" / "client.html").read_text(encoding="utf-8")
    assert "dingofs.Client.open" in page and "Parameters" in page
