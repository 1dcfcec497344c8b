-- 007: what a cohort export writes per sample, precomputed at publish
-- (harmonize/warehouse/materialize.py), so an export joins its selected samples' keys to one
-- row of every facet and filter column, instead of ranking the cohort's annotations and
-- reading sample_status per query.
-- <facet>_* is the facet's best annotation as an export ranks it: accepted before needs_review,
-- then the highest confidence, ties broken by term id, then source text (so a rebuild picks
-- the same row); columns in harmonize.models.FACETS order.
-- inactive: SRA_Accessions.tab marks the sample suppressed, withdrawn or unpublished
-- (sample_status of migration 004); sample_type_top_status: the status of its most confident
-- sample_type annotation (a tissue filter keeps samples whose type is only needs_review).
-- From this migration on, sample_key (summary_rows, facet_index, export_rows) orders samples by
-- their tissue in a depth-first walk of the tissue ontology, then by sample_id (it was sample_id
-- order): the samples of a tissue and of the tissues below it sit in neighbouring row groups, so
-- a cohort with a tissue filter reads a few row groups of the key-sorted tables, not all.
CREATE TABLE IF NOT EXISTS export_rows (
    sample_key                 INTEGER NOT NULL,
    inactive                   BOOLEAN NOT NULL,
    sample_type_top_status     VARCHAR,
    tissue_id                  VARCHAR,
    tissue_label               VARCHAR,
    tissue_confidence          DOUBLE,
    tissue_status              VARCHAR,
    tissue_source_text         VARCHAR,
    disease_id                 VARCHAR,
    disease_label              VARCHAR,
    disease_confidence         DOUBLE,
    disease_status             VARCHAR,
    disease_source_text        VARCHAR,
    cell_type_id               VARCHAR,
    cell_type_label            VARCHAR,
    cell_type_confidence       DOUBLE,
    cell_type_status           VARCHAR,
    cell_type_source_text      VARCHAR,
    cell_line_id               VARCHAR,
    cell_line_label            VARCHAR,
    cell_line_confidence       DOUBLE,
    cell_line_status           VARCHAR,
    cell_line_source_text      VARCHAR,
    sex_id                     VARCHAR,
    sex_label                  VARCHAR,
    sex_confidence             DOUBLE,
    sex_status                 VARCHAR,
    sex_source_text            VARCHAR,
    dev_stage_id               VARCHAR,
    dev_stage_label            VARCHAR,
    dev_stage_confidence       DOUBLE,
    dev_stage_status           VARCHAR,
    dev_stage_source_text      VARCHAR,
    assay_id                   VARCHAR,
    assay_label                VARCHAR,
    assay_confidence           DOUBLE,
    assay_status               VARCHAR,
    assay_source_text          VARCHAR,
    sample_type_id             VARCHAR,
    sample_type_label          VARCHAR,
    sample_type_confidence     DOUBLE,
    sample_type_status         VARCHAR,
    sample_type_source_text    VARCHAR,
    origin_tissue_id           VARCHAR,
    origin_tissue_label        VARCHAR,
    origin_tissue_confidence   DOUBLE,
    origin_tissue_status       VARCHAR,
    origin_tissue_source_text  VARCHAR
);

-- the materialized rows are stale until the next publish rebuilds them
DELETE FROM meta WHERE key = 'materialized_snapshot';
