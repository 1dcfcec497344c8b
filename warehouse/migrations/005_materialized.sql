-- 005: rows precomputed at every publish (harmonize/warehouse/materialize.py), so that what users
-- wait for (sample_summary, the review queue, cohort exports) reads a few rows instead of
-- re-aggregating every annotation. Readers only ever see published snapshots, so these are always
-- current for them; inside a writer they keep the previous snapshot's rows until it publishes.
-- meta.materialized_snapshot names the snapshot they were built for.

-- sample_summary's rows, with an integer key in sample_id order
CREATE TABLE IF NOT EXISTS summary_rows (
    sample_key           INTEGER NOT NULL,
    sample_id            VARCHAR NOT NULL,
    organism             VARCHAR,
    taxon_id             BIGINT,
    sources              VARCHAR[],
    biosample            VARCHAR,
    gsm                  VARCHAR,
    srs                  VARCHAR,
    srx                  VARCHAR,
    srr                  VARCHAR,
    gse                  VARCHAR,
    srp                  VARCHAR,
    bioproject           VARCHAR,
    tissue_id            VARCHAR,
    tissue_label         VARCHAR,
    tissue_confidence    DOUBLE,
    disease_id           VARCHAR,
    disease_label        VARCHAR,
    disease_confidence   DOUBLE,
    cell_type_id         VARCHAR,
    cell_type_label      VARCHAR,
    cell_type_confidence DOUBLE,
    cell_line_id         VARCHAR,
    cell_line_label      VARCHAR,
    cell_line_confidence DOUBLE,
    sex_id               VARCHAR,
    sex_label            VARCHAR,
    sex_confidence       DOUBLE,
    dev_stage_id         VARCHAR,
    dev_stage_label      VARCHAR,
    dev_stage_confidence DOUBLE,
    assay_id             VARCHAR,
    assay_label          VARCHAR,
    assay_confidence     DOUBLE
);

-- every annotation that names a term, sorted by (facet, term_id): a cohort filter reads the
-- row groups of its facet and terms only
CREATE TABLE IF NOT EXISTS facet_index (
    facet       VARCHAR NOT NULL,
    term_id     VARCHAR NOT NULL,
    sample_key  INTEGER NOT NULL,
    confidence  DOUBLE,
    status      VARCHAR,
    term_label  VARCHAR,
    source_text VARCHAR
);

-- terms in use per facet, with the samples they annotate (term checks and suggestions)
CREATE TABLE IF NOT EXISTS facet_terms (
    facet     VARCHAR NOT NULL,
    term_id   VARCHAR NOT NULL,
    label     VARCHAR,
    n_samples BIGINT
);

-- the review queue, most samples touched first
CREATE TABLE IF NOT EXISTS review_rows (
    facet       VARCHAR,
    source_text VARCHAR,
    n_samples   BIGINT,
    status      VARCHAR,
    term_id     VARCHAR,
    term_label  VARCHAR,
    confidence  DOUBLE,
    candidates  JSON
);

CREATE OR REPLACE VIEW sample_summary AS
SELECT * EXCLUDE (sample_key) FROM summary_rows;

CREATE OR REPLACE VIEW review_queue AS
SELECT * FROM review_rows;
