"""Shared use: processes mount, write, get killed and stop while clients stay mounted.

The scenario lives in ``soak/shared_use.py`` (``make soak`` runs a long profile of
it); this is the short profile for ``make test``. The test process keeps a
long-lived client mounted the whole time and a second one for a reader thread
that stats ``/cfg`` without pause; a thread renames new versions over ``/cfg``
through the long-lived client, and worker processes do too while they come and
go in rounds (create and write files, rename over ``/cfg``, unlink, stop; some are
killed with SIGKILL mid-operation). Done when: the reader never sees ``/cfg``
missing (at least 1,000 of its stats overlapped renames from each source), the
long-lived client sees every acknowledged change after each round, a fresh
mount finds everything at the end, the checker reports no problem, and every
mounted process holds SQLite's locks on ``meta.db`` throughout.
"""
from __future__ import annotations

import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parent.parent / "soak"
if str(SOAK) not in sys.path:
    sys.path.insert(0, str(SOAK))

import shared_use  # noqa: E402

MIN_OVERLAP = 1000


def test_shared_use_processes_come_and_go(tmp_path: Path) -> None:
    """No acknowledged change is lost and no renamed-over name is ever missing."""
    cfg = shared_use.Config(
        work=str(tmp_path),
        workers=5,
        kill_one_in=3,  # ids 2, 5, 8, ...: one or two killed in every round of five
        files=8,
        unlinks=3,
        renames=30,
        max_size=16384,
        min_rounds=10,
        max_rounds=25,  # rounds past min_rounds only until both overlap counts are reached
        min_overlap=MIN_OVERLAP,
        worker_timeout=60.0,
        seed=1234,
    )
    lines: list[str] = []
    res = shared_use.run(cfg, log=lines.append)
    summary = res.summary()
    print(summary)
    assert not res.problems, summary + "\n" + "\n".join(res.problems[:20])
    assert res.misses == 0, summary
    assert res.overlap_thread >= MIN_OVERLAP, summary
    assert res.overlap_process >= MIN_OVERLAP, summary
    assert res.rounds >= cfg.min_rounds
    assert all(k >= 1 for k in res.kills_per_round), res.kills_per_round
    assert res.finished == res.started - res.killed
    assert res.acked_files > 0 and res.acked_unlinks > 0
    assert res.verified_final == res.acked_files - res.acked_unlinks - res.uncertain, summary
    # the parent after mounting, after each round and at the end; each finished worker 3 times
    assert res.lock_checks >= 2 + res.rounds + 3 * res.finished
    assert res.fsck_problems == 0, res.fsck_report
