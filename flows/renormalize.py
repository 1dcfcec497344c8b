"""The renormalize flow: after an ontology, lexicon, matcher or calibration change, re-ground
every sample and report exactly which annotations changed."""

from __future__ import annotations

import csv

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import tasks
from harmonize.steps import annotate


@task(cache_policy=NO_CACHE)
def snapshot_annotations(con) -> dict:
    """The annotations before/after, keyed for diffing."""
    return annotate.annotation_snapshot(con)


@flow(name="renormalize")
def renormalize(warehouse: str | None = None, report_path: str | None = None,
                use_embeddings: bool = True) -> list[dict]:
    """Re-ground all samples; return (and optionally write as TSV) the changed annotations."""
    from harmonize.steps.engine import load_engine
    from harmonize.warehouse.runs import recorded_run

    with recorded_run(warehouse, "renormalize", "warehouse") as run:
        con = run.con
        engine = load_engine(con=con, use_embeddings=use_embeddings)
        run.row["params"]["lexicon_version"] = engine.grounder.lexicon.version
        before = snapshot_annotations(con)
        tasks.sync_ontologies(con, engine)
        tasks.annotate_samples(con, engine, only_changed=False)
        after = snapshot_annotations(con)
        changes = annotate.diff_snapshots(before, after)
        run.counts.update(annotations_before=len(before), annotations_after=len(after),
                          changed=len(changes))
    if report_path:
        with open(report_path, "w", newline="", encoding="utf-8") as fh:
            fields = ["sample_id", "facet", "source_key", "old_term", "new_term", "old_status",
                      "new_status", "old_confidence", "new_confidence"]
            writer_ = csv.DictWriter(fh, fieldnames=fields, delimiter="\t")
            writer_.writeheader()
            writer_.writerows(changes)
    get_run_logger().info("renormalized: %d annotations changed", len(changes))
    return changes
