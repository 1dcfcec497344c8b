-- 002: harmonized layer — ontology terms and closure, annotations, mapping cache, curation.

CREATE TABLE IF NOT EXISTS ontology_terms (
    term_id     VARCHAR PRIMARY KEY,
    label       VARCHAR,
    ontology    VARCHAR,
    version     VARCHAR,
    obsolete    BOOLEAN,
    replaced_by VARCHAR
);

CREATE TABLE IF NOT EXISTS term_synonyms (
    term_id VARCHAR NOT NULL,
    synonym VARCHAR NOT NULL
);

-- closure: every term is its own ancestor at distance 0
CREATE TABLE IF NOT EXISTS term_ancestors (
    term_id     VARCHAR NOT NULL,
    ancestor_id VARCHAR NOT NULL,
    distance    INTEGER NOT NULL
);

-- status: accepted | needs_review | rejected | unmapped (unmapped rows have term_id NULL);
-- candidates: JSON list of the best candidates, kept for needs_review / unmapped values
CREATE TABLE IF NOT EXISTS annotations (
    sample_id       VARCHAR NOT NULL,
    facet           VARCHAR NOT NULL,
    term_id         VARCHAR,
    term_label      VARCHAR,
    confidence      DOUBLE,
    method          VARCHAR,
    status          VARCHAR,
    source_key      VARCHAR,
    source_text     VARCHAR,
    lexicon_version VARCHAR,
    annotated_at    TIMESTAMP,
    candidates      JSON
);

-- which samples were annotated with which lexicon, and when (drives "only changed")
CREATE TABLE IF NOT EXISTS annotated_samples (
    sample_id       VARCHAR NOT NULL,
    lexicon_version VARCHAR NOT NULL,
    annotated_at    TIMESTAMP
);

CREATE TABLE IF NOT EXISTS mapping_cache (
    facet           VARCHAR NOT NULL,
    norm_text       VARCHAR NOT NULL,
    lexicon_version VARCHAR NOT NULL,
    result          JSON,
    created_at      TIMESTAMP,
    PRIMARY KEY (facet, norm_text, lexicon_version)
);

-- term_id NULL means "reject: this text maps to nothing"
CREATE TABLE IF NOT EXISTS curator_overrides (
    facet      VARCHAR NOT NULL,
    text       VARCHAR NOT NULL,
    norm_text  VARCHAR NOT NULL,
    term_id    VARCHAR,
    term_label VARCHAR,
    curator    VARCHAR,
    note       VARCHAR,
    created_at TIMESTAMP
);
