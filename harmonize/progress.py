"""Progress reporting for long steps, without the library knowing who shows it.

Library steps (ingest, grounding, building embeddings) open a :func:`task` and advance it; by
default nothing is shown. The command line installs a sink (:func:`use`) that draws bars on
stderr, so the same steps show progress whether the CLI calls them directly or through a
Prefect flow (the sink is process-wide, so flow tasks in worker threads report too).

Example:
    >>> with task("grounding", total=3, unit="samples") as t:
    ...     t.advance(3)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Task(Protocol):
    """One bar: advance it, or set how far it got; ``note`` is a short text shown beside it."""

    def advance(self, n: float = 1) -> None: ...

    def set(self, completed: float) -> None: ...

    def note(self, text: str) -> None: ...


class Sink(Protocol):
    """Something that shows tasks (the CLI's rich bars)."""

    def open(self, description: str, total: float | None, unit: str) -> Task: ...

    def close(self, task: Task) -> None: ...


class _Silent:
    """The default task: counts nothing, shows nothing."""

    def advance(self, n: float = 1) -> None:
        """Ignore."""

    def set(self, completed: float) -> None:
        """Ignore."""

    def note(self, text: str) -> None:
        """Ignore."""


_SINK: Sink | None = None
_LOCK = threading.Lock()


@contextmanager
def use(sink: Sink) -> Iterator[Sink]:
    """Show every task opened inside the block through ``sink``."""
    global _SINK
    with _LOCK:
        previous, _SINK = _SINK, sink
    try:
        yield sink
    finally:
        with _LOCK:
            _SINK = previous


@contextmanager
def task(description: str, total: float | None = None, unit: str = "") -> Iterator[Task]:
    """A progress task for the duration of the block (``unit``: e.g. ``bytes``, ``samples``)."""
    sink = _SINK
    if sink is None:
        yield _Silent()
        return
    handle = sink.open(description, total, unit)
    try:
        yield handle
    finally:
        sink.close(handle)
