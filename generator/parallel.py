"""Run independent pieces of a build on every core, in a fixed order.

Workers are forked, so they start with everything the parent has already
built (the index, the views, the Jinja environment) without pickling any
of it: only each piece's result travels back. Results come back in input
order, so the output is byte-identical to a single-process build. Where
fork is not available, or the work is small, it runs in this process.
`in_background` runs one piece of work in a forked process while this one
goes on with the next stage (the related papers while pages are planned).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import signal
import weakref
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

PR_SET_PDEATHSIG = 1  # prctl(2)
MIN_PARALLEL = 400  # below this, starting workers costs more than it saves
_work: Callable[[int], object] | None = None  # set only while a pool runs; read by forked workers


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _die_with_parent(parent: int) -> None:
    """Workers write into the staging folder: one whose parent was killed must stop at once,
    not go on writing while the next build cleans that folder up (Linux; elsewhere a no-op)."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError, TypeError):
        return
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _run_chunk(bounds: tuple[int, int]) -> list:
    start, stop = bounds
    assert _work is not None
    return [_work(i) for i in range(start, stop)]


def parallel_map(work: Callable[[int], T], count: int, jobs: int | None = None,
                 min_parallel: int = MIN_PARALLEL) -> list[T]:
    """[work(0), work(1), …, work(count - 1)], computed by `jobs` processes."""
    return list(parallel_imap(work, count, jobs, min_parallel=min_parallel))


def parallel_imap(work: Callable[[int], T], count: int, jobs: int | None = None,
                  max_chunk: int = 256, min_parallel: int = MIN_PARALLEL) -> Iterator[T]:
    """work(0), work(1), … in order, as they are ready: the caller can write each result
    away while the workers go on, so results never pile up in memory. Below `min_parallel`
    pieces it runs in this process."""
    global _work
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 2 or count < min_parallel or "fork" not in multiprocessing.get_all_start_methods():
        yield from (work(i) for i in range(count))
        return
    # A few chunks per worker evens out uneven pieces; a cap keeps each one's results small.
    chunk = max(1, min(max_chunk, -(-count // (jobs * 4))))
    _work = work
    try:
        with multiprocessing.get_context("fork").Pool(jobs, _die_with_parent, (os.getpid(),)) as pool:
            bounds = [(s, min(s + chunk, count)) for s in range(0, count, chunk)]
            for part in pool.imap(_run_chunk, bounds):
                yield from part
    finally:
        _work = None


def in_background(work: Callable[[], T], jobs: int | None = None) -> Callable[[], T]:
    """Start work() in a forked process and go on; the function returned gives its result,
    waiting for it if need be (pickled back through a pipe). With one job, without fork, or
    when the process fails, work() runs in this process when the result is asked for."""
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return _once(work)
    parent = os.getpid()
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running the parent's exit handlers
        status = 1
        try:
            os.close(readable)
            _die_with_parent(parent)
            with open(writable, "wb") as pipe:
                pickle.dump(work(), pipe, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    os.close(writable)
    pending = {"pid": pid, "pipe": open(readable, "rb")}

    def result() -> T:
        if "value" not in pending:
            pipe = pending.pop("pipe")
            with pipe:
                data = pipe.read()
            _, status = os.waitpid(pending.pop("pid"), 0)
            pending["value"] = pickle.loads(data) if status == 0 and data else work()
        return pending["value"]

    # Never asked for (the build failed first): stop the process and reap it.
    weakref.finalize(result, _abandon, pending)
    return result


def _once(work: Callable[[], T]) -> Callable[[], T]:
    made: list[T] = []

    def result() -> T:
        if not made:
            made.append(work())
        return made[0]
    return result


def _abandon(pending: dict) -> None:
    if "pid" in pending:
        pending.pop("pipe").close()
        try:
            os.kill(pending["pid"], signal.SIGKILL)
            os.waitpid(pending.pop("pid"), 0)
        except OSError:  # reaped already
            pass
