"""Small files kept in the metadata store (on-disk format 2).

A file up to ``dingofs_inline_max_bytes`` (64 KiB by default) has no data file
of its own: its bytes live in the store, so making, reading and removing it
costs no host inode. These tests look at the data directory to see which form
a file is in, and check that the bytes are the same either way.
"""

from __future__ import annotations

import os
from pathlib import Path

from helpers import local_url

import dingofs


def _data_files(base: Path, name: str) -> int:
    return sum(len(files) for _, _, files in os.walk(base / "data" / name))


def test_small_files_have_no_data_file_and_move_out_and_back(tmp_path: Path) -> None:
    with dingofs.Client.build(local_url(tmp_path, "i"), "i", "/m", init_logging=False) as c:
        small = os.urandom(4096)
        c.write_bytes("/s", small)
        assert _data_files(tmp_path, "i") == 0
        assert c.read_bytes("/s") == small
        buf = bytearray(5000)
        with c.open("/s", "rb") as f:
            assert f.readinto(buf) == 4096
        assert bytes(buf[:4096]) == small
        assert c.stat("/s").st_size == 4096
        # grows past the threshold: a data file, same bytes
        big = os.urandom(100 * 1024)
        with c.open("/s", "ab") as f:
            f.write(big)
        assert _data_files(tmp_path, "i") == 1
        assert c.read_bytes("/s") == small + big
        # truncated below it: back in the store
        c.truncate("/s", 100)
        assert _data_files(tmp_path, "i") == 0
        assert c.read_bytes("/s") == small[:100]
        c.unlink("/s")
    problems, report = dingofs.Client.fsck(local_url(tmp_path, "i"))
    assert problems == 0, report


def test_inline_threshold_option(tmp_path: Path) -> None:
    saved = dingofs.Client.get_option("dingofs_inline_max_bytes")
    assert saved == "65536"
    dingofs.Client.set_option("dingofs_inline_max_bytes", 0)
    try:
        with dingofs.Client.build(local_url(tmp_path, "o"), "o", "/m",
                                  init_logging=False) as c:
            c.write_bytes("/s", b"small")
            assert _data_files(tmp_path, "o") == 1
            assert c.read_bytes("/s") == b"small"
    finally:
        dingofs.Client.set_option("dingofs_inline_max_bytes", saved)
    # the other form is read the same way by a client with the default
    with dingofs.Client.build(local_url(tmp_path, "o"), "o", "/m", init_logging=False) as c:
        assert c.read_bytes("/s") == b"small"
        c.write_bytes("/t", b"inline")
        assert _data_files(tmp_path, "o") == 1
