"""``make test`` gives the same verdict in CI and on a developer's machine.

The hypothesis profile loaded by default (``HYPOTHESIS_PROFILE`` unset) is
``ci``: derandomized, without an example database, printing the
``@reproduce_failure`` blob; it is the same whether or not ``CI`` (or another
variable by which hypothesis detects CI) is set. See ``tests/_profiles.py``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")

from _profiles import DEFAULT_PROFILE, PROFILE_ENV, PROFILES, selected_profile  # noqa: E402

TESTS = Path(__file__).resolve().parent

#: Environments in which the default profile must be the same.
ENVIRONMENTS = {
    "no-ci": {},
    "CI=true": {"CI": "true"},
    "CI=1": {"CI": "1"},
    "GITHUB_ACTIONS=true": {"GITHUB_ACTIONS": "true"},
    "empty-profile-variable": {"CI": "true", PROFILE_ENV: ""},
}


def _ci_variables() -> list[str]:
    """The variables by which hypothesis decides that it runs in CI."""
    from hypothesis import _settings

    return sorted(getattr(_settings, "_CI_VARS", {"CI": None}))


def _environment(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without CI markers, pytest's or hypothesis's
    variables, plus ``extra``."""
    drop = set(_ci_variables())
    env = {k: v for k, v in os.environ.items()
           if k not in drop and not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    env.update(extra)
    return env


#: Run in a fresh interpreter: import hypothesis (which loads its own ``ci``
#: profile when it detects CI), then do what conftest.py does, then report the
#: loaded settings and the data a derandomized test draws.
_PROBE = textwrap.dedent("""
    import importlib, json, sys
    sys.path[:0] = sys.argv[1].split(":")
    modules = [m.split("=") for m in sys.argv[2:]]
    # what earlier tests of the worker may have imported before the profiles...
    for module in [m for when, m in modules if when == "before"]:
        importlib.import_module(module)
    from hypothesis import given, settings, strategies as st
    from _profiles import load_profiles

    name = load_profiles()
    # ...and what test modules collected later import (e.g. soak/ code)
    for module in [m for when, m in modules if when == "after"]:
        importlib.import_module(module)
    s = settings.default
    drawn = []

    @given(st.lists(st.integers()), st.text(max_size=5))
    def probe(xs, t):
        drawn.append([xs, t])

    probe()
    print(json.dumps({
        "name": name,
        "current": settings.get_current_profile_name(),
        "derandomize": s.derandomize,
        "database": repr(s.database),
        "print_blob": s.print_blob,
        "max_examples": s.max_examples,
        "drawn": drawn,
    }))
""")


def _probe(extra: dict[str, str], *modules: str, cwd: Path, path: str = str(TESTS)) -> dict:
    """Run _PROBE in the directory ``cwd``; ``modules`` are ``before=NAME`` or
    ``after=NAME``.

    ``cwd`` must not be the source tree: ``python -c`` puts the current directory
    first on ``sys.path``, and the probe would import the checkout's ``dingofs``
    instead of the one under test (an installed package without the compiled
    bridge in the source tree fails to import)."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, path, *modules],
                          capture_output=True,
                          text=True, env=_environment(extra), cwd=cwd, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_loaded_profile_matches_environment() -> None:
    """The profile of this very run is the one ``HYPOTHESIS_PROFILE`` selects
    (``ci`` when unset), with the settings tests/_profiles.py gives it, and
    hypothesis's local constants frozen by conftest.py."""
    from hypothesis import settings
    from hypothesis.internal.conjecture import providers

    name = selected_profile()
    assert settings.get_current_profile_name() == name
    examples, derandomize = PROFILES[name]
    current = settings.default
    assert current.max_examples == examples
    assert current.derandomize is derandomize
    assert current.print_blob is True
    if derandomize:
        assert current.database is None
    if hasattr(providers, "_get_local_constants"):  # hypothesis internals, see _profiles.py
        assert getattr(providers._get_local_constants, "_dingofs_frozen", False)


def test_ci_profile_is_derandomized_without_database() -> None:
    from hypothesis import settings

    assert DEFAULT_PROFILE == "ci"
    ci = settings.get_profile("ci")
    assert ci.derandomize is True
    assert ci.database is None
    assert ci.print_blob is True
    assert settings.get_profile("long").derandomize is False  # exploration: make fuzz-long


def test_default_profile_is_the_same_in_and_out_of_ci(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    reports = {label: _probe(extra, cwd=cwd) for label, extra in ENVIRONMENTS.items()}
    # local modules imported before or after the profiles change nothing: not
    # dingofs modules a previous test imported, nor other local code full of
    # literals that hypothesis could otherwise draw (see tests/_profiles.py;
    # 400 of them: hypothesis ignores a module with more than 1024)
    (tmp_path / "local_literals.py").write_text(
        "VALUES = [" + ", ".join(f"{n}, {str(n)!r}" for n in range(7919, 8119)) + "]\n")
    reports["other-imports"] = _probe(
        {}, "before=dingofs.cli", "before=dingofs.path", "after=local_literals",
        cwd=cwd, path=f"{TESTS}:{tmp_path}")
    for label, report in reports.items():
        assert report["name"] == report["current"] == "ci", label
        assert report["derandomize"] is True, label
        assert report["database"] == "None", label
        assert report["print_blob"] is True, label
        assert report["max_examples"] == PROFILES["ci"][0], label
    drawn = {label: report["drawn"] for label, report in reports.items()}
    first = drawn["no-ci"]
    assert len(first) > 1
    assert all(d == first for d in drawn.values()), "generated data differs between environments"


@pytest.mark.parametrize("label", ["no-ci", "CI=true"])
def test_conftest_loads_ci_by_default(label: str) -> None:
    """Through the real conftest.py: a pytest run with ``HYPOTHESIS_PROFILE``
    unset loads ``ci`` (checked by test_loaded_profile_matches_environment)."""
    target = f"{Path(__file__).name}::test_loaded_profile_matches_environment"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         target],
        capture_output=True, text=True, env=_environment(ENVIRONMENTS[label]), cwd=TESTS,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout, proc.stdout


def test_failure_output_tells_how_to_replay(tmp_path: Path) -> None:
    """A failing property test reports its falsifying example and a
    ``@reproduce_failure`` blob, and the same failure again on a second run."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_fails.py").write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(TESTS)!r})
        from _profiles import load_profiles
        from hypothesis import given, strategies as st

        load_profiles()

        @given(st.integers())
        def test_small(n):
            assert n < 1000
    """))
    outputs = []
    for label in ("no-ci", "CI=true"):
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
             "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), str(tmp_path)],
            capture_output=True, text=True, env=_environment(ENVIRONMENTS[label]),
            cwd=tmp_path, timeout=300,
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert ("Falsifying example: test_small(" in proc.stdout  # hypothesis < 6.150
                or "Failing test case: test_small(" in proc.stdout), proc.stdout
        assert "n=1000," in proc.stdout, proc.stdout
        assert "@reproduce_failure(" in proc.stdout, proc.stdout
        # (in CI pytest repeats the message untruncated in its summary)
        outputs.append({line.strip("E ") for line in proc.stdout.splitlines()
                        if "@reproduce_failure(" in line})
    assert outputs[0] == outputs[1]
    assert not (tmp_path / ".hypothesis" / "examples").exists()  # database=None
