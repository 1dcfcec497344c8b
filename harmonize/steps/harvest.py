"""Harvest one NCBI source for a date window into the raw layer, batch by batch, resumably.

Each batch is fetched, parsed, upserted, then marked done, so a run that dies resumes at the
first batch it had not marked (the plan key names source, query and window); a batch killed
between its load and its mark is fetched again, which is harmless because loading is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import duckdb

from harmonize.errors import NCBIError
from harmonize.models import Reject
from harmonize.steps.ingest import FileResult, IngestStats, expand_paths, ingest_files, load_items

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
    from harmonize.warehouse.overview import missing_biosamples as missing

    return missing(con, limit)


def harvest_source(con: duckdb.DuckDBPyConnection, client: object, config: object, source: str,
                   window: object, run_id: str | None) -> HarvestStats:
    """Plan the source's query for the window, then fetch/parse/load every batch not yet done.

    A GSM or BioSample that NCBI refuses for good (private, withdrawn) is quarantined in
    ``rejects`` and its batch siblings still load; any other error stops the harvest.
    """
    from harmonize import progress
    from harmonize.ncbi import harvest as ncbi
    from harmonize.warehouse.load import done_batches

    accessions = missing_biosamples(con) if source == "biosample" else None
    stats = HarvestStats(source)
    if source == "biosample" and not accessions:
        return stats
    plan = ncbi.plan(client, config, source, window, accessions=accessions)
    stats.planned_batches = len(plan.batches)
    done = done_batches(con, plan.plan_key)
    with progress.task(f"harvesting {source}", total=len(plan.batches), unit="batches") as bar:
        for batch in plan.batches:
            bar.advance()
            if batch.index in done:
                stats.skipped_batches += 1
                continue
            _harvest_batch(con, client, plan, batch, source, run_id, stats)
            bar.note(f"{stats.ingest.records:,} records")
    return stats


def _harvest_batch(con: duckdb.DuckDBPyConnection, client: object, plan: object, batch: object,
                   source: str, run_id: str | None, stats: HarvestStats) -> None:
    """Fetch, parse and load one batch, then mark it committed."""
    from harmonize.parse import parse_bytes
    from harmonize.warehouse.load import mark_batch

    result = FileResult(f"{source}:{plan.plan_key}#{batch.index}")
    bodies, refused = _fetch_bodies(client, plan, batch)
    for body in bodies:
        items = parse_bytes(body, origin=result.path)
        load_items(con, items, run_id, result, stats.ingest)
        result.notes += items.notes  # e.g. repaired non-UTF-8 bytes: logged, not lost
    if refused:
        load_items(con, refused, run_id, result, stats.ingest)
    mark_batch(con, plan.plan_key, batch.index, run_id)
    stats.ingest.files.append(result)
    stats.fetched_batches += 1


def _fetch_bodies(client: object, plan: object, batch: object) -> tuple[list[bytes], list[Reject]]:
    """A batch's bodies; for per-accession plans, refetch one by one after a permanent error.

    Returns the bodies and one :class:`Reject` per accession NCBI refused for good.
    """
    from harmonize.ncbi import harvest as ncbi
    from harmonize.ncbi.detect import HistoryExpiredError

    try:
        return ncbi.fetch_batch(client, plan, batch), []
    except NCBIError as exc:
        if exc.transient or isinstance(exc, HistoryExpiredError) or not plan.accessions:
            raise
    bodies: list[bytes] = []
    refused: list[Reject] = []
    for offset in range(batch.size):
        one = replace(batch, start=batch.start + offset, size=1)
        accession = plan.accessions[one.start]
        try:
            bodies.extend(ncbi.fetch_batch(client, plan, one))
        except NCBIError as exc:
            if exc.transient or isinstance(exc, HistoryExpiredError):
                raise
            refused.append(Reject(origin=f"{plan.source}:{accession}", record_id=accession,
                                  reason=str(exc).splitlines()[0]))
    return bodies, refused


def harvest_snapshot(con: duckdb.DuckDBPyConnection, folder: str | Path, run_id: str | None
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
