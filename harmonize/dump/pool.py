"""Parse member batches in a pool of local worker processes while this process reads the tar.

The tar is still read once, sequentially, here; each batch of member bytes goes to a worker,
which runs the same :func:`harmonize.dump.stage.parse_batch` as a one-core run, and the results
come back in input order, so the staged objects, the resume points and the warehouse are those
of a one-core run. At most ``window`` batches are in flight (memory stays flat). The pool only
starts when a source has a second batch: a small dump or object file is parsed right here.

``$HARMONIZE_PARSE_WORKERS`` sets the number of processes (``1``: parse in this process);
the default is one per CPU core, at most :data:`MAX_WORKERS`.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from harmonize.dump.filters import DumpFilter
from harmonize.dump.members import Member
from harmonize.dump.stage import BatchResult, parse_batch
from harmonize.errors import ConfigError, HarmonizeError

WORKERS_ENV = "HARMONIZE_PARSE_WORKERS"
MAX_WORKERS = 8

_FILTER: DumpFilter | None = None


def parse_workers() -> int:
    """Worker processes for dump parsing: ``$HARMONIZE_PARSE_WORKERS`` or one per core.

    Raises:
        ConfigError: the variable is set to something other than a positive whole number.
    """
    value = os.environ.get(WORKERS_ENV, "").strip()
    if not value:
        return max(1, min(MAX_WORKERS, len(os.sched_getaffinity(0))
                          if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"${WORKERS_ENV} must be a whole number of processes (1 parses in "
                          f"the main process), got {value!r}")
    return int(value)


def _init(filt: DumpFilter) -> None:
    global _FILTER
    _FILTER = filt


def _parse(group: list[Member]) -> BatchResult:
    assert _FILTER is not None, "worker not initialised"
    return parse_batch(group, _FILTER)


def pool_parse_many(workers: int | None = None, window: int | None = None):
    """A ``ParseMany`` for :func:`harmonize.dump.backfill.load_dumps` that spreads batches over
    ``workers`` processes (default :func:`parse_workers`); ``1`` parses in this process."""
    n = parse_workers() if workers is None else workers

    def parse_many(groups: Iterator[list[Member]], filt: DumpFilter) -> Iterator[BatchResult]:
        if n <= 1:
            for group in groups:
                yield parse_batch(group, filt)
            return
        yield from _pooled(groups, filt, n, window or 2 * n + 1)

    return parse_many


def _pooled(groups: Iterator[list[Member]], filt: DumpFilter, n: int, window: int
            ) -> Iterator[BatchResult]:
    first = next(groups, None)
    if first is None:
        return
    second = next(groups, None)
    if second is None:  # one batch: not worth starting processes
        yield parse_batch(first, filt)
        return
    ctx = multiprocessing.get_context("spawn")  # no fork of a process running DuckDB threads
    pool = ProcessPoolExecutor(n, mp_context=ctx, initializer=_init, initargs=(filt,))
    pending: deque[Future] = deque([pool.submit(_parse, first), pool.submit(_parse, second)])
    finished = False
    try:
        for group in groups:
            pending.append(pool.submit(_parse, group))
            while len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
        finished = True
    except BrokenProcessPool as exc:
        raise HarmonizeError(
            f"a dump parse worker process died ({exc}); nothing after the last committed "
            f"batch was stored. Rerun to resume, with ${WORKERS_ENV}=1 to parse in this "
            "process (a script that loads dumps needs an `if __name__ == '__main__':` "
            "guard for worker processes)") from None
    finally:
        # a consumer that stopped early (an error, a kill) leaves work queued: the executor
        # drops it itself (cancelling the futures alone left it waiting on cancelled work now
        # and then: Debian's CPython 3.11.2 hung in 3 of 10 interrupted runs, 0 of 12 so)
        pool.shutdown(wait=True, cancel_futures=not finished)
