"""Pure harvest planning: windows, Entrez terms, plan keys and batches (no network).

Example:
    >>> from datetime import date
    >>> cfg = HarvestConfig()
    >>> next_window(None, date(2024, 5, 10), cfg)
    Window(start=datetime.date(2024, 5, 7), end=datetime.date(2024, 5, 10))
    >>> next_window(date(2024, 5, 10), date(2024, 5, 12), cfg).start
    datetime.date(2024, 5, 9)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from harmonize.ncbi.config import HarvestConfig

HarvestSource = Literal["sra", "geo", "biosample"]


@dataclass(frozen=True)
class Window:
    """An inclusive range of days, sent to Entrez as ``mindate``/``maxdate``."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"window start {self.start} is after its end {self.end}")

    @property
    def mindate(self) -> str:
        """``start`` as ``YYYY/MM/DD``."""
        return self.start.strftime("%Y/%m/%d")

    @property
    def maxdate(self) -> str:
        """``end`` as ``YYYY/MM/DD``."""
        return self.end.strftime("%Y/%m/%d")


@dataclass(frozen=True)
class Batch:
    """One efetch-sized slice of a plan: records ``[start, start + size)``."""

    source: str
    plan_key: str
    index: int
    start: int
    size: int


def next_window(watermark: date | None, today: date, config: HarvestConfig) -> Window:
    """The window a run should harvest.

    The first run (no watermark) reaches ``first_window_days`` back; later runs start
    ``overlap_days`` before the watermark so late-indexed records are not missed. A watermark in
    the future is clamped to ``today``.
    """
    if watermark is None:
        return Window(today - timedelta(days=config.first_window_days), today)
    start = min(watermark, today) - timedelta(days=config.overlap_days)
    return Window(start, today)


def _quote(value: str) -> str:
    return '"' + value.replace('"', " ").strip() + '"'


def _any_of(values: Sequence[str], field: str) -> str:
    parts = [f"{_quote(v)}[{field}]" for v in values]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def _entrez_value(value: str) -> str:
    """SRA indexes strategies/sources lower-case with spaces: ``RNA-Seq`` -> ``rna seq``."""
    return " ".join(value.lower().replace("-", " ").replace("_", " ").split())


def sra_term(config: HarvestConfig) -> str:
    """The SRA esearch term for the configured organisms, strategies and sources.

    >>> for clause in sra_term(HarvestConfig(library_sources=("TRANSCRIPTOMIC",))).split(" AND "):
    ...     print(clause)
    "Homo sapiens"[Organism]
    "rna seq"[Strategy]
    "transcriptomic"[Source]
    "public"[Access]
    """
    clauses = [
        _any_of(config.organisms, "Organism"),
        _any_of([_entrez_value(s) for s in config.library_strategies], "Strategy"),
        _any_of([_entrez_value(s) for s in config.library_sources], "Source"),
        '"public"[Access]',
    ]
    if config.sra_query.strip():
        clauses.append(f"({config.sra_query.strip()})")
    return " AND ".join(clauses)


def geo_term(config: HarvestConfig) -> str:
    """The gds esearch term for GEO samples (GSM) sequenced on high-throughput platforms.

    >>> print(*geo_term(HarvestConfig()).split(" AND "), sep="\\n")
    "Homo sapiens"[Organism]
    gsm[ETYP]
    "high throughput sequencing"[Platform Technology Type]
    """
    clauses = [
        _any_of(config.organisms, "Organism"),
        "gsm[ETYP]",
        '"high throughput sequencing"[Platform Technology Type]',
    ]
    if config.geo_query.strip():
        clauses.append(f"({config.geo_query.strip()})")
    return " AND ".join(clauses)


def biosample_term(accessions: Sequence[str]) -> str:
    """A readable stand-in term for a plan over explicit accessions (used in the plan key)."""
    return "accessions:" + ",".join(accessions)


def make_plan_key(
    source: str, term: str, window: Window | None, count: int, batch_size: int
) -> str:
    """A stable key for (source, term, window, count, batch size).

    Including the count and batch size means a resumed run only skips batches whose slice is
    guaranteed to be the same; if the upstream result changed, every batch is fetched again.
    """
    span = f"{window.start.isoformat()}..{window.end.isoformat()}" if window else "-"
    digest = hashlib.sha256(f"{term}\x1f{count}\x1f{batch_size}".encode()).hexdigest()[:16]
    return f"{source}:{span}:{digest}"


def make_batches(source: str, plan_key: str, count: int, batch_size: int) -> tuple[Batch, ...]:
    """Cut ``count`` records into consecutive batches of at most ``batch_size``.

    >>> [(b.start, b.size) for b in make_batches("sra", "k", 7, 3)]
    [(0, 3), (3, 3), (6, 1)]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    return tuple(
        Batch(source, plan_key, index, start, min(batch_size, count - start))
        for index, start in enumerate(range(0, count, batch_size))
    )
