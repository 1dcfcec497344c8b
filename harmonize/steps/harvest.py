"""Harvest one NCBI source for a date window into the raw layer, batch by batch, resumably.

Each batch is fetched, parsed, upserted and marked done in one go, so a run that dies resumes
at the first batch it had not finished (the plan key names source, query and window).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from harmonize.steps.ingest import (FileResult, IngestStats, expand_paths, ingest_files,
                                    load_items)

SOURCES = ("sra", "geo", "biosample")


@dataclass(slots=True)
class HarvestStats:
    """What one source's harvest did."""

    source: str
    planned_batches: int = 0
    fetched_batches: int = 0
    skipped_batches: int = 0
    ingest: IngestStats = field(default_factory=IngestStats)


def missing_biosamples(con: duckdb.DuckDBPyConnection, limit: int = 10_000) -> list[str]:
    """BioSample accessions named by SRA/GEO records whose BioSample record is not loaded."""
    rows = con.execute(
        """SELECT DISTINCT a.accession FROM sample_accessions a
           WHERE a.kind = 'biosample'
             AND NOT EXISTS (SELECT 1 FROM records r
                             WHERE r.source = 'biosample' AND r.record_accession = a.accession)
           ORDER BY 1 LIMIT ?""", [limit]).fetchall()
    return [r[0] for r in rows]


def harvest_source(con: duckdb.DuckDBPyConnection, client: object, config: object, source: str,
                   window: object, run_id: int | None,
                   on_batch: Callable[[int, int], None] | None = None) -> HarvestStats:
    """Plan the source's query for the window, then fetch/parse/load every batch not yet done."""
    from harmonize.ncbi import harvest as ncbi
    from harmonize.parse import parse_bytes
    from harmonize.warehouse.load import done_batches, mark_batch

    accessions = missing_biosamples(con) if source == "biosample" else None
    stats = HarvestStats(source)
    if source == "biosample" and not accessions:
        return stats
    plan = ncbi.plan(client, config, source, window, accessions=accessions)
    stats.planned_batches = len(plan.batches)
    done = done_batches(con, plan.plan_key)
    for batch in plan.batches:
        if batch.index in done:
            stats.skipped_batches += 1
            continue
        result = FileResult(f"{source}:{plan.plan_key}#{batch.index}")
        for body in ncbi.fetch_batch(client, plan, batch):
            load_items(con, parse_bytes(body, origin=result.path), run_id, result, stats.ingest)
        mark_batch(con, plan.plan_key, batch.index, run_id)
        stats.ingest.files.append(result)
        stats.fetched_batches += 1
        if on_batch:
            on_batch(stats.fetched_batches + stats.skipped_batches, stats.planned_batches)
    return stats


def harvest_snapshot(con: duckdb.DuckDBPyConnection, folder: str | Path, run_id: int | None
                     ) -> list[HarvestStats]:
    """Use a folder of recorded NCBI responses (``sra/``, ``biosample/``, ``geo/``) as the source.

    Goes through the same parsers and loader as a live harvest; every file is one batch.
    """
    root = Path(folder)
    out = []
    for source in SOURCES:
        files = expand_paths([root / source]) if (root / source).is_dir() else []
        ingest = ingest_files(con, files, run_id)
        out.append(HarvestStats(source, planned_batches=len(files), fetched_batches=len(files),
                                ingest=ingest))
    return out


def window_for(con: duckdb.DuckDBPyConnection, source: str, config: object,
               today: date | None = None) -> object:
    """The next harvest window of a source: since its watermark (with overlap) up to today."""
    from harmonize.ncbi.harvest import next_window
    from harmonize.warehouse.load import last_watermark

    return next_window(last_watermark(con, source), today or date.today(), config)
