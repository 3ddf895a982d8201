"""generator.parallel: work spread over processes, results in order."""

from __future__ import annotations

import os

from generator.parallel import parallel_imap, parallel_map


def test_parallel_map_gives_every_result_in_order():
    assert parallel_map(lambda i: i * i, 1000, jobs=2, min_parallel=1) == [i * i for i in range(1000)]


def test_parallel_imap_works_in_other_processes_below_its_threshold_in_this_one():
    pids = set(parallel_imap(lambda i: os.getpid(), 600, jobs=2, max_chunk=16))
    assert os.getpid() not in pids and pids
    assert set(parallel_imap(lambda i: os.getpid(), 10, jobs=2)) == {os.getpid()}  # below MIN_PARALLEL
    assert set(parallel_imap(lambda i: os.getpid(), 600, jobs=1)) == {os.getpid()}
