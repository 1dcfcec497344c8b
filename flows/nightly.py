"""The nightly flow: window since the watermark -> harvest each source -> parse -> upsert ->
ground new or changed values -> publish (atomic) -> run summary artifact."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger

from flows import tasks
from harmonize.steps.summary import Summary


@flow(name="nightly", log_prints=False)
def nightly(warehouse: str | None = None, snapshot: str | None = None,
            config_path: str | None = None, sources: list[str] | None = None,
            use_embeddings: bool = True, today: date | None = None,
            distributed: bool = False) -> Summary:
    """Harvest GEO/SRA/BioSample since the last watermark (or a recorded snapshot) and ground it.

    Readers keep seeing the last published warehouse until this run publishes; a failure
    leaves it untouched and the next run resumes from the last committed batch.
    """
    from harmonize.steps.engine import load_engine
    from harmonize.steps.harvest import window_for
    from harmonize.warehouse.db import resolve_path
    from harmonize.warehouse.runs import recorded_run

    log = get_run_logger()
    sources = list(sources or ["sra", "geo", "biosample"])
    path = resolve_path(warehouse)
    log.info("warehouse %s; source %s", path, f"snapshot {snapshot}" if snapshot else "NCBI")
    params = {"snapshot": snapshot} if snapshot else {"sources": sources}
    with recorded_run(path, "nightly", "snapshot" if snapshot else ",".join(sources),
                      params) as run:
        con = run.con
        engine = load_engine(con=con, use_embeddings=use_embeddings)
        if snapshot:
            stats = tasks.harvest_snapshot(con, snapshot, run.run_id)
        else:
            from harmonize.ncbi.config import load_config
            from harmonize.ncbi.http import NCBIClient

            config = load_config(config_path)
            stats = []
            with NCBIClient(config) as client:
                for source in sources:
                    window = window_for(con, source, config, today)
                    run.set_window(window.start, window.end)
                    run.row["params"].setdefault("windows", {})[source] = [window.start,
                                                                           window.end]
                    stats.append(tasks.harvest_source(con, client, config, source, window,
                                                      run.run_id))
                    run.watermark = window.end
        run.counts.update(_counts(stats))
        tasks.sync_ontologies(con, engine)
        grounded = tasks.annotate_samples(con, engine, only_changed=True,
                                          distributed=distributed,
                                          use_embeddings=use_embeddings)
        run.counts["grounded_samples"] = grounded.samples
        result = tasks.summarize(con)
    tasks.publish_artifact(result, "harmonize nightly run", "nightly-summary")
    log.info("published %s: %d samples", path, result.samples_total)
    return result


def _counts(stats) -> dict[str, int]:
    return {"records": sum(s.ingest.records for s in stats),
            "inserted": sum(s.ingest.inserted for s in stats),
            "updated": sum(s.ingest.updated for s in stats),
            "rejects": sum(s.ingest.rejects for s in stats),
            "batches": sum(s.fetched_batches for s in stats)}
