"""Ground the raw layer: every sample's attributes -> annotations, through the mapping cache.

Distinct values are grounded once per lexicon version: the grounder memoizes candidates by
(facet, key class, text as written) and the memo is persisted in ``mapping_cache``, so
re-annotating millions of samples costs a dictionary lookup per value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb


@dataclass(slots=True)
class AnnotateStats:
    """Counts of one annotation pass."""

    samples: int = 0
    annotations: int = 0
    by_facet: dict[str, int] = field(default_factory=dict)
    cache_hits_before: int = 0
    cache_size_after: int = 0
    #: samples stored before this pass redone because their study got new samples
    controls_redone: int = 0


def annotate_samples(con: duckdb.DuckDBPyConnection, grounder: object, only_changed: bool = True,
                     on_batch: Callable[[int], None] | None = None,
                     ground_many: Callable[[list], list[dict]] | None = None) -> AnnotateStats:
    """Annotate samples (new or changed ones, or all) and store the annotations and the cache.

    ``ground_many`` (optional) grounds a batch's unseen field values elsewhere (e.g. on Dask
    workers) and returns memo rows that are preloaded before the batch is annotated.
    """
    from harmonize import progress
    from harmonize.warehouse.annotations import (
        load_cache,
        sample_ids_to_annotate,
        samples_to_annotate,
        save_cache,
    )

    version = cache_version(grounder)
    # a sample is re-annotated when the matchers *or* the fitted confidences change
    annotated_as = f"{version}+{grounder.calibration.version}"  # type: ignore[attr-defined]
    cached = load_cache(con, version)
    grounder.preload(json.loads(r) for r in cached.values())  # type: ignore[attr-defined]
    stats = AnnotateStats(cache_hits_before=len(cached))
    ids = sample_ids_to_annotate(con, annotated_as, only_changed=only_changed)
    touched: set[str] = set()
    with progress.task("grounding", total=len(ids), unit="samples") as bar:
        _annotate_batches(con, grounder, samples_to_annotate(con, annotated_as, ids=ids),
                          annotated_as, stats, bar, on_batch, ground_many, touched)
    if only_changed and touched:
        # a control stored before its study's cases reads them now ("control" beside a
        # disease of the same key is the healthy state): redo the study's earlier controls
        earlier = _earlier_controls(con, grounder, annotated_as, touched, set(ids))
        if earlier:
            before = stats.samples
            with progress.task("controls", total=len(earlier), unit="samples") as bar:
                _annotate_batches(con, grounder, iter(earlier), annotated_as, stats, bar,
                                  None, ground_many, set())
            stats.controls_redone, stats.samples = stats.samples - before, before
    rows = {cache_key(r): r for r in grounder.cache_items()}  # type: ignore[attr-defined]
    new = [(k[0], k[1], json.dumps(r)) for k, r in rows.items() if k not in cached]
    if new:
        save_cache(con, version, new)
    stats.cache_size_after = len(rows)
    return stats


def _annotate_batches(con, grounder, samples, annotated_as: str, stats: AnnotateStats, bar,
                      on_batch, ground_many, touched: set[str]) -> None:
    """Ground and store the samples batch by batch, advancing the progress bar; the studies
    of the samples are added to ``touched``."""
    from harmonize.warehouse.annotations import replace_annotations

    for batch in _batches(samples):
        touched.update(sample.study for sample in batch if sample.study)
        if ground_many is not None:
            from harmonize.steps.distribute import missing_values

            values = missing_values(grounder, batch)
            if values:
                grounder.preload(ground_many(values))  # type: ignore[attr-defined]
        found = grounder.annotate_many(  # type: ignore[attr-defined]
            ((sample.attributes, sample.text, sample.library) for sample in batch),
            studies=[sample.study for sample in batch], siblings=_siblings(con, grounder, batch))
        pairs = []
        for sample, anns in zip(batch, found):
            for ann in anns:
                pairs.append((sample.sample_id, ann))
                stats.by_facet[ann.facet] = stats.by_facet.get(ann.facet, 0) + 1
        replace_annotations(con, [s.sample_id for s in batch], pairs,
                            lexicon_version=annotated_as)
        stats.samples += len(batch)
        stats.annotations += len(pairs)
        bar.advance(len(batch))
        if on_batch:
            on_batch(len(batch))


def _earlier_controls(con, grounder, annotated_as: str, studies: set[str],
                      done: set[str]) -> list:
    """The samples of ``studies`` not annotated in this pass that hold a control word or a
    group code (the only ones a new sample of their study can change)."""
    from harmonize.ground.controls import group_keys, study_view
    from harmonize.warehouse.annotations import samples_to_annotate, study_sample_ids

    ids = [i for i in study_sample_ids(con, studies) if i not in done]
    return [s for s in samples_to_annotate(con, annotated_as, ids=ids)
            if group_keys(grounder, study_view(s.attributes, s.text))]


def _siblings(con, grounder, batch) -> dict[str, list[dict[str, str]]]:
    """What the study-controls stage reads of the other samples of the batch's studies: their
    values for the keys that hold a control word or a group code in this batch, keys compared
    as the grounder compares them (:func:`harmonize.ground.controls.reads_key`)."""
    from harmonize.ground.controls import group_keys, reads_key, study_view
    from harmonize.ground.fields import norm_key
    from harmonize.warehouse.annotations import study_values

    wanted = [(s.study, group_keys(grounder, study_view(s.attributes, s.text)))
              for s in batch if s.study]
    wanted = [(study, keys) for study, keys in wanted if keys]
    keys = frozenset(norm_key(k) for _, ks in wanted for k in ks)
    return study_values(con, (s for s, _ in wanted), lambda k, v: reads_key(k, v, keys),
                        view=study_view)


def cache_version(grounder: object) -> str:
    """Lexicon version, matcher version and a digest of the tables the matchers read.

    Cached candidates, and the "already annotated" mark of a sample, are only reused by the
    same lexicon *and* the same matchers; a bump of
    :data:`harmonize.ground.versions.MATCHER_VERSION`, a change to which keys speak for which
    facet (``field_keys.tsv``), to the facet table (``facets.tsv``), to the word lists, to the
    assay rules or to the sample-type model and words re-grounds on the next run. Editing code
    alone (a comment, a refactor) does not.
    """
    from harmonize.assay import DEFAULT_RULES
    from harmonize.facets import FACETS_PATH
    from harmonize.ground import fields
    from harmonize.ground.sample_type import MODEL_PATH
    from harmonize.ground.sample_type_features import WORDS_PATH
    from harmonize.ground.versions import MATCHER_VERSION, data_digest
    from harmonize.resources import ONTOLOGIES_DIR

    lexicon_version = grounder.lexicon.version  # type: ignore[attr-defined]
    tables = [fields.FIELD_KEYS_PATH, DEFAULT_RULES, ONTOLOGIES_DIR / "words", MODEL_PATH,
              WORDS_PATH, FACETS_PATH]
    return f"{lexicon_version}-m{MATCHER_VERSION}-{data_digest(tables)}"


def cache_key(row: dict) -> tuple[str, str]:
    """Warehouse ``mapping_cache`` key of a grounder memo row: (facet, "key_class|text")."""
    return row["facet"], f"{row['key_class']}|{row['text']}"


def _batches(samples, size: int = 5000):
    """Group the sample stream into lists of ``size``."""
    batch = []
    for item in samples:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def annotation_snapshot(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], tuple]:
    """``{(sample_id, facet, source_key): (term_id, status, confidence)}`` to diff two passes."""
    from harmonize.warehouse.annotations import annotation_snapshot as read

    return read(con)


def diff_snapshots(before: dict, after: dict) -> list[dict]:
    """Rows that were added, removed or changed between two annotation snapshots."""
    out = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        out.append({"sample_id": key[0], "facet": key[1], "source_key": key[2],
                    "old_term": old[0] if old else None, "new_term": new[0] if new else None,
                    "old_status": old[1] if old else None, "new_status": new[1] if new else None,
                    "old_confidence": old[2] if old else None,
                    "new_confidence": new[2] if new else None})
    return out
