"""Ingest filters (organisms, library strategies, library sources) with the harvest's keys.

The keys and defaults are those of ``harvest.toml`` (:class:`harmonize.ncbi.HarvestConfig`),
so a backfill keeps what the nightly harvest would fetch. Names compare case-insensitively and
ignore ``-``/``_``/space differences (``RNA-Seq`` = ``rna seq``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_SEP = re.compile(r"[\s_-]+")


def _norm(value: str | None) -> str:
    return _SEP.sub(" ", value.strip().lower()) if value else ""


@dataclass(frozen=True)
class DumpFilter:
    """What to keep; an empty tuple keeps everything for that key."""

    organisms: tuple[str, ...] = ()
    library_strategies: tuple[str, ...] = ()
    library_sources: tuple[str, ...] = ()
    _sets: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("organisms", "library_strategies", "library_sources"):
            self._sets[name] = frozenset(_norm(v) for v in getattr(self, name))

    @property
    def active(self) -> bool:
        """Whether anything is filtered at all."""
        return bool(self.organisms or self.library_strategies or self.library_sources)

    @property
    def by_library(self) -> bool:
        """Whether a sample needs an experiment of a kept library to be kept."""
        return bool(self.library_strategies or self.library_sources)

    def organism_ok(self, organism: str | None) -> bool:
        """A sample's scientific name passes the organism filter."""
        return not self.organisms or _norm(organism) in self._sets["organisms"]

    def library_reason(self, strategy: str | None, source: str | None) -> str | None:
        """Why an experiment's library is filtered out (``None``: it is kept)."""
        if self.library_sources and _norm(source) not in self._sets["library_sources"]:
            return "library source"
        if self.library_strategies and _norm(strategy) not in self._sets["library_strategies"]:
            return "library strategy"
        return None

    def describe(self) -> str:
        """One line for logs and summaries."""
        if not self.active:
            return "no filter (everything is kept)"
        parts = [f"{k.replace('_', ' ')}: {', '.join(getattr(self, k))}"
                 for k in ("organisms", "library_strategies", "library_sources")
                 if getattr(self, k)]
        return "; ".join(parts)


NO_FILTER = DumpFilter()


def from_config(path: str | Path | None) -> DumpFilter:
    """The filter of a harvest TOML (``None``: the harvest defaults, human RNA-seq)."""
    from harmonize.ncbi.config import load_config

    cfg = load_config(Path(path) if path else None, env={})
    return DumpFilter(cfg.organisms, cfg.library_strategies, cfg.library_sources)


def top_reasons(skipped: Counter, n: int = 5) -> str:
    """``"12 library strategy, 3 organism, ..."`` for a summary line."""
    return ", ".join(f"{c} {r}" for r, c in skipped.most_common(n))


def dump_filter(config_path: str | Path | None, enabled: bool = True) -> DumpFilter:
    """The backfill's filter: from ``config_path`` (harvest defaults if ``None``), or none."""
    return from_config(config_path) if enabled else NO_FILTER
