"""A stderr progress bar for dump reads: members, records/s and ETA (by compressed bytes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from harmonize.dump.backfill import Progress


@contextmanager
def progress_bar(console: object | None = None) -> Iterator[Callable[[Progress], None]]:
    """Yield a callback that draws :class:`Progress` updates on stderr (transient)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bar

    bar = Bar(TextColumn("{task.description}"), BarColumn(),
              TextColumn("{task.fields[members]:,} members"),
              TextColumn("{task.fields[rate]:,.0f} records/s"),
              TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
              console=console or Console(stderr=True), transient=True)
    tasks: dict[str, int] = {}

    def update(p: Progress) -> None:
        if p.path not in tasks:
            name = p.path if len(p.path) < 40 else "…" + p.path[-39:]
            tasks[p.path] = bar.add_task(name, total=p.bytes_total, members=0, rate=0.0)
        bar.update(tasks[p.path], completed=p.bytes_done, members=p.members, rate=p.rate)

    with bar:
        yield update
