#!/usr/bin/env python3
"""Check the distributions in a directory (what `make dist` wrote) before they go anywhere.

    python3 scripts/check_dist.py [DIST_DIR]      (default: dist)

* the sdist holds every tracked file (``git ls-files``) except the few named in
  NOT_SHIPPED, and nothing else apart from what setuptools generates: a build
  input left out of MANIFEST.in fails here instead of on a packager's machine;
* the sdist and the wheel carry LICENSE, the Apache-2.0 license in their
  metadata, the README as a markdown long description;
* README.md links only to absolute URLs (the package index renders the README
  without the repository around it: relative links and images would be broken,
  and it gives headings no anchors).

Needs git and the repository this script belongs to. Exits non-zero with one
line per problem.
"""

from __future__ import annotations

import email.parser
import fnmatch
import os
import re
import subprocess
import sys
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Tracked files the sdist leaves out on purpose (pattern: reason).
NOT_SHIPPED = {
    ".ci/*": "the repository's CI entry point, not part of a build",
    ".gitignore": "git metadata",
}

#: Files of the sdist that setuptools generates (not tracked).
GENERATED = ["PKG-INFO", "setup.cfg", "*.egg-info/*"]

#: Files a packager's build cannot do without (checked by name as well, so that a
#: broken NOT_SHIPPED pattern cannot hide them).
BUILD_INPUTS = [
    "LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "setup.py", "build_ffi.py",
    "MANIFEST.in", "native/Makefile", "native/libdingofs.map", "native/dingofs.pc.in",
    "native/include/dingofs/libdingofs.h", "dingofs/_cdef/00_platform.h",
    "dingofs/_csrc/bridge.c", "dingofs/_csrc/bridge.h", "dingofs/_csrc/extensions.def",
    "buildtools/__init__.py", "buildtools/find_lib.py",
]


def tracked_files() -> set[str] | None:
    """The tracked files, or ``None`` outside a git checkout (an unpacked sdist)."""
    try:
        top = subprocess.run(["git", "-C", ROOT, "rev-parse", "--show-toplevel"], check=True,
                             capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    if os.path.realpath(top) != os.path.realpath(ROOT):
        return None
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], check=True,
                         capture_output=True, text=True).stdout
    return {p for p in out.split("\0") if p}


def sdist_files(path: str) -> tuple[set[str], str]:
    """Member files of the sdist (without the top directory) and its PKG-INFO text."""
    files: set[str] = set()
    pkg_info = ""
    with tarfile.open(path) as tar:
        for m in tar.getmembers():
            top, _, rel = m.name.partition("/")
            if not rel or m.isdir():
                continue
            files.add(rel)
            if rel == "PKG-INFO":
                f = tar.extractfile(m)
                assert f is not None
                pkg_info = f.read().decode("utf-8")
    return files, pkg_info


def matches(path: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(path, p) for p in patterns)


def check_metadata(what: str, text: str, readme: str, problems: list[str]) -> None:
    msg = email.parser.Parser().parsestr(text)
    if msg.get("Description-Content-Type", "").split(";")[0].strip() != "text/markdown":
        problems.append(f"{what}: Description-Content-Type is "
                        f"{msg.get('Description-Content-Type')!r}, not text/markdown")
    body = msg.get_payload() or msg.get("Description", "")
    if body.strip() != readme.strip():
        problems.append(f"{what}: the long description is not README.md "
                        f"({len(body)} characters, README has {len(readme)})")
    license_ = msg.get("License-Expression") or msg.get("License")
    if license_ != "Apache-2.0":
        problems.append(f"{what}: license metadata is {license_!r}, not Apache-2.0")
    if not any(v.endswith("LICENSE") for v in msg.get_all("License-File") or []):
        problems.append(f"{what}: no License-File: LICENSE in the metadata")


def check_readme_links(readme: str, problems: list[str]) -> None:
    # [text](target) and ![alt](target), plus <img src=...> and reference definitions.
    targets = re.findall(r"!?\[[^\]]*\]\(([^)\s]+)[^)]*\)", readme)
    targets += re.findall(r"<img[^>]+src=[\"']([^\"']+)", readme)
    targets += re.findall(r"^\s*\[[^\]]+\]:\s*(\S+)", readme, flags=re.M)
    for t in targets:
        if not re.match(r"https?://", t):
            problems.append(f"README.md: link {t!r} does not work on the package index "
                            "(use an absolute URL or none)")


def main(argv: list[str]) -> int:
    dist = argv[1] if len(argv) > 1 else os.path.join(ROOT, "dist")
    sdists = sorted(f for f in os.listdir(dist) if f.endswith(".tar.gz"))
    wheels = sorted(f for f in os.listdir(dist) if f.endswith(".whl"))
    problems: list[str] = []
    if len(sdists) != 1 or len(wheels) != 1:
        print(f"check_dist: expected one sdist and one wheel in {dist}, found "
              f"{sdists + wheels}", file=sys.stderr)
        return 1
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    check_readme_links(readme, problems)

    sdist = os.path.join(dist, sdists[0])
    shipped, pkg_info = sdist_files(sdist)
    tracked = tracked_files()
    if tracked is None:
        print("check_dist: not a git checkout: the sdist is not compared with tracked files")
        tracked = set(shipped)
    missing = sorted(p for p in tracked - shipped if not matches(p, NOT_SHIPPED))
    missing += sorted(p for p in BUILD_INPUTS if p not in shipped and p not in missing)
    extra = sorted(p for p in shipped - tracked if not matches(p, GENERATED))
    problems += [f"{sdists[0]}: tracked file missing: {p}" for p in missing]
    problems += [f"{sdists[0]}: not a tracked file (build output? add a prune to "
                 f"MANIFEST.in): {p}" for p in extra]
    check_metadata(sdists[0], pkg_info, readme, problems)

    wheel = os.path.join(dist, wheels[0])
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = [n for n in names if n.endswith(".dist-info/METADATA")]
        if not any(n.endswith(".dist-info/LICENSE") or n.endswith(".dist-info/licenses/LICENSE")
                   for n in names):
            problems.append(f"{wheels[0]}: no LICENSE in the .dist-info directory")
        if len(meta) != 1:
            problems.append(f"{wheels[0]}: {len(meta)} METADATA files")
        else:
            check_metadata(wheels[0], zf.read(meta[0]).decode("utf-8"), readme, problems)

    size = os.path.getsize(sdist)
    print(f"check_dist: {sdists[0]}: {len(shipped)} files ({size // 1024} KiB), "
          f"{len(tracked)} tracked, {len(tracked & shipped)} of them shipped, "
          f"left out on purpose: {sorted(p for p in tracked - shipped if p not in missing)}")
    print(f"check_dist: {wheels[0]}: {len(names)} files")
    for p in problems:
        print(f"check_dist: {p}", file=sys.stderr)
    if problems:
        return 1
    print("check_dist: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
