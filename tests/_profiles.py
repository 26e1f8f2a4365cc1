"""Hypothesis profiles of the test suite, shared by ``conftest.py`` and
``test_determinism.py``.

``make test`` must give the same verdict on every machine, in CI or not:

``ci`` (the default: ``HYPOTHESIS_PROFILE`` unset or empty)
    few examples, **derandomized** (the examples are a pure function of the
    test's code, so every run draws the same data) and **no example
    database** (``database=None``: nothing saved by an earlier run on this
    machine is replayed). Used by ``make test`` and plain ``pytest``.
``dev``
    the same, with more examples.
``long``
    random exploration for ``make fuzz-long``: randomized, with hypothesis's
    default example database under ``.hypothesis/`` so that a failure found
    there is replayed by the next ``long`` run.

Every profile sets ``derandomize`` and ``database`` explicitly and inherits
the rest from hypothesis's built-in ``default`` profile, never from the
profile loaded when this module runs: hypothesis loads its own ``ci`` profile
(derandomized) at import when it sees ``CI`` or another CI variable, and a
profile registered without an explicit parent would inherit from it. All
profiles print the ``@reproduce_failure`` blob of a failing example.

Derandomized data also depends on the pool of "local constants" hypothesis
draws from: literals of the project's own modules (every non-test module
outside site-packages and the standard library) that are imported when a
test draws data. ``dingofs`` imports its submodules lazily, and test modules
import other local code (``soak/``), so that pool would depend on which tests
were collected or ran earlier in the same worker, and a test replayed alone
would see other data than in the full run. :func:`load_profiles` therefore
imports every ``dingofs`` module, then (before test collection) freezes the pool
(:func:`freeze_local_constants`): every test of every worker and selection
draws from the constants of the ``dingofs`` package, and nothing else.

Deliberate exceptions to "no unseeded randomness" elsewhere in the suite:
payloads made with ``os.urandom`` in round-trip tests (``test_cli.py``,
``test_fsspec.py``, ``test_convenience.py``, ``test_io_protocol.py``). They
are opaque bytes compared with what is read back; the engine never looks at
data contents (no zero-block or compression special cases), so the verdict
does not depend on them.
"""
from __future__ import annotations

import os
from typing import Any

#: Environment variable naming the profile to load.
PROFILE_ENV = "HYPOTHESIS_PROFILE"
#: Profile loaded when ``PROFILE_ENV`` is unset or empty (``make test``).
DEFAULT_PROFILE = "ci"

#: name -> (max_examples, derandomized)
PROFILES: dict[str, tuple[int, bool]] = {
    "ci": (25, True),
    "dev": (100, True),
    "long": (2000, False),
}


def register_profiles() -> None:
    """Register the ``ci``, ``dev`` and ``long`` profiles with hypothesis."""
    from hypothesis import HealthCheck, settings

    base = settings.get_profile("default")  # hypothesis's own, independent of CI
    for name, (examples, derandomize) in PROFILES.items():
        kwargs: dict[str, Any] = {"derandomize": derandomize}
        if derandomize:
            kwargs["database"] = None
        settings.register_profile(
            name,
            parent=base,
            max_examples=examples,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture,
                                   HealthCheck.too_slow],
            print_blob=True,
            **kwargs,
        )


def import_package_modules() -> list[str]:
    """Import every module of the ``dingofs`` package (except ``__main__``),
    so that the local constants hypothesis draws from do not depend on the
    order of the tests; returns the module names."""
    import importlib
    import pkgutil

    import dingofs

    names = ["dingofs"]
    for info in pkgutil.walk_packages(dingofs.__path__, "dingofs."):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue
        try:
            importlib.import_module(info.name)
        except ModuleNotFoundError as exc:  # an optional dependency (fsspec) is missing
            if (exc.name or "dingofs").startswith("dingofs"):
                raise
            continue
        names.append(info.name)
    return names


def freeze_local_constants() -> bool:
    """Fix hypothesis's pool of local constants to what is imported now.

    Uses hypothesis internals (``providers._get_local_constants``, hypothesis
    6.13x and later); returns ``False``, changing nothing, where they are
    missing. ``test_determinism.py`` checks the effect.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - other hypothesis layouts
        return False
    collect = getattr(providers, "_get_local_constants", None)
    if collect is None or getattr(collect, "_dingofs_frozen", False):
        return collect is not None
    pool = collect()

    def frozen() -> Any:
        return pool

    frozen._dingofs_frozen = True  # type: ignore[attr-defined]
    providers._get_local_constants = frozen
    return True


def selected_profile() -> str:
    """The profile named by ``HYPOTHESIS_PROFILE``, or ``ci`` when unset."""
    return os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE


def load_profiles(*, freeze: bool = True) -> str:
    """Import the package, freeze hypothesis's local constants (see the
    module's docstring), register the profiles and load the selected one;
    returns its name.

    :param freeze: ``False`` leaves the freeze to the caller; conftest.py
        freezes at ``pytest_sessionstart``, since hypothesis warns about
        touching its storage (it caches constants there) while conftest
        files are being loaded. Both come before any test module is collected.
    """
    from hypothesis import settings

    import_package_modules()
    if freeze:
        freeze_local_constants()
    register_profiles()
    name = selected_profile()
    settings.load_profile(name)
    return name
