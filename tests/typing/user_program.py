"""A typed program using dingofs as a user would: checked with ``mypy --strict``
by tests/test_typing.py (``assert_type`` fails the check when a public type is
``Any`` or wrong), and run by it as well."""
from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import PurePosixPath

import dingofs
from dingofs.path import DingoPath

if sys.version_info >= (3, 11):
    from typing import assert_type
else:  # pragma: no cover - older interpreters
    from typing_extensions import assert_type


def files_under(client: dingofs.Client, top: str) -> Iterator[str]:
    """Every file below ``top``, found with walk."""
    for dirpath, dirnames, filenames in client.walk(top):
        assert_type(dirpath, str)
        assert_type(dirnames, list[str])
        for name in filenames:
            yield f"{dirpath.rstrip('/')}/{name}"


def main(url: str) -> int:
    with dingofs.Client.build(url, "typed", "/mnt/typed") as client:
        client.makedirs("/data/sub", exist_ok=True)

        with client.open("/data/a.bin", "wb") as raw:
            assert_type(raw, dingofs.DingoFile)
            n = raw.write(b"payload")
            assert_type(n, int)
        with client.open("/data/a.bin") as raw:
            data = raw.read()
            assert_type(data, bytes)
            assert_type(raw.pread(3, 0), bytes)
        with client.open("/data/a.bin", "rb", 4096) as buffered:
            assert_type(buffered, "dingofs.DingoFile | io.BufferedIOBase")
        with client.open("/data/t.txt", "wt", encoding="utf-8") as text:
            assert_type(text, io.TextIOWrapper)
            text.write("line\n")
        with client.open("/data/t.txt", "r", encoding="utf-8") as text:
            assert_type(text, io.TextIOWrapper)
            assert_type(text.read(), str)

        with client.scandir("/data") as it:
            for entry in it:
                assert_type(entry, dingofs.DirEntry[str])
                assert_type(entry.name, str)
                assert_type(entry.path, str)
                assert_type(entry.is_dir(), bool)
        with client.scandir(b"/data") as bit:
            for bentry in bit:
                assert_type(bentry.name, bytes)
                assert_type(bentry.path, bytes)
        names = [e.name for e in client.listdir("/data")]
        assert_type(names, list[str])
        assert_type(client.listdir(b"/")[0].name, bytes)
        assert_type(list(client.walk(b"/")), list[tuple[bytes, list[bytes], list[bytes]]])

        client.symlink("a.bin", "/data/link")
        assert_type(client.readlink("/data/link"), str)
        assert_type(client.readlink(b"/data/link"), bytes)

        client.setxattr("/data/a.bin", "user.k", b"v")
        assert_type(client.getxattr("/data/a.bin", "user.k"), str)
        assert_type(client.getxattr("/data/a.bin", "user.k", as_bytes=True), bytes)
        assert_type(client.listxattr("/data/a.bin"), list[str])
        assert_type(client.stat("/data/a.bin").st_size, int)

        p = DingoPath(client, "/data") / "t.txt"
        assert_type(p, DingoPath)
        with p.open() as ptext:
            assert_type(ptext, io.TextIOWrapper)
            first = ptext.readline()
        with p.open("rb") as praw:
            assert_type(praw, dingofs.DingoFile)
        assert_type(p.read_text(), str)
        assert_type((p.parent / "link").readlink(), PurePosixPath)
        assert_type(p.resolve(), DingoPath)
        assert_type([c.name for c in p.parent.iterdir()], list[str])
        for d, _dnames, fnames in p.parent.walk():
            assert_type(d, DingoPath)
            assert_type(fnames, list[str])

        found = sorted(files_under(client, "/data"))
        return 0 if first == "line\n" and found and data == b"payload" else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
