"""generator.parallel: work spread over processes, results in order; one piece done in the background."""

from __future__ import annotations

import os
import time

import pytest

from generator.parallel import in_background, parallel_imap, parallel_map


def test_parallel_map_gives_every_result_in_order():
    assert parallel_map(lambda i: i * i, 1000, jobs=2, min_parallel=1) == [i * i for i in range(1000)]


def test_parallel_imap_works_in_other_processes_below_its_threshold_in_this_one():
    pids = set(parallel_imap(lambda i: os.getpid(), 600, jobs=2, max_chunk=16))
    assert os.getpid() not in pids and pids
    assert set(parallel_imap(lambda i: os.getpid(), 10, jobs=2)) == {os.getpid()}  # below MIN_PARALLEL
    assert set(parallel_imap(lambda i: os.getpid(), 600, jobs=1)) == {os.getpid()}



def test_meanwhile_is_this_processs_work_while_the_workers_work(tmp_path):
    """The last piece waits for what `meanwhile` does: were it done only once the results were
    all taken, that piece would wait in vain."""
    done = tmp_path / "meanwhile-done"

    def work(i):
        if i == 599:
            deadline = time.monotonic() + 20
            while not done.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            return done.exists(), os.getpid()
        return True, os.getpid()

    results = parallel_map(work, 600, jobs=2, min_parallel=1, meanwhile=lambda: done.write_text(str(os.getpid())))
    assert all(ok for ok, _ in results) and os.getpid() not in {pid for _, pid in results}
    assert done.read_text() == str(os.getpid())
    order = []  # without workers, it comes first
    parallel_map(lambda i: order.append(i), 3, jobs=2, meanwhile=lambda: order.append("meanwhile"))
    assert order == ["meanwhile", 0, 1, 2]

def test_in_background_works_in_another_process_that_sees_memory_as_it_was(tmp_path):
    seen = {"value": "before"}
    report = tmp_path / "report"

    def work():
        report.write_text(f"{os.getpid()} {seen['value']}")

    succeeded = in_background(work, jobs=2)
    seen["value"] = "after"  # a change the forked process does not see
    assert succeeded() is True
    assert succeeded() is True  # asked again: the same answer, without waiting for a process twice
    pid, value = report.read_text().split()
    assert int(pid) != os.getpid() and value == "before"


@pytest.mark.parametrize("error", [OSError("disk full"), ValueError("a bug")])
def test_in_background_tells_when_the_work_failed(error):
    def work():
        raise error

    assert in_background(work, jobs=2)() is False


def test_with_one_job_the_work_is_done_here_and_now():
    done = []
    succeeded = in_background(lambda: done.append(os.getpid()), jobs=1)
    assert done == [os.getpid()] and succeeded() is True

    def full():
        raise OSError("disk full")

    assert in_background(full, jobs=1)() is False
