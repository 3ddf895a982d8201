"""generator.parallel.in_background: one piece of work in a forked process while the build goes on."""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

from generator.parallel import in_background


def test_the_work_is_done_by_another_process_and_its_result_comes_back_whole():
    parent = os.getpid()
    result = in_background(lambda: (os.getpid(), [(i, str(i) * 3) for i in range(200_000)]), jobs=2)
    worker, value = result()
    assert worker != parent  # a result bigger than a pipe's buffer, so the child waits for the reader
    assert value == [(i, str(i) * 3) for i in range(200_000)]
    assert result() is result()  # asked again: the same object, not another wait


def test_a_failed_process_leaves_the_work_to_this_one():
    parent = os.getpid()

    def work() -> int:
        if os.getpid() != parent:
            raise RuntimeError("broken in the child")
        return 42

    assert in_background(work, jobs=2)() == 42


def test_with_one_job_the_work_runs_here_once_when_asked_for():
    calls = []

    def work() -> str:
        calls.append(os.getpid())
        return "done"

    result = in_background(work, jobs=1)
    assert calls == []
    assert result() == result() == "done"
    assert calls == [os.getpid()]


def test_work_never_asked_for_is_stopped_and_reaped():
    """A build that fails before it asks for the result must not leave the process running
    (or a zombie in `serve`, which builds again and again)."""
    result = in_background(lambda: (time.sleep(60), os.getpid())[1], jobs=2)
    children = _children(os.getpid())
    assert len(children) == 1
    del result
    gc.collect()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{children[0]}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{children[0]}").exists(), "the process outlived its result, or was never reaped"


def _children(parent: int) -> list[str]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(stat.parent.name)
        except (OSError, IndexError):
            pass
    return found
