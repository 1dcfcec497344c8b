"""Dump reads shown through :mod:`harmonize.progress`: one bar per tar (or group of object
files) with members, records/s and ETA (by compressed bytes) as its note. Like every other
bar, it is drawn only where the command line installed a sink (on a terminal, on stderr)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from harmonize import progress
from harmonize.dump.backfill import Progress


def _eta(p: Progress) -> str:
    """Time left at the rate so far, as ``H:MM:SS`` (``?`` before the first batch)."""
    elapsed = time.monotonic() - p.started
    if p.bytes_done <= 0 or p.bytes_total <= p.bytes_done:
        return "?" if p.bytes_done <= 0 else "0:00:00"
    left = int(elapsed * (p.bytes_total - p.bytes_done) / p.bytes_done)
    return f"{left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}"


def note(p: Progress) -> str:
    """The text beside a dump bar: members read, records/s, ETA."""
    return f"{p.members:,} members, {p.rate:,.0f} records/s, ETA {_eta(p)}"


@contextmanager
def dump_progress() -> Iterator[Callable[[Progress], None]]:
    """Yield a callback for :func:`harmonize.dump.backfill.load_dumps` that feeds one
    :func:`harmonize.progress.task` per dump source; the bars close with the block."""
    with ExitStack() as stack:
        tasks: dict[str, progress.Task] = {}

        def update(p: Progress) -> None:
            if p.path not in tasks:
                name = p.path if len(p.path) < 40 else "…" + p.path[-39:]
                tasks[p.path] = stack.enter_context(
                    progress.task(name, total=p.bytes_total, unit=p.unit))
            tasks[p.path].set(p.bytes_done)
            tasks[p.path].note(note(p))

        yield update
