"""Thin Prefect tasks shared by the flows; each calls one library step.

Tasks that take a live DuckDB connection are not cached (``NO_CACHE``). Retries sit only where
they can help, and the NCBI client already retries its own requests (one retry layer).
"""

from __future__ import annotations

from datetime import timedelta

from prefect import get_run_logger, task, unmapped
from prefect.cache_policies import INPUTS, NO_CACHE

from harmonize.steps import annotate, distribute, harvest, ingest, ontology, summary


@task(cache_policy=NO_CACHE)
def harvest_snapshot(con, folder: str, run_id: str) -> list[harvest.HarvestStats]:
    """Load a folder of recorded NCBI responses through the live-harvest parsers."""
    stats = harvest.harvest_snapshot(con, folder, run_id)
    log = get_run_logger()
    for s in stats:
        log.info("%s: %d files, %d records (%d new, %d updated, %d unchanged), %d quarantined",
                 s.source, s.fetched_batches, s.ingest.records, s.ingest.inserted,
                 s.ingest.updated, s.ingest.unchanged, s.ingest.rejects)
        for note in s.ingest.notes:
            log.warning("%s", note)
    return stats


@task(cache_policy=NO_CACHE, tags=["ncbi"])
def harvest_source(con, client, config, source: str, window, run_id: str) -> harvest.HarvestStats:
    """Harvest one source for one window, resuming after the last committed batch."""
    stats = harvest.harvest_source(con, client, config, source, window, run_id)
    get_run_logger().info(
        "%s %s..%s: %d batches planned, %d fetched, %d already done; %d records "
        "(%d new, %d updated), %d quarantined", source, getattr(window, "start", "?"),
        getattr(window, "end", "?"), stats.planned_batches, stats.fetched_batches,
        stats.skipped_batches, stats.ingest.records, stats.ingest.inserted, stats.ingest.updated,
        stats.ingest.rejects)
    for note in stats.ingest.notes:
        get_run_logger().warning("%s", note)
    return stats


@task(cache_policy=NO_CACHE)
def ingest_files(con, paths: list[str], run_id: str, filt=None) -> ingest.IngestStats:
    """Stream bulk files into the raw layer (dumps filtered by ``filt``)."""
    stats = ingest.ingest_files(con, paths, run_id, filt=filt)
    _log_ingest(stats)
    return stats


def _log_ingest(stats: ingest.IngestStats) -> None:
    log = get_run_logger()
    if stats.dump is not None:
        log.info("%s", stats.dump.line())
    log.info("%d files, %d records (%d new, %d updated), %d quarantined", len(stats.files),
             stats.records, stats.inserted, stats.updated, stats.rejects)
    for f in stats.failed:
        log.warning("%s", f.error)
    for note in stats.notes:
        log.warning("%s", note)


@task(cache_policy=NO_CACHE)
def sync_ontologies(con, engine) -> list[str]:
    """Refresh ontology_terms/term_ancestors when an ontology version changed."""
    loaded = ontology.sync_ontologies(con, engine.ontology_versions(), engine.load_ontologies)
    if loaded:
        get_run_logger().info("loaded ontology tables for %s", ", ".join(loaded))
    return loaded


@task(cache_policy=INPUTS, persist_result=True, cache_expiration=timedelta(days=30))
def ground_chunk(values: list, overrides: list, use_embeddings: bool, version: str) -> list[dict]:
    """Ground a chunk of distinct field values on a worker; return memo rows.

    Cached by its small inputs: the values, the overrides and ``version`` (lexicon + matcher
    code), so a re-run over the same values with the same engine is served from Prefect's cache.
    """
    return distribute.ground_on_worker(values, overrides, use_embeddings)


@task(cache_policy=NO_CACHE)
def parse_file(path: str) -> tuple[list, list, str | None, list[str]]:
    """Parse one record file on a worker."""
    return distribute.parse_file(path)


@task(cache_policy=NO_CACHE)
def parse_members(members: list, filt) -> object:
    """Parse and filter one batch of dump members on a worker."""
    return distribute.parse_members(members, filt)


def _parse_many_on_workers(groups, filt):
    """Dump member batches to workers, a few in flight, results back in input order."""
    return distribute.windowed(lambda group: parse_members.submit(group, filt), groups)


def ingest_distributed(con, paths: list[str], run_id: str, filt=None) -> ingest.IngestStats:
    """Parse dumps and files in parallel on the flow's task runner, load them here in order.

    The dump tars are read once, sequentially, here; their member batches go to the workers.
    """
    found, skipped = ingest.scan_paths(paths)
    stats = ingest.IngestStats(skipped=[str(p) for p in skipped])
    others = ingest.ingest_dumps(con, found, run_id, stats, filt,
                                 parse_many=_parse_many_on_workers)
    files = [str(p) for p in others]
    for path, future in zip(files, parse_file.map(files)):
        records, rejects, error, notes = future.result()
        ingest.load_parsed(con, path, records, rejects, error, run_id, stats, notes)
    get_run_logger().info("%d files parsed on workers, %d records, %d quarantined",
                          len(files), stats.records, stats.rejects)
    return stats


def annotate_samples(con, engine, only_changed: bool = True, distributed: bool = False,
                     use_embeddings: bool = True, chunks: int = 8) -> annotate.AnnotateStats:
    """Ground new or changed samples (or all) through the mapping cache.

    With ``distributed``, unseen values are grounded by ``ground_chunk`` tasks on the flow's
    task runner (e.g. a Dask cluster) and the results are preloaded before annotating.
    """
    ground_many = None
    if distributed:
        overrides = distribute.overrides_payload(engine.grounder)
        version = annotate.cache_version(engine.grounder)

        def ground_many(values: list) -> list[dict]:
            futures = ground_chunk.map(distribute.chunked(values, chunks), unmapped(overrides),
                                       unmapped(use_embeddings), unmapped(version))
            return [row for fut in futures for row in fut.result()]

    stats = annotate.annotate_samples(con, engine.grounder, only_changed=only_changed,
                                      ground_many=ground_many)
    facets = ", ".join(f"{k} {v}" for k, v in sorted(stats.by_facet.items())) or "none"
    get_run_logger().info("grounded %d samples (%d earlier controls redone): %s", stats.samples,
                          stats.controls_redone, facets)
    return stats


@task(cache_policy=NO_CACHE)
def summarize(con) -> summary.Summary:
    """Read the run summary."""
    return summary.summarize(con)


def publish_artifact(result: summary.Summary, title: str, key: str) -> None:
    """Attach the run summary as a Prefect markdown artifact."""
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(markdown=summary.markdown(result, title), key=key,
                             description=title)
