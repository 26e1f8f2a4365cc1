#!/usr/bin/env python3
"""Share of the C call in the SDK's ``setxattr`` and ``unlink`` (metadata writes).

Times a bare cffi loop (``lib.dingofs_setxattr``/``lib.dingofs_unlink`` with
pre-encoded paths) against the SDK loop on the same ``local://`` engine and
the same number of files, and prints the medians and the C share::

    .venv/bin/python benchmarks/c_share.py [FILES] [REPEAT]
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import dingofs  # noqa: E402

VALUE = b"value-0123456789"


def main() -> int:
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    parent = os.environ.get("BENCH_DIR", os.path.join(HERE, "build", "tmp"))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent)
    try:
        c = dingofs.Client.build(f"local://share?base={tmp}", "share", "/share",
                                 init_logging=False)
        s = c._s
        lib, h = s.lib, s.h
        times: dict[tuple[str, str], list[float]] = {}
        for r in range(repeat):
            for kind in (("raw", "sdk") if r % 2 == 0 else ("sdk", "raw")):
                d = f"/{kind}{r}"
                c.mkdir(d)
                paths = [f"{d}/f{i:05d}" for i in range(files)]
                for p in paths:
                    c.open(p, "wb").close()
                raw = [p.encode() for p in paths]
                t0 = time.perf_counter()
                if kind == "raw":
                    for p in raw:
                        if lib.dingofs_setxattr(h, p, b"user.bench", VALUE, len(VALUE), 0):
                            raise RuntimeError("setxattr failed")
                else:
                    for q in paths:
                        c.setxattr(q, "user.bench", VALUE)
                t1 = time.perf_counter()
                if kind == "raw":
                    for p in raw:
                        if lib.dingofs_unlink(h, p):
                            raise RuntimeError("unlink failed")
                else:
                    for q in paths:
                        c.unlink(q)
                t2 = time.perf_counter()
                times.setdefault(("setxattr", kind), []).append((t1 - t0) / files * 1e6)
                times.setdefault(("unlink", kind), []).append((t2 - t1) / files * 1e6)
        c.stop()
        for op in ("setxattr", "unlink"):
            bare = statistics.median(times[(op, "raw")])
            sdk = statistics.median(times[(op, "sdk")])
            print(f"{op}: bare cffi call {bare:.1f} us, SDK {sdk:.1f} us, "
                  f"C share {100 * bare / sdk:.0f} %")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
