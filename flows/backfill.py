"""The backfill flow: stream bulk files (SRA metadata dumps, SRA_Accessions.tab, BioSample
dump, big SRA XML, .gz) into the warehouse, filtered by the harvest keys.

With a Dask task runner (``backfill.with_options(task_runner=runners.task_runner("local"))``
or a scheduler address) files are parsed and distinct values grounded on the workers; the
warehouse is written by the flow alone, so the result is identical to a local run.
"""

from __future__ import annotations

from prefect import flow

from flows import tasks
from harmonize.steps.summary import Summary


@flow(name="backfill")
def backfill(paths: list[str], warehouse: str | None = None, use_embeddings: bool = True,
             distributed: bool = False, config_path: str | None = None,
             filtered: bool = True) -> Summary:
    """Load bulk files, ground the new samples and publish.

    Dumps are filtered by ``config_path``'s organisms / library strategies / sources (the
    harvest defaults when ``None``), or not at all when ``filtered`` is false. A file that
    fails (unreadable, or no sample in it) does not stop the others; the summary lists it in
    ``file_errors`` and ``harmonize backfill`` then exits non-zero.
    """
    from harmonize.dump.filters import dump_filter
    from harmonize.steps.engine import load_engine
    from harmonize.warehouse.runs import recorded_run

    filt = dump_filter(config_path, filtered)
    with recorded_run(warehouse, "backfill", "files",
                      {"paths": paths, "filter": filt.describe()}) as run:
        con = run.con
        engine = load_engine(con=con, use_embeddings=use_embeddings)
        if distributed:
            stats = tasks.ingest_distributed(con, paths, run.run_id, filt)
        else:
            stats = tasks.ingest_files(con, paths, run.run_id, filt)
        tasks.sync_ontologies(con, engine)
        grounded = tasks.annotate_samples(con, engine, only_changed=True,
                                          distributed=distributed,
                                          use_embeddings=use_embeddings)
        run.status = "partial" if stats.failed else "ok"
        run.counts.update(stats.counts(), failed_files=len(stats.failed),
                          skipped_files=len(stats.skipped), grounded_samples=grounded.samples)
        result = tasks.summarize(con)
    result.dump_line = stats.dump.line() if stats.dump is not None else ""
    result.warnings, result.file_errors = stats.notes, stats.errors()
    result.failure = stats.failure()
    tasks.publish_artifact(result, "harmonize backfill", "backfill-summary")
    return result
